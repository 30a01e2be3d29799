"""The sandbox pushes to the receiver over real HTTP; the store and the event trigger see every report
and MO message once, across a receiver restart and a trigger restart."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_messaging.receiver.app import create_app
from airflow_provider_messaging.receiver.settings import ReceiverSettings
from airflow_provider_messaging.triggers.incoming import MessageReceivedTrigger
from tests.helpers.receiver import TOKEN, count_rows, free_port, send_many, serve, wait_until


@pytest.fixture
def pg_store(postgres_store, monkeypatch):
    """The session's PostgreSQL store, emptied, as ``messaging_store_default``."""
    from tests.helpers.receiver import empty_tables

    empty_tables(postgres_store)
    url = postgres_store.url.render_as_string(hide_password=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic", "extra": {"url": url}})
    )
    return postgres_store


def test_mo_pushed_by_the_sandbox_is_yielded_once_also_after_the_trigger_restarts(pg_store, messaging_sandbox):
    app = create_app(settings=ReceiverSettings.build([TOKEN]), store=pg_store)
    with serve(app) as url:
        mo_url = f"{url}/{TOKEN}/mo"
        first = messaging_sandbox.send_mo("79001234567", "STOP", mo_url=mo_url)
        messaging_sandbox.send_mo("79001234568", "hello", mo_url=mo_url)
        messaging_sandbox.send_mo("79001234567", "STOP", mo_url=mo_url, transaction_id=first["transactionId"])

        async def scenario() -> None:
            kwargs = {"text_pattern": r"^\s*stop\s*$", "poll_interval": 0.05}
            run = MessageReceivedTrigger(**kwargs).run()
            event = await asyncio.wait_for(anext(run), 10)
            assert event.payload == first
            with pytest.raises(asyncio.TimeoutError):  # the repeat was stored once: no second event
                await asyncio.wait_for(anext(run), 0.5)
            second = messaging_sandbox.send_mo("79001234569", " stop ", mo_url=mo_url)
            run = MessageReceivedTrigger(**kwargs).run()  # restarted: goes on after the first
            assert (await asyncio.wait_for(anext(run), 10)).payload == second
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(anext(run), 0.5)

        asyncio.run(scenario())
    assert count_rows(pg_store, "messaging_incoming_messages") == 3


def test_push_retries_deliver_every_report_once_across_a_receiver_restart(pg_store, messaging_sandbox_factory):
    """The receiver stops mid-load and comes back on the same port: the sandbox's retries deliver
    every report, each stored once."""
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, report_retries=12, report_backoff=0.02)
    port = free_port()
    settings = ReceiverSettings.build([TOKEN])
    notify_url = f"http://127.0.0.1:{port}/{TOKEN}/reports"
    count = 100
    receiver = serve(create_app(settings=settings, store=pg_store), port=port)
    receiver.__enter__()
    mt_nums = asyncio.run(send_many(sandbox, count // 2, notify_url))
    assert wait_until(lambda: count_rows(pg_store, "messaging_delivery_reports") >= count // 4)
    receiver.__exit__(None, None, None)  # stopped: pushes fail and are retried
    mt_nums += asyncio.run(send_many(sandbox, count // 2, notify_url, first=count // 2))
    with serve(create_app(settings=settings, store=pg_store), port=port):
        assert wait_until(lambda: len(sandbox.reports_pushed) == count, timeout=60)
    pushed = sandbox.reports_pushed
    assert all(p["ok"] for p in pushed)
    assert any(p["attempts"] > 1 for p in pushed)  # the restart was felt
    assert count_rows(pg_store, "messaging_delivery_reports") == count
    stored = pg_store.get_reports(mt_nums)
    assert sorted(stored) == sorted(mt_nums)
    assert {r.status for r in stored.values()} == {2}
