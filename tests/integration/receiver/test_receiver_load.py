"""Load: 20,000 messages sent to the sandbox with a bounded loop (64 in flight); the sandbox pushes
their 20,000 delivery reports to the standalone receiver (2 workers, PostgreSQL store), which is
killed (SIGKILL) and started again mid-load. Expected: exactly 20,000 distinct rows, 0 lost, every
push answered 2xx in the end (the sandbox's retries bridge the restart).

The sandbox, the receiver and PostgreSQL each run in processes of their own. Takes about a minute on
2 cores: run with ``MESSAGING_LOAD_TESTS=1`` (``make test-load``).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time

import pytest

from tests.helpers.receiver import (
    TOKEN,
    ReceiverProcess,
    SandboxProcess,
    count_rows,
    post_bodies,
    receiver_env,
    wait_until,
)

pytestmark = [
    pytest.mark.load,
    pytest.mark.skipif(
        os.environ.get("MESSAGING_LOAD_TESTS") != "1", reason="load test: set MESSAGING_LOAD_TESTS=1 (make test-load)"
    ),
]

TOTAL = 20_000


def send_body(n: int, notify_url: str) -> bytes:
    return json.dumps(
        {
            "login": "sandbox",
            "password": "sandbox-secret",
            "destAddr": f"7900{n:07d}",
            "id": f"load-{n}",
            "notifyUrl": notify_url,
            "message": {
                "type": "VIBER",
                "data": {
                    "serviceNumber": "SANDBOX",
                    "ttl": 60,
                    "instantContent": {"type": "TEXT", "data": {"text": "Hello"}},
                },
            },
        }
    ).encode()


def test_20000_pushed_reports_all_stored_once_across_a_receiver_kill_and_restart(postgres_cluster, tmp_path):
    from airflow_provider_messaging.store import MessageStore

    store_url = postgres_cluster.create_database(f"receiver_load_{os.getpid()}_{int(time.time())}")
    store = MessageStore(store_url)
    store.init()
    receiver = ReceiverProcess(receiver_env(store_url), workers=2, log_path=tmp_path / "receiver.log").start()
    # a failing push is retried 16 times, waits doubling from 0.02 s (~20 minutes in all): far longer
    # than the receiver is away
    sandbox = SandboxProcess("--delivery-delay", "0", "--report-retries", "16", "--report-backoff", "0.02").start()
    restarted = threading.Event()

    def kill_and_restart() -> None:
        wait_until(lambda: count_rows(store, "messaging_delivery_reports") >= TOTAL // 3, timeout=600)
        receiver.kill()
        time.sleep(1.0)
        receiver.start()
        restarted.set()

    chaos = threading.Thread(target=kill_and_restart, daemon=True)
    try:
        chaos.start()
        started = time.monotonic()
        notify_url = f"{receiver.url}/{TOKEN}/reports"
        answers = asyncio.run(post_bodies(f"{sandbox.url}/send", [send_body(n, notify_url) for n in range(TOTAL)]))
        mt_nums = [json.loads(a)["mtNum"] for a in answers]
        assert len(set(mt_nums)) == TOTAL
        assert wait_until(lambda: count_rows(store, "messaging_delivery_reports") == TOTAL, timeout=600, interval=0.5)
        elapsed = time.monotonic() - started
        chaos.join(timeout=120)
        assert restarted.is_set()
        assert wait_until(lambda: len(sandbox.pushes()) == TOTAL, timeout=120, interval=1)
        pushed = sandbox.pushes()
    finally:
        receiver.stop()
        sandbox.stop()
    failed = [p for p in pushed if not p["ok"]]
    assert not failed, failed[:3]
    retried = sum(1 for p in pushed if p["attempts"] > 1)
    assert retried > 0  # pushes while the receiver was down were retried
    assert count_rows(store, "messaging_delivery_reports") == TOTAL
    stored = store.get_reports(mt_nums)
    assert len(stored) == TOTAL and all(r.status == 2 for r in stored.values())
    print(
        f"\n{TOTAL} reports sent, pushed and stored in {elapsed:.1f} s ({TOTAL / elapsed:.0f}/s); "
        f"{retried} pushes retried across the restart"
    )
    store.dispose()
