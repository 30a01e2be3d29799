"""MessageReceivedTrigger against a real store: one event per new MO, filters, a cursor that survives
restarts (nothing replayed, nothing skipped), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from airflow_provider_messaging.triggers.incoming import MessageReceivedTrigger


def mo(n: int, text: str | None = "STOP", service: str = "MyShop") -> dict[str, Any]:
    body = {"transactionId": f"tx-{n}", "destAddr": service, "sourceAddr": f"7900000{n:04d}", "type": "Viber"}
    if text is not None:
        body["message"] = text
    return body


@pytest.fixture
def store_conn(message_store, monkeypatch):
    """``messaging_store_default`` points at the test's store."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT",
        json.dumps({"conn_type": "generic", "extra": {"url": message_store.url.render_as_string(hide_password=False)}}),
    )
    return message_store


async def take(trigger_run, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    return [(await asyncio.wait_for(anext(trigger_run), timeout)).payload for _ in range(count)]


async def nothing_more(trigger_run, wait: float = 0.3) -> bool:
    try:
        await asyncio.wait_for(anext(trigger_run), wait)
    except asyncio.TimeoutError:
        return True
    return False


def test_one_event_per_matching_message_in_arrival_order_and_none_after_a_restart(store_conn):
    store = store_conn
    store.record_mo([mo(1), mo(2, "hello"), mo(3, " stop "), mo(4, None), mo(5, "STOP", service="Other")])

    async def scenario() -> None:
        kwargs = {"service_number": "MyShop", "text_pattern": r"^\s*stop\s*$", "poll_interval": 0.05}
        run = MessageReceivedTrigger(**kwargs).run()
        assert [p["transactionId"] for p in await take(run, 2)] == ["tx-1", "tx-3"]
        assert await nothing_more(run)  # a cancelled wait stops the trigger as the triggerer does
        store.record_mo([mo(6), mo(1)])  # tx-1 again: stored once, so not an event again
        run = MessageReceivedTrigger(**kwargs).run()  # a restarted trigger
        assert [p["transactionId"] for p in await take(run, 1)] == ["tx-6"]
        store.record_mo([mo(7)])  # arrives while it runs
        payload = (await take(run, 1))[0]
        assert payload == mo(7)
        await run.aclose()
        run = MessageReceivedTrigger(**kwargs).run()
        assert await nothing_more(run)
        await run.aclose()

    asyncio.run(scenario())


def test_a_closed_trigger_keeps_what_it_handed_over_and_a_new_one_skips_nothing(store_conn):
    store = store_conn
    store.record_mo([mo(n) for n in range(1, 6)])

    async def scenario() -> list[str]:
        seen: list[str] = []
        for _ in range(5):  # five restarts, one message each
            run = MessageReceivedTrigger(poll_interval=0.05, batch_size=2).run()
            seen += [p["transactionId"] for p in await take(run, 1)]
            await run.aclose()
        run = MessageReceivedTrigger(poll_interval=0.05).run()
        assert await nothing_more(run)
        return seen

    assert asyncio.run(scenario()) == [f"tx-{n}" for n in range(1, 6)]


def test_start_at_latest_skips_what_was_stored_before_the_first_start(store_conn):
    store = store_conn
    store.record_mo([mo(1), mo(2)])

    async def scenario() -> None:
        run = MessageReceivedTrigger(start_at="latest", poll_interval=0.05).run()
        assert await nothing_more(run)
        store.record_mo([mo(3)])
        run = MessageReceivedTrigger(start_at="latest", poll_interval=0.05).run()
        assert [p["transactionId"] for p in await take(run, 1)] == ["tx-3"]
        await run.aclose()

    asyncio.run(scenario())


class AssetState:
    """The shape of Airflow's asset state accessors (``aget``/``aset``) for one watched asset."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


def test_cursor_lives_in_the_asset_state_store_when_airflow_gives_one(store_conn):
    store = store_conn
    store.record_mo([mo(1), mo(2)])
    state = AssetState()

    async def scenario() -> None:
        trigger = MessageReceivedTrigger(poll_interval=0.05)
        trigger.asset_state_store = state
        run = trigger.run()
        await take(run, 2)
        await run.aclose()
        assert list(state.values.values()) == [store.mo_after(0).cursor]  # the id of the last message
        assert await store.aget_cursor(trigger.cursor_key) is None
        again = MessageReceivedTrigger(poll_interval=0.05)
        again.asset_state_store = state
        run = again.run()
        assert await nothing_more(run)

    asyncio.run(scenario())


class SharedAssetState(AssetState):
    """Airflow's accessors when one trigger watches several assets: the single-asset calls refuse."""

    async def aget(self, key: str, default: Any = None) -> Any:
        raise ValueError("Task has 2 concrete inlets and outlets")

    async def aset(self, key: str, value: Any) -> None:
        raise ValueError("Task has 2 concrete inlets and outlets")


def test_a_trigger_shared_by_several_assets_keeps_its_cursor_in_the_store(store_conn):
    store = store_conn
    store.record_mo([mo(1)])

    async def scenario() -> None:
        trigger = MessageReceivedTrigger(poll_interval=0.05)
        trigger.asset_state_store = SharedAssetState()
        run = trigger.run()
        assert [p["transactionId"] for p in await take(run, 1)] == ["tx-1"]
        await run.aclose()
        assert await store.aget_cursor(trigger.cursor_key) == store.mo_after(0).cursor

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"text_pattern": "(unclosed"}, "text_pattern: not a regular expression"),
        ({"start_at": "now"}, "start_at: expected 'earliest' or 'latest'"),
        ({"poll_interval": 0}, "poll_interval: expected a number of seconds above 0"),
        ({"batch_size": 0}, "batch_size: expected an integer from 1 to 10000"),
    ],
)
def test_bad_arguments_are_named(kwargs, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        MessageReceivedTrigger(**kwargs)


def test_serialises_to_json_kwargs_and_back():
    trigger = MessageReceivedTrigger(service_number="MyShop", text_pattern="stop", poll_interval=3)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_messaging.triggers.incoming.MessageReceivedTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    again = MessageReceivedTrigger(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    assert again.cursor_key == trigger.cursor_key != MessageReceivedTrigger(service_number="Other").cursor_key
