"""Example DAGs are system tests: every file in ``example_dags/`` loads with Airflow's DagBag
(no import errors) and runs end to end with ``dag.test()`` against the sandbox.

``RUNS`` has one entry per example file; a new example without an entry fails
``test_every_example_is_run``. This module runs each example once with its default parameters (the
templates one twice, to show a re-run creates nothing; the asset-triggered one through its watcher's
trigger). Other outcomes are run elsewhere: the branching example in ``test_delivery_example.py``, the
campaign's other branches in ``test_campaign_example.py``, the STOP example's bookkeeping in
``receiver/test_example_incoming_stop.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.airflow import ROOT, task_states, xcom_values

EXAMPLES = ROOT / "example_dags"


def _dagbag():
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow before 3.2
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(EXAMPLES))  # [core] load_examples is off in the tests


@dataclass
class Peers:
    """What an example runs against: the sandbox, and on demand a message store and the receiver."""

    sandbox: Sandbox
    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    def store(self) -> Any:
        """A fresh SQLite message store, named by the connection ``messaging_store_default``."""
        from airflow_provider_messaging.store import MessageStore

        url = f"sqlite:///{self.tmp_path / 'messaging_store.db'}"
        self.monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT",
                                json.dumps({"conn_type": "generic", "extra": {"url": url}}))
        return MessageStore(url)

    @contextmanager
    def receiver(self, store: Any) -> Iterator[str]:
        """The receiver served on loopback into ``store``; ``messaging_receiver_default`` points at it."""
        from airflow_provider_messaging.receiver.app import create_app
        from airflow_provider_messaging.receiver.settings import ReceiverSettings
        from tests.helpers.receiver import TOKEN, serve

        with serve(create_app(settings=ReceiverSettings.build([TOKEN]), store=store)) as url:
            self.monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT",
                                    json.dumps({"conn_type": "generic", "host": url, "password": TOKEN}))
            yield f"{url}/{TOKEN}"


def run_quickstart(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    run = dag.test()
    assert set(task_states(run).values()) == {"success"}, task_states(run)
    statuses = xcom_values(run, "wait_for_delivery")[-1]
    sent = {m.channel: m for m in sandbox.messages}
    assert set(sent) == {"VIBER", "WHATSAPP"}
    assert sent["VIBER"].body["message"]["data"]["instantContent"]["type"] == "BUTTON"
    for m in sent.values():
        assert sandbox.sent_count(m.id, m.dest_addr) == 1
        assert statuses[m.mt_num]["outcome"] == "delivered"


def run_mapped_sends(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    sandbox.set_outcome("79000000003", "call-barred")
    run = dag.test()
    states = task_states(run)
    assert str(run.state) == "success", states
    assert {k for k in states if k.startswith("send_viber")} == {"send_viber[0]", "send_viber[1]", "send_viber[2]"}
    texts = sorted(m.body["message"]["data"]["instantContent"]["data"]["text"] for m in sandbox.messages)
    assert texts == [f"Hello {n}, your order has shipped." for n in ("Anna", "Boris", "Vera")]
    assert len({m.id for m in sandbox.messages}) == 3  # one partner id per map index and recipient
    assert all(sandbox.sent_count(m.id, m.dest_addr) == 1 for m in sandbox.messages)
    assert xcom_values(run, "summary")[-1] == {"sent": 3, "outcomes": {"delivered": 2, "call-barred": 1}}


def run_delivery_branching(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    run = dag.test()
    states = task_states(run)
    assert str(run.state) == "success", states
    assert states["done"] == "success"
    assert {states[t] for t in ("fallback_whatsapp", "retry_later", "flag_contact")} == {"skipped"}
    assert [m.channel for m in sandbox.messages] == ["VIBER"]


def run_templates(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    first = dag.test()
    second = dag.test()  # a re-run creates nothing and still succeeds
    expected = {"whatsapp_template": "success", "viber_template": "success", "sms_template": "success",
                "summary": "success"}
    assert task_states(first) == expected and task_states(second) == expected
    templates = sandbox.templates
    assert sorted(t["name"] for t in templates) == ["spring_sale_sms", "spring_sale_viber", "spring_sale_whatsapp"]
    assert [r["created"] for r in xcom_values(first, "summary")[-1]] == [True, True, True]
    assert [r["created"] for r in xcom_values(second, "summary")[-1]] == [False, False, False]
    whatsapp = next(t for t in templates if t["channelType"] == "WHATSAPP")
    assert whatsapp["content"]["text"] == "Здравствуйте, {{1}}! Ваша скидка {{2}}% ждёт вас."


def run_campaign(dag, peers: Peers) -> None:
    """The default case: everything delivered, so only ``report_sent`` follows; the campaign's other
    branches are run in ``test_campaign_example.py``."""
    sandbox = peers.sandbox
    peers.store()
    run = dag.test(run_conf={"recipients": 300})
    states = task_states(run)
    assert str(run.state) == "success", states
    assert [states[b] for b in ("report_sent", "clean_list", "review_undelivered")] == ["success", "skipped",
                                                                                          "skipped"]
    summary = xcom_values(run, "campaign")[-1]
    assert summary["outcomes"]["accepted"] == 300 and summary["total"] == 300
    assert Path(summary["report_path"].removeprefix("file://")).read_text().startswith("<!doctype html>")
    assert len(sandbox.messages) == 300 and len({m.id for m in sandbox.messages}) == 300
    first = sandbox.messages[0].body["message"]["data"]["instantContent"]
    assert first["type"] == "BUTTON" and first["data"]["text"].startswith("Hi Client")
    delivery = xcom_values(run, "track_delivery")[-1]
    assert delivery["total"] == 300 and delivery["outcomes"] == {"delivered": 300}
    assert "79000000001" not in json.dumps(delivery)  # counts and a path only


def run_notifier(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    peers.store()

    def sent() -> list[tuple[str, str, str]]:
        return sorted((m.channel, m.dest_addr, m.body["message"]["data"]["instantContent"]["data"]["text"])
                      for m in sandbox.messages)

    ok = dag.test()
    assert task_states(ok) == {"load_orders": "success", "publish_report": "success"}
    assert sent() == [("WHATSAPP", n, f"example_messaging_notifier: run {ok.run_id} succeeded")
                      for n in ("79000000012", "79000000013")]

    sandbox.reset()
    failed = dag.test(run_conf={"fail": True})
    assert task_states(failed) == {"load_orders": "failed", "publish_report": "upstream_failed"}
    texts = sent()
    assert ("VIBER", "79000000011", "Task load_orders of example_messaging_notifier failed (try 1)") in texts
    team = [t for t in texts if t[0] == "WHATSAPP"]
    assert [t[1] for t in team] == ["79000000012", "79000000013"]
    assert all(t[2].startswith(f"example_messaging_notifier: run {failed.run_id} failed (") for t in team)
    assert len(texts) == 3


def run_receiver_wait(dag, peers: Peers) -> None:
    sandbox = peers.sandbox
    sandbox.set_outcome("79000000002", "call-barred")
    store = peers.store()
    with peers.receiver(store) as receiver_url:
        run = dag.test()
    states = task_states(run)
    assert str(run.state) == "success", states
    pushed = sandbox.reports_pushed
    assert len(pushed) == 2 and all(p["ok"] and p["url"] == f"{receiver_url}/reports" for p in pushed)
    sent = {m.mt_num: m.dest_addr for m in sandbox.messages}
    assert set(store.get_reports(list(sent))) == set(sent)  # the receiver stored both reports
    statuses = xcom_values(run, "wait_for_delivery")[-1]
    assert {sent[n]: s["outcome"] for n, s in statuses.items()} == {"79000000001": "delivered",
                                                                     "79000000002": "call-barred"}
    assert xcom_values(run, "summary")[-1] == {"delivered": 1, "call-barred": 1}


def run_incoming_stop(dag, peers: Peers) -> None:
    """Asset-triggered: MO messages pushed to the receiver, the asset's watcher trigger run directly,
    its events handed to a run of the DAG as the asset events that triggered it."""
    from airflow.models import Variable

    sandbox = peers.sandbox
    store = peers.store()
    with peers.receiver(store) as receiver_url:
        for number, text in (("79001230001", "STOP"), ("79001230002", "hello"), ("79001230003", " Stop ")):
            sandbox.send_mo(number, text=text, dest_addr="MyShop", mo_url=f"{receiver_url}/mo")
        assert sandbox.wait_for(lambda: len(store.mo_after(0).messages) == 3, timeout=10)

    [asset] = dag.timetable.asset_condition.objects
    [watcher] = asset.watchers

    async def events(count: int) -> list[dict[str, Any]]:
        run = watcher.trigger.run()
        try:
            return [(await asyncio.wait_for(anext(run), 10)).payload for _ in range(count)]
        finally:
            await run.aclose()

    payloads = asyncio.run(events(2))
    assert [p["sourceAddr"] for p in payloads] == ["79001230001", "79001230003"]  # "hello" did not match

    Variable.delete("messaging_opt_outs")
    with asset_events_for_the_run(peers.monkeypatch, asset.name, payloads):
        run = dag.test()
    try:
        states = task_states(run)
        assert str(run.state) == "success", states
        opt_outs = Variable.get("messaging_opt_outs", deserialize_json=True)
        assert sorted(opt_outs) == ["79001230001", "79001230003"]
        assert sorted(m.dest_addr for m in sandbox.messages) == ["79001230001", "79001230003"]
        assert {m.body["message"]["data"]["instantContent"]["data"]["text"] for m in sandbox.messages} == {
            "You will receive no more messages from us."}
    finally:
        Variable.delete("messaging_opt_outs")


@contextmanager
def asset_events_for_the_run(monkeypatch: pytest.MonkeyPatch, asset_name: str, payloads: list[dict[str, Any]]):
    """Make ``dag.test()``'s run consume one asset event per payload, as the triggerer writes them
    for an event trigger (``extra={"from_trigger": True, "payload": ...}``)."""
    from airflow.models import dagrun
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import select

    create = dagrun.get_or_create_dagrun

    def create_with_events(**kwargs: Any) -> Any:
        run = create(**kwargs)
        session = kwargs["session"]
        asset = session.scalar(select(AssetModel).where(AssetModel.name == asset_name))
        for payload in payloads:
            event = AssetEvent(asset_id=asset.id, extra={"from_trigger": True, "payload": payload})
            session.add(event)
            run.consumed_asset_events.append(event)
        session.commit()
        return run

    with monkeypatch.context() as patch:
        patch.setattr(dagrun, "get_or_create_dagrun", create_with_events)
        yield


#: example file -> (dag_id, how to run it and what to check)
RUNS: dict[str, tuple[str, Callable[..., None]]] = {
    "example_messaging_quickstart.py": ("example_messaging_quickstart", run_quickstart),
    "example_mapped_sends.py": ("example_messaging_mapped_sends", run_mapped_sends),
    "example_delivery_branching.py": ("example_delivery_branching", run_delivery_branching),
    "example_templates.py": ("example_messaging_templates", run_templates),
    "example_campaign.py": ("example_messaging_campaign", run_campaign),
    "example_notifier.py": ("example_messaging_notifier", run_notifier),
    "example_receiver_wait.py": ("example_messaging_receiver_wait", run_receiver_wait),
    "example_incoming_stop.py": ("example_incoming_stop", run_incoming_stop),
}


def example_files() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("example_*.py"))


def test_every_example_is_run():
    assert sorted(RUNS) == example_files()


# Airflow's DagBag reads .airflowignore with a pathspec pattern class that pathspec deprecates
@pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning")
def test_every_example_loads_with_the_dagbag_and_is_documented(airflow_db):
    bag = _dagbag()
    assert bag.import_errors == {}
    by_file = {Path(d.fileloc).name: d for d in bag.dags.values()}
    for name, (dag_id, _) in RUNS.items():
        dag = by_file[name]
        assert dag.dag_id == dag_id
        assert dag.doc_md, f"{name}: no doc_md"
        assert dag.params, f"{name}: no params (with defaults)"
        module = Path(dag.fileloc).read_text(encoding="utf-8")
        assert module.lstrip().startswith('"""'), f"{name}: no module docstring"
        for secret in ("sandbox-secret", "sandbox-api-key", "AIRFLOW_CONN_"):
            assert secret not in module, f"{name}: carries a secret or a connection"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_runs_end_to_end_against_the_sandbox(name, load_dag, messaging_sandbox_factory, tmp_path,
                                                    monkeypatch):
    dag_id, run = RUNS[name]
    peers = Peers(messaging_sandbox_factory(delivery_delay=0.0), tmp_path, monkeypatch)
    run(load_dag(f"example_dags/{name}", dag_id), peers)
