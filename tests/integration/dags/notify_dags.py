"""DAGs used by tests/integration/test_notifier.py (run with dag.test())."""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.notifications.messaging import MessagingNotifier, send_messaging_notification

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

task_alert = MessagingNotifier(
    recipients="+7 900 000-00-11",
    text="Task {{ ti.task_id }} of {{ dag.dag_id }} failed (try {{ ti.try_number }})",
    service_number="ALERTS",
)

with DAG("notify_task_failure", schedule=None, start_date=START) as notify_task_failure:

    @task(on_failure_callback=task_alert)
    def boom():
        raise RuntimeError("the task failed on purpose")

    boom()

with DAG("notify_fires_twice", schedule=None, start_date=START) as notify_fires_twice:
    twice = send_messaging_notification(
        recipients=["79000000012"], text="{{ ti.task_id }} failed", service_number="ALERTS"
    )

    @task(on_failure_callback=[twice, twice])  # the same notification, fired twice for one failure
    def boom_twice():
        raise RuntimeError("the task failed on purpose")

    boom_twice()

with DAG(
    "notify_dag_success",
    schedule=None,
    start_date=START,
    params={"team": "ops"},
    on_success_callback=MessagingNotifier(
        recipients=["79000000013", "+7 900 000-00-14", "8 900 000-00-15"],
        text="{{ dag.dag_id }} done for {{ params.team }}",
        image_url="https://example.org/ok.png",
        button_caption="Open",
        button_url="https://airflow.example/dags/{{ dag.dag_id }}",
        service_number="ALERTS",
    ),
) as notify_dag_success:

    @task
    def fine():
        return "ok"

    fine()
