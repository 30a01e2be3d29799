"""A private PostgreSQL cluster for the tests, from devtools/postgres.py (the same helper `make e2e` uses)."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def devtools_postgres() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messaging_devtools_postgres", ROOT / "devtools" / "postgres.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestPostgres:
    """One cluster per test session; a fresh database per test (``new_database()``)."""

    __test__ = False  # not a test class

    def __init__(self, datadir: Path) -> None:
        self.cluster = devtools_postgres().PostgresCluster(datadir)
        self._names = itertools.count(1)

    def start(self) -> TestPostgres:
        self.cluster.start()
        return self

    def new_database(self, password: str | None = None) -> str:
        """The URL of a new, empty database (with ``password`` in it, if given: the cluster trusts
        loopback and accepts any password, which lets tests check that it is never shown)."""
        url = self.cluster.create_database(f"store_{next(self._names)}")
        return url.replace("postgres@", f"postgres:{password}@", 1) if password else url

    def stop(self) -> None:
        self.cluster.stop()
