"""The message store: one small database the provider owns, for everything that must outlive a task try.

What it keeps: the send ledger (partner id -> in flight / accepted with its mtNum / failed, per single
send or per campaign), delivery reports (one row per mtNum, its latest state), incoming (MO)
messages (one row per transactionId, in arrival order) and small named cursors.

The core takes a SQLAlchemy URL and imports neither Airflow nor pydantic::

    from airflow_provider_messaging.store import MessageStore
    store = MessageStore("postgresql://user:password@host/messaging")   # or sqlite:////path/store.db
    ledger = store.ledger("send")

Inside Airflow, :func:`airflow_provider_messaging.store.airflow.get_store` resolves the database from
the connection ``messaging_store_default`` (else a SQLite file under ``$AIRFLOW_HOME``).
Command line: ``python -m airflow_provider_messaging.store init | retention --older-than DAYS``.
Documentation: docs/store.md.
"""

from airflow_provider_messaging.store.core import MessageStore, StoreSendLedger
from airflow_provider_messaging.store.errors import (
    InvalidRecordError,
    SchemaVersionError,
    StoreError,
    UnsupportedDatabaseError,
)
from airflow_provider_messaging.store.records import (
    ACCEPTED,
    FAILED,
    IN_FLIGHT,
    SEND_SCOPE,
    DeliveryRecord,
    IncomingMessage,
    InFlight,
    LedgerEntry,
    LedgerRecord,
    MoPage,
)
from airflow_provider_messaging.store.schema import LATEST_VERSION
from airflow_provider_messaging.store.urls import display_url

__all__ = [
    "ACCEPTED",
    "FAILED",
    "IN_FLIGHT",
    "LATEST_VERSION",
    "SEND_SCOPE",
    "DeliveryRecord",
    "InFlight",
    "IncomingMessage",
    "InvalidRecordError",
    "LedgerEntry",
    "LedgerRecord",
    "MessageStore",
    "MoPage",
    "SchemaVersionError",
    "StoreError",
    "StoreSendLedger",
    "UnsupportedDatabaseError",
    "display_url",
]
