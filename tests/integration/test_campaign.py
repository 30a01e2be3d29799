"""SendCampaignOperator in real DAG runs (dag.test()) against the sandbox: outcomes per row, a large
file, backfill and re-runs, shards."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import uuid
from pathlib import Path

from airflow_provider_messaging.campaign.keys import CampaignKey
from tests.helpers.airflow import task_states, xcom_values
from tests.helpers.campaign import read_jsonl, use_fresh_store

DAGS = "tests/integration/dags/campaign_dags.py"


def read_results(summary: dict) -> list[dict]:
    path = Path(summary["results_path"].removeprefix("file://"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> Path:
    """A CSV file (gzip for ``.gz``); a row without a key gets no cell for it (a short row)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        writer.writerows([row[k] for k in fields if k in row] for row in rows)
    return path


def test_every_row_gets_one_outcome_naming_field_and_rule(load_dag, messaging_sandbox_factory, capfd):
    from airflow_provider_messaging.hooks.messaging import MessagingHook
    from airflow_provider_messaging.models.send import compose_message

    sandbox = messaging_sandbox_factory(dedup="reject")
    campaign_id = f"rows-{uuid.uuid4().hex[:8]}"
    # the platform already has Bo's message (e.g. sent by hand): the campaign gets code 10 for it
    bo_id = CampaignKey.of(campaign_id=campaign_id).partner_id("VIBER", "79001110003")
    MessagingHook().send(compose_message(channel="viber", dest_addr="79001110003", service_number="SANDBOX",
                                         text="Hi Bo", message_id=bo_id))
    run = load_dag(DAGS, "campaign_rows").test(run_conf={"campaign_id": campaign_id})
    assert task_states(run) == {"recipients": "success", "send": "success"}
    summary = xcom_values(run, "send")[-1]
    rows = {r["row"]: r for r in read_results(summary)}
    assert {n: r["outcome"] for n, r in rows.items()} == {
        1: "accepted", 2: "duplicate_row", 3: "rejected", 4: "rejected", 5: "duplicate", 6: "rejected", 7: "accepted"}
    assert rows[3]["field"] == "text" and "needs the recipient field 'name'" in rows[3]["reason"]
    assert rows[4]["field"] == "destAddr" and "10 to 15 digits" in rows[4]["reason"]
    assert rows[6]["field"] == "message.data.instantContent.data.text"
    assert "Viber text is at most 1000 characters" in rows[6]["reason"]
    assert rows[5]["error_code"] == 10 and rows[5]["partner_id"] == bo_id
    assert rows[2]["partner_id"] == rows[1]["partner_id"]
    assert summary["outcomes"] == {"accepted": 2, "duplicate": 1, "duplicate_row": 1, "rejected": 3, "failed": 0,
                                   "unconfirmed": 0}
    assert summary["scope"] == f"campaign:{campaign_id}" and summary["sent"] == 3
    assert "79001110001" not in json.dumps(summary)  # counts only in XCom
    # the platform got Ann and Di once each, and Bo only from the earlier send
    assert sorted(m.dest_addr for m in sandbox.messages) == ["79001110001", "79001110003", "79001110005"]
    texts = {m.dest_addr: m.body["message"]["data"]["instantContent"]["data"]["text"] for m in sandbox.messages}
    assert texts["79001110005"] == "Hi Di" and texts["79001110001"] == "Hi Ann"
    report = Path(summary["report_path"].removeprefix("file://"))
    assert report.parent == Path(summary["results_path"].removeprefix("file://")).parent
    assert "<svg" in report.read_text()
    link = xcom_values_key(run, "send", "_link_CampaignReportLink")
    assert link == summary["report_path"]
    out = "".join(capfd.readouterr())
    assert "79001110001" not in out and "79001110005" not in out  # recipients never in the log
    assert "accepted" in out and "duplicate_row" in out  # the final table


def xcom_values_key(dag_run, task_id: str, key: str):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(XComModel.get_many(key=key, run_id=dag_run.run_id, dag_ids=dag_run.dag_id,
                                                 task_ids=task_id).with_only_columns(XComModel.value)).first()
        return XComModel.deserialize_value(row)


