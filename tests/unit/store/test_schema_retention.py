"""Schema versions (a v1 database upgrades in place), first use from several threads, and retention."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import inspect, update

from airflow_provider_messaging.store import (
    LATEST_VERSION,
    InvalidRecordError,
    LedgerRecord,
    MessageStore,
    SchemaVersionError,
)
from airflow_provider_messaging.store.schema import (
    cursors,
    delivery_reports,
    incoming_messages,
    schema_version,
    send_ledger,
)


def tables(store: MessageStore) -> set[str]:
    return {t for t in inspect(store.engine).get_table_names() if t.startswith("messaging_")}


def test_v1_database_upgrades_to_v2_in_place(store_url: str) -> None:
    old = MessageStore(store_url)
    assert old.schema_version() == 0
    assert old.init(1) == (0, 1)
    assert tables(old) == {"messaging_store_version", "messaging_send_ledger"}
    old.ledger().mark_accepted("p1", "m1")
    old.ledger("c").mark_in_flight_many(["a", "b"])
    old.dispose()

    new = MessageStore(store_url)  # first use upgrades
    assert new.ledger().get("p1") == LedgerRecord("p1", "accepted", "m1")
    assert new.schema_version() == LATEST_VERSION == 2
    assert tables(new) == {"messaging_store_version", "messaging_send_ledger", "messaging_delivery_reports",
                           "messaging_incoming_messages", "messaging_cursors"}
    assert set(new.ledger("c").get_many(["a", "b"])) == {"a", "b"}
    assert new.init() == (2, 2)  # idempotent
    with new.engine.connect() as conn:
        steps = conn.execute(schema_version.select().order_by(schema_version.c.version)).all()
    assert [(s.version, s.description) for s in steps] == [
        (1, "send ledger"), (2, "delivery reports, incoming messages, cursors")]
    new.dispose()


def test_newer_schema_is_refused(store: MessageStore) -> None:
    store.init()
    with store.engine.begin() as conn:
        conn.execute(schema_version.insert().values(version=3, description="future",
                                                    applied_at=dt.datetime.now(dt.timezone.utc)))
    fresh = MessageStore(store.url)
    with pytest.raises(SchemaVersionError, match="version 3, newer than this provider knows"):
        fresh.get_cursor("x")
    fresh.dispose()


def test_first_use_from_many_threads_at_once(store_url: str) -> None:
    stores = [MessageStore(store_url) for _ in range(6)]
    start = threading.Barrier(len(stores))

    def first_use(i: int) -> None:
        start.wait()
        stores[i].ledger().mark_in_flight(f"p{i}")

    with ThreadPoolExecutor(len(stores)) as pool:
        for done in [pool.submit(first_use, i) for i in range(len(stores))]:
            done.result()  # re-raises a thread's error
    assert len(stores[0].ledger().get_many([f"p{i}" for i in range(6)])) == 6
    with stores[0].engine.connect() as conn:
        assert conn.execute(schema_version.select()).all().__len__() == LATEST_VERSION
    for s in stores:
        s.dispose()


def test_retention(store: MessageStore) -> None:
    ledger = store.ledger()
    ledger.mark_accepted("old", "m-old")
    ledger.mark_accepted("new", "m-new")
    store.record_reports([{"mtNum": "m-old", "status": 2}, {"mtNum": "m-new", "status": 2}])
    store.record_mo([{"transactionId": "t-old"}, {"transactionId": "t-new"}])
    store.set_cursor("mo", 2)
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
    with store.engine.begin() as conn:
        conn.execute(update(send_ledger).where(send_ledger.c.partner_id == "old").values(updated_at=long_ago))
        conn.execute(update(delivery_reports).where(delivery_reports.c.mt_num == "m-old").values(updated_at=long_ago))
        conn.execute(update(incoming_messages).where(incoming_messages.c.transaction_id == "t-old")
                     .values(received_at=long_ago))
        conn.execute(update(cursors).values(updated_at=long_ago))
    expected = {"messaging_send_ledger": 1, "messaging_delivery_reports": 1, "messaging_incoming_messages": 1}
    assert store.purge(30, dry_run=True) == expected
    assert store.purge(50) == dict.fromkeys(expected, 0)
    assert store.purge(30) == expected
    assert ledger.get("old") is None and ledger.get("new").mt_num == "m-new"
    assert list(store.get_reports(["m-old", "m-new"])) == ["m-new"]
    assert [m.transaction_id for m in store.mo_after(0).messages] == ["t-new"]
    assert store.get_cursor("mo") == 2  # cursors are kept
    # MO ids are never reused once the newest rows are deleted: cursors stay valid
    last = store.mo_after(0).cursor
    with store.engine.begin() as conn:
        conn.execute(update(incoming_messages).values(received_at=long_ago))
    assert store.purge(1)["messaging_incoming_messages"] == 1
    store.record_mo([{"transactionId": "t-after"}])
    assert store.mo_after(last).messages[0].transaction_id == "t-after"
    with pytest.raises(InvalidRecordError, match="older_than_days must be a number of days above 0"):
        store.purge(0)
