"""Wait for the delivery reports the platform pushes, instead of polling the platform for them.

recipients → send_viber (mapped; ``notify_url`` at the receiver) → wait_for_delivery → summary

Each message is sent with a ``notify_url`` pointing at the provider's receiver (mounted in Airflow's
api-server at ``/messaging``, or run on its own), which stores every pushed report in the message
store. ``DeliveryStatusSensor(source="both")`` defers to the triggerer and reads those stored reports:
the platform is not asked at all while reports come in, and only for messages still not final
``poll_after`` seconds after the sensor started (reports lost on the way). ``source="receiver"``
would never ask the platform.

Needs the connections ``messaging_default`` (the platform), ``messaging_receiver_default`` (host: the
receiver's public base URL, password: its token) and ``messaging_store_default`` (the message store
the receiver writes to; PostgreSQL when the api-server, workers and triggerer run on several
machines). The token is rendered from the connection into ``notify_url`` and masked in the task log.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

with DAG(
    dag_id="example_messaging_receiver_wait",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"recipients": ["+7 900 000-00-01", "+7 900 000-00-02"], "text": "Your order has shipped."},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:

    @task
    def recipients(params: dict[str, Any]) -> list[str]:
        return list(params["recipients"])

    # [START receiver_wait]
    # [START notify_url]
    # the receiver's URL for reports: its public base URL and token, from its connection
    notify_url = "{{ conn.messaging_receiver_default.host }}/{{ conn.messaging_receiver_default.password }}/reports"

    send_viber = SendViberMessageOperator.partial(
        task_id="send_viber", text="{{ params.text }}", notify_url=notify_url
    ).expand(dest_addr=recipients())
    # [END notify_url]

    wait_for_delivery = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=send_viber.output,
        source="both",       # read pushed reports from the store; poll the platform only for stragglers
        poll_after=15 * 60,  # seconds after the sensor started
        deferrable=True,
        poke_interval=5,
        timeout=2 * 60 * 60,
    )
    # [END receiver_wait]

    @task
    def summary(statuses: dict[str, dict[str, Any]]) -> dict[str, int]:
        counts = Counter(s["outcome"] for s in statuses.values())
        print(", ".join(f"{outcome}: {n}" for outcome, n in counts.most_common()))
        return dict(counts)

    summary(wait_for_delivery.output)
