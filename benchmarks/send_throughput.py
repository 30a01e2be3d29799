"""MessagingHook.send in a loop vs a raw requests.Session.post loop, same local server, one run.

Prints both rates and the ratio (target >= 0.9). The server runs in its own process; both loops
send the same kind of body (the raw loop posts a prebuilt JSON body: the limit of requests itself).

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

        def raw_loop(session: requests.Session = session) -> float:
            t0 = time.perf_counter()
            for body in raw_bodies:
                r = session.post(base + "/send", data=body, headers=headers, timeout=30)
                r.raise_for_status()
                r.json()["mtNum"]
            return n / (time.perf_counter() - t0)

        def hook_loop() -> float:
            t0 = time.perf_counter()
            for m in messages:  # wire dicts: validated, serialised and sent by the hook
                hook.send(m)
            return n / (time.perf_counter() - t0)

        raw_loop(), raw_loop(lean), hook_loop()  # warm up (connections, imports)
        default_rates, lean_rates, hook_rates = [], [], []
        for _ in range(rounds):  # interleave so all see the same machine state
            default_rates.append(raw_loop())
            lean_rates.append(raw_loop(lean))
            hook_rates.append(hook_loop())
        default, lean_rate, ours = max(default_rates), max(lean_rates), max(hook_rates)
        raw = max(default, lean_rate)  # the limit: the faster of the two plain loops
        ratio = ours / raw
        print(f"sends per round: {n}, rounds: {rounds} (best of each)")
        print(f"raw requests.Session.post (default session) : {default:8.0f} req/s")
        print(f"raw requests.Session.post (trust_env=False) : {lean_rate:8.0f} req/s")
        print(f"MessagingHook.send (validate + send + parse) : {ours:8.0f} req/s")
        print(f"ratio hook / fastest raw                    : {ratio:8.3f}  (target >= 0.9)")
        return ratio
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
