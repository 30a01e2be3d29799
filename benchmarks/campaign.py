"""Campaign figures, printed from one run (no timed assertions anywhere):

1. 100,000 recipients from a CSV file against the sandbox in its own process with 100 ms latency at
   max_concurrency=32: rate vs the bound 32 / 0.1 s = 320/s (target >= 0.8) and the peak growth of
   this process's resident memory while it runs (target <= 50 MB).
2. Without latency: the campaign's rate vs a raw async loop posting prebuilt bodies with the same
   httpx client and concurrency (target >= 0.7): the cost of reading, rendering, validating and the
   ledger.
3. The anchor: 200 recipients as mapped SendViberMessageOperator instances under dag.test() vs the
   campaign operator under dag.test(): cost per message of each and their ratio.

    uv run python benchmarks/campaign.py [N] [--skip-latency] [--skip-anchor]
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

CONCURRENCY = 32
LATENCY = 0.1
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    """``python -m airflow_provider_messaging.sandbox`` in its own process (dedup off: every send counts)."""

    def __init__(self, latency: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airflow_provider_messaging.sandbox", "--port", str(self.port), "--dedup", "off",
             "--latency", str(latency), "--delivery-delay", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/_sandbox/health", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the sandbox did not start")

    def config(self, **values: object) -> None:
        httpx.post(self.url + "/_sandbox/config", json=values, timeout=10).raise_for_status()

    def reset(self) -> None:
        httpx.post(self.url + "/_sandbox/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples this process's resident memory every 20 ms while running."""

    def __enter__(self) -> PeakRss:
        self.start = rss_bytes()
        self.peak = self.start
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_bytes())


def write_recipients(path: Path, n: int, prefix: str = "7905") -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["dest_addr", "first_name", "order"])
        for i in range(n):
            writer.writerow([f"{prefix}{i:07d}", f"Client{i}", 100000 + i])
    return path


def campaign_run(sandbox_url: str, recipients: Path, work: Path, campaign_id: str, n_hint: int) -> dict:
    """One campaign over ``recipients`` (engine, store and client as the operator wires them)."""
    import jinja2

    from airflow_provider_messaging.campaign.keys import CampaignKey
    from airflow_provider_messaging.campaign.render import MessageTemplate
    from airflow_provider_messaging.campaign.run import CampaignRun
    from airflow_provider_messaging.client.aio import AsyncMessagingClient
    from airflow_provider_messaging.client.settings import ClientSettings
    from airflow_provider_messaging.store import MessageStore

    settings = ClientSettings(base_url=sandbox_url, login="sandbox", password="sandbox-secret")
    template = MessageTemplate(jinja2.Environment(), channel="viber", fields={
        "service_number": "SANDBOX", "text": "Hi {{ recipient.first_name }}, order {{ recipient.order }} has shipped."})
    key = CampaignKey.of(campaign_id=campaign_id)
    store = MessageStore(f"sqlite:///{work / 'store.db'}")

    async def client() -> AsyncMessagingClient:
        return AsyncMessagingClient(settings)

    run = CampaignRun(recipients=recipients, template=template, key=key, ledger=store.ledger(key.scope),
                      client_factory=client, results_path=work / campaign_id / "results.jsonl",
                      platform_dedup=False, concurrency=CONCURRENCY, progress_interval=30.0)
    summary = run.execute()
    store.dispose()
    assert summary["outcomes"]["accepted"] == n_hint, summary
    return summary


def raw_loop(sandbox_url: str, n: int) -> float:
    """Messages per second of prebuilt bodies posted through the client's own httpx pool."""
    from airflow_provider_messaging.client.aio import AsyncMessagingClient
    from airflow_provider_messaging.client.settings import ClientSettings

    settings = ClientSettings(base_url=sandbox_url, login="sandbox", password="sandbox-secret")
    bodies = [json.dumps({"login": "sandbox", "password": "sandbox-secret", "destAddr": f"7906{i:07d}",
                          "id": f"raw-{i}", "message": {"type": "VIBER", "data": {
                              "serviceNumber": "SANDBOX", "instantContent": {
                                  "type": "TEXT", "data": {"text": f"Hi Client{i}, order {i} has shipped."}}}}},
                         separators=(",", ":")).encode() for i in range(n)]

    async def main() -> float:
        async with AsyncMessagingClient(settings) as client:
            http = await client.http()
            url = sandbox_url + "/send"
            it = iter(bodies)

            async def worker() -> None:
                for body in it:
                    response = await http.post(url, content=body)
                    response.raise_for_status()
                    response.json()["mtNum"]

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return n / (time.perf_counter() - t0)

    return asyncio.run(main())


