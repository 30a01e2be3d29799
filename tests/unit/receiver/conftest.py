"""Message stores on SQLite and on a private PostgreSQL cluster, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.receiver import empty_tables, start_postgres


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cluster = start_postgres(tmp_path_factory.mktemp("receiver-pg"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_store(postgres_cluster: Any) -> Iterator[Any]:
    from airflow_provider_messaging.store import MessageStore

    store = MessageStore(postgres_cluster.create_database("receiver_tests"))
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
