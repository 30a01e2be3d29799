"""Send throughput, from one run:

1. ``MessagingClient.send`` in a loop vs a raw ``requests.Session`` (``trust_env=False``) posting
   prebuilt bodies, same local server in its own process (target ratio >= 0.9). The client
   validates each wire dict, serialises it and parses the answer; the raw loop only posts bytes.
   The client sends a copy of a request prepared once per URL (``Session.send``), not
   ``Session.post``; a third raw loop does the same with prebuilt bodies, so the figures also show
   what validating, serialising and parsing cost on their own.
2. ``AsyncMessagingClient.send_many`` at concurrency 32 against the sandbox in its own process with
   100 ms injected latency, vs the bound 32 / 0.1 s = 320 messages/s (target ratio >= 0.8).

    uv run python benchmarks/send_throughput.py [N]
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
LATENCY = 0.1
CONCURRENCY = 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.post(url, data=b"{}", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"benchmark server did not start at {url}")


def wire(i: int, service_number: str) -> dict:
    from airflow_provider_messaging.models import compose_message

    return compose_message(channel="viber", dest_addr=f"7900{i % 10_000_000:07d}", service_number=service_number,
                           text="Your order is ready", message_id=f"bench-{i}").to_wire()


def sync_vs_raw(n: int, rounds: int = 3) -> float:
    from airflow_provider_messaging.client import ClientSettings, MessagingClient

    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "_fast_server.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/send")
        messages = [wire(i, "BENCH") for i in range(n)]
        raw_bodies = [json.dumps({"login": "bench", "password": "bench-secret", **m},
                                 separators=(",", ":")).encode() for m in messages]
        lean = requests.Session()
        lean.trust_env = False  # the fastest plain requests can be: no per-request environment scan
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        url = base + "/send"
        client = MessagingClient(ClientSettings(base_url=base, login="bench", password="bench-secret"))

        def raw_block(lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for body in raw_bodies[lo:hi]:
                r = lean.post(url, data=body, headers=headers, timeout=30)
                r.raise_for_status()
                r.json()["mtNum"]
            return time.perf_counter() - t0

        from airflow_provider_messaging.models import SendRequest

        requests_built = [SendRequest.parse(m) for m in messages]  # validated once, beforehand

        lean.headers.update(headers)
        template = lean.prepare_request(requests.Request("POST", url, data=b""))

        def prepared_block(lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for body in raw_bodies[lo:hi]:
                prepared = template.copy()
                prepared.body = body
                prepared.headers["Content-Length"] = str(len(body))
                r = lean.send(prepared, timeout=30)
                r.raise_for_status()
                r.json()["mtNum"]
            return time.perf_counter() - t0

        def client_block(lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for m in messages[lo:hi]:  # wire dicts: validated, serialised and sent by the client
                client.send(m)
            return time.perf_counter() - t0

        def built_block(lo: int, hi: int) -> float:
            t0 = time.perf_counter()
            for r in requests_built[lo:hi]:  # SendRequest models: serialised and sent by the client
                client.send(r)
            return time.perf_counter() - t0

        # warm up, then interleave small blocks so both loops see the same machine state
        raw_block(0, 200), prepared_block(0, 200), client_block(0, 200), built_block(0, 200)
        totals = {"raw": 0.0, "prepared": 0.0, "client": 0.0, "built": 0.0}
        block = 100
        for _ in range(rounds):
            for lo in range(0, n, block):
                hi = min(n, lo + block)
                totals["raw"] += raw_block(lo, hi)
                totals["prepared"] += prepared_block(lo, hi)
                totals["client"] += client_block(lo, hi)
                totals["built"] += built_block(lo, hi)
        sends = n * rounds
        raw, prepared, ours, built = (sends / totals[k] for k in ("raw", "prepared", "client", "built"))
        print(f"1. sends per loop: {sends} (interleaved blocks of {block}), server in its own process")
        print(f"   raw requests.Session.post, trust_env=False, prebuilt bodies : {raw:8.0f} req/s")
        print(f"   raw Session.send of a prepared copy, prebuilt bodies        : {prepared:8.0f} req/s")
        print(f"   MessagingClient.send (validate + serialise + send + parse)  : {ours:8.0f} req/s")
        print(f"   MessagingClient.send (SendRequest validated beforehand)      : {built:8.0f} req/s")
        print(f"   ratio client / raw                                          : {ours / raw:8.3f}  (target >= 0.9)")
        print(f"   ratio client with prebuilt SendRequest / raw                : {built / raw:8.3f}")
        print(f"   ratio client / raw prepared copy (cost of the client's work): {ours / prepared:8.3f}")
        client.close()
        return ours / raw
    finally:
        server.terminate()
        server.wait(10)


def send_many_vs_bound(n: int) -> float:
    from airflow_provider_messaging.client import AsyncMessagingClient, ClientSettings
    from airflow_provider_messaging.models import SendResult

    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_messaging.sandbox", "--port", str(port), "--latency", str(LATENCY),
         "--dedup", "off", "--delivery-delay", "3600"], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/send")
        settings = ClientSettings(base_url=base, login="sandbox", password="sandbox-secret")
        messages = (wire(i, "SANDBOX") for i in range(n))  # pulled lazily

        async def run() -> tuple[float, int]:
            async with AsyncMessagingClient(settings) as client:
                warm = [wire(-1 - i, "SANDBOX") for i in range(CONCURRENCY)]
                async for _ in client.send_many(warm, concurrency=CONCURRENCY):  # open the connections
                    pass
                ok = 0
                t0 = time.perf_counter()
                async for _, outcome in client.send_many(messages, concurrency=CONCURRENCY):
                    ok += isinstance(outcome, SendResult)
                return time.perf_counter() - t0, ok

        elapsed, ok = asyncio.run(run())
        rate, bound = n / elapsed, CONCURRENCY / LATENCY
        print(f"2. send_many: {n} messages ({ok} accepted), concurrency {CONCURRENCY}, sandbox in its own process "
              f"with {LATENCY * 1000:.0f} ms latency")
        print(f"   send_many                      : {rate:8.0f} msg/s")
        print(f"   bound {CONCURRENCY} / {LATENCY} s             : {bound:8.0f} msg/s")
        print(f"   ratio send_many / bound        : {rate / bound:8.3f}  (target >= 0.8)")
        return rate / bound
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    sync_vs_raw(count)
    send_many_vs_bound(max(CONCURRENCY * 10, count // 3))
