"""Answer an incoming "STOP" by recording an opt-out, then confirm it to the subscriber.

The platform pushes subscribers' messages (MO) to the receiver (``/messaging/<token>/mo`` in the
api-server, or the standalone receiver); the receiver stores them. The asset below is watched by a
``MessageReceivedTrigger`` in the triggerer: each new message whose text is "stop" (any case,
surrounding spaces allowed) becomes an asset event carrying the message, and this DAG runs for it.

record_opt_outs → confirm_opt_out (one Viber message per new opt-out)

Opt-outs are kept in the Airflow Variable ``messaging_opt_outs`` (``{number: {transactionId,
receivedDate, serviceNumber}}``); a message already recorded (same ``transactionId``, e.g. handed over
again after a triggerer was killed) changes nothing and is not confirmed twice. ``max_active_runs=1``:
runs update the Variable one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_messaging.operators.send import SendViberMessageOperator
from airflow_provider_messaging.triggers.incoming import MessageReceivedTrigger

OPT_OUTS_VARIABLE = "messaging_opt_outs"

# [START stop_watcher]
stop_requests = Asset(
    "messaging_stop_requests",
    watchers=[
        AssetWatcher(
            name="messaging_stop_watcher",
            trigger=MessageReceivedTrigger(text_pattern=r"^\s*stop\s*$", poll_interval=2),
        )
    ],
)
# [END stop_watcher]


def merge_opt_outs(known: Mapping[str, Any], messages: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """``known`` plus the senders of ``messages``; returns (all opt-outs, numbers new in this call)."""
    opt_outs = dict(known)
    handled = {entry.get("transactionId") for entry in opt_outs.values()}
    new: list[str] = []
    for message in messages:
        number = message.get("sourceAddr")
        if not number or message.get("transactionId") in handled or number in opt_outs:
            continue
        opt_outs[number] = {
            "transactionId": message.get("transactionId"),
            "receivedDate": message.get("receivedDate"),
            "serviceNumber": message.get("destAddr"),
        }
        new.append(number)
    return opt_outs, new


with DAG(
    dag_id="example_incoming_stop",
    schedule=[stop_requests],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={"confirmation": "You will receive no more messages from us."},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:

    @task
    def record_opt_outs(**context: Any) -> list[str]:
        """Record each STOP's sender; return the numbers that opted out just now."""
        from airflow.sdk import Variable

        messages = [event.extra.get("payload") or {} for event in context["triggering_asset_events"][stop_requests]]
        known = Variable.get(OPT_OUTS_VARIABLE, default={}, deserialize_json=True)
        opt_outs, new = merge_opt_outs(known, messages)
        if new:
            Variable.set(OPT_OUTS_VARIABLE, opt_outs, serialize_json=True)
        print(f"{len(messages)} STOP message(s), {len(new)} new opt-out(s), {len(opt_outs)} in total")
        return new

    confirm_opt_out = SendViberMessageOperator.partial(
        task_id="confirm_opt_out",
        text="{{ params.confirmation }}",
    ).expand(dest_addr=record_opt_outs())
