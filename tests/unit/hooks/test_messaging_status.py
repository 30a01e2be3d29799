"""``MessagingHook.get_statuses`` / ``aget_statuses``: delegation to the clients, and the async
connection read (triggers) masking the same secrets as the sync one."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_messaging.hooks.messaging import MessagingHook
from tests.helpers.peers import status_peer


@pytest.fixture
def peer(httpserver, set_conn):
    return status_peer(httpserver, set_conn)


def test_async_twin_gives_the_same_reports(peer):
    wanted = [str(n) for n in range(1000, 1250)]
    sync = MessagingHook().get_statuses(wanted, batch_size=100)
    peer.bodies.clear()
    hook = MessagingHook()
    got = asyncio.run(hook.aget_statuses(wanted, batch_size=100))
    assert got == sync
    assert [len(b["mtNums"]) for b in peer.bodies] == [100, 100, 50]
    assert hook.status_requests == 3


def test_async_connection_read_masks_every_secret(peer, set_conn, httpserver):
    """The trigger reads the connection through ``aget_settings``: login, password and API key are
    masked there as they are by the sync ``settings`` (SPEC §1: login and password are secrets)."""
    from airflow_provider_messaging.compat import redact

    set_conn(httpserver.url_for("/api"), login="async-login-4417", password="async-pass-4417",
             status_path="/status", api_key="async-key-4417")
    assert asyncio.run(MessagingHook().aget_statuses(["1001"]))["1001"].outcome == "delivered"
    assert redact("async-login-4417 async-pass-4417 async-key-4417") == "*** *** ***"


def test_sync_hook_counts_its_status_requests(peer):
    hook = MessagingHook()
    assert hook.get_statuses([str(n) for n in range(1000, 1250)], batch_size=100)["1002"].outcome == "timeout"
    assert hook.status_requests == 3
