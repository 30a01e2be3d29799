"""``DeliveryStatusTrigger(source=...)``: the store read asynchronously in the triggerer."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_messaging.triggers.delivery import DeliveryStatusTrigger


@pytest.fixture
def store(message_store, monkeypatch):
    url = message_store.url.render_as_string(hide_password=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic", "extra": {"url": url}})
    )
    return message_store


def test_receiver_source_waits_for_pushed_reports_without_a_messaging_connection(store, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MESSAGING_DEFAULT", raising=False)  # the platform is never asked

    async def scenario() -> dict:
        trigger = DeliveryStatusTrigger(["m1", "m2"], source="receiver", poll_interval=0.05, timeout=20)
        run = trigger.run()
        first = asyncio.ensure_future(anext(run))
        await asyncio.sleep(0.3)
        assert not first.done()  # nothing stored yet: still waiting
        await store.arecord_reports([{"mtNum": "m1", "status": 2}, {"mtNum": "m2", "status": 3}])
        return (await asyncio.wait_for(first, 10)).payload

    payload = asyncio.run(scenario())
    assert payload["status"] == "success" and payload["pending"] == []
    assert {n: r["outcome"] for n, r in payload["reports"].items()} == {"m1": "delivered", "m2": "expired"}


def test_timeout_names_what_is_still_pending(store):
    store.record_reports([{"mtNum": "m1", "status": 2}, {"mtNum": "m2", "status": 1}])

    async def scenario() -> dict:
        trigger = DeliveryStatusTrigger(["m1", "m2"], source="receiver", poll_interval=0.05, timeout=0.3)
        return (await asyncio.wait_for(anext(trigger.run()), 10)).payload

    payload = asyncio.run(scenario())
    assert payload["status"] == "timeout" and payload["pending"] == ["m2"]
    assert payload["reports"]["m2"]["outcome"] == "pending"


def test_serialised_kwargs_carry_the_source():
    trigger = DeliveryStatusTrigger(["1"], source="both", poll_at=1234.5, store_conn_id="s")
    _, kwargs = trigger.serialize()
    assert (kwargs["source"], kwargs["poll_at"], kwargs["store_conn_id"]) == ("both", 1234.5, "s")
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert DeliveryStatusTrigger(**kwargs).serialize()[1] == kwargs