def test_a_file_of_10000_rows_with_5_bad_ones(load_dag, messaging_sandbox_factory, tmp_path):
    sandbox = messaging_sandbox_factory(dedup="off")
    rows = [{"dest_addr": f"7901{i:07d}", "name": f"N{i}", "code": str(i)} for i in range(10_000)]
    bad = {17: {"dest_addr": "7901"}, 1234: {"dest_addr": "79O10001234"}, 5000: {},
           7777: {"name": "x" * 1000}, 9999: {"dest_addr": "+7 (901) 000-99-99-99-99-99"}}
    for i, change in bad.items():
        rows[i] = {**{k: v for k, v in rows[i].items() if k != "code" or change}, **change}
    path = write_csv(tmp_path / "recipients.csv.gz", rows, ["dest_addr", "name", "code"])
    run = load_dag(DAGS, "campaign_file").test(run_conf={"recipients": str(path)})
    assert task_states(run) == {"send": "success"}
    summary = xcom_values(run, "send")[-1]
    assert summary["total"] == 10_000 and summary["outcomes"]["accepted"] == 9_995
    assert summary["outcomes"]["rejected"] == 5 and summary["sent"] == 9_995
    rejected = {r["row"]: r for r in read_results(summary) if r["outcome"] == "rejected"}
    assert sorted(rejected) == [i + 1 for i in sorted(bad)]
    assert all(r["field"] and r["reason"] for r in rejected.values())
    assert rejected[18]["field"] == "destAddr" and "10 to 15 digits" in rejected[18]["reason"]
    assert rejected[5001]["field"] == "text" and "'code'" in rejected[5001]["reason"]
    assert "at most 1000 characters" in rejected[7778]["reason"]
    assert len(sandbox.messages) == 9_995 == len({m.dest_addr for m in sandbox.messages})


def test_backfill_and_a_cleared_date_send_nothing_twice(load_dag, messaging_sandbox_factory, monkeypatch, tmp_path):
    sandbox = messaging_sandbox_factory(dedup="off")
    monkeypatch.setenv("AIRFLOW__MESSAGING__CAMPAIGN_RESULTS_FOLDER", str(tmp_path / "campaigns"))
    dag = load_dag(DAGS, "campaign_daily")
    base = dt.datetime(2030, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=uuid.uuid4().int % 1000)
    dates = [base + dt.timedelta(days=i) for i in range(3)]
    for day in dates:
        assert task_states(dag.test(logical_date=day)) == {"send": "success"}
    assert len(sandbox.messages) == 120
    assert len({m.id for m in sandbox.messages}) == 120  # each date its own campaign key
    again = dag.test(logical_date=dates[1])  # the date cleared and run again
    assert task_states(again) == {"send": "success"}
    assert len(sandbox.messages) == 120  # 0 new messages
    summary = xcom_values(again, "send")[-1]
    assert summary["sent"] == 0 and summary["outcomes"]["accepted"] == 40
    assert summary["results_path"].startswith(f"file://{tmp_path}/campaigns/dag_id=campaign_daily/run_id=")
    assert len(read_jsonl(summary["results_path"])) == 40  # the re-run's results: every row, from the ledger
    texts = {m.body["message"]["data"]["instantContent"]["data"]["text"] for m in sandbox.messages}
    assert f"{dates[1]:%Y-%m-%d}: your daily digest, Client 7" in texts


def test_shards_split_the_work_add_up_and_are_tracked_as_one_campaign(load_dag, messaging_sandbox_factory, tmp_path,
                                                                      monkeypatch):
    use_fresh_store(monkeypatch, tmp_path)
    # reports come after the first poll: the sensor defers and the trigger polls the store's pending ones
    sandbox = messaging_sandbox_factory(dedup="off", delivery_delay=1.0, outcomes={"79020000007": "call-barred"})
    rows = [{"dest_addr": f"7902{i:07d}", "name": f"S{i}"} for i in range(300)]
    path = write_csv(tmp_path / "shards.csv", rows, ["dest_addr", "name"])
    run = load_dag(DAGS, "campaign_shards").test(run_conf={"recipients": str(path)})
    states = task_states(run)
    assert states == {"send[0]": "success", "send[1]": "success", "send[2]": "success", "total": "success",
                      "track": "success", "branch": "success", "all_good": "success", "look_closer": "success"}
    parts = xcom_values(run, "send")
    assert sorted(p["shard"] for p in parts.values()) == [[0, 3], [1, 3], [2, 3]]
    assert all(60 < p["total"] < 140 for p in parts.values())
    assert len({p["results_path"] for p in parts.values()}) == 3
    assert len({p["scope"] for p in parts.values()}) == 1  # one campaign ledger
    total = xcom_values(run, "total")[-1]
    assert total["total"] == 300 and total["outcomes"]["accepted"] == 300 and len(total["parts"]) == 3
    assert sorted(m.dest_addr for m in sandbox.messages) == sorted(r["dest_addr"] for r in rows)
    tracked = xcom_values(run, "track")[-1]
    assert tracked["total"] == 300 and tracked["outcomes"] == {"delivered": 299, "call-barred": 1}
    statuses = read_jsonl(tracked["statuses_path"])
    assert len(statuses) == 300 and {s["mt_num"] for s in statuses} == {m.mt_num for m in sandbox.messages}
    barred = [s for s in statuses if s["outcome"] == "call-barred"]
    assert barred[0]["recipient"] == "7902*****07" and barred[0]["error_code"] == 3  # masked