def part_latency(n: int, work: Path) -> None:
    sandbox = SandboxProcess(LATENCY)
    try:
        path = write_recipients(work / "recipients-100k.csv", n)
        # warm up: imports, the store's tables, the client's pool (not what a campaign's size costs)
        campaign_run(sandbox.url, write_recipients(work / "warm-up.csv", 200, prefix="7909"), work, "warm-up", 200)
        cpu0 = time.process_time()
        with PeakRss() as rss:
            summary = campaign_run(sandbox.url, path, work, "latency", n)
        cpu = time.process_time() - cpu0
        bound = CONCURRENCY / LATENCY
        rate = n / summary["duration_s"]
        print(f"[1] {n:,} recipients from CSV, sandbox process with {LATENCY * 1000:.0f} ms latency, "
              f"max_concurrency={CONCURRENCY}")
        print(f"    campaign rate              : {rate:8.1f} msg/s  (bound {bound:.0f}/s)")
        print(f"    rate / bound               : {rate / bound:8.3f}  (target >= 0.8)")
        print(f"    peak RSS growth            : {(rss.peak - rss.start) / 2**20:8.1f} MB  (target <= 50 MB)")
        share = cpu / summary["duration_s"]
        print(f"    this process's CPU         : {cpu / n * 1000:8.2f} ms/message, {share:.0%} of a core "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    finally:
        sandbox.stop()


def part_overhead(n: int, work: Path, rounds: int = 3) -> None:
    sandbox = SandboxProcess(0.0)
    try:
        path = write_recipients(work / "recipients-overhead.csv", n, prefix="7907")
        raw_loop(sandbox.url, 500)  # warm up
        raw_rates, campaign_rates = [], []
        for i in range(rounds):  # alternate, so both see the same machine state
            sandbox.reset()
            raw_rates.append(raw_loop(sandbox.url, n))
            sandbox.reset()
            summary = campaign_run(sandbox.url, path, work, f"overhead-{i}", n)
            campaign_rates.append(n / summary["duration_s"])
        raw, ours = max(raw_rates), max(campaign_rates)
        print(f"[2] no latency, {n:,} messages, concurrency {CONCURRENCY}, best of {rounds}")
        print(f"    raw async loop (prebuilt)  : {raw:8.1f} msg/s")
        print(f"    campaign (read, render, validate, ledger, results) : {ours:8.1f} msg/s")
        print(f"    campaign / raw             : {ours / raw:8.3f}  (target >= 0.7)")
    finally:
        sandbox.stop()


ANCHOR_DAGS = '''
import datetime
from airflow.sdk import DAG
from airflow_provider_messaging.operators.campaign import SendCampaignOperator
from airflow_provider_messaging.operators.send import SendViberMessageOperator

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
NUMBERS = [f"7908{i:07d}" for i in range(200)]
with DAG("anchor_mapped", schedule=None, start_date=START) as anchor_mapped:
    SendViberMessageOperator.partial(task_id="send", text="Your order has shipped.").expand(dest_addr=NUMBERS)
with DAG("anchor_campaign", schedule=None, start_date=START) as anchor_campaign:
    SendCampaignOperator(task_id="send", channel="viber", recipients=NUMBERS, text="Your order has shipped.")
'''

ANCHOR_RUN = '''
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("anchor_dags", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dag = getattr(module, sys.argv[2])
t0 = time.perf_counter()
run = dag.test()
seconds = time.perf_counter() - t0
tasks = sum((ti.end_date - ti.start_date).total_seconds() for ti in run.get_task_instances())
sending = None
if sys.argv[2] == "anchor_campaign":  # the campaign's own send time, from its summary
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(XComModel.get_many(key="return_value", run_id=run.run_id, dag_ids=run.dag_id,
                                                 task_ids="send").with_only_columns(XComModel.value)).first()
        sending = XComModel.deserialize_value(row)["duration_s"]
print(json.dumps({"seconds": seconds, "tasks": tasks, "sending": sending, "state": str(run.state)}))
'''


def part_anchor(work: Path) -> None:
    home = work / "airflow-home"
    dags = home / "dags"
    dags.mkdir(parents=True)
    (dags / "anchor_dags.py").write_text(ANCHOR_DAGS)
    sandbox = SandboxProcess(0.0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(dags), AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
               AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
               AIRFLOW_CONN_MESSAGING_DEFAULT=json.dumps({
                   "conn_type": "messaging", "host": sandbox.url, "login": "sandbox", "password": "sandbox-secret",
                   "extra": {"default_service_number": "SANDBOX"}}))
    try:
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = {}
        for dag_id in ("anchor_mapped", "anchor_campaign"):
            out = subprocess.run([sys.executable, "-c", ANCHOR_RUN, str(dags / "anchor_dags.py"), dag_id], env=env,
                                 capture_output=True, text=True, check=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            assert result["state"] == "success", result
            seconds[dag_id] = result["seconds"]
            seconds[dag_id + "_tasks"] = result["tasks"]
            if result.get("sending") is not None:
                seconds["sending"] = result["sending"]
        mapped, campaign = seconds["anchor_mapped"] / 200, seconds["anchor_campaign"] / 200
        print("[3] 200 recipients under dag.test(), same sandbox process (wall clock of the run; in brackets the")
        print("    tasks' own run time, without dag.test's scheduling loop)")
        rows = (("mapped SendViberMessageOperator", "anchor_mapped"), ("SendCampaignOperator", "anchor_campaign"))
        for label, key in rows:
            print(f"    {label:<31} : {seconds[key]:7.2f} s, {seconds[key] / 200 * 1000:8.2f} ms/message "
                  f"({seconds[key + '_tasks']:6.2f} s, {seconds[key + '_tasks'] / 200 * 1000:7.2f} ms/message)")
        ratio_tasks = seconds["anchor_mapped_tasks"] / seconds["anchor_campaign_tasks"]
        print(f"    per-message cost ratio mapped / campaign : {mapped / campaign:8.1f}x ({ratio_tasks:.1f}x)")
        sending = seconds.get("sending")
        if sending:
            print(f"    the campaign's own sending (summary duration_s): {sending:.2f} s, "
                  f"{sending / 200 * 1000:.2f} ms/message; ratio of the mapped tasks' time to it: "
                  f"{seconds['anchor_mapped_tasks'] / sending:.0f}x")
    finally:
        sandbox.stop()


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 100_000
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    try:
        if "--skip-latency" not in argv:
            part_latency(n, work)
        part_overhead(min(n, 5_000), work)
        if "--skip-anchor" not in argv:
            part_anchor(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
