"""Delivery reports, incoming (MO) messages and cursors in the message store."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from airflow_provider_messaging.store import DeliveryRecord, InvalidRecordError, MessageStore


def report(mt_num: str, status: int, **fields) -> dict:
    return {"mtNum": mt_num, "status": status, **fields}


def test_report_stored_once_with_extras(store: MessageStore) -> None:
    r = report("m1", 5, id="p1", errorCode=6, doneDate="2022-06-22T10:22:45+0300", channel="VIBER", hops=[1, 2])
    assert store.record_reports([r]) == 1
    assert store.record_reports([r, r]) == 1
    got = store.get_reports(["m1", "unknown"])
    assert list(got) == ["m1"]
    rec = got["m1"]
    assert (rec.status, rec.error_code, rec.final, rec.partner_id, rec.done_date) == (
        5, 6, True, "p1", "2022-06-22T10:22:45+0300")
    assert rec.extra == {"channel": "VIBER", "hops": [1, 2]}
    assert rec.as_wire() == r
    assert store.get_reports_by_partner_id(["p1", "p2"]) == {"p1": rec}


def test_later_status_replaces_but_final_stays(store: MessageStore) -> None:
    store.record_reports([report("m1", 6)])  # ACCEPTED
    store.record_reports([report("m1", 1, id="p1")])  # ENROUTE: newer, not final
    assert store.get_reports(["m1"])["m1"].status == 1
    store.record_reports([report("m1", 2, doneDate="d1")])  # DELIVERED: final
    store.record_reports([report("m1", 7), report("m1", 1)])  # later non-final reports: ignored
    store.record_reports([report("m1", 5, errorCode=1)])  # another final: the first final stays
    rec = store.get_reports(["m1"])["m1"]
    assert (rec.status, rec.final, rec.done_date, rec.partner_id, rec.error_code) == (2, True, "d1", "p1", None)
    # within one batch as well: a final status is not replaced by a later non-final one
    store.record_reports([report("m2", 1), report("m2", 8), report("m2", 6, id="p2")])
    rec = store.get_reports(["m2"])["m2"]
    assert (rec.status, rec.final, rec.partner_id) == (8, True, "p2")  # the echoed partner id is still learnt
    # an unlisted status is not final
    store.record_reports([report("m3", 42)])
    assert store.get_reports(["m3"])["m3"].final is False


@pytest.mark.parametrize(("bad", "message"), [
    ({"status": 2}, r"report 1: mtNum is required"),
    ({"mtNum": "x"}, r"report 1: status is required"),
    ({"mtNum": "x", "status": "2"}, r"report 1: status must be an integer, got str"),
    ({"mtNum": "x", "status": 5, "errorCode": True}, r"report 1: errorCode must be an integer, got bool"),
    ({"mtNum": ["x"], "status": 2}, r"report 1: mtNum must be a string, got list"),
    ("not an object", r"report 1: must be a JSON object, got str"),
])
def test_bad_report_stores_nothing(store: MessageStore, bad: object, message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        store.record_reports([report("ok", 2), bad])  # type: ignore[list-item]
    assert store.get_reports(["ok", "x"]) == {}


def test_reports_from_an_event_loop(store: MessageStore) -> None:
    async def main() -> tuple[dict[str, DeliveryRecord], dict[str, DeliveryRecord]]:
        try:
            assert await store.arecord_reports([report(f"m{i}", 2, id=f"p{i}", hop={"n": i}) for i in range(700)]) == 700
            return (await store.aget_reports([f"m{i}" for i in range(0, 700, 2)]),
                    await store.aget_reports_by_partner_id(["p3", "p699"]))
        finally:
            await store.aclose()

    by_mt, by_partner = asyncio.run(main())
    assert len(by_mt) == 350 and all(r.status == 2 for r in by_mt.values())
    assert by_mt["m4"].extra == {"hop": {"n": 4}}
    assert {k: v.mt_num for k, v in by_partner.items()} == {"p3": "m3", "p699": "m699"}


def mo(tid: str, text: str | None = "hi", service: str = "SRV", **fields) -> dict:
    message = {"transactionId": tid, "destAddr": service, "sourceAddr": "79161234567", "type": "Viber",
               "partCount": 1, "receivedDate": "2022-06-22T10:22:45+0300", **fields}
    if text is not None:
        message["message"] = text
    return message


def test_mo_once_per_transaction_id_in_arrival_order(store: MessageStore) -> None:
    assert store.record_mo([mo("t1", "STOP"), mo("t2", mediaURL="http://x/i.png", lang="ru"), mo("t1", "again")]) == 2
    assert store.record_mo([mo("t2"), mo("t3", None)]) == 1
    page = store.mo_after(0)
    assert [m.transaction_id for m in page.messages] == ["t1", "t2", "t3"]
    ids = [m.id for m in page.messages]
    assert ids == sorted(ids) and page.cursor == ids[-1]
    assert page.messages[0].message == "STOP"  # the first stored copy stays
    assert page.messages[1].extra == {"lang": "ru"} and page.messages[1].media_url == "http://x/i.png"
    assert page.messages[1].as_wire() == mo("t2", mediaURL="http://x/i.png", lang="ru")
    assert store.mo_after(page.cursor).messages == [] and store.mo_after(page.cursor).cursor == page.cursor
    with pytest.raises(InvalidRecordError, match="MO message 1: transactionId is required"):
        store.record_mo([mo("t9"), {"destAddr": "SRV"}])
    with pytest.raises(InvalidRecordError, match="MO message 0: partCount must be an integer"):
        store.record_mo([mo("t9", partCount="1")])
    assert [m.transaction_id for m in store.mo_after(0).messages] == ["t1", "t2", "t3"]


def test_mo_filters_and_cursor_moves_past_what_it_scanned(store: MessageStore) -> None:
    store.record_mo([mo("a1", "hello"), mo("b1", "stop", service="OTHER"), mo("a2", " Stop please"),
                     mo("a3", None), mo("a4", "STOP")])
    page = store.mo_after(0, service_number="SRV", text_pattern=r"^\s*stop\b", limit=2)
    assert [m.transaction_id for m in page.messages] == ["a2"]  # scanned a1, a2
    page = store.mo_after(page.cursor, service_number="SRV", text_pattern=r"^\s*stop\b", limit=2)
    assert [m.transaction_id for m in page.messages] == ["a4"]  # scanned a3 (no text), a4
    end = store.mo_after(page.cursor, service_number="SRV", text_pattern=r"^\s*stop\b")
    assert end.messages == [] and end.cursor == page.cursor
    assert [m.transaction_id for m in store.mo_after(0, text_pattern="stop").messages] == ["b1", "a2", "a4"]
    with pytest.raises(InvalidRecordError, match="text_pattern is not a valid regular expression"):
        store.mo_after(0, text_pattern="(")
    with pytest.raises(InvalidRecordError, match="limit must be an integer >= 1"):
        store.mo_after(0, limit=0)


def test_mo_readers_miss_nothing_while_writers_write(store: MessageStore) -> None:
    """Four writers and a reader at once: the reader, following its cursor, sees every message exactly once."""
    store.init()
    expected = {f"w{w}-{i}" for w in range(4) for i in range(40)}
    done = threading.Event()

    def writer(w: int) -> None:
        for i in range(0, 40, 4):
            store.record_mo([mo(f"w{w}-{j}") for j in range(i, i + 4)])

    def reader() -> list[str]:
        seen: list[str] = []
        cursor = 0
        while True:
            finished = done.is_set()
            page = store.mo_after(cursor, limit=25)
            seen.extend(m.transaction_id for m in page.messages)
            cursor = page.cursor
            if finished and not page.messages:
                return seen

    with ThreadPoolExecutor(5) as pool:
        read = pool.submit(reader)
        writers = [pool.submit(writer, w) for w in range(4)]
        for w in writers:
            w.result()  # re-raises a writer's error
        done.set()
        seen = read.result(timeout=60)
    assert len(seen) == len(expected) and set(seen) == expected


def test_mo_and_cursors_from_an_event_loop(store: MessageStore) -> None:
    async def main() -> None:
        try:
            assert await store.arecord_mo([mo("t1", "STOP", lang="ru"), mo("t2", "go")]) == 2
            assert await store.aget_cursor("mo:stop") is None
            page = await store.amo_after(await store.aget_cursor("mo:stop", 0), text_pattern="stop")
            assert [m.transaction_id for m in page.messages] == ["t1"]
            assert page.messages[0].extra == {"lang": "ru"}
            await store.aset_cursor("mo:stop", page.cursor)
            assert await store.aget_cursor("mo:stop") == page.cursor
            assert (await store.amo_after(page.cursor)).messages == []
        finally:
            await store.aclose()

    asyncio.run(main())
    assert store.get_cursor("mo:stop") == store.mo_after(0).cursor
    store.set_cursor("json", {"after": 3, "names": ["a"]})
    store.set_cursor("json", {"after": 4})
    assert store.get_cursor("json") == {"after": 4}
    assert store.get_cursor("never", default=0) == 0
    with pytest.raises(InvalidRecordError, match="cursor name must be a non-empty string"):
        store.set_cursor("", 1)


def test_a_database_error_names_no_number_and_no_message_text(store: MessageStore) -> None:
    """Store errors reach logs (the receiver's, a trigger's error event): the values bound to the
    failed statement (subscribers' numbers, what they wrote) are not in their text."""
    store.record_mo([mo("t1")])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE messaging_incoming_messages")  # then one the insert cannot fill
        conn.exec_driver_sql("CREATE TABLE messaging_incoming_messages (id INTEGER PRIMARY KEY, transaction_id TEXT)")
    with pytest.raises(Exception) as info:
        store.record_mo([mo("t2", "my secret reply")])
    with pytest.raises(Exception) as ainfo:
        asyncio.run(store.arecord_mo([mo("t3", "my secret reply")]))
    for error in (info.value, ainfo.value):
        assert "incoming_messages" in str(error)  # the error still says what failed
        assert "79161234567" not in str(error) and "my secret reply" not in str(error)


def test_the_newest_mo_id_is_where_reading_from_now_starts(store: MessageStore) -> None:
    assert asyncio.run(store.anewest_mo_id()) == 0
    store.record_mo([mo("n1"), mo("n2"), mo("n3")])
    newest = asyncio.run(store.anewest_mo_id())
    assert store.mo_after(0, limit=10).cursor == newest and store.mo_after(newest).messages == []
