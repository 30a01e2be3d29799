"""DAGs for the delivery-status tests: send (mapped) → wait → branch on each outcome.

``delivery_poke`` waits in poke mode, ``delivery_reschedule`` in reschedule mode,
``delivery_deferrable`` in the triggerer. Recipients come
from the run's conf (``{"recipients": [...]}``); the sandbox decides each one's outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from airflow_provider_messaging.models.outcomes import FINAL_OUTCOMES
from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

#: outcomes with a branch of their own; anything else goes to ``on_other``
BRANCHED = tuple(o for o in FINAL_OUTCOMES if o != "deleted")


def branch_task_id(outcome: str) -> str:
    return "on_" + outcome.replace("-", "_")


def build(dag_id: str, deferrable: bool, mode: str = "poke", timeout: float = 30, soft_fail: bool = False,
          fail_on: tuple[str, ...] = (), retries: int = 0, wait_conn_id: str = "messaging_default") -> DAG:
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
             params={"recipients": ["79000000001"]}) as dag:

        @task
        def recipients(params=None) -> list[str]:
            return list(params["recipients"])

        send = SendViberMessageOperator.partial(task_id="send", text="Your order has shipped").expand(
            dest_addr=recipients()
        )
        wait = DeliveryStatusSensor(task_id="wait", mt_nums=send.output, deferrable=deferrable,
                                    mode=mode, poke_interval=0.1, timeout=timeout,
                                    soft_fail=soft_fail, fail_on=fail_on, retries=retries,
                                    messaging_conn_id=wait_conn_id,
                                    retry_delay=timedelta(seconds=0))
        branch = DeliveryBranchOperator(
            task_id="branch", statuses=wait.output,
            branches={o: branch_task_id(o) for o in BRANCHED}, default_branch="on_other",
        )
        wait >> branch >> [EmptyOperator(task_id=branch_task_id(o)) for o in BRANCHED]
        branch >> EmptyOperator(task_id="on_other")
    return dag


delivery_poke = build("delivery_poke", deferrable=False)
delivery_deferrable = build("delivery_deferrable", deferrable=True)
delivery_reschedule = build("delivery_reschedule", deferrable=False, mode="reschedule")
#: a message that never turns final: the wait times out after 1 s (failed, or skipped with soft_fail)
delivery_timeout_poke = build("delivery_timeout_poke", deferrable=False, timeout=1)
delivery_timeout_deferrable = build("delivery_timeout_deferrable", deferrable=True, timeout=1, soft_fail=True)
#: the wait's connection has a wrong password: it fails at once in both modes, its retries unused
delivery_refused_poke = build("delivery_refused_poke", deferrable=False, retries=2,
                              wait_conn_id="messaging_refused")
delivery_refused_deferrable = build("delivery_refused_deferrable", deferrable=True, retries=2,
                                    wait_conn_id="messaging_refused")
#: a call-barred message fails the wait (poke), or skips it (deferrable, soft_fail): once all are final
delivery_fail_on_poke = build("delivery_fail_on_poke", deferrable=False, fail_on=("call-barred",))
delivery_fail_on_poke_soft = build("delivery_fail_on_poke_soft", deferrable=False, fail_on=("call-barred",),
                                   soft_fail=True)
delivery_fail_on_deferrable = build("delivery_fail_on_deferrable", deferrable=True, fail_on=("call-barred",))
delivery_fail_on_deferrable_soft = build("delivery_fail_on_deferrable_soft", deferrable=True,
                                         fail_on=("call-barred",), soft_fail=True)


with DAG("delivery_mapped_wait", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
         params={"recipients": ["79000000001"]}) as delivery_mapped_wait:
    # one sensor per sent message (mapped); the branch reads the list of their results
    @task
    def mapped_recipients(params=None) -> list[str]:
        return list(params["recipients"])

    mapped_send = SendViberMessageOperator.partial(task_id="send", text="Your order has shipped").expand(
        dest_addr=mapped_recipients()
    )
    mapped_wait = DeliveryStatusSensor.partial(task_id="wait", poke_interval=0.1, timeout=30).expand(
        mt_nums=mapped_send.output
    )
    mapped_branch = DeliveryBranchOperator(
        task_id="branch", statuses=mapped_wait.output,
        branches={o: branch_task_id(o) for o in BRANCHED}, default_branch="on_other",
    )
    mapped_wait >> mapped_branch >> [EmptyOperator(task_id=branch_task_id(o)) for o in BRANCHED]
    mapped_branch >> EmptyOperator(task_id="on_other")
