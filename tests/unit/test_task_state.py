"""``TaskStateLedger``: the send ledger in Airflow's task state store (JSON values, small)."""

from __future__ import annotations

import json

from airflow_provider_messaging.ledger import LedgerRecord, MemoryLedger
from airflow_provider_messaging.task_state import STATE_KEY_PREFIX, TaskStateLedger, ledger_for


class Store:
    """The task state store's interface (``get``/``set`` of JSON values), keeping what it is given as JSON."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key, default=None):
        return json.loads(self.values[key]) if key in self.values else default

    def set(self, key, value, *, retention=None):
        self.values[key] = json.dumps(value)


def test_records_round_trip_as_small_json_values():
    store = Store()
    ledger = TaskStateLedger(store)
    assert ledger.get("p-1") is None
    ledger.mark_in_flight("p-1")
    assert ledger.get("p-1") == LedgerRecord("p-1", "in_flight")
    ledger.mark_accepted("p-1", "42", duplicate=True)
    assert ledger.get("p-1") == LedgerRecord("p-1", "accepted", mt_num="42", duplicate=True)
    ledger.mark_failed("p-1", error_code=8, reason="x" * 10_000)
    assert ledger.get("p-1") == LedgerRecord("p-1", "failed", error_code=8)
    assert all(len(v) < 200 for v in store.values.values())


def test_the_stored_shape_is_the_one_earlier_releases_wrote():
    store = Store()
    TaskStateLedger(store).mark_accepted("p-1", "42")
    assert store.get(STATE_KEY_PREFIX + "p-1") == {"state": "sent", "id": "p-1", "mt_num": "42", "duplicate": False}
    store.set(STATE_KEY_PREFIX + "p-2", {"state": "in_flight", "id": "p-2"})
    assert TaskStateLedger(store).get("p-2").state == "in_flight"


def test_without_a_task_state_store_the_ledger_is_in_memory():
    assert isinstance(ledger_for({}), MemoryLedger)
    assert isinstance(ledger_for({"task_state_store": Store()}), TaskStateLedger)
