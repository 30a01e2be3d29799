"""End to end under ``dag.test()``: a send operator with ``notify_url`` at the receiver → the sandbox
pushes the report → the receiver stores it → the deferrable sensor (``source="receiver"``) reads the
store in its trigger → the branch of each outcome. ``source="both"`` polls the platform for reports
that were lost on the way."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.receiver.app import create_app
from airflow_provider_messaging.receiver.settings import ReceiverSettings
from tests.helpers.airflow import task_states, xcom_values
from tests.helpers.receiver import TOKEN, count_rows, empty_tables, serve

OUTCOMES = ("delivered", "call-barred", "teleservice-not-provisioned", "expired")
RECIPIENTS = {outcome: f"7902000{i:04d}" for i, outcome in enumerate(OUTCOMES)}


def branch_task_id(outcome: str) -> str:
    return "on_" + outcome.replace("-", "_")


@pytest.fixture
def deployment(postgres_store, messaging_sandbox_factory, monkeypatch):
    """The sandbox, the receiver (served on loopback) and the PostgreSQL store, wired by connections."""
    empty_tables(postgres_store)
    sandbox = messaging_sandbox_factory(delivery_delay=0.3, outcomes={d: o for o, d in RECIPIENTS.items()})
    store_url = postgres_store.url.render_as_string(hide_password=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic", "extra": {"url": store_url}})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_UNREACHABLE",
        json.dumps(
            {
                "conn_type": "messaging",
                "host": "http://127.0.0.1:9",
                "login": "x",
                "password": "never-used",
                "extra": {"max_retries": 0, "timeout": 1},
            }
        ),
    )
    with serve(create_app(settings=ReceiverSettings.build([TOKEN]), store=postgres_store)) as url:
        monkeypatch.setenv(
            "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT",
            json.dumps({"conn_type": "generic", "host": url, "password": TOKEN}),
        )
        yield sandbox


def _check_branches(run) -> dict:
    states = task_states(run)
    assert str(run.state) == "success", states
    dest_of = {v["mt_num"]: v["dest_addr"] for v in xcom_values(run, "send").values()}
    statuses = xcom_values(run, "wait")[-1]
    expected = {d: o for o, d in RECIPIENTS.items()}
    assert {mt: s["outcome"] for mt, s in statuses.items()} == {mt: expected[d] for mt, d in dest_of.items()}
    for outcome in OUTCOMES:
        assert states[branch_task_id(outcome)] == "success", outcome
    assert states["on_other"] == "skipped"
    return statuses


def test_pushed_reports_take_their_branches_with_the_sensor_reading_the_store(
    deployment, postgres_store, load_dag, capfd
):
    dag = load_dag("tests/integration/dags/receiver_dags.py", "receiver_deferrable")
    capfd.readouterr()
    run = dag.test(run_conf={"recipients": list(RECIPIENTS.values())})
    _check_branches(run)
    out, err = capfd.readouterr()
    assert "DeliveryStatusTrigger" in out + err  # it waited in the trigger
    assert TOKEN not in out + err  # the rendered notify_url's token is masked
    assert count_rows(postgres_store, "messaging_delivery_reports") == len(OUTCOMES)
    pushed = deployment.reports_pushed
    assert len(pushed) == len(OUTCOMES) and all(p["ok"] for p in pushed)
    assert all(p["url"].endswith(f"/{TOKEN}/reports") for p in pushed)


def test_both_polls_the_platform_for_reports_lost_on_the_way(deployment, postgres_store, load_dag):
    dag = load_dag("tests/integration/dags/receiver_dags.py", "receiver_both_lost")
    run = dag.test(run_conf={"recipients": list(RECIPIENTS.values())})
    _check_branches(run)
    assert count_rows(postgres_store, "messaging_delivery_reports") == 0  # nothing was pushed to the receiver
