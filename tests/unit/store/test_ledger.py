"""The send ledger in the message store: the protocol, the campaign batch API, concurrent writers."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

import pytest

import airflow_provider_messaging.ledger as ledger_module
import airflow_provider_messaging.store as store_package
from airflow_provider_messaging.store import (
    InFlight,
    InvalidRecordError,
    LedgerRecord,
    MessageStore,
    StoreSendLedger,
)


@runtime_checkable
class SendLedger(ledger_module.SendLedger, Protocol):
    """The send-ledger protocol the guard uses (airflow_provider_messaging/ledger.py), checkable."""


def test_one_ledger_record_for_the_guard_and_the_store() -> None:
    assert LedgerRecord is ledger_module.LedgerRecord
    assert (store_package.IN_FLIGHT, store_package.ACCEPTED, store_package.FAILED) == (
        ledger_module.IN_FLIGHT, ledger_module.ACCEPTED, ledger_module.FAILED)


def test_record_and_ledger_match_the_protocol(store: MessageStore) -> None:
    assert [f.name for f in dataclasses.fields(LedgerRecord)] == [
        "partner_id", "state", "mt_num", "duplicate", "error_code", "reason"]
    record = LedgerRecord("p", "accepted")
    assert (record.mt_num, record.duplicate, record.error_code, record.reason) == (None, False, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.state = "failed"  # type: ignore[misc]
    assert isinstance(store.ledger(), SendLedger)


def test_protocol_round_trip(store: MessageStore) -> None:
    ledger = store.ledger()
    assert isinstance(ledger, StoreSendLedger) and ledger.scope == "send"
    assert ledger.get("p1") is None
    ledger.mark_in_flight("p1")
    assert ledger.get("p1") == LedgerRecord("p1", "in_flight")
    ledger.mark_accepted("p1", "7390612217")
    assert ledger.get("p1") == LedgerRecord("p1", "accepted", mt_num="7390612217")
    ledger.mark_failed("p2", error_code=8, reason="destAddr is not correct")
    assert ledger.get("p2") == LedgerRecord("p2", "failed", error_code=8, reason="destAddr is not correct")
    # a failed id may be tried again, and then accepted
    ledger.mark_in_flight("p2")
    assert ledger.get("p2") == LedgerRecord("p2", "in_flight")
    ledger.mark_accepted("p2", None, duplicate=True)
    assert ledger.get("p2") == LedgerRecord("p2", "accepted", duplicate=True)


def test_accepted_is_never_downgraded(store: MessageStore) -> None:
    ledger = store.ledger()
    ledger.mark_accepted("p", "m1")
    ledger.mark_in_flight("p")
    ledger.mark_failed("p", error_code=1, reason="late")
    ledger.mark_in_flight_many(["p"])
    ledger.mark_results_many([LedgerRecord("p", "failed", error_code=3)])
    # a later duplicate answer (code 10, no mtNum) keeps the mtNum the id was accepted with
    ledger.mark_accepted("p", None, duplicate=True)
    assert ledger.get("p") == LedgerRecord("p", "accepted", mt_num="m1")


def test_scopes_are_separate(store: MessageStore) -> None:
    store.ledger("send").mark_accepted("p", "m-send")
    campaign = store.ledger("campaign-2026-11-30")
    assert campaign.get("p") is None
    campaign.mark_in_flight("p")
    assert store.ledger().get("p").state == "accepted"
    assert campaign.get("p").state == "in_flight"


def test_batches(store: MessageStore) -> None:
    ledger = store.ledger("c1")
    ledger.mark_in_flight_many([InFlight("a", row_no=1, recipient="79161234567"), "b", "c", InFlight("d", 4)])
    ledger.mark_results_many([
        LedgerRecord("a", "accepted", mt_num="m-a"),
        LedgerRecord("b", "failed", error_code=8, reason="destAddr is not correct"),
        LedgerRecord("c", "accepted", mt_num=None, duplicate=True),
        # the same id twice in a batch: accepted wins over a failure, whatever the order
        LedgerRecord("c", "failed", error_code=1),
    ])
    got = ledger.get_many(["a", "b", "c", "d", "missing"])
    assert set(got) == {"a", "b", "c", "d"}
    assert got["a"] == LedgerRecord("a", "accepted", "m-a")
    assert got["b"].state == "failed" and got["b"].error_code == 8
    assert got["c"] == LedgerRecord("c", "accepted", None, duplicate=True)
    assert got["d"].state == "in_flight"
    rows = {e.partner_id: e for e in ledger.iterate()}
    assert rows["a"].row_no == 1 and rows["a"].recipient == "7916*****67"  # never the whole number
    assert rows["d"].row_no == 4 and rows["b"].row_no is None
    assert rows["a"].created_at <= rows["a"].updated_at and rows["a"].updated_at.tzinfo is not None


def test_batch_with_a_bad_item_stores_nothing(store: MessageStore) -> None:
    ledger = store.ledger("c1")
    with pytest.raises(InvalidRecordError, match=r"mark_in_flight_many: item 2: partner_id is required"):
        ledger.mark_in_flight_many(["a", "b", None])
    with pytest.raises(InvalidRecordError, match=r"item 1: state must be 'accepted' or 'failed'"):
        ledger.mark_results_many([LedgerRecord("a", "accepted", "m"), LedgerRecord("b", "in_flight")])
    with pytest.raises(InvalidRecordError, match="error_code must be an integer"):
        ledger.mark_results_many([LedgerRecord("a", "failed", error_code="8")])  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="one string"):
        ledger.get_many("abc")
    assert ledger.get_many(["a", "b"]) == {}


def test_iterate_streams_by_state_in_pages(store: MessageStore) -> None:
    ledger = store.ledger("big")
    ids = [f"id{i:04d}" for i in range(250)]
    ledger.mark_in_flight_many(ids)
    ledger.mark_results_many([LedgerRecord(i, "accepted", f"m{i}") for i in ids[::2]])
    accepted = list(ledger.iterate(["accepted"], batch_size=40))
    assert [e.partner_id for e in accepted] == ids[::2]
    assert len(list(ledger.iterate("in_flight", batch_size=7))) == 125
    assert len(list(store.iterate_ledger("big", batch_size=1000))) == 250
    with pytest.raises(InvalidRecordError, match="unknown ledger state 'sent'"):
        list(ledger.iterate(["sent"]))

    async def main() -> list[str]:
        try:
            assert (await ledger.aget("id0000")).mt_num == "mid0000"
            assert len(await ledger.aget_many(ids[:10])) == 10
            await ledger.amark_in_flight_many(["new"])
            await ledger.amark_results_many([LedgerRecord("new", "accepted", "m-new")])
            return [e.partner_id async for e in ledger.aiterate(["in_flight"], batch_size=50)]
        finally:
            await store.aclose()

    assert asyncio.run(main()) == ids[1::2]
    assert ledger.get("new").state == "accepted"


def test_concurrent_threads_same_ids(store: MessageStore) -> None:
    """Eight threads race on the same 40 ids: one row per id, and an acceptance is never lost."""
    ledger = store.ledger("race")
    ids = [f"p{i:02d}" for i in range(40)]
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        for round_ in range(3):
            ledger.mark_in_flight_many(ids)
            # thread n "gets an answer" for its own ids (i % 8 == n) and failures for the others
            ledger.mark_results_many(
                [LedgerRecord(p, "accepted", f"m-{p}") if i % 8 == n else
                 LedgerRecord(p, "failed", error_code=1, reason=f"t{n} r{round_}") for i, p in enumerate(ids)])
            for p in ids[n::8]:
                ledger.mark_in_flight(p)
            # and the reports of the same mtNums race in: ACCEPTED (6) from most, DELIVERED (2) from thread 0
            store.record_reports([{"mtNum": f"m-{p}", "status": 2 if n == 0 else 6} for p in ids])

    with ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(worker, n) for n in range(8)]:
            done.result()  # re-raises a worker's error
    rows = list(ledger.iterate())
    assert sorted(e.partner_id for e in rows) == ids
    assert all(e.state == "accepted" and e.mt_num == f"m-{e.partner_id}" for e in rows)
    reports = store.get_reports([f"m-{p}" for p in ids])
    assert len(reports) == 40 and all(r.status == 2 and r.final for r in reports.values())


WRITER = """
import sys
from airflow_provider_messaging.store import LedgerRecord, MessageStore
store = MessageStore(sys.argv[1])
ledger = store.ledger("procs")
n = int(sys.argv[2])
ids = [f"p{i:02d}" for i in range(30)]
for round_ in range(3):
    ledger.mark_in_flight_many(ids)
    ledger.mark_results_many([LedgerRecord(p, "accepted", f"m-{p}") if i % 3 == n else
                              LedgerRecord(p, "failed", error_code=1) for i, p in enumerate(ids)])
    for p in ids[n::6]:
        ledger.mark_in_flight(p)
print("ok")
"""


def test_concurrent_processes(store: MessageStore, store_url: str) -> None:
    """Three processes write the same ids at once (SQLite: no "database is locked")."""
    store.init()
    if store.backend == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outs]
    rows = list(store.ledger("procs").iterate())
    assert len(rows) == 30
    assert all(e.state == "accepted" and e.mt_num == f"m-{e.partner_id}" for e in rows)
