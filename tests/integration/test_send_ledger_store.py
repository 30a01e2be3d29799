"""Exactly once rests on the message store's send ledger, not on Airflow's task state store: a cleared
successful send task sends nothing again with the platform's dedup off and ``[state_store]
clear_on_success = True`` (which empties the task state store when the task succeeds), also when the
cleared task runs in another process (another worker) that shares the store on PostgreSQL."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap

import pytest

from airflow_provider_messaging.store import MessageStore
from tests.helpers.airflow import task_states, xcom_values

DAGS = "tests/integration/dags/send_dags.py"
WHEN = datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc)
#: dag.test() names the run after run_after: the same run_after is the same run, whose task instances
#: dag.test() clears (as a user's clear does) before running them again
RUN_AFTER = datetime.datetime(2026, 4, 1, 0, 5, tzinfo=datetime.timezone.utc)

#: a second worker: a fresh interpreter that runs the DAG's task with the environment it inherits
#: (the same Airflow home, connections and message store)
OTHER_WORKER = textwrap.dedent("""
    import datetime, importlib.util, json, sys
    from airflow.sdk.log import configure_logging
    configure_logging()
    spec = importlib.util.spec_from_file_location("dagfile_send_dags_other", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.send_sandbox_once.test(logical_date=datetime.datetime.fromisoformat(sys.argv[2]),
                                       run_after=datetime.datetime.fromisoformat(sys.argv[3]))
    print("RESULT " + json.dumps({"run_id": run.run_id, "states": {ti.task_id: str(ti.state)
                                                                   for ti in run.get_task_instances()}}))
""")


@pytest.fixture
def clear_on_success(monkeypatch):
    monkeypatch.setenv("AIRFLOW__STATE_STORE__CLEAR_ON_SUCCESS", "True")


def ledger_row(url: str, partner_id: str):
    store = MessageStore(url)
    try:
        return store.ledger("send").get(partner_id)
    finally:
        store.dispose()


def test_clearing_a_successful_send_sends_nothing_again_with_dedup_off(
    load_dag, messaging_sandbox_factory, clear_on_success, message_store_url
):
    sandbox = messaging_sandbox_factory(dedup="off")
    dag = load_dag(DAGS, "send_sandbox_once")
    first = dag.test(logical_date=WHEN, run_after=RUN_AFTER)
    assert task_states(first) == {"viber": "success"}
    sent = xcom_values(first, "viber")[-1]
    # the same run: dag.test() clears its task instances and runs them again
    second = dag.test(logical_date=WHEN, run_after=RUN_AFTER)
    assert second.run_id == first.run_id
    assert task_states(second) == {"viber": "success"}
    again = xcom_values(second, "viber")[-1]
    assert again["mt_num"] == sent["mt_num"] and again["id"] == sent["id"]
    assert len(sandbox.messages) == 1  # the platform's dedup is off: a second request would be a second message
    assert sandbox.sent_count(sent["id"], "79000000001") == 1
    record = ledger_row(message_store_url, sent["id"])
    assert (record.state, record.mt_num) == ("accepted", sent["mt_num"])


def test_a_cleared_send_on_another_worker_sharing_the_postgresql_store_sends_nothing_again(
    load_dag, messaging_sandbox_factory, clear_on_success, postgres_store_url
):
    sandbox = messaging_sandbox_factory(dedup="off")
    dag = load_dag(DAGS, "send_sandbox_once")
    first = dag.test(logical_date=WHEN, run_after=RUN_AFTER)
    assert task_states(first) == {"viber": "success"}
    sent = xcom_values(first, "viber")[-1]
    record = ledger_row(postgres_store_url, sent["id"])
    assert (record.state, record.mt_num) == ("accepted", sent["mt_num"])

    dag_file = os.path.join(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], "send_dags.py")
    other = subprocess.run([sys.executable, "-c", OTHER_WORKER, dag_file, WHEN.isoformat(),
                            RUN_AFTER.isoformat()],
                           capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert other.returncode == 0, other.stderr[-3000:]
    [result] = [line for line in other.stdout.splitlines() if line.startswith("RESULT ")]
    assert json.loads(result[len("RESULT "):]) == {"run_id": first.run_id, "states": {"viber": "success"}}
    assert "was accepted by an earlier try" in other.stdout + other.stderr  # answered from the shared ledger
    assert len(sandbox.messages) == 1
    assert sandbox.sent_count(sent["id"], "79000000001") == 1
    assert xcom_values(first, "viber")[-1]["mt_num"] == sent["mt_num"]


def test_the_send_operators_default_store_connection_is_the_stores():
    from airflow_provider_messaging.operators import send
    from airflow_provider_messaging.store import SEND_SCOPE
    from airflow_provider_messaging.store.airflow import DEFAULT_CONN_ID

    assert send.DEFAULT_STORE_CONN_ID == DEFAULT_CONN_ID and send.SEND_SCOPE == SEND_SCOPE
