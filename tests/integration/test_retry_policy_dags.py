"""``MessagingRetryPolicy`` on real task failures under dag.test(): Airflow's task runner consults it,
and the scheduler loop of dag.test() honours the delay it returns. Airflow 3.3+ only (tests/conftest.py
leaves this file out on older Airflow)."""

from __future__ import annotations

import json

from tests.helpers.airflow import task_states, xcom_values

DAGS = "tests/integration/dags/retry_policy_dags.py"


def without_client_retries(sandbox, monkeypatch) -> None:
    """The sandbox's connection with max_retries=0: each error ends the try, and the policy decides."""
    conn = json.loads(sandbox.connection_json())
    conn["extra"]["max_retries"] = 0
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(conn))


def tries(dag_run, task_id: str) -> list[tuple[int, object, object]]:
    """``(try_number, start_date, end_date)`` of every try of ``task_id``, earlier tries included."""
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        history = session.execute(
            select(TaskInstanceHistory.try_number, TaskInstanceHistory.start_date, TaskInstanceHistory.end_date)
            .where(TaskInstanceHistory.dag_id == dag_run.dag_id, TaskInstanceHistory.run_id == dag_run.run_id,
                   TaskInstanceHistory.task_id == task_id)
        ).all()
    [ti] = [t for t in dag_run.get_task_instances() if t.task_id == task_id]
    return sorted([tuple(row) for row in history] + [(ti.try_number, ti.start_date, ti.end_date)])


def test_a_throttled_send_is_retried_no_sooner_than_retry_after(load_dag, messaging_sandbox_factory,
                                                                   monkeypatch, capfd):
    sandbox = messaging_sandbox_factory(dedup="off")
    without_client_retries(sandbox, monkeypatch)
    sandbox.inject("throttled", count=1, retry_after=2)
    run = load_dag(DAGS, "retry_policy_throttled").test()
    assert task_states(run) == {"viber": "success"}
    (first, _, ended), (second, started, _) = tries(run, "viber")
    assert (first, second) == (1, 2)
    assert (started - ended).total_seconds() >= 2  # the platform's Retry-After, though retry_delay is 0
    [message] = sandbox.messages
    assert xcom_values(run, "viber")[-1]["mt_num"] == message.mt_num
    out = "".join(capfd.readouterr())
    assert "Retry policy decision" in out and "throttled by the platform (Retry-After 2 s)" in out


def test_a_refused_ip_address_fails_at_once(load_dag, messaging_sandbox_factory, monkeypatch, capfd):
    sandbox = messaging_sandbox_factory(allowed_ips=["192.0.2.10"])  # not this machine: code 2
    without_client_retries(sandbox, monkeypatch)
    run = load_dag(DAGS, "retry_policy_refused").test()
    assert task_states(run) == {"send_with_the_hook": "failed"}
    assert [t[0] for t in tries(run, "send_with_the_hook")] == [1]  # retries=3, none used
    assert sandbox.messages == []
    out = "".join(capfd.readouterr())
    assert "code 2 (InvalidIpAddressError): retrying cannot fix it" in out
