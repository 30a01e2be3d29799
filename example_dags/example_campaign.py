"""A campaign: one personalised Viber message to every recipient of a CSV file, each sent once,
its delivery tracked, and the DAG branching on the counts.

export_recipients → campaign → track_delivery → branch_on_outcomes → report_sent | clean_list | review_undelivered

* ``export_recipients`` stands for your CRM export: it writes a gzip CSV (``dest_addr,first_name,
  order``) to object storage and returns its URI (here a file under ``$AIRFLOW_HOME``; an
  ``s3://aws_default@bucket/...`` URI works the same with the Amazon provider installed).
* ``campaign`` sends ``Hi {{ recipient.first_name }}, ...`` to each row, 16 at a time, at most 200 per
  second. Its XCom is a summary (counts only); the results (one JSON line per row) and an HTML report
  are written beside each other, and the report is linked from the task ("Campaign report").
* ``track_delivery`` waits (in the triggerer) until every accepted message is final. It reads the
  campaign's mtNums from the message store, asks 1,000 per status request, and writes one JSON line
  per message beside the results; its XCom is the counts by outcome.
* ``branch_on_outcomes``: ``report_sent`` when more than 90 % were delivered; ``clean_list`` when
  more than 1 % of the numbers are barred or unrouted; ``review_undelivered`` for any other outcome
  (expired, ...). Several branches can be followed.

Trigger it with ``{"recipients": 500}`` as the run's conf to change the size. The ``messaging_default``
connection must point at the platform (or at the sandbox: ``python -m airflow_provider_messaging.sandbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.campaign import SendCampaignOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

with DAG(
    dag_id="example_messaging_campaign",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"recipients": 200},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:

    @task
    def export_recipients(params: dict[str, Any], run_id: str) -> str:
        """Write the recipients file; a real DAG would export it from a CRM or a warehouse."""
        import csv
        import gzip
        import io
        import os

        from airflow.sdk import ObjectStoragePath

        home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
        path = ObjectStoragePath(f"file://{home}/messaging/exports/{run_id}/recipients.csv.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["dest_addr", "first_name", "order"])
        for i in range(int(params["recipients"])):
            writer.writerow([f"+7 900 {i // 10000:03d}-{i % 10000 // 100:02d}-{i % 100:02d}", f"Client{i}", 1000 + i])
        path.write_bytes(gzip.compress(text.getvalue().encode("utf-8")))
        return str(path)

    # [START campaign_operator]
    campaign = SendCampaignOperator(
        task_id="campaign",
        channel="viber",
        recipients=export_recipients(),
        text="Hi {{ recipient.first_name }}, your order #{{ recipient.order }} has shipped.",
        button_caption="Track",
        button_url="https://shop.example/track/{{ recipient.order }}",
        ttl=60,
        max_concurrency=16,
        max_rate=200,
    )
    # [END campaign_operator]

    # [START campaign_tracking]
    track_delivery = DeliveryStatusSensor(
        task_id="track_delivery",
        campaign=campaign.output,
        deferrable=True,
        poke_interval=60,
        timeout=6 * 60 * 60,
    )

    branch_on_outcomes = DeliveryBranchOperator(
        task_id="branch_on_outcomes",
        statuses=track_delivery.output,
        branches={"delivered": "report_sent", "call-barred": "clean_list", "unrouted": "clean_list"},
        min_share={"delivered": 0.9, "call-barred": 0.01, "unrouted": 0.01},
        default_branch="review_undelivered",
    )
    # [END campaign_tracking]

    @task
    def report_sent(summary: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
        """Tell the marketing team (here: return where the report is and the counts)."""
        return {"report": summary["report_path"], "sent": summary["outcomes"], "delivery": delivery["outcomes"]}

    @task
    def clean_list(delivery: dict[str, Any]) -> str:
        """Remove the barred and unrouted numbers from the CRM (their rows are in the statuses file)."""
        return delivery["statuses_path"]

    @task
    def review_undelivered(delivery: dict[str, Any]) -> dict[str, int]:
        """Someone should look at what else happened."""
        return delivery["outcomes"]

    campaign >> track_delivery >> branch_on_outcomes
    branch_on_outcomes >> [
        report_sent(campaign.output, track_delivery.output),
        clean_list(track_delivery.output),
        review_undelivered(track_delivery.output),
    ]
