"""One ``DeliveryStatusSensor`` tracking 10,000 messages against the sandbox.

Prints, per poke: status requests made and the time it took (only messages not final yet are asked
again, so later pokes shrink). Then one full cycle over all mtNums through ``get_statuses`` vs a
raw ``requests.Session`` loop posting the same batches, and the ratio (raw time / hook time; 1.0
means the hook costs nothing on top of requests itself).

The sandbox runs in its own process (``python -m airflow_provider_messaging.sandbox``), so the
client loop being measured has a core to itself.

    .venv/bin/python benchmarks/sensor_poll.py [N] [BATCH]
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

DELIVERY_DELAY = 4.0
POKE_INTERVAL = 1.0
OUTCOME_RULES = ["*1=call-barred", "*2=memory-capacity-exceeded", "*3=teleservice-not-provisioned",
                 "*4=expired", "*5=unrouted"]
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox() -> tuple[subprocess.Popen, str, dict]:
    """The sandbox CLI in a child process; returns it, its base URL and its connection JSON."""
    port = free_port()
    cmd = [sys.executable, "-m", "airflow_provider_messaging.sandbox", "--port", str(port),
           "--delivery-delay", str(DELIVERY_DELAY)]
    for rule in OUTCOME_RULES:
        cmd += ["--outcome", rule]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = re.match(r"AIRFLOW_CONN_MESSAGING_DEFAULT=(.*)$", line.strip())
        if match:
            conn = json.loads(match.group(1))
            return proc, conn["host"], conn
    proc.terminate()
    raise SystemExit("the sandbox did not start")


def send_all(base: str, conn: dict, n: int) -> list[str]:
    """Send ``n`` Viber texts (4 threads, raw requests: the set-up is not what is measured)."""
    def send(i: int, session: requests.Session) -> str:
        body = {"login": conn["login"], "password": conn["password"], "destAddr": f"7900{i:07d}",
                "id": f"bench-{i}", "message": {"type": "VIBER", "data": {
                    "serviceNumber": "SANDBOX", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}}
        r = session.post(base + "/send", json=body, timeout=30)
        r.raise_for_status()
        return r.json()["mtNum"]

    sessions = [requests.Session() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda i: send(i, sessions[i % 4]), range(n)))


def main(n: int = 10_000, batch: int = 100) -> None:
    proc, base, conn = start_sandbox()
    try:
        os.environ["AIRFLOW_CONN_MESSAGING_DEFAULT"] = json.dumps(conn)
        from airflow_provider_messaging.hooks.messaging import MessagingHook
        from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

        t0 = time.perf_counter()
        mt_nums = send_all(base, conn, n)
        print(f"sent {n} messages in {time.perf_counter() - t0:.1f} s; reports turn final "
              f"{DELIVERY_DELAY:.0f} s after each send")

        # --- the sensor, poke by poke ---------------------------------------------------------------
        sensor = DeliveryStatusSensor(task_id="bench", mt_nums=mt_nums, batch_size=batch,
                                      poke_interval=POKE_INTERVAL, timeout=600)
        print(f"\nDeliveryStatusSensor, batch_size={batch}, poke_interval={POKE_INTERVAL:.0f} s")
        print(f"{'poke':>4} {'requests':>8} {'asked':>6} {'final':>6} {'time (ms)':>10}")
        poke = 0
        while True:
            poke += 1
            before = sensor.hook.status_requests
            asked = n - len(sensor.__dict__.get("_final", {}))
            t = time.perf_counter()
            result = sensor.poke({})
            elapsed = time.perf_counter() - t
            final = len(sensor.__dict__.get("_final", {}))
            print(f"{poke:>4} {sensor.hook.status_requests - before:>8} {asked:>6} {final:>6} {elapsed * 1000:>10.1f}")
            if result.is_done:
                outcomes: dict[str, int] = {}
                for v in result.xcom_value.values():
                    outcomes[v["outcome"]] = outcomes.get(v["outcome"], 0) + 1
                print("outcomes:", ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
                break
            time.sleep(POKE_INTERVAL)

        # --- one full cycle: hook vs raw requests -------------------------------------------------
        hook = MessagingHook()
        batches = [mt_nums[i:i + batch] for i in range(0, n, batch)]
        bodies = [json.dumps({"login": conn["login"], "password": conn["password"], "mtNums": b},
                             separators=(",", ":")).encode() for b in batches]
        session = requests.Session()
        url = base + "/status"

        def raw_cycle() -> float:
            t = time.perf_counter()
            got = 0
            for body in bodies:
                r = session.post(url, data=body, headers=HEADERS, timeout=30)
                r.raise_for_status()
                got += len(r.json()["reports"])
            assert got == n
            return time.perf_counter() - t

        def hook_cycle() -> float:
            t = time.perf_counter()
            got = hook.get_statuses(mt_nums, batch_size=batch)
            assert len(got) == n
            return time.perf_counter() - t

        raw_cycle(), hook_cycle()  # warm up
        raw_times, hook_times = [], []
        for _ in range(5):  # interleaved, so a busy moment on the machine hits both alike
            raw_times.append(raw_cycle())
            hook_times.append(hook_cycle())
        raw, mine = min(raw_times), min(hook_times)
        print(f"\nfull cycle over {n} mtNums, {len(batches)} requests of {batch} (best of 5):")
        print(f"  raw requests.Session loop : {raw * 1000:8.1f} ms  ({raw / len(batches) * 1000:.2f} ms/request)")
        print(f"  MessagingHook.get_statuses: {mine * 1000:8.1f} ms  ({mine / len(batches) * 1000:.2f} ms/request)")
        print(f"  ratio raw/hook            : {raw / mine:8.2f}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
