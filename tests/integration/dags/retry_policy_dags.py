"""DAGs used by tests/integration/test_retry_policy_dags.py (run with dag.test(); Airflow 3.3+)."""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.retry_policy import MessagingRetryPolicy

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
# [START retry_policy]
#: no backoff of its own: any wait comes from the platform's Retry-After
POLICY = MessagingRetryPolicy(base_delay=datetime.timedelta(0), max_delay=datetime.timedelta(seconds=30))

with DAG("retry_policy_throttled", schedule=None, start_date=START) as retry_policy_throttled:
    # the task's own retry_delay is 0: a later second try can only come from the policy
    SendViberMessageOperator(task_id="viber", dest_addr="79000000041", text="after the throttle",
                             retries=2, retry_delay=datetime.timedelta(0), retry_policy=POLICY)

with DAG("retry_policy_refused", schedule=None, start_date=START) as retry_policy_refused:

    @task(retries=3, retry_delay=datetime.timedelta(0), retry_policy=POLICY)
    def send_with_the_hook():
        from airflow_provider_messaging.hooks.messaging import MessagingHook

        with MessagingHook() as hook:  # a refusal reaches Airflow as the client raised it
            return hook.send({"destAddr": "79000000042", "message": {"type": "VIBER", "data": {
                "serviceNumber": "SANDBOX", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}}).mt_num

    send_with_the_hook()
# [END retry_policy]
