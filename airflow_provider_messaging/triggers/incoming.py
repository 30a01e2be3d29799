"""``MessageReceivedTrigger``: one event per new incoming (MO) message in the message store.

The receiver stores every MO message the platform pushes; this event trigger reads them in arrival
order and yields one :class:`TriggerEvent` per message that matches its filters, so a DAG scheduled
on an asset watched by it runs for new messages::

    from airflow.sdk import DAG, Asset, AssetWatcher
    from airflow_provider_messaging.triggers.incoming import MessageReceivedTrigger

    stop_requests = Asset(
        "messaging_stop_requests",
        watchers=[
            AssetWatcher(
                name="stop_watcher",
                trigger=MessageReceivedTrigger(service_number="MyShop", text_pattern=r"^\\s*stop\\s*$"),
            )
        ],
    )

    with DAG("opt_out", schedule=[stop_requests]): ...

Each asset event's ``extra["payload"]`` is the message in its wire form (SPEC §3: ``transactionId``,
``sourceAddr``, ``destAddr``, ``message``, ... plus any extra field the platform sent). One DAG run may
consume several events: loop over ``triggering_asset_events[asset]``.

The cursor (the store id of the last message handed over) survives restarts: it is kept in Airflow's
asset state store where the triggerer provides one (Airflow 3.3+, a watcher on one asset), else in
the message store's cursor table (any Airflow version; also when the trigger is run by hand). A
restarted trigger goes on after that cursor, so a restart replays nothing and skips nothing.

The cursor moves past a message :data:`SAVE_LAG` seconds after it was handed to the triggerer (time
for Airflow to write the asset event first; written at the next read, at most one poll interval
later); when the trigger stops (cancelled by a triggerer shutdown, or closed) the last message handed
over is written at once. A triggerer killed outright (SIGKILL) may hand over again the messages of its
last seconds, never skip one: consumers key on ``transactionId`` (a run for a message already handled
does nothing), as Airflow recommends for any event-driven DAG.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

#: ``start_at`` values: with no cursor stored yet, start with the oldest stored message, or after the newest.
START_EARLIEST = "earliest"
START_LATEST = "latest"
#: Seconds a handed-over message waits before its cursor is written (Airflow writes the event first).
SAVE_LAG = 2.0
#: Key of the cursor in the asset state store.
ASSET_STATE_KEY = "messaging_mo_cursor"


class MessageReceivedTrigger(BaseEventTrigger):
    """Yield one event per new MO message in the message store (use it in an ``AssetWatcher``).

    :param service_number: only messages written to this service number (the MO's ``destAddr``).
    :param text_pattern: only messages whose text matches this regular expression (searched,
        case-insensitive); a message without text never matches.
    :param poll_interval: seconds between reads of the store when nothing new came (default 5).
    :param store_conn_id: connection of the message store (default ``messaging_store_default``).
    :param start_at: with no cursor stored yet: ``"earliest"`` (default; every stored message that
        matches, so nothing pushed before the watcher started is missed) or ``"latest"`` (only
        messages stored from now on).
    :param cursor_name: name of the cursor in the store; default: derived from the filters, so two
        watchers with the same filters share it (Airflow runs them as one trigger anyway).
    :param batch_size: messages read per query (default 100).
    """

    def __init__(
        self,
        *,
        service_number: str | None = None,
        text_pattern: str | None = None,
        poll_interval: float = 5.0,
        store_conn_id: str | None = None,
        start_at: str = START_EARLIEST,
        cursor_name: str | None = None,
        batch_size: int = 100,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Airflow: untyped
        if text_pattern is not None:
            try:
                re.compile(text_pattern)
            except re.error as exc:
                raise ValueError(f"text_pattern: not a regular expression ({exc})") from None
        if start_at not in (START_EARLIEST, START_LATEST):
            raise ValueError(f"start_at: expected {START_EARLIEST!r} or {START_LATEST!r}, got {start_at!r}")
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) or poll_interval <= 0:
            raise ValueError(f"poll_interval: expected a number of seconds above 0, got {poll_interval!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= 10_000:
            raise ValueError(f"batch_size: expected an integer from 1 to 10000, got {batch_size!r}")
        self.service_number = service_number
        self.text_pattern = text_pattern
        self.poll_interval = float(poll_interval)
        self.store_conn_id = store_conn_id
        self.start_at = start_at
        self.cursor_name = cursor_name
        self.batch_size = batch_size

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Classpath and JSON-only kwargs (no secret: the store's connection is read in the triggerer)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "service_number": self.service_number,
                "text_pattern": self.text_pattern,
                "poll_interval": self.poll_interval,
                "store_conn_id": self.store_conn_id,
                "start_at": self.start_at,
                "cursor_name": self.cursor_name,
                "batch_size": self.batch_size,
            },
        )

    @property
    def cursor_key(self) -> str:
        """The cursor's name in the store: ``cursor_name`` or one derived from the filters."""
        if self.cursor_name:
            return self.cursor_name
        filters = json.dumps([self.service_number, self.text_pattern, self.start_at], separators=(",", ":"))
        return "mo-trigger:" + hashlib.sha256(filters.encode()).hexdigest()[:24]

    # --- the cursor ---------------------------------------------------------------------------------
    def _asset_state(self) -> Any | None:
        """Airflow's asset state accessors, when the triggerer gave them (3.3+, watching an asset)."""
        return getattr(self, "asset_state_store", None)

    async def _load_cursor(self, store: Any) -> int:
        state = self._asset_state()
        value = None
        if state is not None:
            try:
                value = await state.aget(self._asset_key())
            except ValueError:  # several assets share this trigger: the store keeps the cursor
                self.asset_state_store = None
                state = None
        if value is None:
            value = await store.aget_cursor(self.cursor_key)
        if value is None:
            if self.start_at == START_EARLIEST:
                return 0
            newest = int(await store.anewest_mo_id())
            await self._save_cursor(store, newest)  # "latest" is fixed once: a restart starts there
            return newest
        return int(value)

    async def _save_cursor(self, store: Any, cursor: int) -> None:
        state = self._asset_state()
        if state is not None:
            await state.aset(self._asset_key(), cursor)
        else:
            await store.aset_cursor(self.cursor_key, cursor)

    def _asset_key(self) -> str:
        return f"{ASSET_STATE_KEY}:{self.cursor_key}"

    # --- run ----------------------------------------------------------------------------------------
    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Read the store after the cursor forever; yield each matching message once."""
        from airflow_provider_messaging.store.airflow import aget_store

        store = await aget_store(self.store_conn_id)
        cursor = await self._load_cursor(store)
        saved = handed = cursor
        marks: deque[tuple[float, int]] = deque()  # (when, cursor) handed over, not saved yet
        self.log.info(
            "Watching incoming messages after store id %d (service_number=%r, text_pattern=%r)",
            cursor,
            self.service_number,
            self.text_pattern,
        )
        try:
            while True:
                page = await store.amo_after(
                    cursor,
                    service_number=self.service_number,
                    text_pattern=self.text_pattern,
                    limit=self.batch_size,
                )
                for message in page.messages:
                    handed = message.id  # set first: once suspended at the yield, the message is handed over
                    yield TriggerEvent(message.as_wire())  # type: ignore[no-untyped-call]  # Airflow: untyped
                moved = page.cursor != cursor
                cursor = handed = page.cursor  # rows that did not match are passed too
                now = time.monotonic()
                if moved:
                    marks.append((now, cursor))
                due = saved
                while marks and marks[0][0] <= now - SAVE_LAG:
                    due = marks.popleft()[1]
                if due > saved:
                    await self._save_cursor(store, due)
                    saved = due
                if not moved:
                    await asyncio.sleep(self.poll_interval)
        finally:
            if handed > saved:  # stopping (cancelled or closed): what was handed over is not handed again
                await self._save_cursor(store, handed)
