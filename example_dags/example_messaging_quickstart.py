"""Quickstart: send a Viber and a WhatsApp message, then wait (deferrable) for their delivery reports.

Runs against any ``messaging`` connection named ``messaging_default``; ``make demo`` points it at
the bundled sandbox. Each send carries a deterministic partner id, so a retry, a cleared task or a
backfill of the same date never sends the message twice.

Works for every kind of run, including runs without a logical date (what ``airflow dags trigger``
and the REST API create by default): the texts use ``dag_run.run_after``, which every run has,
instead of ``ds``. The summary prints recipients masked, as the provider's own logs do.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.hooks.messaging import mask_number
from airflow_provider_messaging.operators.send import SendViberMessageOperator, SendWhatsAppMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

with DAG(
    dag_id="example_messaging_quickstart",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"recipient": "+7 (900) 123-45-67", "name": "Anna"},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:
    # [START quickstart]
    viber = SendViberMessageOperator(
        task_id="send_viber",
        dest_addr="{{ params.recipient }}",
        text="Hello {{ params.name }}, your order for {{ dag_run.run_after | ds }} is ready.",
        button_caption="Track",
        button_url="https://shop.example/orders/{{ dag_run.run_after | ds_nodash }}",
        ttl=60,
    )
    whatsapp = SendWhatsAppMessageOperator(
        task_id="send_whatsapp",
        dest_addr="{{ params.recipient }}",
        text="Hello {{ params.name }}, your order for {{ dag_run.run_after | ds }} is ready.",
        ttl=1440,
    )

    wait = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=[viber.output, whatsapp.output],
        deferrable=True,  # polls in the triggerer; dag.test() runs the trigger inline
        poke_interval=5,  # seconds between status polls; a real platform: 30 s or more
        timeout=600,
    )
    # [END quickstart]

    @task
    def summary(viber_result: dict, whatsapp_result: dict, statuses: dict) -> list[dict]:
        """One line per message; recipients masked (``7900*****67``) in the log and the result."""
        rows = []
        for r in (viber_result, whatsapp_result):
            status = statuses.get(r["mt_num"], {})
            row = {"channel": r["channel"], "to": mask_number(r["dest_addr"]), "mt_num": r["mt_num"],
                   "id": r["id"], "status": status.get("status_name"), "outcome": status.get("outcome")}
            print(f"{row['channel']:<9} to {row['to']}: mtNum={row['mt_num']} id={row['id']} "
                  f"-> {row['status']} ({row['outcome']})")
            rows.append(row)
        return rows

    summary(viber.output, whatsapp.output, wait.output)
