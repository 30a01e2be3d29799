"""``example_dags/example_campaign.py`` run with ``dag.test()`` against the sandbox: file in, report out,
branch on the counts."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import task_states, xcom_values


def test_example_campaign_sends_the_file_writes_the_report_and_branches(load_dag, messaging_sandbox):
    dag = load_dag("example_dags/example_campaign.py", "example_messaging_campaign")
    run = dag.test(run_conf={"recipients": 300})
    states = task_states(run)
    assert str(run.state) == "success", states
    assert states["done"] == "success" and states["review_failures"] == "skipped"
    summary = xcom_values(run, "campaign")[-1]
    assert summary["outcomes"]["accepted"] == 300 and summary["total"] == 300
    assert Path(summary["report_path"].removeprefix("file://")).read_text().startswith("<!doctype html>")
    assert len(messaging_sandbox.messages) == 300
    first = messaging_sandbox.messages[0].body
    assert first["message"]["data"]["instantContent"]["type"] == "BUTTON"
    assert first["message"]["data"]["instantContent"]["data"]["text"].startswith("Hi Client")
