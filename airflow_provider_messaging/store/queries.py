"""The store's statements, as functions of a SQLAlchemy connection inside the caller's transaction.

No Airflow imports. :class:`~airflow_provider_messaging.store.core.MessageStore` runs them in a sync
transaction, or in an async one through ``AsyncConnection.run_sync``, so both share one implementation.
Upserts are ``INSERT .. ON CONFLICT`` (SQLite and PostgreSQL): concurrent writers never collide on a
key, and a batch's keys are written in sorted order so concurrent PostgreSQL transactions lock rows in
the same order (no deadlock).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, and_, case, delete, false, func, literal, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from airflow_provider_messaging.store.records import (
    ACCEPTED,
    DeliveryRecord,
    IncomingMessage,
    LedgerEntry,
    LedgerRecord,
    MoPage,
)
from airflow_provider_messaging.store.schema import cursors, delivery_reports, incoming_messages, send_ledger

#: keys per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
CHUNK = 500
#: PostgreSQL advisory lock key of MO inserts: ids are then committed in the order they are assigned
MO_LOCK = 0x6D73675F6D6F  # "msg_mo"


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` clauses."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# --- send ledger -------------------------------------------------------------------------------------------


def ledger_record(row: Any) -> LedgerRecord:
    return LedgerRecord(row.partner_id, row.state, row.mt_num, bool(row.duplicate), row.error_code, row.reason)


def ledger_get_many(conn: Connection, scope: str, partner_ids: Iterable[str]) -> dict[str, LedgerRecord]:
    found: dict[str, LedgerRecord] = {}
    t = send_ledger
    cols = (t.c.partner_id, t.c.state, t.c.mt_num, t.c.duplicate, t.c.error_code, t.c.reason)
    for part in chunks(sorted(set(partner_ids))):
        for row in conn.execute(select(*cols).where(t.c.scope == scope, t.c.partner_id.in_(part))):
            found[row.partner_id] = ledger_record(row)
    return found


def ledger_write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Upsert ledger rows (all columns given), one statement for the batch.

    Rules, whatever the order writers arrive in: an accepted row stays accepted (a racing ``in_flight``
    or ``failed`` write leaves it as it is) and keeps the mtNum it was accepted with; otherwise the
    newer write wins; a campaign's row number and recipient are kept when a later write has none.
    """
    if not rows:
        return
    t = send_ledger
    ins = upsert(conn, t)
    new = ins.excluded
    was_accepted = t.c.state == ACCEPTED
    stmt = ins.on_conflict_do_update(
        index_elements=[t.c.scope, t.c.partner_id],
        set_={
            "state": new.state,
            "mt_num": case(
                (was_accepted, func.coalesce(t.c.mt_num, new.mt_num)), else_=func.coalesce(new.mt_num, t.c.mt_num)
            ),
            "duplicate": case((was_accepted, t.c.duplicate), else_=new.duplicate),
            "error_code": case((was_accepted, t.c.error_code), else_=new.error_code),
            "reason": case((was_accepted, t.c.reason), else_=new.reason),
            "row_no": func.coalesce(new.row_no, t.c.row_no),
            "recipient": func.coalesce(new.recipient, t.c.recipient),
            "updated_at": new.updated_at,
        },
        where=or_(t.c.state != ACCEPTED, new.state == ACCEPTED),
    )
    conn.execute(stmt, sorted(rows, key=lambda r: r["partner_id"]))


def ledger_page(
    conn: Connection, scope: str, states: Sequence[str] | None, after: str | None, limit: int
) -> list[LedgerEntry]:
    t = send_ledger
    query = select(t).where(t.c.scope == scope)
    if states is not None:
        query = query.where(t.c.state.in_(list(states)))
    if after is not None:
        query = query.where(t.c.partner_id > after)
    rows = conn.execute(query.order_by(t.c.partner_id).limit(limit))
    return [
        LedgerEntry(
            r.scope,
            r.partner_id,
            r.state,
            r.mt_num,
            bool(r.duplicate),
            r.error_code,
            r.reason,
            r.row_no,
            r.recipient,
            r.created_at,
            r.updated_at,
        )
        for r in rows
    ]


# --- delivery reports --------------------------------------------------------------------------------------


