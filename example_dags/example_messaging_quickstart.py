"""Quickstart: send a Viber and a WhatsApp message, then wait (deferrable) for their delivery reports.

Runs against any ``messaging`` connection named ``messaging_default``; ``make demo`` points it at
the bundled sandbox. Each send carries a deterministic partner id, so a retry, a cleared task or a
backfill of the same date never sends the message twice.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.send import SendViberMessageOperator, SendWhatsAppMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

with DAG(
    dag_id="example_messaging_quickstart",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"recipient": "+7 (900) 123-45-67", "name": "Anna"},
    tags=["example", "messaging"],
) as dag:
    viber = SendViberMessageOperator(
        task_id="send_viber",
        dest_addr="{{ params.recipient }}",
        text="Hello {{ params.name }}, your order for {{ ds }} is ready.",
        button_caption="Track",
        button_url="https://shop.example/orders/{{ ds_nodash }}",
        ttl=60,
    )
    whatsapp = SendWhatsAppMessageOperator(
        task_id="send_whatsapp",
        dest_addr="{{ params.recipient }}",
        text="Hello {{ params.name }}, your order for {{ ds }} is ready.",
        ttl=1440,
    )

    wait = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=[viber.output, whatsapp.output],
        deferrable=True,  # polls in the triggerer; dag.test() runs the trigger inline
        poke_interval=1,
        timeout=120,
    )

    @task
    def summary(viber_result: dict, whatsapp_result: dict, statuses: dict) -> list[dict]:
        sent = [viber_result, whatsapp_result]
        for r in sent:
            status = statuses.get(r["mt_num"], {})
            print(f"{r['channel']:<9} to {r['dest_addr']}: mtNum={r['mt_num']} id={r['id']} "
                  f"-> {status.get('status_name')} ({status.get('outcome')})")
        return sent

    summary(viber.output, whatsapp.output, wait.output)
