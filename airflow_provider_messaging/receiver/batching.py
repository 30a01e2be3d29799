"""Group commit: requests that arrive while a write is running are stored together in the next one.

Each request still waits for the commit of the transaction holding its items before it is answered
(a report is committed before the 2xx), and the store's rules are the same as for one transaction per
request: items keep their arrival order inside a transaction (the store folds several reports of one
mtNum in that order, and stores an MO once per transactionId). When a combined write is refused for
its content (the store's ``InvalidRecordError``), each request of it is written again on its own, so
only the offending request is refused and nothing of it is stored. Any other error (the database is
down) fails every request of that write; none of their items is stored.

One writer per kind runs at a time in each worker process, in a thread (the store is synchronous).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

#: At most this many items go into one transaction.
MAX_BATCH_ITEMS = 2000


class GroupCommit:
    """Queue of writes for one store method (``record_reports`` or ``record_mo``), per event loop."""

    def __init__(
        self,
        write: Callable[[list[dict[str, Any]]], Any],
        *,
        max_items: int = MAX_BATCH_ITEMS,
        is_refusal: Callable[[BaseException], bool] = lambda exc: False,
    ) -> None:
        self._write = write
        self._max_items = max_items
        self._is_refusal = is_refusal
        self._pending: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, items: list[dict[str, Any]]) -> None:
        """Store ``items`` (one request's, all or none); returns once they are committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        await asyncio.shield(future)  # a client that goes away does not cancel the others' write

    def _take(self) -> list[tuple[list[dict[str, Any]], asyncio.Future[None]]]:
        batch: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0][0]) <= self._max_items):
            entry = self._pending.pop(0)
            batch.append(entry)
            size += len(entry[0])
        return batch

    async def _drain(self) -> None:
        while self._pending:
            batch = self._take()
            try:
                await run_in_threadpool(self._write, [item for items, _ in batch for item in items])
            except Exception as exc:
                if len(batch) > 1 and self._is_refusal(exc):
                    await self._one_by_one(batch)
                else:
                    for _, future in batch:
                        _settle(future, exc)
            else:
                for _, future in batch:
                    _settle(future, None)

    async def _one_by_one(self, batch: list[tuple[list[dict[str, Any]], asyncio.Future[None]]]) -> None:
        for items, future in batch:
            try:
                await run_in_threadpool(self._write, items)
            except Exception as exc:
                _settle(future, exc)
            else:
                _settle(future, None)


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)
