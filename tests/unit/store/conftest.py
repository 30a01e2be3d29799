"""Wiring for the message store's tests: every store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_messaging.store import MessageStore
from tests.helpers.postgres import TestPostgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[TestPostgres]:
    # a folder of its own, not under pytest's numbered temp folders, which a concurrent pytest
    # session may clean up while this cluster still runs
    folder = Path(tempfile.mkdtemp(prefix="messaging-store-pg-"))
    server = TestPostgres(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


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
