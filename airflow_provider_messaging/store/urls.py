"""Database URLs of the message store: validation, the sync and async driver of each, and a printable form.

No Airflow imports. The store runs on SQLite and PostgreSQL; one URL names the database and the
store derives the driver for each access mode from it:

==============================  ==========================  ===============================
given                           sync                        async
==============================  ==========================  ===============================
``sqlite:///path``              ``sqlite:///path``          ``sqlite+aiosqlite:///path``
``postgresql://...``            ``postgresql+psycopg2://``  ``postgresql+asyncpg://...``
``postgresql+psycopg://...``    the same (psycopg 3 does both)
==============================  ==========================  ===============================

A password is never printed: :func:`display_url` renders it as ``***``.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from airflow_provider_messaging.store.errors import UnsupportedDatabaseError

SYNC_DRIVERS = {"sqlite": "sqlite+pysqlite", "postgresql": "postgresql+psycopg2"}
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
#: drivers that serve both modes themselves
DUAL_DRIVERS = {"postgresql+psycopg"}
KNOWN_DRIVERS = {
    "sqlite": {"pysqlite", "aiosqlite"},
    "postgresql": {"psycopg2", "asyncpg", "psycopg"},
}
BACKEND_ALIASES = {"postgres": "postgresql", "sqlite3": "sqlite"}


def parse_url(url: str | URL) -> URL:
    """A checked :class:`URL`: a SQLite file or a PostgreSQL database, with a driver the store knows."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):  # their text echoes the URL, which may hold a password
        raise UnsupportedDatabaseError(
            "the message store's URL is not a valid SQLAlchemy URL (expected e.g. sqlite:////path/store.db "
            "or postgresql://user:password@host:5432/dbname)"
        ) from None
    backend = BACKEND_ALIASES.get(parsed.get_backend_name(), parsed.get_backend_name())
    driver = parsed.get_driver_name() if "+" in parsed.drivername else ""
    if backend not in KNOWN_DRIVERS:
        raise UnsupportedDatabaseError(
            f"the message store runs on SQLite or PostgreSQL; the URL names {backend!r} ({display_url(parsed)})"
        )
    if driver and driver not in KNOWN_DRIVERS[backend]:
        raise UnsupportedDatabaseError(
            f"the message store does not know the {backend} driver {driver!r}; use one of "
            f"{', '.join(sorted(KNOWN_DRIVERS[backend]))} ({display_url(parsed)})"
        )
    parsed = parsed.set(drivername=f"{backend}+{driver}" if driver else backend)
    if backend == "sqlite" and (parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"):
        raise UnsupportedDatabaseError(
            "an in-memory SQLite database cannot be shared between the store's connections and processes: "
            "give a file, e.g. sqlite:////path/messaging_store.db"
        )
    return parsed


def backend_of(url: URL) -> str:
    return url.get_backend_name()


def sync_url(url: str | URL) -> URL:
    """The URL with the store's sync driver."""
    parsed = parse_url(url)
    if parsed.drivername in DUAL_DRIVERS:
        return parsed
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        query = dict(parsed.query)
        if "ssl" in query and "sslmode" not in query:  # asyncpg spells it ssl, libpq sslmode
            query["sslmode"] = query.pop("ssl")
        parsed = parsed.set(query=query)
    return parsed.set(drivername=SYNC_DRIVERS[backend])


def async_url(url: str | URL) -> URL:
    """The URL with the store's async driver."""
    parsed = parse_url(url)
    if parsed.drivername in DUAL_DRIVERS:
        return parsed
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        query = dict(parsed.query)
        if "sslmode" in query and "ssl" not in query:
            query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


def display_url(url: str | URL) -> str:
    """The URL for logs and messages: the password, if any, is ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            return "<unparseable URL>"
    return url.render_as_string(hide_password=True)
