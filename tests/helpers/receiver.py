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
    # ws="none": no websocket routes; "auto" imports the websockets package, whose legacy module warns
    # with DeprecationWarning on some versions (an error under -W error: the thread dies)
    options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off", "ws": "none"}
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


def receiver_env(store_url: str, tokens: tuple[str, ...] = (TOKEN,), **extra: Any) -> dict[str, str]:
    """Environment for a standalone receiver: its tokens and the store's URL as Airflow connections."""
    import json
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_MESSAGING_")}
    env["AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT"] = json.dumps(
        {"conn_type": "generic", "password": tokens[0], "extra": {"tokens": list(tokens[1:]), **extra}}
    )
    env["AIRFLOW_CONN_MESSAGING_STORE_DEFAULT"] = json.dumps({"conn_type": "generic", "extra": {"url": store_url}})
    return env


class ReceiverProcess:
    """``python -m airflow_provider_messaging.receiver`` in its own process group, on a fixed port, so
    it can be killed (SIGKILL, mid-request) and started again where the platform pushes."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        workers: int = 1,
        access_log: bool = False,
        log_path: Path | None = None,
    ) -> None:
        self.env = env
        self.port = port or free_port()
        self.workers = workers
        self.access_log = access_log
        self.log_path = log_path
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> ReceiverProcess:
        import subprocess
        import sys

        import httpx

        args = [
            sys.executable,
            "-m",
            "airflow_provider_messaging.receiver",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        if not self.access_log:
            args.append("--no-access-log")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the receiver exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("the receiver did not start")

    def kill(self) -> None:
        """SIGKILL the receiver's process group (its uvicorn workers too) and wait for it."""
        import os
        import signal

        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (graceful: requests in progress finish), then wait."""
        import os
        import signal
        import subprocess

        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def viber_send(sandbox: Any, n: int, notify_url: str | None = None) -> dict[str, Any]:
    """A valid Viber send body for the sandbox, recipient number ``n``, reports pushed to ``notify_url``."""
    body: dict[str, Any] = {
        "login": sandbox.login,
        "password": sandbox.password,
        "destAddr": f"7900{n:07d}",
        "id": f"load-{n}",
        "message": {
            "type": "VIBER",
            "data": {
                "serviceNumber": "SANDBOX",
                "ttl": 60,
                "instantContent": {"type": "TEXT", "data": {"text": "Hello"}},
            },
        },
    }
    if notify_url:
        body["notifyUrl"] = notify_url
    return body


async def send_many(sandbox: Any, count: int, notify_url: str, concurrency: int = 32, first: int = 0) -> list[str]:
    """Send ``count`` messages to the sandbox, at most ``concurrency`` in flight; returns the mtNums."""
    import httpx

    mt_nums: list[str] = []
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=sandbox.url, limits=limits, timeout=30) as client:

        async def one(n: int) -> None:
            async with semaphore:
                answer = await client.post("/send", json=viber_send(sandbox, n, notify_url))
                answer.raise_for_status()
                mt_nums.append(answer.json()["mtNum"])

        await asyncio.gather(*(one(n) for n in range(first, first + count)))
    return mt_nums


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


async def post_bodies(url: str, bodies: list[bytes], concurrency: int = 64) -> list[bytes]:
    """POST every body to ``url`` over ``concurrency`` keep-alive HTTP/1.1 connections (plain asyncio
    streams: a lean client, so a load test measures the server); returns the answer bodies in order.
    An answer other than 200 raises."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    answers: list[bytes] = [b""] * len(bodies)
    queue = list(reversed(range(len(bodies))))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while queue:
                index = queue.pop()
                body = bodies[index]
                writer.write(
                    f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json"
                    f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                answers[index] = await reader.readexactly(length)
                if not status.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"{url} answered {status.decode().strip()}: {answers[index][:200]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(min(concurrency, len(bodies)) or 1)))
    return answers


class SandboxProcess:
    """``python -m airflow_provider_messaging.sandbox`` in a process of its own (its pushes do not share
    this process's interpreter lock)."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.args = args
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxProcess:
        import subprocess
        import sys

        import httpx

        self.process = subprocess.Popen(
            [sys.executable, "-m", "airflow_provider_messaging.sandbox", "--port", str(self.port), *self.args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_sandbox/pushes", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the sandbox did not start")

    def pushes(self) -> list[dict[str, Any]]:
        import httpx

        return list(httpx.get(f"{self.url}/_sandbox/pushes", timeout=60).json())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
