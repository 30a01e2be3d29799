"""Measure the sandbox's send throughput: ``python -m airflow_provider_messaging.sandbox.bench``.

Starts a sandbox (in this process, or with ``--url`` uses a running one), sends ``--requests``
valid Viber messages over one ``requests.Session`` and prints requests per second. The number
includes the client's own cost (``requests`` is usually the slower side).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import requests

from airflow_provider_messaging.sandbox.server import Sandbox


def _body(i: int, login: str, password: str) -> dict[str, Any]:
    return {
        "login": login,
        "password": password,
        "destAddr": "79000000001",
        "id": f"bench-{i}",
        "message": {
            "type": "VIBER",
            "data": {
                "serviceNumber": "SANDBOX",
                "ttl": 60,
                "instantContent": {"type": "TEXT", "data": {"text": "Benchmark message"}},
            },
        },
    }


def measure(url: str, count: int, login: str = "sandbox", password: str = "sandbox-secret", warmup: int = 50) -> float:
    """Send ``count`` messages to ``url`` + ``/send`` one after another; return requests/s."""
    session = requests.Session()
    for i in range(warmup):
        session.post(url + "/send", json=_body(-1 - i, login, password), timeout=10)
    started = time.perf_counter()
    for i in range(count):
        response = session.post(url + "/send", json=_body(i, login, password), timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"send {i} answered HTTP {response.status_code}: {response.text[:200]}")
    return count / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurement and print the result."""
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_messaging.sandbox.bench")
    parser.add_argument("--requests", type=int, default=2000, help="number of sends (default 2000)")
    parser.add_argument("--url", default=None, help="a running sandbox's base URL (default: start one here)")
    parser.add_argument("--login", default="sandbox")
    parser.add_argument("--password", default="sandbox-secret")
    args = parser.parse_args(argv)
    if args.url:
        rate = measure(args.url.rstrip("/"), args.requests, args.login, args.password)
        where = args.url
    else:
        with Sandbox(login=args.login, password=args.password, dedup="off") as sandbox:
            rate = measure(sandbox.url, args.requests, args.login, args.password)
        where = "an in-process sandbox"
    print(f"{args.requests} sends to {where}: {rate:.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
