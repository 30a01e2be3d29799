"""``example_dags/example_campaign.py`` run with ``dag.test()`` against the sandbox: file in, report out,
delivery tracked from the store, branch on the counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.airflow import task_states, xcom_values
from tests.helpers.campaign import use_fresh_store

BRANCHES = ("report_sent", "clean_list", "review_undelivered")


# ({}, {"report_sent"}), the default run, is in test_example_dags.py
@pytest.mark.parametrize(("outcomes", "followed"), [
    ({"7900000000[0-4]": "call-barred", "7900000001*": "expired"}, {"report_sent", "clean_list", "review_undelivered"}),
])
def test_example_campaign_sends_tracks_and_branches(outcomes, followed, load_dag, messaging_sandbox_factory,
                                                    monkeypatch, tmp_path):
    use_fresh_store(monkeypatch, tmp_path)
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes=outcomes)
    dag = load_dag("example_dags/example_campaign.py", "example_messaging_campaign")
    run = dag.test(run_conf={"recipients": 300})
    states = task_states(run)
    assert str(run.state) == "success", states
    assert {b for b in BRANCHES if states[b] == "success"} == followed
    assert {b for b in BRANCHES if states[b] == "skipped"} == set(BRANCHES) - followed
    summary = xcom_values(run, "campaign")[-1]
    assert summary["outcomes"]["accepted"] == 300 and summary["total"] == 300
    assert Path(summary["report_path"].removeprefix("file://")).read_text().startswith("<!doctype html>")
    assert len(sandbox.messages) == 300
    first = sandbox.messages[0].body
    assert first["message"]["data"]["instantContent"]["type"] == "BUTTON"
    assert first["message"]["data"]["instantContent"]["data"]["text"].startswith("Hi Client")
    delivery = xcom_values(run, "track_delivery")[-1]
    assert delivery["total"] == 300 and sum(delivery["outcomes"].values()) == 300
    expected = {"delivered": 300} if not outcomes else {"delivered": 285, "call-barred": 5, "expired": 10}
    assert delivery["outcomes"] == expected
    lines = Path(delivery["statuses_path"].removeprefix("file://")).read_text().splitlines()
    assert Path(delivery["statuses_path"].removeprefix("file://")).parent == \
        Path(summary["results_path"].removeprefix("file://")).parent
    assert len(lines) == 300 and {json.loads(line)["outcome"] for line in lines} == set(expected)
    assert "79000000001" not in json.dumps(delivery)  # counts and a path only
