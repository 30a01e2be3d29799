"""Each DAG test gets a message store of its own (a SQLite file in its tmp_path), so that the send
ledger of one test (a fixed partner id, a fixed logical date) never answers for another."""

from __future__ import annotations

import json

import pytest


def store_conn_json(url: str) -> str:
    """``messaging_store_default`` as JSON, naming the database by the extra ``url``."""
    return json.dumps({"conn_type": "generic", "extra": {"url": url}})


@pytest.fixture(autouse=True)
def message_store_url(tmp_path, monkeypatch) -> str:
    """The URL of this test's message store (the connection ``messaging_store_default``)."""
    url = f"sqlite:///{tmp_path / 'messaging_store.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", store_conn_json(url))
    return url


@pytest.fixture
def postgres_store_url(postgres, monkeypatch) -> str:
    """A PostgreSQL database as this test's message store instead (what several workers share)."""
    url = postgres.new_database()
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", store_conn_json(url))
    return url
