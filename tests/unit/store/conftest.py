"""Wiring for the message store's tests: every store test runs on SQLite and on a real PostgreSQL
(the session's cluster: the ``postgres`` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_messaging.store import MessageStore

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL of an empty database of the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'messaging_store.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def store(store_url: str) -> Iterator[MessageStore]:
    s = MessageStore(store_url)
    yield s
    s.dispose()
