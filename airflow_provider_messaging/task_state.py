"""The send ledger kept in Airflow's task state store (3.3+, ``context["task_state_store"]``).

Scope of the store: (DAG run, task, map index); a task's retries share it and a user's clear does
not wipe it, so a retry knows what an earlier try sent. Values are small JSON dicts under
``messaging_send:<partner id>``. Below Airflow 3.3 there is no store: ``ledger_for`` returns a
``MemoryLedger`` (exactly once within the try; across tries the platform's dedup decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_messaging.ledger import ACCEPTED, FAILED, IN_FLIGHT, LedgerRecord, MemoryLedger, SendLedger

#: task_state_store key prefix recording a send in flight / done, per partner id
STATE_KEY_PREFIX = "messaging_send:"
#: what the store says for ACCEPTED (the value written since the first release)
STORED_ACCEPTED = "sent"


class TaskStateLedger:
    """A ``SendLedger`` over Airflow's task state store (``get``/``set`` of JSON values)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def get(self, partner_id: str) -> LedgerRecord | None:
        value = self.store.get(STATE_KEY_PREFIX + partner_id)
        if not isinstance(value, Mapping):
            return None
        state = value.get("state")
        state = ACCEPTED if state == STORED_ACCEPTED else state
        if state not in (IN_FLIGHT, ACCEPTED, FAILED):
            return None
        code = value.get("error_code")
        return LedgerRecord(
            partner_id,
            str(state),
            mt_num=value.get("mt_num"),
            duplicate=bool(value.get("duplicate")),
            error_code=code if isinstance(code, int) else None,
        )

    def mark_in_flight(self, partner_id: str) -> None:
        self.store.set(STATE_KEY_PREFIX + partner_id, {"state": IN_FLIGHT, "id": partner_id})

    def mark_accepted(self, partner_id: str, mt_num: str | None, *, duplicate: bool = False) -> None:
        self.store.set(
            STATE_KEY_PREFIX + partner_id,
            {"state": STORED_ACCEPTED, "id": partner_id, "mt_num": mt_num, "duplicate": duplicate},
        )

    def mark_failed(self, partner_id: str, *, error_code: int | None = None, reason: str | None = None) -> None:
        # the reason is in the task log already; the store keeps values small
        self.store.set(STATE_KEY_PREFIX + partner_id, {"state": FAILED, "error_code": error_code})


def ledger_for(context: Mapping[str, Any]) -> SendLedger:
    """The task's ledger: its task state store, or (below Airflow 3.3) one in memory."""
    store = context.get("task_state_store")
    return TaskStateLedger(store) if store is not None else MemoryLedger()
