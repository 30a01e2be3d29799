"""Peers of the receiver tests: a private PostgreSQL cluster, message stores on SQLite and
PostgreSQL, the receiver served by uvicorn on loopback, and row counts read from the database."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parent.parent.parent

#: A token long enough for the receiver's rule (16 characters or more).
TOKEN = "rcv-token-3f9a1c7e5b2d4a60"
OTHER_TOKEN = "rcv-token-rotated-8e1f2a3b4c5d"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres(datadir: Path) -> Any:
    """A started private cluster (devtools/postgres.py): ``.create_database(name)`` gives a URL."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("messaging_devtools_postgres", ROOT / "devtools" / "postgres.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PostgresCluster(datadir).start()


def count_rows(store: Any, table: str) -> int:
    """Rows in one of the store's tables, read straight from the database."""
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def empty_tables(store: Any) -> None:
    """Delete every row of the store's tables (a fresh store for the next test)."""
    from sqlalchemy import text

    store.init()
    with store.engine.begin() as conn:
        for table in (
            "messaging_delivery_reports",
            "messaging_incoming_messages",
            "messaging_cursors",
            "messaging_send_ledger",
        ):
            conn.execute(text(f"DELETE FROM {table}"))


class _QuickServer(uvicorn.Server):
    """uvicorn with a 10 ms exit check, so a stop in the middle of a test is quick."""

    async def main_loop(self) -> None:
        while not self.should_exit:
            await asyncio.sleep(0.01)


@contextmanager
def serve(app: Any, port: int | None = None, **config: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port()
    options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}
    options.update(config)
    server = _QuickServer(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name=f"receiver-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the receiver did not start on port {port}")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
