"""Group commit against a real store: concurrent requests share transactions, keep their order, and a
refused request is refused alone."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_messaging.receiver.batching import GroupCommit
from airflow_provider_messaging.store import InvalidRecordError
from tests.helpers.receiver import count_rows


def test_concurrent_requests_are_committed_together_in_arrival_order(message_store):
    calls: list[int] = []

    def write(items):
        calls.append(len(items))
        return message_store.record_reports(items)

    async def scenario() -> None:
        writer = GroupCommit(write)
        # the same mtNum final then non-final, from two requests: the final state stays
        await asyncio.gather(
            *(writer.store([{"mtNum": f"m{n}", "status": 6}]) for n in range(50)),
            writer.store([{"mtNum": "m0", "status": 2}]),
            writer.store([{"mtNum": "m0", "status": 1}]),
        )

    asyncio.run(scenario())
    assert sum(calls) == 52 and len(calls) < 52  # fewer transactions than requests
    assert count_rows(message_store, "messaging_delivery_reports") == 50
    assert message_store.get_reports(["m0"])["m0"].status == 2


def test_a_refused_request_is_refused_alone_and_stores_nothing(message_store):
    async def scenario() -> list[object]:
        writer = GroupCommit(message_store.record_reports, is_refusal=lambda e: isinstance(e, InvalidRecordError))
        return await asyncio.gather(
            writer.store([{"mtNum": "a", "status": 2}]),
            writer.store([{"mtNum": "b", "status": 2}, {"mtNum": "x" * 100, "status": 2}]),
            writer.store([{"mtNum": "c", "status": 2}]),
            return_exceptions=True,
        )

    results = asyncio.run(scenario())
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], InvalidRecordError) and "mtNum" in str(results[1])
    assert sorted(message_store.get_reports(["a", "b", "c"])) == ["a", "c"]


def test_a_store_failure_fails_every_waiting_request():
    def write(items):
        raise ConnectionError("database down")

    async def scenario() -> list[object]:
        writer = GroupCommit(write)
        return await asyncio.gather(*(writer.store([{"n": n}]) for n in range(3)), return_exceptions=True)

    assert all(isinstance(r, ConnectionError) for r in asyncio.run(scenario()))


@pytest.mark.parametrize("max_items", [1, 3])
def test_a_transaction_holds_at_most_max_items_unless_one_request_is_larger(max_items):
    calls: list[int] = []

    async def scenario() -> None:
        writer = GroupCommit(lambda items: calls.append(len(items)), max_items=max_items)
        await asyncio.gather(*(writer.store([{"n": n}] * 2) for n in range(4)))

    asyncio.run(scenario())
    assert sum(calls) == 8 and max(calls) == max(2, max_items - max_items % 2)
