"""DAGs used by tests/integration/test_campaign*.py (run with dag.test())."""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, ObjectStoragePath, task

from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.campaign import SendCampaignOperator, campaign_shards, summarize_campaign
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
DAILY_RECIPIENTS = [{"dest_addr": f"+7 900 100-{i // 100:02d}-{i % 100:02d}", "name": f"Client {i}"} for i in range(40)]

with DAG("campaign_file", schedule=None, start_date=START, params={"recipients": ""}) as campaign_file:
    # a file named in the run's conf; one message per row, personalised
    SendCampaignOperator(
        task_id="send", channel="viber", recipients="{{ params.recipients }}",
        text="Hello {{ recipient.name }}, your code is {{ recipient.code }}", max_concurrency=8,
        max_failure_ratio=1.0, progress_interval=1.0,
    )

with DAG("campaign_object_storage", schedule=None, start_date=START,
         params={"recipients": "", "results_path": ""}) as campaign_object_storage:
    # recipients read from and results written to object storage URIs named in the run's conf (s3://...)
    sent = SendCampaignOperator(
        task_id="send", channel="viber", recipients="{{ params.recipients }}",
        results_path="{{ params.results_path }}", text="Hello {{ recipient.name }}", max_failure_ratio=1.0,
    )
    # its delivery; the per-message statuses go beside the results, on S3 too
    DeliveryStatusSensor(task_id="track", campaign=sent.output, poke_interval=0.2, timeout=60)

with DAG("campaign_object_storage_paths", schedule=None, start_date=START,
         params={"bucket": "", "input": "", "results": ""}) as campaign_object_storage_paths:
    # the same with ObjectStoragePath arguments (Airflow renders the templates in their paths)
    SendCampaignOperator(
        task_id="send", channel="viber",
        recipients=ObjectStoragePath("s3://s3_test@{{ params.bucket }}/{{ params.input }}"),
        results_path=ObjectStoragePath("s3://s3_test@{{ params.bucket }}/out/{{ params.results }}"),
        text="Hello {{ recipient.name }}", max_failure_ratio=1.0,
    )

with DAG("campaign_faults", schedule=None, start_date=START, params={"recipients": ""}) as campaign_faults:
    SendCampaignOperator(
        task_id="send", channel="viber", recipients="{{ params.recipients }}", text="Hi {{ recipient.name }}",
        max_concurrency=8, max_failure_ratio=1.0, progress_interval=1.0,
    )

with DAG("campaign_daily", schedule="@daily", start_date=START, catchup=False) as campaign_daily:
    SendCampaignOperator(
        task_id="send", channel="whatsapp", recipients=DAILY_RECIPIENTS,
        text="{{ ds }}: your daily digest, {{ recipient.name }}", ttl=1440,
    )

with DAG("campaign_shards", schedule=None, start_date=START, params={"recipients": ""}) as campaign_shards_dag:
    # [START campaign_shards]
    parts = SendCampaignOperator.partial(
        task_id="send", channel="viber", recipients="{{ params.recipients }}", text="Hi {{ recipient.name }}",
    ).expand(shard=campaign_shards(3))

    @task
    def total(summaries):
        return summarize_campaign(summaries)

    total(parts.output)
    # [END campaign_shards]
    # the whole campaign's delivery, tracked from the store (the shards' summaries name its one ledger scope)
    track = DeliveryStatusSensor(task_id="track", campaign=parts.output, deferrable=True, poke_interval=0.3,
                                 timeout=60)
    branch = DeliveryBranchOperator(task_id="branch", statuses=track.output, branches={"delivered": "all_good"},
                                    min_share={"delivered": 0.99}, default_branch="look_closer")
    parts >> track >> branch

    @task
    def all_good():
        return "ok"

    @task
    def look_closer():
        return "look"

    branch >> [all_good(), look_closer()]

with DAG("campaign_rows", schedule=None, start_date=START,
         params={"campaign_id": "rows"}) as campaign_rows:

    @task(show_return_value_in_logs=False)  # a list of recipients does not belong in the log
    def recipients():
        return [
            {"dest_addr": "79001110001", "name": "Ann"},
            {"dest_addr": "+7 (900) 111-00-01", "name": "Ann again"},  # the same person: duplicate_row
            {"dest_addr": "79001110002"},  # no name: rejected, naming the field
            {"dest_addr": "12345", "name": "Short"},  # bad number: rejected, naming the rule
            {"dest_addr": "79001110003", "name": "Bo"},  # already accepted by the platform: code 10
            {"dest_addr": "79001110004", "name": "Cy" * 600},  # text too long: rejected with the model's rule
            {"dest_addr": "79001110005", "name": "Di"},
        ]

    SendCampaignOperator(
        task_id="send", channel="viber", recipients=recipients(), campaign_id="{{ params.campaign_id }}",
        text="Hi {{ recipient.name }}", max_failure_ratio=1.0,
    )
