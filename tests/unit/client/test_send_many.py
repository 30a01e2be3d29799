"""``AsyncMessagingClient.send_many`` against real peers: a threaded HTTP server that counts the
requests in flight when each one arrives (what the platform sees), and the sandbox."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from contextlib import aclosing

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from airflow_provider_messaging.client import AsyncMessagingClient, ClientSettings
from airflow_provider_messaging.exceptions import InvalidDestAddrError, InvalidMessageError, ThrottledError
from airflow_provider_messaging.models import SendResult
from tests.helpers.clients import settings_from_env
from tests.helpers.peers import error_body


def message(i: int | str, text: str = "hi") -> dict:
    return {"destAddr": "79001234567", "id": f"m-{i}",
            "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": text}},
                                                  "serviceNumber": "SENDER"}}}


class CountingPeer:
    """The send method, answering after ``delay`` seconds; records for every request its arrival
    time and how many requests were in flight at the peer once it arrived. ``script(n, body)`` may
    answer request number ``n`` itself (e.g. with a throttle)."""

    def __init__(self, delay: float = 0.05, script: Callable[[int, dict], Response | None] | None = None) -> None:
        self.delay = delay
        self.script = script
        self.lock = threading.Lock()
        self.in_flight = 0
        self.arrivals: list[tuple[float, int, dict]] = []  # (time, in flight, body)
        self.answered: list[tuple[float, int]] = []  # (time, HTTP status)

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        with self.lock:
            self.in_flight += 1
            n = len(self.arrivals)
            self.arrivals.append((time.monotonic(), self.in_flight, body))
        try:
            scripted = self.script(n, body) if self.script else None
            if scripted is None:
                time.sleep(float(body["message"]["data"]["instantContent"]["data"].get("text") == "slow") * 0.3
                           or self.delay)
                scripted = Response(json.dumps({"mtNum": f"mt-{body['id']}"}), content_type="application/json")
            with self.lock:
                self.answered.append((time.monotonic(), scripted.status_code))
            return scripted
        finally:
            with self.lock:
                self.in_flight -= 1

    @property
    def max_in_flight(self) -> int:
        return max(count for _, count, _ in self.arrivals)


@pytest.fixture
def server():
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


def settings(url: str, **extra) -> ClientSettings:
    return ClientSettings(base_url=url, login="partner", password="s3cret-pass", backoff_initial=0.01,
                          backoff_max=0.05, **extra)


def run_all(url: str, messages, **kwargs) -> list[tuple[object, object]]:
    async def go():
        async with AsyncMessagingClient(settings(url)) as client:
            return [pair async for pair in client.send_many(messages, **kwargs)]

    return asyncio.run(go())


def serve(server: HTTPServer, peer: CountingPeer) -> str:
    server.expect_request("/send", method="POST").respond_with_handler(peer)
    return server.url_for("/")


def test_at_most_concurrency_requests_are_in_flight_at_the_peer(server):
    peer = CountingPeer(delay=0.05)
    results = run_all(serve(server, peer), [message(i) for i in range(30)], concurrency=5)
    assert len(results) == 30 and all(isinstance(r, SendResult) for _, r in results)
    assert peer.max_in_flight == 5  # bounded, and the bound is used
    assert sorted(r.mt_num for _, r in results) == sorted(f"mt-m-{i}" for i in range(30))


@pytest.mark.parametrize("source", ["generator", "async generator"])
def test_messages_are_pulled_lazily_as_slots_free_up(server, source):
    peer = CountingPeer(delay=0.02)
    url = serve(server, peer)
    pulled: list[int] = []
    seen: list[tuple[int, int]] = []  # (pulled so far, yielded so far) at each yield

    def gen():
        for i in range(25):
            pulled.append(i)
            yield message(i)

    async def agen():
        for i in range(25):
            pulled.append(i)
            yield message(i)

    async def go():
        async with AsyncMessagingClient(settings(url)) as client:
            count = 0
            async for _ in client.send_many(gen() if source == "generator" else agen(), concurrency=4):
                count += 1
                seen.append((len(pulled), count))

    asyncio.run(go())
    assert len(pulled) == 25 and len(seen) == 25
    # never more than `concurrency` messages taken from the input beyond those already finished
    assert all(taken - done <= 4 - 1 for taken, done in seen[:-4]), seen
    assert seen[0][0] <= 5  # the first answer came before the input was read through


def test_results_come_in_completion_order_with_the_message_given(server):
    peer = CountingPeer(delay=0.01)
    messages = [message("slow", "slow")] + [message(i) for i in range(5)]
    results = run_all(serve(server, peer), messages, concurrency=6)
    assert results[-1][0] is messages[0]  # first in, last out
    assert {id(m) for m, _ in results} == {id(m) for m in messages}


def test_per_message_errors_are_yielded_and_the_others_go_on(server):
    def script(n, body):
        if body["id"] == "m-bad-recipient":
            return Response(error_body(8, "destAddr is not correct"), status=406)
        return None

    peer = CountingPeer(delay=0.01, script=script)
    invalid = message("invalid", "x" * 1001)
    messages = [message(1), invalid, message("bad-recipient"), message(2)]
    outcomes = {m["id"]: r for m, r in run_all(serve(server, peer), messages, concurrency=2)}
    assert isinstance(outcomes["m-invalid"], InvalidMessageError)  # refused before any request
    assert isinstance(outcomes["m-bad-recipient"], InvalidDestAddrError)
    assert isinstance(outcomes["m-1"], SendResult) and isinstance(outcomes["m-2"], SendResult)
    assert {b["id"] for _, _, b in peer.arrivals} == {"m-1", "m-bad-recipient", "m-2"}


def throttle_first(retry_after: str):
    def script(n, body):
        if n == 0:
            return Response(error_body(3, "Too many connections"), status=429, headers={"Retry-After": retry_after})
        return None
    return script


def test_a_throttle_halves_the_concurrency_and_holds_new_requests_for_retry_after(server):
    peer = CountingPeer(delay=0.1, script=throttle_first("0.3"))
    results = run_all(serve(server, peer), [message(i) for i in range(24)], concurrency=8, recover_after=1000)
    assert all(isinstance(r, SendResult) for _, r in results)  # the throttled message was retried
    throttled_at = next(t for t, status in peer.answered if status == 429)
    throttled_id = peer.arrivals[0][2]["id"]
    first_batch = {f"m-{i}" for i in range(8)}  # started before the throttle (some may reach the peer late)
    seen: set[str] = set()
    later = []
    for t, count, body in peer.arrivals:
        if body["id"] not in first_batch or body["id"] in seen:  # a new message, or the throttled one again
            later.append((t, count))
        seen.add(body["id"])
    assert len(later) == 24 - 8 + 1
    assert min(t for t, _ in later) >= throttled_at + 0.3  # nothing started before Retry-After passed
    assert max(count for _, count in later) == 4  # 8 halved, and no recovery asked for
    assert sum(1 for _, _, b in peer.arrivals if b["id"] == throttled_id) == 2


def test_a_run_of_successes_raises_the_concurrency_back_step_by_step(server):
    peer = CountingPeer(delay=0.03, script=throttle_first("0.1"))
    run_all(serve(server, peer), [message(i) for i in range(120)], concurrency=8, recover_after=4)
    throttled_at = next(t for t, status in peer.answered if status == 429)
    counts = [count for t, count, body in peer.arrivals if int(body["id"][2:]) >= 8 and t > throttled_at]
    # halved first: on a loaded machine a few sends may still start at the old limit before the client
    # has read the 429 (they arrive after it was answered), so look from the first arrival at the half
    halved = next(i for i, count in enumerate(counts) if count <= 4)
    assert max(counts) == 8  # then back up to the ceiling, never beyond
    first_full = counts.index(8, halved)
    assert any(4 < count < 8 for count in counts[halved:first_full])  # through the steps between, not at once


def test_max_rate_caps_requests_per_second(server):
    peer = CountingPeer(delay=0.0)
    started = time.monotonic()
    run_all(serve(server, peer), [message(i) for i in range(21)], concurrency=10, max_rate=40)
    # 21 starts, at most 40 a second: the last one no sooner than 0.5 s after the first could start
    assert max(t for t, _, _ in peer.arrivals) - started >= 20 / 40
    assert len(peer.arrivals) == 21


def test_a_retry_after_longer_than_max_retry_after_ends_that_message_with_the_throttle(server):
    peer = CountingPeer(delay=0.01, script=throttle_first("3600"))
    results = run_all(serve(server, peer), [message(i) for i in range(3)], concurrency=1)
    errors = [r for _, r in results if isinstance(r, ThrottledError)]
    assert len(errors) == 1 and errors[0].retry_after == 3600


def test_arguments_are_checked(server):
    url = serve(server, CountingPeer())
    for kwargs, text in (({"concurrency": 0}, "concurrency"), ({"concurrency": 2, "max_rate": 0}, "max_rate")):
        with pytest.raises(ValueError, match=text):
            run_all(url, [message(1)], **kwargs)
    assert server.log == []


def test_leaving_early_cancels_what_is_in_flight(server):
    peer = CountingPeer(delay=0.2)
    url = serve(server, peer)

    async def go():
        async with AsyncMessagingClient(settings(url)) as client:
            async with aclosing(client.send_many((message(i) for i in range(100)), concurrency=3)) as outcomes:
                async for _ in outcomes:
                    break

    asyncio.run(go())
    time.sleep(0.3)
    assert len(peer.arrivals) <= 6  # the first three, and at most three more started before leaving


def test_against_the_sandbox_every_message_is_sent_once(messaging_sandbox):
    messages = [{**message(i), "destAddr": f"7900000{i:04d}"} for i in range(40)]

    async def go():
        async with AsyncMessagingClient(settings_from_env()) as client:
            return [pair async for pair in client.send_many(iter(messages), concurrency=8)]

    results = asyncio.run(go())
    assert len(results) == 40 and all(isinstance(r, SendResult) for _, r in results)
    assert len(messaging_sandbox.messages) == 40
    assert all(messaging_sandbox.sent_count(m["id"], m["destAddr"]) == 1 for m in messages)
