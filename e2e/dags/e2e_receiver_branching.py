"""``make e2e``'s DAG for pushed delivery reports: send with ``notify_url`` at the receiver mounted
in the api-server, wait on the reports the receiver stored, branch on the outcome.

send_viber → wait_for_delivery (``source="receiver"``, deferrable) → branch_on_outcome → one of
done / fallback_whatsapp / retry_later / flag_contact (task ids as in the branching example, so
e2e/run.py checks both the same way).

The ``notify_url`` is rendered from the connection ``messaging_receiver_default`` (host: the
receiver's base URL, password: its token, which Airflow masks in the task's log and rendered
fields). The sensor never asks the platform (its messaging connection does not exist): it reads the
message store (asynchronously, in the triggerer). Trigger it with ``{"dest_addr": "79001234567"}`` as the run's conf.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

NOTIFY_URL = "{{ conn.messaging_receiver_default.host }}/{{ conn.messaging_receiver_default.password }}/reports"

with DAG(
    dag_id="e2e_receiver_branching",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"dest_addr": "79001234567", "text": "Your order #1042 has shipped."},
    tags=["e2e", "messaging"],
) as dag:
    send_viber = SendViberMessageOperator(
        task_id="send_viber",
        dest_addr="{{ params.dest_addr }}",
        text="{{ params.text }}",
        notify_url=NOTIFY_URL,
        ttl=60,
    )
    wait_for_delivery = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=send_viber.output,
        source="receiver",
        # no such connection: a sensor that asked the platform would fail, so success proves the receiver
        messaging_conn_id="messaging_unreachable",
        deferrable=True,
        poke_interval=2,
        timeout=5 * 60,
    )
    branch_on_outcome = DeliveryBranchOperator(
        task_id="branch_on_outcome",
        statuses=wait_for_delivery.output,
        branches={
            "delivered": "done",
            "teleservice-not-provisioned": "fallback_whatsapp",
            "expired": "retry_later",
            "call-barred": "flag_contact",
        },
        default_branch="flag_contact",
    )
    send_viber >> wait_for_delivery >> branch_on_outcome
    branch_on_outcome >> [
        EmptyOperator(task_id=task_id) for task_id in ("done", "fallback_whatsapp", "retry_later", "flag_contact")
    ]
