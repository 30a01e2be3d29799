"""MessagingHook.send in a loop vs a raw requests.Session.post loop, same local server, one run.

Prints the rates and the ratio (target >= 0.9). The server runs in its own process; every loop
sends the same bodies (the raw loops post prebuilt JSON bodies: the limit of requests itself). A
second raw loop with ``trust_env=False`` (no per-request environment scan, which the hook also
avoids) gives the tighter bound: the hook's remaining cost there is validating each message.

    uv run python benchmarks/send_throughput.py [N]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.post(url, data=b"{}", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"benchmark server did not start at {url}")


def main(n: int = 3000, rounds: int = 3) -> float:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "_fast_server.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/send")
        os.environ["AIRFLOW_CONN_MESSAGING_BENCH"] = json.dumps({
            "conn_type": "messaging", "host": base, "login": "bench", "password": "bench-secret",
            "extra": {"default_service_number": "BENCH"}})
        from airflow_provider_messaging.hooks.messaging import MessagingHook
        from airflow_provider_messaging.models import compose_message

        hook = MessagingHook("messaging_bench")
        messages = [
            compose_message(channel="viber", dest_addr=f"7900{i:07d}", service_number="BENCH",
                            text="Your order is ready", message_id=f"bench-{i}").to_wire()
            for i in range(n)
        ]
        raw_bodies = [json.dumps({"login": "bench", "password": "bench-secret", **m},
                                 separators=(",", ":")).encode() for m in messages]
        session = requests.Session()
        lean = requests.Session()
        lean.trust_env = False  # the fastest plain requests can be: no per-request environment scan
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}

        url = base + "/send"

        def raw_block(session: requests.Session, lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for body in raw_bodies[lo:hi]:
                r = session.post(url, data=body, headers=headers, timeout=30)
                r.raise_for_status()
                r.json()["mtNum"]
            return time.perf_counter() - t0

        def hook_block(lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for m in messages[lo:hi]:  # wire dicts: validated, serialised and sent by the hook
                hook.send(m)
            return time.perf_counter() - t0

        # warm up (connections, imports), then interleave small blocks so that all three loops see
        # the same machine state (other processes, CPU frequency) over the whole run
        raw_block(session, 0, 200), raw_block(lean, 0, 200), hook_block(0, 200)
        totals = {"default": 0.0, "lean": 0.0, "hook": 0.0}
        block = 100
        for _ in range(rounds):
            for lo in range(0, n, block):
                hi = min(n, lo + block)
                totals["default"] += raw_block(session, lo, hi)
                totals["lean"] += raw_block(lean, lo, hi)
                totals["hook"] += hook_block(lo, hi)
        sends = n * rounds
        default, lean_rate, ours = (sends / totals[k] for k in ("default", "lean", "hook"))
        ratio = ours / default
        print(f"sends per loop: {sends} (interleaved blocks of {block})")
        print(f"raw requests.Session.post (default session) : {default:8.0f} req/s")
        print(f"raw requests.Session.post (trust_env=False) : {lean_rate:8.0f} req/s")
        print(f"MessagingHook.send (validate + send + parse) : {ours:8.0f} req/s")
        print(f"ratio hook / raw Session.post               : {ratio:8.3f}  (target >= 0.9)")
        print(f"ratio hook / raw with trust_env=False       : {ours / lean_rate:8.3f}  (the tighter bound)")
        return ratio
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
