"""Mapped sends: one Viber message per recipient, each its own task instance, then one sensor for all.

build_messages → send_viber (mapped, one instance per recipient) → wait_for_delivery → summary

``params.recipients`` is a list of ``{"phone": ..., "name": ...}``; each recipient gets a personal
text. The send task is mapped with ``expand_kwargs``, so each message shows up as its own task
instance (its own log, retries and state), and the sensor takes the mapped task's whole output.

No ``message_id`` is given: the default partner id already includes the map index and the
recipient, so each instance has its own id, and a retry, a cleared instance or a re-run of the same
run never sends a message twice. (A constant ``message_id`` in ``.partial(...)`` would give every
instance the same id: with the platform's duplicate control on, only the first recipient would get
the message.)

Runs against any ``messaging`` connection named ``messaging_default``, e.g. the bundled sandbox
(``python -m airflow_provider_messaging.sandbox``).
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_messaging.client import mask_number
from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

with DAG(
    dag_id="example_messaging_mapped_sends",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={
        "recipients": [
            {"phone": "+7 900 000-00-01", "name": "Anna"},
            {"phone": "+7 900 000-00-02", "name": "Boris"},
            {"phone": "+7 900 000-00-03", "name": "Vera"},
        ],
    },
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:
    # [START mapped_sends]
    @task
    def build_messages(params: dict[str, Any]) -> list[dict[str, str]]:
        """One set of send arguments per recipient."""
        return [
            {"dest_addr": r["phone"], "text": f"Hello {r['name']}, your order has shipped."}
            for r in params["recipients"]
        ]

    # no message_id in .partial(): the default partner id differs per map index and recipient
    send_viber = SendViberMessageOperator.partial(task_id="send_viber", ttl=60).expand_kwargs(build_messages())

    wait_for_delivery = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=send_viber.output,  # the list of every mapped instance's result
        deferrable=True,
        poke_interval=5,
        timeout=600,
    )
    # [END mapped_sends]

    @task
    def summary(results: list[dict[str, Any]], statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Count the outcomes; recipients are shown masked, as the provider's logs do."""
        counts: dict[str, int] = {}
        for r in results:
            outcome = statuses.get(r["mt_num"], {}).get("outcome", "untracked")
            counts[outcome] = counts.get(outcome, 0) + 1
            print(f"{mask_number(r['dest_addr'])}: mtNum={r['mt_num']} -> {outcome}")
        return {"sent": len(results), "outcomes": counts}

    summary(send_viber.output, wait_for_delivery.output)
