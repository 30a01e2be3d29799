"""The message store: one small database the provider owns, for what must outlive a task try.

No Airflow imports: it takes a SQLAlchemy URL (``sqlite:///...`` or ``postgresql://...``); the Airflow
layer (:mod:`airflow_provider_messaging.store.airflow`) turns a connection into one. Schema versions:
see :mod:`airflow_provider_messaging.store.schema` (a version table, not Alembic).

Sync access uses a pooled engine (pysqlite / psycopg2), async access an engine per event loop
(aiosqlite / asyncpg); every public method runs in one transaction, so a batch is stored whole or
not at all. The tables are created on first use (or by ``python -m airflow_provider_messaging.store
init``).

SQLite: WAL journal (readers never block the writer), a busy timeout (concurrent processes wait
instead of failing with "database is locked"), and write transactions begin with ``BEGIN IMMEDIATE``
(a writer takes the lock up front, so two writers never deadlock on a lock upgrade).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from airflow_provider_messaging.ledger import SCOPE_MAX
from airflow_provider_messaging.store import queries
from airflow_provider_messaging.store.errors import InvalidRecordError, StoreError
from airflow_provider_messaging.store.records import (
    ACCEPTED,
    FAILED,
    IN_FLIGHT,
    LEDGER_STATES,
    SEND_SCOPE,
    DeliveryRecord,
    InFlight,
    LedgerEntry,
    LedgerRecord,
    MoPage,
    is_final_status,
    mask_recipient,
    mo_values,
    partner_id_of,
    report_values,
)
from airflow_provider_messaging.store.schema import LATEST_VERSION, check_version, current_version, migrate_step, utcnow
from airflow_provider_messaging.store.urls import async_url, display_url, parse_url, sync_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
T = TypeVar("T")

#: execution option that makes a SQLite transaction begin with BEGIN IMMEDIATE
WRITE_OPTION = "messaging_store_write"
DEFAULT_BUSY_TIMEOUT = 30.0


def sqlite_on_connect(busy_timeout: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # the store emits BEGIN itself (see sqlite_on_begin): the driver's own transaction handling is off
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return on_connect


def sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def check_partner_ids(where: str, partner_ids: Iterable[str]) -> list[str]:
    if isinstance(partner_ids, (str, bytes)):
        raise InvalidRecordError(f"{where}: expected a collection of partner ids, got one string")
    return [partner_id_of(f"{where}: item {i}", p) for i, p in enumerate(partner_ids)]


class MessageStore:
    """The message store at ``url`` (SQLite file or PostgreSQL database).

    One instance per process and database is enough (engines are pooled, and thread-safe); call
    :meth:`dispose` (sync) or ``await`` :meth:`aclose` (async, per event loop) when done.
    """

    def __init__(self, url: str | URL, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, create: bool = True) -> None:
        """``create=False``: never create or upgrade tables (a missing or older schema raises StoreError)."""
        self.url = parse_url(url)
        self.backend = self.url.get_backend_name()
        self.busy_timeout = busy_timeout
        self.create = create
        self._engine: Engine | None = None
        self._async_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._schema_ready = False

    def __repr__(self) -> str:
        return f"MessageStore({self.display_url!r})"

    @property
    def display_url(self) -> str:
        """The URL with its password hidden (``***``): the form to log."""
        return display_url(self.url)

    # --- engines ----------------------------------------------------------------------------------------

    def _sqlite_file(self) -> None:
        database = self.url.database or ""
        if self.backend == "sqlite" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    def _configure(self, engine: Engine) -> Engine:
        if self.backend == "sqlite":
            event.listen(engine, "connect", sqlite_on_connect(self.busy_timeout))
            event.listen(engine, "begin", sqlite_on_begin)
        return engine

    @property
    def engine(self) -> Engine:
        """The sync engine (created on first use). Both engines keep bound values (numbers, message
        texts) out of their errors' text (``hide_parameters``): such errors reach logs."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._sqlite_file()
                    kwargs: dict[str, Any] = {"pool_pre_ping": True}
                    if self.backend == "sqlite":
                        kwargs = {"connect_args": {"timeout": self.busy_timeout, "check_same_thread": False}}
                    self._engine = self._configure(create_engine(sync_url(self.url), hide_parameters=True, **kwargs))
        return self._engine

    def async_engine(self) -> AsyncEngine:
        """The async engine of the running event loop (asyncpg and aiosqlite connections belong to one loop)."""
        from sqlalchemy.ext.asyncio import create_async_engine

        loop = asyncio.get_running_loop()
        engine = self._async_engines.get(loop)
        if engine is None:
            self._sqlite_file()
            kwargs: dict[str, Any] = {"pool_pre_ping": True}
            if self.backend == "sqlite":
                # aiosqlite connections are threads: no pool, nothing left behind when the loop ends
                kwargs = {"poolclass": NullPool, "connect_args": {"timeout": self.busy_timeout}}
            engine = create_async_engine(async_url(self.url), hide_parameters=True, **kwargs)
            self._configure(engine.sync_engine)
            self._async_engines[loop] = engine
        return engine

    def dispose(self) -> None:
        """Close the sync engine's pooled connections (the store opens new ones when used again)."""
        if self._engine is not None:
            self._engine.dispose()

    async def aclose(self) -> None:
        """Close the running event loop's async engine."""
        engine = self._async_engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()

    # --- transactions -----------------------------------------------------------------------------------

    def _transaction(self, fn: Callable[..., T], *args: Any, write: bool = False, ensure: bool = True) -> T:
        if ensure:
            self._ensure_schema()
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                return fn(conn, *args)

    async def _atransaction(self, fn: Callable[..., T], *args: Any, write: bool = False, ensure: bool = True) -> T:
        if ensure:
            await self._aensure_schema()
        conn: AsyncConnection
        async with self.async_engine().connect() as conn:
            if write:
                await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                return await conn.run_sync(fn, *args)

    # --- schema -----------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version of the database (0: no tables yet)."""
        return self._transaction(current_version, ensure=False)

    def init(self, target: int = LATEST_VERSION) -> tuple[int, int]:
        """Create or upgrade the tables up to schema version ``target``; returns (version before, after)."""
        before = self.schema_version()
        check_version(before)
        version = before
        while (step := self._transaction(migrate_step, target, write=True, ensure=False)) is not None:
            version = step[1]
            log.info("Message store %s: schema version %d -> %d", self.display_url, *step)
        if target == LATEST_VERSION:
            self._schema_ready = True
        return before, max(version, before)

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        if not self.create:
            version = self.schema_version()
            check_version(version)
            if version < LATEST_VERSION:
                raise StoreError(
                    f"the message store {self.display_url} is at schema version {version}, this provider needs "
                    f"{LATEST_VERSION}: run python -m airflow_provider_messaging.store init"
                )
            self._schema_ready = True
            return
        self.init()

    async def _aensure_schema(self) -> None:
        if self._schema_ready:
            return
        version = await self._atransaction(current_version, ensure=False)
        check_version(version)
        if self.create:
            while (
                step := await self._atransaction(migrate_step, LATEST_VERSION, write=True, ensure=False)
            ) is not None:
                log.info("Message store %s: schema version %d -> %d", self.display_url, *step)
        self._schema_ready = True

    # --- send ledger ------------------------------------------------------------------------------------

    def ledger(self, scope: str = SEND_SCOPE) -> StoreSendLedger:
        """The send ledger of ``scope`` ("send" for single sends, a campaign id for a campaign)."""
        return StoreSendLedger(self, scope)

    def iterate_ledger(
        self, scope: str, states: Sequence[str] | None = None, *, batch_size: int = 1000
    ) -> Iterator[LedgerEntry]:
        """Stream a scope's ledger rows in partner-id order, optionally only some states (one short
        transaction per page: no transaction stays open while the caller works)."""
        states = check_states(states)
        after: str | None = None
        while True:
            page = self._transaction(queries.ledger_page, scope, states, after, batch_size)
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1].partner_id

    async def aiterate_ledger(
        self, scope: str, states: Sequence[str] | None = None, *, batch_size: int = 1000
    ) -> AsyncIterator[LedgerEntry]:
        """:meth:`iterate_ledger` for an event loop."""
        states = check_states(states)
        after: str | None = None
        while True:
            page = await self._atransaction(queries.ledger_page, scope, states, after, batch_size)
            for entry in page:
                yield entry
            if len(page) < batch_size:
                return
            after = page[-1].partner_id

    # --- delivery reports -------------------------------------------------------------------------------

    def _report_rows(self, reports: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(reports, Mapping):
            reports = [reports]
        values = [report_values(i, r) for i, r in enumerate(reports)]
        now = utcnow()
        for value in values:
            value.update(final=is_final_status(value["status"]), received_at=now, updated_at=now)
        return queries.fold_reports(values)

    def record_reports(self, reports: Iterable[Mapping[str, Any]]) -> int:
        """Store wire-format delivery reports (SPEC §2) in one transaction: all or none (an invalid
        report raises :class:`InvalidRecordError` naming it and its field, and nothing is stored).

        One row per mtNum holds its latest state: the same report twice is stored once, a later status
        replaces an earlier one, a final status is never replaced (a later report for that mtNum only
        adds the partner id it echoes, when the row had none). Unknown fields are kept. Returns the
        number of distinct mtNums in the batch.
        """
        rows = self._report_rows(reports)
        self._transaction(queries.reports_write, rows, write=True)
        return len(rows)

    async def arecord_reports(self, reports: Iterable[Mapping[str, Any]]) -> int:
        """:meth:`record_reports` for an event loop."""
        rows = self._report_rows(reports)
        await self._atransaction(queries.reports_write, rows, write=True)
        return len(rows)

    def get_reports(self, mt_nums: Iterable[str]) -> dict[str, DeliveryRecord]:
        """The stored state of each mtNum that has a report (mtNums without one are absent)."""
        return self._transaction(queries.reports_get, list(mt_nums))

    async def aget_reports(self, mt_nums: Iterable[str]) -> dict[str, DeliveryRecord]:
        """:meth:`get_reports` for an event loop."""
        return await self._atransaction(queries.reports_get, list(mt_nums))

    def get_reports_by_partner_id(self, partner_ids: Iterable[str]) -> dict[str, DeliveryRecord]:
        """The latest report echoing each partner id (ids without one are absent)."""
        return self._transaction(queries.reports_by_partner_id, list(partner_ids))

    async def aget_reports_by_partner_id(self, partner_ids: Iterable[str]) -> dict[str, DeliveryRecord]:
        """:meth:`get_reports_by_partner_id` for an event loop."""
        return await self._atransaction(queries.reports_by_partner_id, list(partner_ids))

    # --- MO messages ------------------------------------------------------------------------------------

    def _mo_rows(self, messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(messages, Mapping):
            messages = [messages]
        values = [mo_values(i, m) for i, m in enumerate(messages)]
        now = utcnow()
        for value in values:
            value["received_at"] = now
        return values

    def record_mo(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Store wire-format MO messages (SPEC §3) in one transaction, all or none, in the given order;
        one row per transactionId (a message already stored is skipped). Returns how many were new."""
        rows = self._mo_rows(messages)
        return self._transaction(queries.mo_write, rows, write=True)

    async def arecord_mo(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """:meth:`record_mo` for an event loop."""
        rows = self._mo_rows(messages)
        return await self._atransaction(queries.mo_write, rows, write=True)

    def mo_after(
        self,
        cursor: int = 0,
        *,
        service_number: str | None = None,
        text_pattern: str | re.Pattern[str] | None = None,
        limit: int = 100,
    ) -> MoPage:
        """MO messages stored after ``cursor`` (0: from the start), in arrival order.

        At most ``limit`` rows are scanned; those matching ``service_number`` (destAddr) and
        ``text_pattern`` (a regular expression searched in the text, case-insensitive when given as a
        string; a message without text never matches) are returned, with the cursor to pass next
        (past every scanned row). Cursors only grow: ids are never reused.
        """
        pattern, limit = check_mo_query(cursor, text_pattern, limit)
        return self._transaction(queries.mo_after, cursor, service_number, pattern, limit)

    async def amo_after(
        self,
        cursor: int = 0,
        *,
        service_number: str | None = None,
        text_pattern: str | re.Pattern[str] | None = None,
        limit: int = 100,
    ) -> MoPage:
        """:meth:`mo_after` for an event loop."""
        pattern, limit = check_mo_query(cursor, text_pattern, limit)
        return await self._atransaction(queries.mo_after, cursor, service_number, pattern, limit)

    async def anewest_mo_id(self) -> int:
        """The cursor after every MO message stored so far (0: none): where reading "from now" starts."""
        return await self._atransaction(queries.newest_mo_id)

    # --- cursors ----------------------------------------------------------------------------------------

    def get_cursor(self, name: str, default: Any = None) -> Any:
        """A named value (any JSON value), e.g. an event trigger's cursor; ``default`` when unset."""
        value = self._transaction(queries.cursor_get, check_cursor_name(name))
        return default if value is None else value

    async def aget_cursor(self, name: str, default: Any = None) -> Any:
        """:meth:`get_cursor` for an event loop."""
        value = await self._atransaction(queries.cursor_get, check_cursor_name(name))
        return default if value is None else value

    def set_cursor(self, name: str, value: Any) -> None:
        """Set a named value (JSON)."""
        self._transaction(queries.cursor_set, check_cursor_name(name), value, utcnow(), write=True)

    async def aset_cursor(self, name: str, value: Any) -> None:
        """:meth:`set_cursor` for an event loop."""
        await self._atransaction(queries.cursor_set, check_cursor_name(name), value, utcnow(), write=True)

    # --- retention --------------------------------------------------------------------------------------

    def purge(self, older_than_days: float, *, dry_run: bool = False, now: dt.datetime | None = None) -> dict[str, int]:
        """Delete ledger rows and delivery reports not written for ``older_than_days`` days and MO messages
        received before then (dry run: only count them); returns the count per table. Cursors are kept."""
        if (
            isinstance(older_than_days, bool)
            or not isinstance(older_than_days, (int, float))
            or not (older_than_days > 0)
        ):
            raise InvalidRecordError(f"older_than_days must be a number of days above 0, got {older_than_days!r}")
        cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
        return self._transaction(queries.purge, cutoff, dry_run, write=not dry_run)


def check_states(states: Sequence[str] | None) -> list[str] | None:
    if states is None:
        return None
    if isinstance(states, str):
        states = [states]
    bad = [s for s in states if s not in LEDGER_STATES]
    if bad:
        raise InvalidRecordError(f"states: unknown ledger state {bad[0]!r}; expected one of {', '.join(LEDGER_STATES)}")
    return list(states)


def check_mo_query(
    cursor: int, text_pattern: str | re.Pattern[str] | None, limit: int
) -> tuple[re.Pattern[str] | None, int]:
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise InvalidRecordError(f"cursor must be an integer >= 0, got {cursor!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidRecordError(f"limit must be an integer >= 1, got {limit!r}")
    if text_pattern is None or isinstance(text_pattern, re.Pattern):
        return text_pattern, limit
    try:
        return re.compile(text_pattern, re.IGNORECASE), limit
    except re.error as exc:
        raise InvalidRecordError(f"text_pattern is not a valid regular expression: {exc}") from None


def check_cursor_name(name: str) -> str:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise InvalidRecordError(f"cursor name must be a non-empty string of at most 200 characters, got {name!r}")
    return name


class StoreSendLedger:
    """The send ledger of one scope, kept in the message store.

    Implements the send-ledger protocol (``get``, ``mark_in_flight``, ``mark_accepted``,
    ``mark_failed``) plus a batch API for campaigns; each call is one transaction (a batch: one
    transaction for all its ids, a group commit). Concurrent writers are safe: an accepted id stays
    accepted with its mtNum whatever a racing writer marks later.
    """

    def __init__(self, store: MessageStore, scope: str = SEND_SCOPE) -> None:
        if not isinstance(scope, str) or not scope or len(scope) > SCOPE_MAX:
            raise InvalidRecordError(
                f"scope must be a non-empty string of at most {SCOPE_MAX} characters, got {scope!r}"
            )
        self.store = store
        self.scope = scope

    def __repr__(self) -> str:
        return f"StoreSendLedger({self.store!r}, scope={self.scope!r})"

    def _row(
        self,
        partner_id: str,
        state: str,
        *,
        mt_num: str | None = None,
        duplicate: bool = False,
        error_code: int | None = None,
        reason: str | None = None,
        row_no: int | None = None,
        recipient: str | None = None,
        where: str = "ledger",
    ) -> dict[str, Any]:
        now = utcnow()
        if mt_num is not None and not isinstance(mt_num, str):
            raise InvalidRecordError(f"{where}: mt_num must be a string, got {type(mt_num).__name__}")
        if error_code is not None and (isinstance(error_code, bool) or not isinstance(error_code, int)):
            raise InvalidRecordError(f"{where}: error_code must be an integer, got {type(error_code).__name__}")
        if row_no is not None and (isinstance(row_no, bool) or not isinstance(row_no, int)):
            raise InvalidRecordError(f"{where}: row_no must be an integer, got {type(row_no).__name__}")
        return {
            "scope": self.scope,
            "partner_id": partner_id_of(where, partner_id),
            "state": state,
            "mt_num": mt_num,
            "duplicate": bool(duplicate),
            "error_code": error_code,
            "reason": None if reason is None else str(reason),
            "row_no": row_no,
            "recipient": mask_recipient(recipient),
            "created_at": now,
            "updated_at": now,
        }

    # --- the protocol -----------------------------------------------------------------------------------

    def get(self, partner_id: str) -> LedgerRecord | None:
        partner_id = partner_id_of("get", partner_id)
        return self.get_many([partner_id]).get(partner_id)

    def mark_in_flight(self, partner_id: str, *, row_no: int | None = None, recipient: str | None = None) -> None:
        row = self._row(partner_id, IN_FLIGHT, row_no=row_no, recipient=recipient, where="mark_in_flight")
        self.store._transaction(queries.ledger_write, [row], write=True)

    def mark_accepted(self, partner_id: str, mt_num: str | None, *, duplicate: bool = False) -> None:
        row = self._row(partner_id, ACCEPTED, mt_num=mt_num, duplicate=duplicate, where="mark_accepted")
        self.store._transaction(queries.ledger_write, [row], write=True)

    def mark_failed(self, partner_id: str, *, error_code: int | None = None, reason: str | None = None) -> None:
        row = self._row(partner_id, FAILED, error_code=error_code, reason=reason, where="mark_failed")
        self.store._transaction(queries.ledger_write, [row], write=True)

    # --- batches ----------------------------------------------------------------------------------------

    def get_many(self, partner_ids: Iterable[str]) -> dict[str, LedgerRecord]:
        """The records of those ids that have one."""
        ids = check_partner_ids("get_many", partner_ids)
        return self.store._transaction(queries.ledger_get_many, self.scope, ids)

    async def aget_many(self, partner_ids: Iterable[str]) -> dict[str, LedgerRecord]:
        ids = check_partner_ids("get_many", partner_ids)
        return await self.store._atransaction(queries.ledger_get_many, self.scope, ids)

    async def aget(self, partner_id: str) -> LedgerRecord | None:
        partner_id = partner_id_of("get", partner_id)
        return (await self.aget_many([partner_id])).get(partner_id)

    def _in_flight_rows(self, entries: Iterable[str | InFlight]) -> list[dict[str, Any]]:
        if isinstance(entries, (str, bytes)):
            raise InvalidRecordError("mark_in_flight_many: expected a collection of partner ids, got one string")
        rows: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(entries):
            where = f"mark_in_flight_many: item {i}"
            if isinstance(entry, InFlight):
                row = self._row(
                    entry.partner_id, IN_FLIGHT, row_no=entry.row_no, recipient=entry.recipient, where=where
                )
            else:
                row = self._row(entry, IN_FLIGHT, where=where)
            rows[row["partner_id"]] = row
        return list(rows.values())

    def mark_in_flight_many(self, entries: Iterable[str | InFlight]) -> None:
        """Record a batch of ids as in flight in one transaction (ids, or :class:`InFlight` with a
        campaign's row number and recipient). Accepted ids stay accepted."""
        self.store._transaction(queries.ledger_write, self._in_flight_rows(entries), write=True)

    async def amark_in_flight_many(self, entries: Iterable[str | InFlight]) -> None:
        await self.store._atransaction(queries.ledger_write, self._in_flight_rows(entries), write=True)

    def _result_rows(self, results: Iterable[Any]) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for i, result in enumerate(results):
            where = f"mark_results_many: item {i}"
            if not isinstance(result, LedgerRecord) and not all(
                hasattr(result, f) for f in ("partner_id", "state", "mt_num", "duplicate", "error_code", "reason")
            ):
                raise InvalidRecordError(f"{where}: expected a LedgerRecord, got {type(result).__name__}")
            if result.state not in (ACCEPTED, FAILED):
                raise InvalidRecordError(f"{where}: state must be 'accepted' or 'failed', got {result.state!r}")
            row = self._row(
                result.partner_id,
                result.state,
                mt_num=result.mt_num,
                duplicate=result.duplicate,
                error_code=result.error_code,
                reason=result.reason,
                where=where,
            )
            old = rows.get(row["partner_id"])
            if old is None or old["state"] != ACCEPTED:  # within a batch too, accepted is never undone
                rows[row["partner_id"]] = row
        return list(rows.values())

    def mark_results_many(self, results: Iterable[LedgerRecord]) -> None:
        """Record a batch of answers (records in state ``accepted`` or ``failed``) in one transaction."""
        self.store._transaction(queries.ledger_write, self._result_rows(results), write=True)

    async def amark_results_many(self, results: Iterable[LedgerRecord]) -> None:
        await self.store._atransaction(queries.ledger_write, self._result_rows(results), write=True)

    def iterate(self, states: Sequence[str] | None = None, *, batch_size: int = 1000) -> Iterator[LedgerEntry]:
        """Stream this scope's rows (see :meth:`MessageStore.iterate_ledger`)."""
        return self.store.iterate_ledger(self.scope, states, batch_size=batch_size)

    def aiterate(self, states: Sequence[str] | None = None, *, batch_size: int = 1000) -> AsyncIterator[LedgerEntry]:
        return self.store.aiterate_ledger(self.scope, states, batch_size=batch_size)
