"""Send a Viber message, wait for its delivery report, and act on the outcome.

send_viber → wait_for_delivery (deferrable) → branch_on_outcome:

* ``delivered``                                   → done
* ``teleservice-not-provisioned`` (no Viber)      → fallback_whatsapp (same text over WhatsApp)
* ``memory-capacity-exceeded``, ``timeout``,
  ``expired``                                     → retry_later (transient: try again later)
* ``call-barred``, ``unrouted``                   → flag_contact (the number needs a human look)
* anything else (``unknown``, ``duplicated``,
  ``rejected``, ``deleted``, an unrecognised code) → flag_contact (default_branch)

Trigger it with ``{"dest_addr": "79001234567", "text": "..."}`` as the run's conf. The
``messaging_default`` connection must point at the platform (or at the sandbox:
``python -m airflow_provider_messaging.sandbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.operators.send import SendViberMessageOperator, SendWhatsAppMessageOperator
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

#: outcomes worth another try later: the handset or the network was busy, or the message timed out
RETRY_LATER = ("memory-capacity-exceeded", "timeout", "expired")
#: outcomes that say the number itself is the problem
FLAG_CONTACT = ("call-barred", "unrouted")

with DAG(
    dag_id="example_delivery_branching",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={"dest_addr": "79001234567", "text": "Your order #1042 has shipped."},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:
    send_viber = SendViberMessageOperator(
        task_id="send_viber",
        dest_addr="{{ params.dest_addr }}",
        text="{{ params.text }}",
        ttl=60,
    )

    # [START sensor_and_branch]
    wait_for_delivery = DeliveryStatusSensor(
        task_id="wait_for_delivery",
        mt_nums=send_viber.output,  # or a list of mtNums, or a mapped send task's output
        deferrable=True,            # default: [operators] default_deferrable
        poke_interval=30,           # seconds between polls (also the trigger's interval)
        timeout=2 * 60 * 60,        # then fail, or skip with soft_fail=True
        # fail_on=("call-barred",)  # fail the task when a message ends in one of these outcomes
    )

    branch_on_outcome = DeliveryBranchOperator(
        task_id="branch_on_outcome",
        statuses=wait_for_delivery.output,
        branches={                  # outcome -> task id (or task group id) directly downstream
            "delivered": "done",
            "teleservice-not-provisioned": "fallback_whatsapp",
            **{outcome: "retry_later" for outcome in RETRY_LATER},
            **{outcome: "flag_contact" for outcome in FLAG_CONTACT},
        },
        default_branch="flag_contact",  # any outcome without an entry
    )
    # [END sensor_and_branch]

    fallback_whatsapp = SendWhatsAppMessageOperator(
        task_id="fallback_whatsapp",
        dest_addr="{{ params.dest_addr }}",
        text="{{ params.text }}",
    )

    @task
    def retry_later(statuses: dict[str, dict[str, Any]], sent: dict[str, Any]) -> dict[str, Any]:
        """Record what to send again later (a follow-up run, or a retry queue of your own)."""
        outcomes = sorted({s["outcome"] for s in statuses.values()})
        return {"dest_addr": sent["dest_addr"], "outcomes": outcomes, "action": "retry later"}

    @task
    def flag_contact(statuses: dict[str, dict[str, Any]], sent: dict[str, Any]) -> dict[str, Any]:
        """Mark the contact for review (e.g. write it to your CRM)."""
        outcomes = sorted({s["outcome"] for s in statuses.values()})
        return {"dest_addr": sent["dest_addr"], "outcomes": outcomes, "action": "flag contact"}

    done = EmptyOperator(task_id="done")

    send_viber >> wait_for_delivery >> branch_on_outcome
    branch_on_outcome >> [
        done,
        fallback_whatsapp,
        retry_later(wait_for_delivery.output, send_viber.output),
        flag_contact(wait_for_delivery.output, send_viber.output),
    ]
