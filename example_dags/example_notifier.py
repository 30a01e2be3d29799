"""Alerts over Viber and WhatsApp from callbacks: when a task fails, and when a DAG run ends.

load_orders → publish_report

* ``load_orders`` has an ``on_failure_callback``: the on-call number gets a Viber message naming the
  task, the DAG and the try. Trigger the DAG with ``{"fail": true}`` to see it.
* The DAG has ``on_success_callback`` and ``on_failure_callback``: a WhatsApp message to the team
  when a run succeeds or fails.

Recipients and texts are templated with the callback's context (``ti``, ``dag``, ``dag_run``,
``params``, ``reason`` for DAG callbacks). Each alert goes out once per event, even if its callback
fires twice: its partner id is kept in the message store's send ledger (connection
``messaging_store_default``; by default a SQLite file under ``$AIRFLOW_HOME``). Messages go through
the connection ``messaging_default``.
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_messaging.notifications.messaging import MessagingNotifier

# [START notifier]
on_call_alert = MessagingNotifier(
    recipients="{{ params.on_call }}",  # one number, a list, or "a, b, c"
    text="Task {{ ti.task_id }} of {{ dag.dag_id }} failed (try {{ ti.try_number }})",
)
team_success = MessagingNotifier(
    recipients="{{ params.team }}",
    channel="WHATSAPP",
    text="{{ dag.dag_id }}: run {{ run_id }} succeeded",
)
team_failure = MessagingNotifier(
    recipients="{{ params.team }}",
    channel="WHATSAPP",
    text="{{ dag.dag_id }}: run {{ run_id }} failed ({{ reason }})",
)

with DAG(
    dag_id="example_messaging_notifier",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"on_call": "+7 900 000-00-11", "team": "79000000012, 79000000013", "fail": False},
    on_success_callback=team_success,
    on_failure_callback=team_failure,
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:

    @task(on_failure_callback=on_call_alert)
    def load_orders(params: dict[str, Any]) -> int:
        if params["fail"]:
            raise RuntimeError("the orders database did not answer")
        return 42
    # [END notifier]

    @task
    def publish_report(orders: int) -> str:
        return f"{orders} orders loaded"

    publish_report(load_orders())
