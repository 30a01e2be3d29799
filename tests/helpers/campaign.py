"""Helpers of the campaign tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def use_fresh_store(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """Point the message store (connection ``messaging_store_default``) at a new SQLite file: each
    sandbox numbers its mtNums from the same start, so two sandboxes must not share stored reports."""
    path = folder / "messaging_store.db"
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return path


def read_jsonl(uri: str) -> list[dict[str, Any]]:
    """The lines of a local JSON Lines file given as a path or ``file://`` URI."""
    return [json.loads(line) for line in Path(uri.removeprefix("file://")).read_text().splitlines()]


def local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))
