"""DAGs used by tests/test_send_operator.py (run with dag.test())."""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.operators.send import SendViberMessageOperator, SendWhatsAppMessageOperator

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

with DAG("send_basic", schedule=None, start_date=START, params={"name": "Ann"}) as send_basic:
    SendViberMessageOperator(
        task_id="viber", dest_addr="+7 (900) 123-45-67", text="Hello {{ params.name }}", service_number="SENDER",
        extra_params={"run": "{{ run_id }}"},
    )
    SendWhatsAppMessageOperator(task_id="whatsapp", dest_addr="89001234568", image_url="https://example.ru/image",
                                ttl=1440)

with DAG("send_mapped", schedule=None, start_date=START) as send_mapped:
    SendViberMessageOperator.partial(task_id="viber", text="hi", service_number="SENDER").expand(
        dest_addr=["79000000001", "79000000002", "79000000003"])

with DAG("send_invalid", schedule=None, start_date=START) as send_invalid:
    SendViberMessageOperator(task_id="viber", dest_addr="79001234567", text="x" * 1001, service_number="SENDER",
                             retries=2, retry_delay=datetime.timedelta(seconds=0))

with DAG("send_retry", schedule=None, start_date=START) as send_retry:
    SendViberMessageOperator(task_id="viber", dest_addr="79001234567", text="once", service_number="SENDER",
                             retries=1, retry_delay=datetime.timedelta(seconds=0))

with DAG("send_secret_log", schedule=None, start_date=START) as send_secret_log:

    @task
    def leak_attempt():
        hook = MessagingHook()
        hook.log.info("the password is %s, the key is %s and the login is %s", hook.settings.password,
                      hook.settings.api_key, hook.settings.login)
        return "logged"

    leak_attempt()

with DAG("send_sandbox_once", schedule=None, start_date=START) as send_sandbox_once:
    SendViberMessageOperator(task_id="viber", dest_addr="+7 900 000-00-01", text="once", service_number="SANDBOX",
                             retries=2, retry_delay=datetime.timedelta(seconds=0))

with DAG("send_retry_resend", schedule=None, start_date=START) as send_retry_resend:
    SendViberMessageOperator(task_id="viber", dest_addr="79001234567", text="once", service_number="SENDER",
                             retries=1, retry_delay=datetime.timedelta(seconds=0), resend_unconfirmed=True)

with DAG("send_every_argument", schedule=None, start_date=START, params={"order": "A-1"}) as send_every_argument:
    SendViberMessageOperator(
        task_id="viber", messaging_conn_id="messaging_default", dest_addr="8 (900) 000-00-07",
        text="Order {{ params.order }} is ready", image_url="https://cdn.example/{{ params.order }}.png",
        button_caption="Track {{ params.order }}", button_url="https://shop.example/t/{{ params.order }}",
        ttl=2, ttl_unit="HOURS", use_time_diff=True, message_id="order-{{ params.order }}",
        schedule={"time_begin": "09:00", "time_end": "21:00", "weekdays_schedule": "12345",
                  "deadline": "2030-05-10T16:29:30+0300"},
        extra_params={"order": "{{ params.order }}", "note": "a,b"}, registered_delivery=2,
        notify_url="https://hooks.example/{{ params.order }}", cascade={"chain": [{"type": "SMS"}]},
    )
    SendWhatsAppMessageOperator(task_id="whatsapp", dest_addr="+7 900 000-00-08", text="Hi", ttl=0,
                                service_number="SHOP")
