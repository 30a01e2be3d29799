"""DAGs for the receiver end to end: send (mapped, ``notify_url`` at the receiver) → wait on the
pushed reports → branch on each outcome.

``receiver_deferrable`` waits in the triggerer on reports the receiver stored (``source="receiver"``;
its status connection points nowhere: the platform is never asked). ``receiver_both_lost`` sends with a
``notifyUrl`` where nothing listens (the pushed reports are lost) and waits with ``source="both"``: the
platform is polled after ``poll_after``. Recipients come from the run's conf.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

OUTCOMES = ("delivered", "call-barred", "teleservice-not-provisioned", "expired")
#: the receiver's URL for reports, built from its connection (token rendered from the password, masked)
NOTIFY_URL = "{{ conn.messaging_receiver_default.host }}/{{ conn.messaging_receiver_default.password }}/reports"


def branch_task_id(outcome: str) -> str:
    return "on_" + outcome.replace("-", "_")


def build(dag_id: str, *, source: str, notify_url: str, status_conn_id: str, poll_after: float = 0.0) -> DAG:
    with DAG(
        dag_id, schedule=None, start_date=datetime(2026, 1, 1), catchup=False, params={"recipients": ["79000000001"]}
    ) as dag:

        @task
        def recipients(params=None) -> list[str]:
            return list(params["recipients"])

        send = SendViberMessageOperator.partial(
            task_id="send", text="Your order has shipped", notify_url=notify_url
        ).expand(dest_addr=recipients())
        wait = DeliveryStatusSensor(
            task_id="wait",
            mt_nums=send.output,
            source=source,
            poll_after=poll_after,
            messaging_conn_id=status_conn_id,
            deferrable=True,
            poke_interval=0.1,
            timeout=60,
        )
        branch = DeliveryBranchOperator(
            task_id="branch",
            statuses=wait.output,
            branches={o: branch_task_id(o) for o in OUTCOMES},
            default_branch="on_other",
        )
        wait >> branch >> [EmptyOperator(task_id=branch_task_id(o)) for o in OUTCOMES]
        branch >> EmptyOperator(task_id="on_other")
    return dag


receiver_deferrable = build(
    "receiver_deferrable", source="receiver", notify_url=NOTIFY_URL, status_conn_id="messaging_unreachable"
)
receiver_both_lost = build(
    "receiver_both_lost",
    source="both",
    poll_after=0.5,
    notify_url="http://127.0.0.1:9/lost/reports",
    status_conn_id="messaging_default",
)