def fold_reports(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per mtNum from a batch, in arrival order: a later report replaces an earlier one unless
    the earlier one is final (then it stays); a partner id once known is kept."""
    latest: dict[str, dict[str, Any]] = {}
    for value in values:
        old = latest.get(value["mt_num"])
        if old is None:
            latest[value["mt_num"]] = value
        elif not old["final"]:
            latest[value["mt_num"]] = {**value, "partner_id": value["partner_id"] or old["partner_id"]}
        elif old["partner_id"] is None and value["partner_id"] is not None:
            old["partner_id"] = value["partner_id"]
    return list(latest.values())


def reports_write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Upsert folded reports: a stored final state is never replaced; a partner id once known is kept."""
    if not rows:
        return
    t = delivery_reports
    ins = upsert(conn, t)
    new = ins.excluded
    stmt = ins.on_conflict_do_update(
        index_elements=[t.c.mt_num],
        set_={
            "status": case((t.c.final, t.c.status), else_=new.status),
            "error_code": case((t.c.final, t.c.error_code), else_=new.error_code),
            "final": or_(t.c.final, new.final),
            "done_date": case((t.c.final, t.c.done_date), else_=new.done_date),
            "extra": case((t.c.final, t.c.extra), else_=new.extra),
            "partner_id": func.coalesce(t.c.partner_id, new.partner_id),
            "updated_at": case((t.c.final, t.c.updated_at), else_=new.updated_at),
        },
        # a final row is only touched to learn a partner id it lacked
        where=or_(t.c.final == false(), and_(t.c.partner_id.is_(None), new.partner_id.is_not(None))),
    )
    conn.execute(stmt, sorted(rows, key=lambda r: r["mt_num"]))


def delivery_record(row: Row[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        row.mt_num,
        row.status,
        row.error_code,
        bool(row.final),
        row.partner_id,
        row.done_date,
        dict(row.extra or {}),
        row.received_at,
        row.updated_at,
    )


def reports_get(conn: Connection, mt_nums: Iterable[str]) -> dict[str, DeliveryRecord]:
    t = delivery_reports
    found: dict[str, DeliveryRecord] = {}
    for part in chunks(sorted({str(m) for m in mt_nums})):
        for row in conn.execute(select(t).where(t.c.mt_num.in_(part))):
            found[row.mt_num] = delivery_record(row)
    return found


def reports_by_partner_id(conn: Connection, partner_ids: Iterable[str]) -> dict[str, DeliveryRecord]:
    """The latest report per partner id (when one partner id has several mtNums, the latest updated)."""
    t = delivery_reports
    found: dict[str, DeliveryRecord] = {}
    for part in chunks(sorted({str(p) for p in partner_ids})):
        for row in conn.execute(select(t).where(t.c.partner_id.in_(part)).order_by(t.c.updated_at)):
            found[row.partner_id] = delivery_record(row)
    return found


# --- MO messages -------------------------------------------------------------------------------------------


def mo_write(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert MO messages not stored yet (by transactionId), in the given order; returns how many were new."""
    if not rows:
        return 0
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["transaction_id"], row)
    if conn.dialect.name == "postgresql":
        # ids come from a sequence in assignment order, but commits could land out of that order and a
        # reader past id N would skip a later-committed N-1: one MO writer at a time keeps them in order
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MO_LOCK})
    t = incoming_messages
    known: set[str] = set()
    for part in chunks(sorted(unique)):
        known.update(conn.execute(select(t.c.transaction_id).where(t.c.transaction_id.in_(part))).scalars())
    fresh = [row for key, row in unique.items() if key not in known]
    if fresh:
        # ON CONFLICT DO NOTHING as well: on SQLite a concurrent writer cannot slip in (one write
        # transaction at a time), on PostgreSQL the advisory lock above serialises MO writers
        stmt = upsert(conn, t).on_conflict_do_nothing(index_elements=[t.c.transaction_id])
        for row in fresh:  # one row per statement keeps ids in arrival order on every driver
            conn.execute(stmt, row)
    return len(fresh)


def incoming_message(row: Row[Any]) -> IncomingMessage:
    return IncomingMessage(
        row.id,
        row.transaction_id,
        row.service_number,
        row.source_addr,
        row.type,
        row.message,
        row.part_count,
        row.received_date,
        row.media_url,
        dict(row.extra or {}),
        row.received_at,
    )


def mo_after(
    conn: Connection, cursor: int, service_number: str | None, pattern: re.Pattern[str] | None, limit: int
) -> MoPage:
    t = incoming_messages
    query = select(t).where(t.c.id > cursor)
    if service_number is not None:
        query = query.where(t.c.service_number == service_number)
    rows = list(conn.execute(query.order_by(t.c.id).limit(limit)))
    messages = [
        incoming_message(r) for r in rows if pattern is None or (r.message is not None and pattern.search(r.message))
    ]
    return MoPage(messages, rows[-1].id if rows else cursor)


def newest_mo_id(conn: Connection) -> int:
    """The id of the newest stored MO message (0: none)."""
    return int(conn.execute(select(func.max(incoming_messages.c.id))).scalar() or 0)


# --- cursors -----------------------------------------------------------------------------------------------


def cursor_get(conn: Connection, name: str) -> Any:
    row = conn.execute(select(cursors.c.value).where(cursors.c.name == name)).first()
    return None if row is None else row.value


def cursor_set(conn: Connection, name: str, value: Any, now: dt.datetime) -> None:
    ins = upsert(conn, cursors)
    stmt = ins.values(name=name, value=value, updated_at=now).on_conflict_do_update(
        index_elements=[cursors.c.name], set_={"value": ins.excluded.value, "updated_at": ins.excluded.updated_at}
    )
    conn.execute(stmt)


# --- retention ---------------------------------------------------------------------------------------------

RETAINED = (
    (send_ledger, send_ledger.c.updated_at),
    (delivery_reports, delivery_reports.c.updated_at),
    (incoming_messages, incoming_messages.c.received_at),
)


def purge(conn: Connection, cutoff: dt.datetime, dry_run: bool) -> dict[str, int]:
    """Delete (or, dry run, count) ledger rows and reports last written, and MO messages received, before
    ``cutoff``; returns the number per table. Cursors are kept."""
    counts: dict[str, int] = {}
    for table, column in RETAINED:
        if dry_run:
            counts[table.name] = int(
                conn.execute(select(func.count(literal(1))).select_from(table).where(column < cutoff)).scalar_one()
            )
        else:
            counts[table.name] = int(conn.execute(delete(table).where(column < cutoff)).rowcount)
    return counts
