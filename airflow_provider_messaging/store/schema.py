"""The message store's tables and their versioned schema steps. No Airflow imports.

Schema changes: a version table, not Alembic
---------------------------------------------
The store's schema changes in numbered steps, applied in order by :func:`migrate`, each in its own
transaction (SQLite and PostgreSQL both run DDL transactionally), and recorded in the table
``messaging_store_version`` (one row per applied step). Alembic was not chosen: the store has a
handful of additive steps, they must run on first use from a worker, the triggerer (async) or the
api-server without a migration environment or script folder to ship, and several processes may start
at once; a numbered list of Python functions run under a lock (``BEGIN IMMEDIATE`` on SQLite, an
advisory transaction lock on PostgreSQL) does that in a few lines, and a test upgrades a version-1
database in place.

Rules for a new step: append it to :data:`STEPS` with the next number; never edit a released step;
a step must be idempotent (``checkfirst``, ``IF NOT EXISTS``) because the tables below always describe
the latest shape; a step that changes an existing table alters it (``ALTER TABLE``) instead of
recreating it, so rows survive.

Steps
-----
1. ``messaging_send_ledger``: the send ledger (one row per scope and partner id).
2. ``messaging_delivery_reports`` (one row per mtNum, its latest state), ``messaging_incoming_messages``
   (MO messages, one row per transactionId, an autoincrement id as the readers' cursor) and
   ``messaging_cursors`` (small named values, e.g. an event trigger's cursor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect

from airflow_provider_messaging.store.errors import SchemaVersionError


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and read back timezone-aware (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store's timestamps must be timezone-aware")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


#: an autoincrement id: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

schema_version = Table(
    "messaging_store_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

send_ledger = Table(
    "messaging_send_ledger",
    metadata,
    # "send" for the single-send operators, a campaign id for a campaign
    Column("scope", String(200), primary_key=True),
    Column("partner_id", String(200), primary_key=True),
    Column("state", String(16), nullable=False),  # in_flight | accepted | failed
    Column("mt_num", String(64)),
    Column("duplicate", Boolean, nullable=False, default=False),
    Column("error_code", Integer),
    Column("reason", Text),
    Column("row_no", BigInteger),  # campaigns: the input row
    Column("recipient", String(64)),  # campaigns: the recipient, masked
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_messaging_send_ledger_scope_state", "scope", "state", "partner_id"),
    Index("ix_messaging_send_ledger_updated_at", "updated_at"),
)

delivery_reports = Table(
    "messaging_delivery_reports",
    metadata,
    Column("mt_num", String(64), primary_key=True),
    Column("partner_id", String(200)),  # the report's "id", when it echoes one
    Column("status", Integer, nullable=False),
    Column("error_code", Integer),
    Column("final", Boolean, nullable=False),
    Column("done_date", String(64)),  # as the platform wrote it
    Column("extra", JSON, nullable=False),  # the report's other fields, kept as sent
    Column("received_at", UtcDateTime, nullable=False),  # first report for this mtNum
    Column("updated_at", UtcDateTime, nullable=False),  # latest state stored
    Index("ix_messaging_delivery_reports_partner_id", "partner_id"),
    Index("ix_messaging_delivery_reports_updated_at", "updated_at"),
)

incoming_messages = Table(
    "messaging_incoming_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),  # arrival order: the readers' cursor
    Column("transaction_id", String(200), nullable=False, unique=True),
    Column("service_number", String(64)),  # destAddr: the service number the subscriber wrote to
    Column("source_addr", String(64)),
    Column("type", String(32)),
    Column("message", Text),
    Column("part_count", Integer),
    Column("received_date", String(64)),  # as the platform wrote it
    Column("media_url", Text),
    Column("extra", JSON, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_messaging_incoming_messages_service_number", "service_number", "id"),
    Index("ix_messaging_incoming_messages_received_at", "received_at"),
    # ids are never reused, also after the retention command deleted the newest rows
    sqlite_autoincrement=True,
)

cursors = Table(
    "messaging_cursors",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("value", JSON),
    Column("updated_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create(*tables: Table) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return apply


STEPS: tuple[Step, ...] = (
    Step(1, "send ledger", _create(send_ledger)),
    Step(2, "delivery reports, incoming messages, cursors", _create(delivery_reports, incoming_messages, cursors)),
)
LATEST_VERSION = STEPS[-1].version

#: PostgreSQL advisory lock key of schema changes (any fixed 64-bit number)
MIGRATION_LOCK = 0x6D73675F73746F  # "msg_sto"


def current_version(conn: Connection) -> int:
    """The highest step applied to this database, 0 for an empty one."""
    if not conn.dialect.has_table(conn, schema_version.name):
        return 0
    return int(conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one())


def lock_schema(conn: Connection) -> None:
    """Serialise schema changes between processes (SQLite: the write transaction already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def check_version(version: int) -> None:
    if version > LATEST_VERSION:
        raise SchemaVersionError(
            f"the message store's schema is version {version}, newer than this provider knows "
            f"({LATEST_VERSION}): upgrade airflow-provider-messaging"
        )


def migrate_step(conn: Connection, target: int) -> tuple[int, int] | None:
    """Apply the next missing step up to ``target`` in the caller's (write) transaction.

    Returns ``(from, to)`` for the step applied, or None when the database is at ``target`` or beyond.
    """
    lock_schema(conn)
    version = current_version(conn)
    check_version(version)
    if version >= target:
        return None
    if version == 0:
        schema_version.create(conn, checkfirst=True)
    step = next(s for s in STEPS if s.version == version + 1)
    step.apply(conn)
    conn.execute(
        schema_version.insert().values(version=step.version, description=step.description, applied_at=utcnow())
    )
    return version, step.version
