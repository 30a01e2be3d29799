"""``Sandbox``: the platform emulator running in a background thread (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import uvicorn

from airflow_provider_messaging.sandbox.app import create_app
from airflow_provider_messaging.sandbox.state import (
    OUTCOMES,
    Fault,
    PushRecord,
    SandboxMessage,
    SandboxState,
)

DEFAULT_SERVICE_NUMBER = "SANDBOX"
#: Sandbox option -> (connection extra the hook reads, default path).
_PATH_EXTRAS = {
    "send_path": ("send_path", "/send"),
    "status_path": ("status_path", "/status"),
    "templates_path": ("templates_url", "/api/message-matchers"),
}


class _Server(uvicorn.Server):
    """uvicorn's server with a 10 ms exit check instead of 100 ms, so ``stop()`` is quick."""

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 8640000
            await asyncio.sleep(0.01)
            should_exit = await self.on_tick(counter) if counter % 10 == 0 else self.should_exit


class Sandbox:
    """A faithful local emulator of the messaging platform.

    Use it as a context manager (or ``start()``/``stop()``)::

        with Sandbox(outcomes={"79000000002": "call-barred"}) as sandbox:
            requests.post(sandbox.url + "/send", json={...})
            assert sandbox.sent_count("order-1", "79000000001") == 1

    ``outcomes`` maps a recipient (exact number, normalised digits) or an ``fnmatch`` glob
    (``"7900000001*"``) to one of :data:`OUTCOMES`. Everything not matched is delivered.
    """

    def __init__(
        self,
        login: str = "sandbox",
        password: str = "sandbox-secret",
        api_key: str = "sandbox-api-key",
        dedup: str = "on",
        delivery_delay: float = 0.2,
        outcomes: Mapping[str, str] | None = None,
        allowed_ips: Iterable[str] | None = None,
        rate_limit: float | None = None,
        latency: float = 0.0,
        mo_url: str | None = None,
        send_path: str = "/send",
        status_path: str = "/status",
        templates_path: str = "/api/message-matchers",
        viber_sessions: bool = False,
        report_retries: int = 3,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        report_backoff: float = 0.05,
        intermediate_reports: bool = False,
    ) -> None:
        self._options: dict[str, Any] = dict(
            login=login,
            password=password,
            api_key=api_key,
            dedup=dedup,
            delivery_delay=delivery_delay,
            outcomes=dict(outcomes or {}),
            allowed_ips=None if allowed_ips is None else list(allowed_ips),
            rate_limit=rate_limit,
            latency=latency,
            mo_url=mo_url,
            send_path=send_path,
            status_path=status_path,
            templates_path=templates_path,
            viber_sessions=viber_sessions,
            report_retries=report_retries,
            report_backoff=report_backoff,
            intermediate_reports=intermediate_reports,
        )
        # Validate every option now (a bad dedup mode or path fails at construction).
        SandboxState(**self._options).close()
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._state: SandboxState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Sandbox:
        """Bind the port, start uvicorn in a daemon thread and wait until it serves."""
        if self._server is not None:
            return self
        state = SandboxState(**self._options)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            state.close()
            raise
        self._port = sock.getsockname()[1]
        # ws="none": no websocket routes; "auto" imports the websockets package when installed, whose
        # legacy module warns with DeprecationWarning on some versions (an error under -W error)
        config = uvicorn.Config(
            create_app(state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            backlog=1024,
            ws="none",
        )
        server = _Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"messaging-sandbox-{self._port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=2)
                sock.close()
                state.close()
                raise RuntimeError(f"the sandbox did not start on {self.host}:{self._port}")
            time.sleep(0.005)
        self._sock = sock
        self._state, self._server, self._thread = state, server, thread
        return self

    def stop(self) -> None:
        """Stop serving and the report dispatcher. Safe to call twice."""
        server, thread, state = self._server, self._thread, self._state
        if server is None:
            return
        server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if state is not None:
            state.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def state(self) -> SandboxState:
        """The state (from ``start()`` on; kept after ``stop()`` so tests can inspect it)."""
        if self._state is None:
            raise RuntimeError("the sandbox is not started: use `with Sandbox() as sandbox:` or .start()")
        return self._state

    # --- connection --------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        if self._port is None:
            raise RuntimeError("the sandbox is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    @property
    def login(self) -> str:
        """The login the sandbox accepts."""
        return str(self._options["login"])

    @property
    def password(self) -> str:
        """The sending password the sandbox accepts."""
        return str(self._options["password"])

    @property
    def api_key(self) -> str:
        """The X-API-KEY the templates endpoint accepts."""
        return str(self._options["api_key"])

    def _extra(self) -> dict[str, Any]:
        """Connection extras, named as the hook reads them."""
        extra: dict[str, Any] = {
            "api_key": self.api_key,
            "default_service_number": DEFAULT_SERVICE_NUMBER,
            "viber_sessions": bool(self._options["viber_sessions"]),
            # dedup "on"/"reject": a repeat with the same id never sends a second message
            "platform_dedup": self._options["dedup"] != "off",
        }
        for option, (extra_key, default) in _PATH_EXTRAS.items():
            if self._options[option] != default:
                extra[extra_key] = self._options[option]
        return extra

    @property
    def connection_uri(self) -> str:
        """Airflow connection URI: ``messaging://login:password@127.0.0.1:PORT?scheme=http&api_key=...``.

        Values are URL-quoted; extras are query parameters (booleans only when true).
        """
        query: list[tuple[str, Any]] = [("scheme", "http")]
        for key, value in self._extra().items():
            if value is False:
                continue
            query.append((key, "true" if value is True else value))
        qs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query)
        return f"messaging://{quote(self.login, safe='')}:{quote(self.password, safe='')}@{self.host}:{self.port}?{qs}"

    def connection_json(self) -> str:
        """The Airflow connection as JSON (what ``AIRFLOW_CONN_<ID>`` may hold)."""
        return json.dumps(
            {
                "conn_type": "messaging",
                "host": self.url,
                "login": self.login,
                "password": self.password,
                "extra": self._extra(),
            }
        )

    def env_var(self, conn_id: str = "messaging_default") -> tuple[str, str]:
        """``("AIRFLOW_CONN_MESSAGING_DEFAULT", <connection JSON>)`` for ``conn_id``."""
        return f"AIRFLOW_CONN_{conn_id.upper()}", self.connection_json()

    # --- inspection --------------------------------------------------------------------------
    @property
    def messages(self) -> list[SandboxMessage]:
        """Messages accepted as new, in order (a dedup repeat is not a new message)."""
        with self.state.lock:
            return list(self.state.messages)

    def message(self, mt_num: str) -> SandboxMessage:
        """The message with this mtNum (``KeyError`` if unknown)."""
        with self.state.lock:
            return self.state.by_mt_num[str(mt_num)]

    def sent_count(self, id: str | None, dest_addr: str) -> int:
        """How many times a message with partner ``id`` to ``dest_addr`` was actually sent."""
        return self.state.sent_count(id, dest_addr)

    def report(self, mt_num: str) -> dict[str, Any]:
        """The current delivery report of a message, as the status endpoint would give it."""
        return self.message(mt_num).report()

    @property
    def reports_pushed(self) -> list[dict[str, Any]]:
        """Delivery reports POSTed to notify URLs: ``{url, payload, attempts, ok, ...}`` each."""
        with self.state.lock:
            return [p.as_dict() for p in self.state.pushes if p.kind == "report"]

    @property
    def mo_pushed(self) -> list[dict[str, Any]]:
        """MO messages POSTed to the MO URL."""
        with self.state.lock:
            return [p.as_dict() for p in self.state.pushes if p.kind == "mo"]

    @property
    def templates(self) -> list[dict[str, Any]]:
        """Templates created so far (each with its ``id``)."""
        with self.state.lock:
            return [dict(t) for t in self.state.templates]

    @property
    def faults(self) -> list[Fault]:
        """Faults still queued."""
        with self.state.lock:
            return list(self.state.faults)

    # --- scripting ---------------------------------------------------------------------------
    def set_outcome(self, pattern: str, outcome: str) -> None:
        """Route recipients matching ``pattern`` to ``outcome`` (one of :data:`OUTCOMES`)."""
        self.state.set_outcome(pattern, outcome)

    def inject(self, fault: str, count: int = 1, retry_after: int = 1, endpoint: str = "send") -> None:
        """The next ``count`` requests to ``endpoint`` ("send" or "status") answer with ``fault``:
        "unavailable" (1/503), "throttled" (3/429 + Retry-After), "platform_error" (100/500), or
        "drop_after_accept" (send only: the message is accepted and recorded, then the connection
        is dropped without an answer)."""
        self.state.inject(fault, count, retry_after, endpoint)

    @property
    def latency(self) -> float:
        """Seconds added to every platform answer."""
        return self.state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0 seconds")
        self.state.latency = float(seconds)

    def send_mo(
        self,
        source_addr: str,
        text: str | None = None,
        media_url: str | None = None,
        dest_addr: str = DEFAULT_SERVICE_NUMBER,
        *,
        type: str = "Viber",
        part_count: int = 1,
        transaction_id: str | None = None,
        received_date: str | None = None,
        mo_url: str | None = None,
    ) -> dict[str, Any]:
        """POST an MO message (SPEC §3) to ``mo_url`` (default: the sandbox's) and return what was
        sent. Retries a failing receiver like reports; raises ``RuntimeError`` if it never
        answered 2xx."""
        url = mo_url or self.state.mo_url
        if not url:
            raise RuntimeError("no mo_url: pass mo_url= here or to Sandbox(...)")
        payload = self.state.build_mo(
            source_addr, text, media_url, dest_addr, type, part_count, transaction_id, received_date
        )
        record: PushRecord = self.state.dispatcher.push_now(url, payload, "mo")
        if not record.ok:
            raise RuntimeError(f"the MO receiver at {url} failed after {record.attempts} attempts: {record.error}")
        return payload

    def reset(self) -> None:
        """Forget messages, dedup index, faults, templates and pushes; restore initial outcomes."""
        self.state.reset()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> bool:
        """Poll ``predicate()`` until true or ``timeout`` seconds pass; return the last result."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(interval)


__all__ = ["DEFAULT_SERVICE_NUMBER", "OUTCOMES", "Sandbox"]
