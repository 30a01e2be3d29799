"""A campaign: one personalised Viber message to every recipient of a CSV file, each sent once.

export_recipients → campaign → branch_on_counts → done | review_failures

* ``export_recipients`` stands for your CRM export: it writes a gzip CSV (``dest_addr,first_name,
  order``) to object storage and returns its URI (here a file under ``$AIRFLOW_HOME``; an
  ``s3://aws_default@bucket/...`` URI works the same with the Amazon provider installed).
* ``campaign`` sends ``Hi {{ recipient.first_name }}, ...`` to each row, 16 at a time, at most 200 per
  second. Its XCom is a summary (counts only); the results (one JSON line per row) and an HTML report
  are written beside each other, and the report is linked from the task ("Campaign report").
* ``branch_on_counts`` goes to ``review_failures`` when more than 2 % of the rows were not accepted.

Trigger it with ``{"recipients": 500}`` as the run's conf to change the size. The ``messaging_default``
connection must point at the platform (or at the sandbox: ``python -m airflow_provider_messaging.sandbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.campaign import SendCampaignOperator

with DAG(
    dag_id="example_messaging_campaign",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"recipients": 200},
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

    @task.branch
    def branch_on_counts(summary: dict[str, Any]) -> str:
        """More than 2 % of the rows not accepted: someone should look at the report."""
        outcomes = summary["outcomes"]
        considered = summary["total"] - outcomes["duplicate_row"]
        not_accepted = considered - outcomes["accepted"] - outcomes["duplicate"]
        return "review_failures" if considered and not_accepted / considered > 0.02 else "done"

    @task
    def review_failures(summary: dict[str, Any]) -> dict[str, Any]:
        """Hand the report to a person (here: return where it is and what went wrong)."""
        return {"report": summary["report_path"], "outcomes": summary["outcomes"],
                "error_codes": summary["error_codes"]}

    done = EmptyOperator(task_id="done")
    branch_on_counts(campaign.output) >> [done, review_failures(campaign.output)]
