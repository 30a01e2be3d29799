"""pytest fixtures (loaded by the root conftest's ``pytest_plugins``): message stores on SQLite and
on a private PostgreSQL cluster (devtools/postgres.py, started once per session), empty for each test."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.receiver import empty_tables, start_postgres


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """A private PostgreSQL cluster on loopback for the session, in a folder of its own (not under
    pytest's numbered temp folders, which a concurrent pytest session may delete)."""
    folder = Path(tempfile.mkdtemp(prefix="messaging-pg-"))
    cluster = start_postgres(folder)
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_store(postgres_cluster: Any) -> Iterator[Any]:
    """A message store in a database of the session's cluster (shared: empty it before use)."""
    from airflow_provider_messaging.store import MessageStore

    store = MessageStore(postgres_cluster.create_database("messaging_tests"))
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def message_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """An empty message store, on SQLite (a fresh file) and on PostgreSQL (emptied)."""
    from airflow_provider_messaging.store import MessageStore

    if request.param == "sqlite":
        store = MessageStore(f"sqlite:///{tmp_path / 'store.db'}")
        store.init()
        yield store
        store.dispose()
    else:
        store = request.getfixturevalue("postgres_store")
        empty_tables(store)
        yield store
