"""The message store inside Airflow: which database, from an Airflow connection.

The core (:class:`~airflow_provider_messaging.store.core.MessageStore`) takes a URL; this layer finds it:

1. the connection ``messaging_store_default`` (or the id given): its extra ``url`` (any SQLAlchemy URL
   the store supports) if set, else the URL built from the connection itself (``postgres`` /
   ``postgresql`` type: login, password, host, port, schema as the database, libpq extras such as
   ``sslmode``; ``sqlite`` type: the file in host or schema), so
   ``AIRFLOW_CONN_MESSAGING_STORE_DEFAULT='postgresql://user:password@host:5432/messaging'`` works;
2. with no such connection, a SQLite file ``$AIRFLOW_HOME/messaging_store.db``; a warning is logged
   when the configured executor is not local, since Celery and Kubernetes workers on other machines
   do not share that file (configure PostgreSQL then).

Airflow's metadata database is never used. The URL's password is registered with Airflow's secret
masker (``mask_secret``) and never logged or put in an exception. One store (pooled engines) is kept
per process and database.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from airflow_provider_messaging.store.core import MessageStore, StoreSendLedger
from airflow_provider_messaging.store.errors import UnsupportedDatabaseError
from airflow_provider_messaging.store.records import SEND_SCOPE
from airflow_provider_messaging.store.urls import display_url, parse_url

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "messaging_store_default"
DEFAULT_SQLITE_NAME = "messaging_store.db"
#: executors whose tasks all run on this machine (they share a SQLite file)
LOCAL_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
#: connection extras passed on to PostgreSQL (libpq parameters)
POSTGRES_EXTRAS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
    }
)

_stores: dict[str, MessageStore] = {}
_stores_lock = threading.Lock()
_warned: set[tuple[str, tuple[str, ...]]] = set()


def url_from_connection(conn: Any) -> URL:
    """The store's URL from an Airflow connection (see the module's docstring)."""
    extra = conn.extra_dejson or {}
    conn_id = getattr(conn, "conn_id", None)
    if extra.get("url"):
        return parse_url(str(extra["url"]))
    conn_type = (conn.conn_type or "").lower().replace("-", "_")
    if conn_type in ("postgres", "postgresql") or conn_type.startswith("postgresql+"):
        query = {k: str(v) for k, v in extra.items() if k in POSTGRES_EXTRAS}
        return parse_url(
            URL.create(
                "postgresql" if "+" not in conn_type else conn_type,
                username=conn.login or None,
                password=conn.password or None,
                host=conn.host or None,
                port=conn.port or None,
                database=conn.schema or None,
                query=query,
            )
        )
    if conn_type.startswith("sqlite"):
        path = conn.host or conn.schema
        if not path:
            raise UnsupportedDatabaseError(f"connection {conn_id!r}: a sqlite connection needs the file in host")
        return parse_url(URL.create("sqlite", database=path))
    raise UnsupportedDatabaseError(
        f"connection {conn_id!r} (type {conn.conn_type!r}) names no database for the message store: set its "
        "extra 'url' (e.g. postgresql://user:password@host/messaging) or use a postgres or sqlite connection"
    )


def executor_names() -> list[str]:
    """The configured executors' class names (``[core] executor`` may list several)."""
    from airflow_provider_messaging.compat import conf

    value = conf.get("core", "executor", fallback="LocalExecutor") or "LocalExecutor"
    return [item.strip().split(":")[-1].rsplit(".", 1)[-1] for item in value.split(",") if item.strip()]


def default_sqlite_url() -> URL:
    """``$AIRFLOW_HOME/messaging_store.db``, with a warning when the executor is not local."""
    home = Path(os.environ.get("AIRFLOW_HOME") or "~/airflow").expanduser()
    remote = [name for name in executor_names() if name not in LOCAL_EXECUTORS]
    if remote and (str(home), tuple(remote)) not in _warned:
        _warned.add((str(home), tuple(remote)))  # once per process, not once per use
        log.warning(
            "No connection %r: the message store is the SQLite file %s, but the executor %s runs tasks on "
            "other machines, which do not share it; set the connection to a PostgreSQL database "
            "(see docs/store.md)",
            DEFAULT_CONN_ID,
            home / DEFAULT_SQLITE_NAME,
            ", ".join(remote),
        )
    return parse_url(URL.create("sqlite", database=str(home / DEFAULT_SQLITE_NAME)))


def mask_url(url: URL) -> None:
    """Register the URL's password (and the URL as a string) with Airflow's secret masker."""
    if url.password:
        from airflow_provider_messaging.compat import mask_secret

        mask_secret(str(url.password))
        mask_secret(url.render_as_string(hide_password=False))


def resolve_store_url(conn_id: str | None = None) -> URL:
    """The store's URL from the connection ``conn_id`` (default ``messaging_store_default``).

    Without the default connection: the SQLite file under ``$AIRFLOW_HOME``. A conn id given explicitly
    must exist.
    """
    from airflow.sdk import BaseHook

    from airflow_provider_messaging.compat import AirflowNotFoundException, get_connection

    try:
        conn = get_connection(BaseHook, conn_id or DEFAULT_CONN_ID)
    except AirflowNotFoundException:
        if conn_id not in (None, DEFAULT_CONN_ID):
            raise
        return default_sqlite_url()
    url = url_from_connection(conn)
    mask_url(url)
    return url


async def aresolve_store_url(conn_id: str | None = None) -> URL:
    """:func:`resolve_store_url` for an event loop (the triggerer)."""
    from airflow.sdk import BaseHook

    from airflow_provider_messaging.compat import AirflowNotFoundException, aget_connection

    try:
        conn = await aget_connection(BaseHook, conn_id or DEFAULT_CONN_ID)
    except AirflowNotFoundException:
        if conn_id not in (None, DEFAULT_CONN_ID):
            raise
        return default_sqlite_url()
    url = url_from_connection(conn)
    mask_url(url)
    return url


def store_for_url(url: URL) -> MessageStore:
    """The process's store for ``url`` (created once: engines are pooled and shared)."""
    key = url.render_as_string(hide_password=False)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = MessageStore(url)
            log.info("Message store: %s", display_url(url))
    return store


def get_store(conn_id: str | None = None) -> MessageStore:
    """The message store named by the Airflow connection ``conn_id`` (default ``messaging_store_default``)."""
    return store_for_url(resolve_store_url(conn_id))


async def aget_store(conn_id: str | None = None) -> MessageStore:
    """:func:`get_store` for an event loop."""
    return store_for_url(await aresolve_store_url(conn_id))


def get_ledger(scope: str = SEND_SCOPE, conn_id: str | None = None) -> StoreSendLedger:
    """The send ledger of ``scope`` in the store named by ``conn_id``."""
    return get_store(conn_id).ledger(scope)
