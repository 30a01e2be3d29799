"""Exactly once under faults: 1,000 recipients, 503s, 429s with Retry-After, drops after accept,
timeouts, and the sending process killed with SIGKILL half way; then the task runs again.

The sending process is a real child process running ``dag.test()``; the sandbox (in this process)
is what the platform saw.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from airflow_provider_messaging.campaign.engine import group_size
from tests.helpers.airflow import task_states, xcom_values

DAGS = "tests/integration/dags/campaign_dags.py"
N = 1000
CHILD = """
import datetime, importlib.util, sys
path, logical_date, recipients = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("dagfile_campaign_dags", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.campaign_faults.test(logical_date=datetime.datetime.fromisoformat(logical_date),
                            run_conf={"recipients": recipients})
"""


def queue_faults(sandbox, rounds: int) -> None:
    """Faults spread over the run (the sandbox serves them in the order queued)."""
    for _ in range(rounds):
        sandbox.inject("unavailable", 4)
        sandbox.inject("drop_after_accept", 2)
        sandbox.inject("throttled", 1, retry_after=1)
        sandbox.inject("platform_error", 3)
        sandbox.inject("drop_after_accept", 2)


def slow_answers_for_a_while(sandbox, after: int, seconds: float, stop: threading.Event) -> None:
    """Answers slower than the client's timeout for ``seconds`` once ``after`` messages were sent."""
    while len(sandbox.messages) < after and not stop.is_set():
        time.sleep(0.005)
    base = sandbox.latency
    sandbox.latency = 0.8
    stop.wait(seconds)
    sandbox.latency = base


@pytest.mark.parametrize("dedup", ["off", "on"])
def test_killed_half_way_and_run_again_sends_every_recipient_at_most_once(
        dedup, load_dag, messaging_sandbox_factory, monkeypatch, tmp_path):
    sandbox = messaging_sandbox_factory(dedup=dedup, latency=0.01, conn_id=None)
    conn = json.loads(sandbox.connection_json())
    conn["extra"].update(timeout=0.4, max_retries=4, backoff_initial=0.01, backoff_max=0.05)
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(conn))
    numbers = [f"7903{i:07d}" for i in range(N)]
    path = tmp_path / "recipients.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([["dest_addr", "name"], *([n, f"R{i}"] for i, n in enumerate(numbers))])
    dag = load_dag(DAGS, "campaign_faults")
    logical_date = dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=uuid.uuid4().int % 10**6)
    dag_file = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "campaign_dags.py"

    queue_faults(sandbox, 2)
    with open(tmp_path / "child.log", "wb") as log:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(dag_file), logical_date.isoformat(), str(path)],
                                 stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        try:
            deadline = time.monotonic() + 120
            while len(sandbox.messages) < N // 2:
                assert child.poll() is None, (tmp_path / "child.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the campaign did not get half way"
                time.sleep(0.002)
            child.send_signal(signal.SIGKILL)  # half way: killed without a chance to record anything
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
    time.sleep(0.5)  # requests already on the wire are still carried out by the platform
    killed_at = len(sandbox.messages)
    assert N // 2 <= killed_at < N

    # the task again, with more faults and, for a while, answers slower than the client's timeout
    queue_faults(sandbox, 1)
    stop = threading.Event()
    slow = threading.Thread(target=slow_answers_for_a_while, args=(sandbox, killed_at + 100, 0.5, stop), daemon=True)
    slow.start()
    try:
        run = dag.test(logical_date=logical_date, run_conf={"recipients": str(path)})
    finally:
        stop.set()
        slow.join()
    assert task_states(run) == {"send": "success"}
    summary = xcom_values(run, "send")[-1]
    results = [json.loads(line) for line in Path(summary["results_path"].removeprefix("file://")).read_text().splitlines()]
    assert sorted(r["row"] for r in results) == list(range(1, N + 1))  # one result per row
    by_outcome: dict[str, set[str]] = {}
    for r in results:
        by_outcome.setdefault(r["outcome"], set()).add(r["recipient"])

    platform = [m.dest_addr for m in sandbox.messages]
    assert len(platform) == len(set(platform)), "a recipient got two messages"
    seen = set(platform)
    confirmed = by_outcome.get("accepted", set()) | by_outcome.get("duplicate", set())
    unconfirmed = by_outcome.get("unconfirmed", set())
    assert confirmed <= seen  # every accepted one is on the platform
    assert seen <= confirmed | unconfirmed  # and the platform has nothing the results do not account for
    assert not (by_outcome.get("failed", set()) & seen)
    ids = {r["recipient"]: r["partner_id"] for r in results}
    assert all(m.id == ids[m.dest_addr] for m in sandbox.messages)
    if dedup == "on":
        assert by_outcome == {"accepted": set(numbers)}  # the in-flight ones were resent, byte-identical
        assert sorted(platform) == numbers
    else:
        # unconfirmed: the drops, the timeouts and what the kill cut off; they may or may not have
        # reached the platform. A timed-out request this sandbox never carried out (it reads the body
        # after the delay), and of what the kill cut off, the ids recorded in flight just before it
        # (two groups ahead of the requests at most, plus the requests in flight)
        timed_out = {r["recipient"] for r in results if r["outcome"] == "unconfirmed" and "no answer" in r["reason"]}
        assert timed_out, "the slow answers caused no timeout"
        never_sent = unconfirmed - seen - timed_out
        assert len(never_sent) <= 2 * group_size(8) + 8, (len(unconfirmed), sorted(never_sent))
        assert len(confirmed) + len(unconfirmed) + len(by_outcome.get("failed", set())) == N
