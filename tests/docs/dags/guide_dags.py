"""DAGs whose code the guide (docs/) shows; run with dag.test() by tests/docs/test_guide_examples.py."""

from __future__ import annotations

import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

PARAMS = {"phone": "+7 (900) 123-45-67", "name": "Anna"}

with DAG("guide_sending", schedule=None, start_date=START, params=PARAMS) as guide_sending:
    # [START send_operators]
    from airflow_provider_messaging.operators.send import SendViberMessageOperator, SendWhatsAppMessageOperator

    viber = SendViberMessageOperator(
        task_id="send_viber",
        dest_addr="{{ params.phone }}",            # +7 (900) 123-45-67, 79001234567, 8-900-... all accepted
        text="Hello {{ params.name }}!",           # up to 1000 characters
        button_caption="Track",                    # text + button -> BUTTON
        # dag_run.run_after, not ds_nodash: a run triggered through the API or CLI has no logical date
        button_url="https://shop.example/o/{{ dag_run.run_after | ds_nodash }}",
        ttl=2, ttl_unit="HOURS",                   # Viber: 1..2880 minutes in any unit
        schedule={"time_begin": "10:00", "time_end": "21:00", "weekdays_schedule": "12345"},
        extra_params={"campaign": "spring, 2026"}, # -> extraParam "campaign=spring,, 2026"
    )
    whatsapp = SendWhatsAppMessageOperator(task_id="send_whatsapp", dest_addr="79001234567",
                                           image_url="https://shop.example/card.png", ttl=1440)

    # one task per recipient
    SendViberMessageOperator.partial(task_id="notify", text="Hi!").expand(dest_addr=["79000000001", "79000000002"])
    # [END send_operators]

with DAG("guide_custom_branch", schedule=None, start_date=START, params={"mt_nums": []}) as guide_custom_branch:
    wait = DeliveryStatusSensor(task_id="wait_for_delivery", mt_nums="{{ params.mt_nums }}", poke_interval=0.2,
                                timeout=60, mode="poke")
    # [START custom_branch]
    from airflow.sdk import task

    @task.branch
    def route(statuses: dict) -> list[str]:
        outcomes = {s["outcome"] for s in statuses.values()}
        return ["fallback_whatsapp"] if "teleservice-not-provisioned" in outcomes else ["done"]

    route(wait.output)
    # [END custom_branch]
    route_task = wait.downstream_list[0]
    route_task >> [EmptyOperator(task_id="fallback_whatsapp"), EmptyOperator(task_id="done")]
