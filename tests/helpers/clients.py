"""Both clients behind one synchronous face, so one test runs against each (``kind`` = "sync" or
"async") and proves identical results for identical answers."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from airflow_provider_messaging.client.aio import AsyncMessagingClient
from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.client.sync import MessagingClient

KINDS = ("sync", "async")


def settings_from_env(conn_id: str = "messaging_default", **overrides: Any) -> ClientSettings:
    """The settings of the connection JSON in ``AIRFLOW_CONN_<ID>`` (what ``set_conn`` and the
    sandbox fixture write), read as the hook reads a connection, without Airflow."""
    data = json.loads(os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"])
    conn = SimpleNamespace(conn_id=conn_id, host=data.get("host"), port=data.get("port"), schema=data.get("schema"),
                           login=data.get("login"), password=data.get("password"), extra_dejson=data.get("extra") or {})
    return ClientSettings.from_connection(conn).with_overrides(**overrides)


class Client:
    """``send``, ``get_statuses``, ``create_template``, ``check_credentials``, ``post_once`` of either
    client, called synchronously. The async one runs in its own event loop, one pool for its life."""

    def __init__(self, kind: str, settings: ClientSettings, sleeps: list[float] | None = None) -> None:
        self.kind = kind
        record: Callable[[float], None] = sleeps.append if sleeps is not None else (lambda s: None)
        if kind == "sync":
            self.client: Any = MessagingClient(settings, sleep=record)
            self.loop = None
        else:
            async def sleep(seconds: float) -> None:
                record(seconds)

            self.loop = asyncio.new_event_loop()
            self.client = AsyncMessagingClient(settings, sleep=sleep)

    @property
    def settings(self) -> ClientSettings:
        return self.client.settings

    @property
    def status_requests(self) -> int:
        return self.client.status_requests

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)
        if self.loop is None:
            return method
        loop = self.loop
        return lambda *args, **kwargs: loop.run_until_complete(method(*args, **kwargs))

    def close(self) -> None:
        if self.loop is None:
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()
