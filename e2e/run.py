#!/usr/bin/env python3
"""``make e2e``: the provider in a real Airflow deployment, checked from the outside.

Starts, on this machine and on loopback only:

* a private PostgreSQL cluster (Debian's package, installed when missing) with the metadata
  database ``airflow`` and the message store's database ``messaging_store``;
* the sandbox (the platform emulator) as its own process, with the platform's duplicate control
  OFF, a delivery delay long enough that every delivery sensor defers to the triggerer, and its MO
  messages (and the reports of sends with a ``notify_url``) pushed to the receiver;
* ``airflow api-server`` (the provider's plugin mounts the receiver at ``/messaging``),
  ``scheduler``, ``dag-processor`` and ``triggerer`` as separate processes (``--executor celery``:
  also Redis and two Celery workers), each logging to a file under ``$AIRFLOW_HOME/logs/processes/``;

then triggers the example DAGs and ``e2e/dags/`` through the REST API, with and without a logical
date, has the sandbox push a subscriber's STOP (``example_incoming_stop`` runs for it through an
asset watcher), and checks what the API, the sandbox's admin endpoints and the message store report
(see docs/deployment.md for the list).
Prints one line per check and a summary; exits non-zero when any check failed. Everything it
started is stopped by process id, also on failure or Ctrl-C.

Run it with the project's environment (``make e2e`` does): ``python e2e/run.py [--executor celery]
[--keep]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "devtools"))
import postgres  # noqa: E402  devtools/postgres.py (standard library only)

PYTHON = sys.executable
BIN = Path(sys.executable).parent
#: seconds from a send until the sandbox reports the final status: longer than the time from a send
#: to the sensor's first check, so the sensor always defers and the triggerer does the waiting
DELIVERY_DELAY = 12.0
#: the whole run must finish well within this (target: under 6 minutes on 2 cores)
RUNS_TIMEOUT = 300.0
BRANCHES = ("done", "fallback_whatsapp", "retry_later", "flag_contact")
QUICKSTART = "example_messaging_quickstart"
BRANCHING = "example_delivery_branching"
TEMPLATES = "example_messaging_templates"
#: e2e/dags/: send with notify_url at the receiver, wait with DeliveryStatusSensor(source="receiver")
RECEIVER = "e2e_receiver_branching"
#: example_dags/example_incoming_stop.py: an AssetWatcher on incoming "STOP" messages
INCOMING = "example_incoming_stop"
#: the subscriber who sends STOP (no other scenario uses this number)
OPT_OUT_NUMBER = "79000000141"
#: seconds to wait after the STOP's run appeared before the triggerer is killed: the watcher saves its
#: cursor 2 s after a handover, checked once per poll (2 s)
CURSOR_SAVED_AFTER = 6.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- processes ---------------------------------------------------------------------------------
@dataclass
class Proc:
    """One process this script started: its own session (process group), output to ``logfile``."""

    name: str
    argv: list[str]
    logfile: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = None
    expected_exit: bool = False

    def start(self) -> Proc:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as out:
            self.popen = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=self.env, cwd=self.logfile.parent, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        """``sig`` to the process group this process leads (it and the children it started)."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is None:
            return
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # whatever is left of the group (a worker's children, a serve-logs process): SIGKILL
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# --- the REST API --------------------------------------------------------------------------------
class ApiError(RuntimeError):
    def __init__(self, status: int, body: str, what: str) -> None:
        super().__init__(f"{what}: HTTP {status}: {body[:500]}")
        self.status = status


def http(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise ApiError(exc.code, exc.read().decode(errors="replace"), f"{method} {urllib.parse.urlsplit(url).path}") from None
    return json.loads(raw) if raw else None


class Airflow:
    """The api-server's public REST API with a JWT from ``POST /auth/token``."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def login(self) -> None:
        # simple auth manager with every user an admin: any credentials give an admin token
        self.token = http("POST", f"{self.base}/auth/token", {"username": "e2e", "password": "e2e"})["access_token"]

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        return http(method, f"{self.base}/api/v2{path}", body, self.token)


# --- what is run and what is expected -------------------------------------------------------------
@dataclass
class Scenario:
    key: str
    title: str
    dag_id: str
    conf: dict[str, Any]
    logical_date: bool
    recipient: str | None = None
    outcome: str | None = None           # what the sandbox is told to produce for the recipient
    branch: str | None = None            # the branch the DAG must take
    messages: dict[str, int] = field(default_factory=dict)   # channel -> messages the run must send
    run_id: str | None = None
    state: str | None = None
    done_at: float | None = None
    # sensor evidence: triggerer job ids seen while the sensor was deferred
    deferred_triggerers: list[int] = field(default_factory=list)
    rerun: bool = False                  # cleared after success and run again


def scenarios() -> list[Scenario]:
    text = {"text": "Your order #1042 has shipped."}
    return [
        Scenario("quickstart-no-date", "quickstart, run without a logical date", QUICKSTART,
                 {"recipient": "+7 (900) 000-01-01", "name": "Anna"}, False, "79000000101", "delivered",
                 messages={"VIBER": 1, "WHATSAPP": 1}),
        Scenario("quickstart-dated", "quickstart, run with a logical date", QUICKSTART,
                 {"recipient": "79000000102", "name": "Boris"}, True, "79000000102", "delivered",
                 messages={"VIBER": 1, "WHATSAPP": 1}),
        Scenario("branch-delivered", "branching: delivered -> done", BRANCHING,
                 {"dest_addr": "79000000111", **text}, True, "79000000111", "delivered", "done",
                 {"VIBER": 1}),
        Scenario("branch-call-barred", "branching: call-barred -> flag_contact", BRANCHING,
                 {"dest_addr": "79000000112", **text}, False, "79000000112", "call-barred", "flag_contact",
                 {"VIBER": 1}),
        Scenario("branch-no-viber", "branching: teleservice-not-provisioned -> fallback_whatsapp", BRANCHING,
                 {"dest_addr": "79000000113", **text}, True, "79000000113", "teleservice-not-provisioned",
                 "fallback_whatsapp", {"VIBER": 1, "WHATSAPP": 1}),
        Scenario("branch-expired", "branching: expired -> retry_later", BRANCHING,
                 {"dest_addr": "79000000114", **text}, False, "79000000114", "expired", "retry_later",
                 {"VIBER": 1}),
        Scenario("triggerer-killed", "branching, triggerer SIGKILLed while the sensor waits", BRANCHING,
                 {"dest_addr": "79000000121", **text}, False, "79000000121", "delivered", "done",
                 {"VIBER": 1}),
        Scenario("templates", "templates example", TEMPLATES, {"campaign": "e2e_spring"}, False),
        Scenario("receiver-delivered", "pushed report: delivered -> done", RECEIVER,
                 {"dest_addr": "79000000131", **text}, True, "79000000131", "delivered", "done", {"VIBER": 1}),
        Scenario("receiver-call-barred", "pushed report: call-barred -> flag_contact", RECEIVER,
                 {"dest_addr": "79000000132", **text}, False, "79000000132", "call-barred", "flag_contact",
                 {"VIBER": 1}),
    ]


# --- the deployment -----------------------------------------------------------------------------
class Deployment:
    def __init__(self, workdir: Path, executor: str) -> None:
        self.workdir = workdir
        self.executor = executor
        self.home = workdir / "airflow"
        self.logs = self.home / "logs"
        self.proclogs = self.logs / "processes"
        self.procs: dict[str, Proc] = {}
        self.stopped: list[Proc] = []
        self.pg: postgres.PostgresCluster | None = None
        self.ports = {name: free_port() for name in ("api", "sandbox", "worker_logs", "trigger_logs", "redis",
                                                      "worker_logs_2")}
        # the partner's credentials: random, so that finding them in a log file means a leak
        self.login = f"partner-{secrets.token_hex(6)}"
        self.password = f"pw-{secrets.token_urlsafe(18)}"
        self.api_key = f"key-{secrets.token_urlsafe(18)}"
        # the receiver's token (in the platform's URLs): random too, it must appear in no log file
        self.receiver_token = f"rt-{secrets.token_urlsafe(24)}"
        self.receiver_url = f"http://127.0.0.1:{self.ports['api']}/messaging"
        self.api = Airflow(f"http://127.0.0.1:{self.ports['api']}")
        self.sandbox_url = f"http://127.0.0.1:{self.ports['sandbox']}"
        self.env: dict[str, str] = {}

    # processes
    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None, logfile: Path | None = None) -> Proc:
        proc = Proc(name, argv, logfile or self.proclogs / f"{name}.log", env or self.env).start()
        self.procs[name] = proc
        log(f"started {name} (pid {proc.pid})")
        return proc

    def airflow(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        return self.start(name, [str(BIN / "airflow"), *args], env)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs.values()) + self.stopped):
            proc.stop()
        if self.pg is not None:
            self.pg.stop()

    def leftovers(self) -> list[str]:
        """What is still running of what this script started (after ``stop_all``)."""
        left = []
        for proc in list(self.procs.values()) + self.stopped:
            try:
                os.killpg(proc.pid, 0)
                left.append(f"{proc.name} (process group {proc.pid})")
            except (ProcessLookupError, PermissionError):
                pass
        if self.pg is not None and (self.pg.datadir / "data" / "postmaster.pid").exists():
            left.append(f"PostgreSQL ({self.pg.datadir})")
        return left

    def dead(self) -> list[Proc]:
        return [p for p in self.procs.values() if not p.alive() and not p.expected_exit]

    # set-up
    def prepare(self) -> None:
        t0 = time.monotonic()
        self.pg = postgres.PostgresCluster(self.workdir / "pg").start()
        meta = self.pg.create_database("airflow")
        self.store_url = self.pg.create_database("messaging_store")
        log(f"PostgreSQL on 127.0.0.1:{self.pg.port}: databases airflow, messaging_store "
            f"({time.monotonic() - t0:.1f} s)")
        self.home.mkdir(parents=True, exist_ok=True)
        self.proclogs.mkdir(parents=True, exist_ok=True)
        # the DAGs folder: the example DAGs and e2e/dags/ (linked, not copied)
        dags = self.workdir / "dags"
        dags.mkdir(exist_ok=True)
        for folder in (ROOT / "example_dags", ROOT / "e2e" / "dags"):
            for path in sorted(folder.iterdir()):
                if path.suffix == ".py" or path.name == ".airflowignore":
                    (dags / path.name).symlink_to(path)
        fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        executor = "CeleryExecutor" if self.executor == "celery" else "LocalExecutor"
        cfg = {
            "core": {
                "executor": executor,
                "dags_folder": str(dags),
                "load_examples": "False",
                "simple_auth_manager_all_admins": "True",
                "fernet_key": fernet,
                "execution_api_server_url": f"http://127.0.0.1:{self.ports['api']}/execution/",
                "parallelism": "16",
            },
            "database": {"sql_alchemy_conn": meta.replace("postgresql://", "postgresql+psycopg2://", 1)},
            "api": {"host": "127.0.0.1", "port": str(self.ports["api"]), "workers": "1",
                    "base_url": f"http://127.0.0.1:{self.ports['api']}", "secret_key": secrets.token_hex(16)},
            "api_auth": {"jwt_secret": secrets.token_hex(32)},
            "logging": {"base_log_folder": str(self.logs),
                        "worker_log_server_port": str(self.ports["worker_logs"]),
                        "trigger_log_server_port": str(self.ports["trigger_logs"])},
            "scheduler": {"standalone_dag_processor": "True"},
            "dag_processor": {"refresh_interval": "5"},
            # a killed triggerer's triggers move to a live one after this many seconds without heartbeat
            "triggerer": {"job_heartbeat_sec": "3", "triggerer_health_check_threshold": "15"},
            # Airflow wipes a task's state store when the task succeeds: exactly-once must not rest on it
            "state_store": {"clear_on_success": "True"},
        }
        if self.executor == "celery":
            cfg["celery"] = {
                "broker_url": f"redis://127.0.0.1:{self.ports['redis']}/0",
                "result_backend": "db+" + meta.replace("postgresql://", "postgresql+psycopg2://", 1),
                "worker_concurrency": "4",
            }
        lines = []
        for section, options in cfg.items():
            lines.append(f"[{section}]")
            lines += [f"{k} = {v}" for k, v in options.items()]
            lines.append("")
        (self.home / "airflow.cfg").write_text("\n".join(lines))
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env = {**base, "AIRFLOW_HOME": str(self.home), "PYTHONUNBUFFERED": "1",
                    "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",
                    # every Airflow process: the message store (shared: the receiver writes it, tasks and
                    # the triggerer read it) and the receiver's settings (its token)
                    "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT": self.store_url,
                    "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT": json.dumps({
                        "conn_type": "generic", "host": self.receiver_url, "password": self.receiver_token})}
        t0 = time.monotonic()
        migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=self.env, capture_output=True,
                                 text=True, timeout=300)
        (self.proclogs / "db-migrate.log").write_text(migrate.stdout + migrate.stderr)
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{(migrate.stdout + migrate.stderr)[-3000:]}")
        log(f"airflow db migrate: done ({time.monotonic() - t0:.1f} s)")

    def start_services(self, outcomes: dict[str, str]) -> None:
        sandbox = [PYTHON, "-m", "airflow_provider_messaging.sandbox", "--port", str(self.ports["sandbox"]),
                   "--dedup", "off", "--delivery-delay", str(DELIVERY_DELAY),
                   "--login", self.login, "--password", self.password, "--api-key", self.api_key,
                   # MO messages to the receiver in the api-server; report retries outlast a short outage
                   "--mo-url", f"{self.receiver_url}/{self.receiver_token}/mo",
                   "--report-retries", "8", "--report-backoff", "0.5"]
        for recipient, outcome in outcomes.items():
            sandbox += ["--outcome", f"{recipient}={outcome}"]
        # the sandbox prints the connection (with the password) for its user: its log is kept
        # outside Airflow's logs folder, which must hold no secret
        self.start("sandbox", sandbox, logfile=self.workdir / "sandbox.log")
        if self.executor == "celery":
            redis = shutil.which("redis-server") or "/usr/bin/redis-server"
            (self.workdir / "redis").mkdir(exist_ok=True)
            self.start("redis", [redis, "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
                                 "--dir", str(self.workdir / "redis"), "--save", "", "--appendonly", "no",
                                 "--daemonize", "no"])
        self.airflow("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.ports["api"]),
                     "--workers", "1")
        self.airflow("scheduler", "scheduler")
        self.airflow("dag-processor", "dag-processor")
        self.start_triggerer("triggerer")
        if self.executor == "celery":
            for n, port in ((1, self.ports["worker_logs"]), (2, self.ports["worker_logs_2"])):
                env = {**self.env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(port)}
                self.airflow(f"celery-worker-{n}", "celery", "worker", "--celery-hostname", f"worker{n}@%h",
                             "--concurrency", "4", env=env)

    def start_triggerer(self, name: str) -> Proc:
        return self.airflow(name, "triggerer")

    def wait_healthy(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        health: Any = None
        while time.monotonic() < deadline:
            if self.dead():
                raise RuntimeError(f"{', '.join(p.name for p in self.dead())} exited while starting")
            try:
                health = http("GET", f"{self.api.base}/api/v2/monitor/health", timeout=5)
                if all((health.get(part) or {}).get("status") == "healthy"
                       for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")):
                    return
            except (OSError, ApiError, ValueError):
                pass
            time.sleep(1)
        raise RuntimeError(f"the deployment did not become healthy in {timeout:.0f} s: {health}")

    def sandbox(self, method: str, path: str, body: Any = None) -> Any:
        return http(method, f"{self.sandbox_url}/_sandbox/{path}", body)


# --- checks ---------------------------------------------------------------------------------------
@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    note: str = ""
    logs: list[Path] = field(default_factory=list)   # shown (last lines) when the check fails


class Report:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def check(self, name: str, ok: bool, detail: str = "", note: str = "", logs: list[Path] | None = None) -> bool:
        c = Check(name, bool(ok), detail, note, list(logs or []))
        self.checks.append(c)
        line = f"{'PASS' if c.ok else 'FAIL'}  {name}"
        if detail:
            line += f": {detail}"
        if note and not c.ok:
            line += f"\n      {note}"
        print(line, flush=True)
        return c.ok

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


# --- the run --------------------------------------------------------------------------------------
def wait_for_dags(api: Airflow, dag_ids: list[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    missing = list(dag_ids)
    while time.monotonic() < deadline:
        for dag_id in list(missing):
            try:
                api("GET", f"/dags/{dag_id}")
                missing.remove(dag_id)
            except ApiError as exc:
                if exc.status != 404:
                    raise
        if not missing:
            return
        time.sleep(1)
    errors = api("GET", "/importErrors")
    raise RuntimeError(f"DAGs not parsed after {timeout:.0f} s: {missing}; import errors: {errors}")


def trigger(api: Airflow, sc: Scenario, stamp: str) -> None:
    body: dict[str, Any] = {"dag_run_id": f"e2e__{sc.key}__{stamp}", "conf": sc.conf}
    if sc.logical_date:
        # a distinct date per run: the quickstart and the branching DAG are triggered more than once
        offset = scenarios_keys().index(sc.key)
        body["logical_date"] = (datetime.now(timezone.utc) - timedelta(days=1, minutes=offset)).isoformat()
    else:
        body["logical_date"] = None  # what `airflow dags trigger` and the UI's default do in Airflow 3.3
    run = api("POST", f"/dags/{sc.dag_id}/dagRuns", body)
    sc.run_id = run["dag_run_id"]
    assert (run["logical_date"] is None) != sc.logical_date, run


def scenarios_keys() -> list[str]:
    return [s.key for s in scenarios()]


def task_instances(api: Airflow, sc: Scenario) -> dict[str, dict[str, Any]]:
    tis = api("GET", f"/dags/{sc.dag_id}/dagRuns/{urllib.parse.quote(sc.run_id)}/taskInstances?limit=100")
    return {ti["task_id"]: ti for ti in tis["task_instances"]}


def xcom(api: Airflow, sc: Scenario, task_id: str) -> Any:
    entry = api("GET", f"/dags/{sc.dag_id}/dagRuns/{urllib.parse.quote(sc.run_id)}/taskInstances/{task_id}"
                       f"/xcomEntries/return_value?deserialize=true")
    return entry["value"]


def run_all(dep: Deployment, report: Report, executor: str) -> None:
    api = dep.api
    scs = scenarios()
    outcomes = {s.recipient: s.outcome for s in scs if s.recipient and s.outcome and s.outcome != "delivered"}
    t0 = time.monotonic()
    dep.start_services(outcomes)
    dep.wait_healthy()
    log(f"api-server, scheduler, dag-processor, triggerer healthy ({time.monotonic() - t0:.1f} s)")
    api.login()
    dag_ids = sorted({s.dag_id for s in scs} | {INCOMING})
    wait_for_dags(api, dag_ids)
    for dag_id in dag_ids:
        api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
    # the connection, stored (encrypted) in the metadata DB as a user would add it
    api("POST", "/connections", {
        "connection_id": "messaging_default", "conn_type": "messaging", "host": dep.sandbox_url,
        "login": dep.login, "password": dep.password,
        "extra": json.dumps({"api_key": dep.api_key, "default_service_number": "SANDBOX", "platform_dedup": False}),
    })
    # (the message store's and the receiver's connections are in every process's environment)
    log(f"DAGs parsed and unpaused, connections added ({time.monotonic() - t0:.1f} s since start)")
    try:
        receiver_health: Any = http("GET", f"{dep.receiver_url}/health", timeout=10)
    except (OSError, ApiError, ValueError) as exc:
        receiver_health = f"{type(exc).__name__}: {exc}"
    if not report.check("receiver: mounted in the api-server by the plugin, /messaging/health ok",
                        receiver_health == {"status": "ok"}, f"GET /messaging/health: {receiver_health}"):
        raise RuntimeError("the receiver is not mounted in the api-server")
    health = dep.sandbox("GET", "health")
    report.check("sandbox: duplicate control off, delivery delay forces deferral",
                 health["dedup"] == "off" and health["delivery_delay"] == DELIVERY_DELAY,
                 f"dedup={health['dedup']}, delivery_delay={health['delivery_delay']} s")

    # a subscriber's STOP: the sandbox pushes it to the receiver (its --mo-url); the asset watcher of
    # example_incoming_stop (in the triggerer) turns it into a DAG run
    mo: dict[str, Any] = {"first": dep.sandbox("POST", "mo", {"source_addr": OPT_OUT_NUMBER, "text": "STOP",
                                                              "dest_addr": "SANDBOX"})}
    mo["tx"] = mo["first"]["payload"]["transactionId"]
    log(f"the sandbox pushed a STOP from {OPT_OUT_NUMBER} (transactionId {mo['tx']}) to the receiver: "
        f"HTTP {mo['first']['status_code']}")

    by_key = {s.key: s for s in scs}
    killed = by_key["triggerer-killed"]
    cleared = by_key["branch-delivered"]
    stamp = datetime.now(timezone.utc).strftime("%H%M%S")
    # the run whose sensor is waiting when the triggerer is killed starts once the STOP's run exists
    # (and the watcher's cursor is saved): the kill then also restarts the watcher
    for sc in scs:
        if sc is not killed:
            trigger(api, sc, stamp)
    triggered_at = time.monotonic()
    log(f"triggered {len(scs) - 1} runs")
    kill: dict[str, Any] = {}
    clear: dict[str, Any] = {}
    deadline = time.monotonic() + RUNS_TIMEOUT
    while time.monotonic() < deadline:
        if dep.dead():
            raise RuntimeError(f"{', '.join(p.name for p in dep.dead())} exited during the runs")
        runs = {r["dag_run_id"]: r for r in api("GET", "/dags/~/dagRuns?limit=100")["dag_runs"]}
        deferred = api("GET", "/dags/~/dagRuns/~/taskInstances?state=deferred&limit=100")["task_instances"]
        for ti in deferred:
            for sc in scs:
                if sc.run_id == ti["dag_run_id"] and ti["trigger"] and ti["trigger"].get("triggerer_id"):
                    tid = ti["trigger"]["triggerer_id"]
                    if tid not in sc.deferred_triggerers:
                        sc.deferred_triggerers.append(tid)
        # the STOP's run: once it exists (plus time for the cursor to be saved), the same MO is pushed
        # again and the run whose sensor will be waiting in the triggerer when it is killed starts
        mo_runs = [r for r in runs.values() if r["dag_id"] == INCOMING]
        if mo_runs and "run_at" not in mo:
            mo["run_at"] = time.monotonic()
            log(f"the asset watcher started {INCOMING} run {mo_runs[0]['dag_run_id']}")
        if killed.run_id is None and (
                ("run_at" in mo and time.monotonic() - mo["run_at"] >= CURSOR_SAVED_AFTER)
                or time.monotonic() - triggered_at > 90):
            mo["again"] = dep.sandbox("POST", "mo", {"source_addr": OPT_OUT_NUMBER, "text": "STOP",
                                                     "dest_addr": "SANDBOX", "transaction_id": mo["tx"]})
            log(f"the sandbox pushed the same STOP again: HTTP {mo['again']['status_code']}")
            trigger(api, killed, stamp)
            log(f"triggered {killed.key}")
        if mo_runs:
            state = mo_runs[0]["state"]
            if mo.get("state") != state and state in ("success", "failed"):
                log(f"run {INCOMING}: {state}")
            mo["state"] = state
        # the triggerer dies (SIGKILL, no clean-up) while this run's sensor is deferred in it
        if not kill and killed.deferred_triggerers:
            proc = dep.procs["triggerer"]
            proc.signal_group(signal.SIGKILL)
            proc.popen.wait(10)
            proc.expected_exit = True
            kill = {"at": time.monotonic(), "old": killed.deferred_triggerers[-1]}
            log(f"killed the triggerer (pid {proc.pid}, job {kill['old']}) with SIGKILL while "
                f"{killed.dag_id}/{killed.run_id} waited in it")
            dep.stopped.append(dep.procs.pop("triggerer"))
            time.sleep(2)
            dep.start_triggerer("triggerer-2")
        for sc in scs:
            run = runs.get(sc.run_id)
            if run is None:
                continue
            if sc.state != run["state"]:
                sc.state = run["state"]
                if sc.state in ("success", "failed"):
                    sc.done_at = time.monotonic()
                    log(f"run {sc.key}: {sc.state}")
        # clearing a successful send task: nothing may be sent again
        if not clear and cleared.state == "success":
            clear["before"] = dep.sandbox("GET", f"sent_count?dest_addr={cleared.recipient}&id="
                                          f"{urllib.parse.quote(viber_id(dep, cleared) or '')}")["sent_count"]
            api("POST", f"/dags/{cleared.dag_id}/clearTaskInstances", {
                "dry_run": False, "dag_run_id": cleared.run_id, "task_ids": ["send_viber"],
                "only_failed": False, "include_downstream": True, "reset_dag_runs": True})
            cleared.state = "cleared"
            cleared.rerun = True
            clear["at"] = time.monotonic()
            log(f"cleared send_viber (and downstream) of the successful run {cleared.key}")
        # the watcher running again in the new triggerer (from its saved cursor), for a few polls
        if kill and mo.get("resumed") is None:
            mo["resumed"] = watcher_resumed(dep)
            if mo["resumed"] is not None:
                mo["resumed_at"] = time.monotonic()
                log(f"the asset watcher runs again in the new triggerer, after store id {mo['resumed']}")
        # done when every run is over, after the clear's re-run and the kill (unless their runs failed first)
        if (all(sc.state in ("success", "failed") for sc in scs) and (clear or cleared.state == "failed")
                and (kill or killed.state == "failed" or not killed.deferred_triggerers)
                and (mo.get("state") in ("success", "failed") or time.monotonic() - triggered_at > 120)
                and (not kill or time.monotonic() - kill["at"] > 90
                     or ("resumed_at" in mo and time.monotonic() - mo["resumed_at"] > CURSOR_SAVED_AFTER))):
            break
        time.sleep(1.0)
    else:
        raise RuntimeError(f"runs not finished after {RUNS_TIMEOUT:.0f} s: "
                           f"{ {s.key: s.state for s in scs if s.state not in ('success', 'failed')} }")
    log(f"all runs finished ({time.monotonic() - t0:.1f} s since start)")
    verify(dep, report, scs, kill, clear, executor)
    verify_receiver(dep, report, scs, mo)


def ledger_record(dep: Deployment, partner_id: str) -> Any:
    """The send ledger's record of ``partner_id`` in the deployment's message store (scope ``send``)."""
    from airflow_provider_messaging.store import MessageStore

    store = MessageStore(dep.store_url)
    try:
        return store.ledger("send").get(partner_id)
    finally:
        store.dispose()


def viber_id(dep: Deployment, sc: Scenario) -> str | None:
    msgs = [m for m in dep.sandbox("GET", "messages") if m["dest_addr"] == sc.recipient and m["channel"] == "VIBER"]
    return msgs[0]["id"] if msgs else None


def fired_in_triggerer(dep: Deployment, sc: Scenario) -> list[int]:
    """Triggerer job ids whose trigger log for this sensor (any try: a cleared sensor whose messages
    are already final does not defer again) says the trigger fired a success event."""
    folder = dep.logs / f"dag_id={sc.dag_id}" / f"run_id={sc.run_id}" / "task_id=wait_for_delivery"
    jobs = []
    for path in sorted(folder.glob("attempt=*.log.trigger.*.log")):
        text = path.read_text(errors="replace")
        if "Trigger fired event" in text and "'status': 'success'" in text:
            jobs.append(int(path.name.rsplit(".", 2)[-2]))
    return sorted(set(jobs))


def verify(dep: Deployment, report: Report, scs: list[Scenario], kill: dict, clear: dict, executor: str) -> None:
    api = dep.api
    messages = dep.sandbox("GET", "messages")
    by_key = {s.key: s for s in scs}

    for sc in scs:
        tis = task_instances(api, sc)
        states = {t: ti["state"] for t, ti in tis.items()}
        date = "with a logical date" if sc.logical_date else "no logical date"
        report.check(f"{sc.key}: run succeeded ({date})", sc.state == "success",
                     f"{sc.dag_id} {sc.run_id}: {sc.state}; " + ", ".join(f"{t}={s}" for t, s in sorted(states.items())))
        if sc.dag_id == TEMPLATES:
            names = sorted(t["name"] for t in dep.sandbox("GET", "templates"))
            report.check(f"{sc.key}: templates created on the platform", len(names) == 3, ", ".join(names))
            continue
        sensor = tis.get("wait_for_delivery", {})
        fired = fired_in_triggerer(dep, sc)
        report.check(f"{sc.key}: delivery sensor deferred, completed by the triggerer",
                     bool(sc.deferred_triggerers) and bool(fired) and sensor.get("state") == "success",
                     f"seen deferred in triggerer job(s) {sc.deferred_triggerers or 'none'}, trigger fired its "
                     f"event in job(s) {fired or 'none'}, then the sensor: {sensor.get('state')}")
        statuses = xcom(api, sc, "wait_for_delivery") if sensor.get("state") == "success" else {}
        seen = sorted({s["outcome"] for s in statuses.values()})
        mine = [m for m in messages if m["dest_addr"] == sc.recipient]
        if sc.branch:
            viber = [s for m, s in statuses.items() if any(x["mt_num"] == m and x["channel"] == "VIBER" for x in mine)]
            chosen = [b for b in BRANCHES if states.get(b) == "success"]
            report.check(f"{sc.key}: outcome {sc.outcome} -> branch {sc.branch}",
                         [s["outcome"] for s in viber][-1:] == [sc.outcome] and chosen == [sc.branch]
                         and all(states.get(b) == "skipped" for b in BRANCHES if b != sc.branch),
                         f"sensor saw {seen}, branch taken: {chosen or 'none'}")
        else:
            report.check(f"{sc.key}: every message {sc.outcome}", seen == [sc.outcome] and len(statuses) == 2,
                         f"{len(statuses)} statuses: {seen}")
        if sc.key == "quickstart-no-date":
            summary = xcom(api, sc, "summary") if states.get("summary") == "success" else []
            shown = sorted({row.get("to") for row in summary})
            report.check(f"{sc.key}: summary shows recipients masked", shown == ["7900*****01"], f"to={shown}")
        if not sc.rerun:
            sent = Counter(m["channel"] for m in mine)
            per_id = Counter((m["id"], m["dest_addr"]) for m in mine)
            report.check(f"{sc.key}: each message sent once", dict(sent) == sc.messages and max(per_id.values(), default=0) == 1,
                         f"sent {dict(sent)}, expected {sc.messages}")

    # clearing a successful send task sends nothing again (the platform's dedup is off)
    sc = by_key["branch-delivered"]
    mine = [m for m in messages if m["dest_addr"] == sc.recipient and m["channel"] == "VIBER"]
    ids = Counter(m["id"] for m in mine)
    record = ledger_record(dep, mine[0]["id"]) if mine else None
    report.check("clear-after-success: clearing a successful send task sends nothing again",
                 sc.state == "success" and len(mine) == 1 and record is not None and record.state == "accepted"
                 and record.mt_num == mine[0]["mt_num"],
                 f"run {sc.state} after the clear; the platform accepted {clear.get('before')} before the clear "
                 f"and {len(mine)} Viber message(s) in all for one "
                 f"partner id ({', '.join(f'{i}: {n}x' for i, n in ids.items())}), mtNums "
                 f"{[m['mt_num'] for m in mine]}; the message store's send ledger: "
                 f"{(record.state, record.mt_num) if record else 'no record'}",
                 note="the send ledger is kept in the provider's message store (messaging_store_default, here the "
                      "messaging_store database): the cleared task must find the accepted send there and return its "
                      "mtNum without a request",
                 logs=sorted(dep.logs.glob(f"dag_id={sc.dag_id}/run_id={sc.run_id}/task_id=send_viber/attempt=*.log")))

    # the triggerer was killed with SIGKILL while a sensor waited in it
    sc = by_key["triggerer-killed"]
    after = [t for t in sc.deferred_triggerers if t != kill.get("old")]
    trigger_logs = sorted(p.name for p in dep.logs.glob(f"dag_id={sc.dag_id}/run_id={sc.run_id}/"
                                                         "task_id=wait_for_delivery/*trigger*"))
    report.check("triggerer-killed: run completed after the triggerer was SIGKILLed and restarted",
                 sc.state == "success" and bool(kill) and (bool(after) or len(trigger_logs) >= 2),
                 f"deferred in triggerer job {kill.get('old')}, then job(s) {after or '(not seen deferred again)'}; "
                 f"trigger logs {trigger_logs}; run {sc.state}")

    # no message was sent twice (apart from the cleared run, checked above)
    dup = [k for k, n in Counter((m["id"], m["dest_addr"]) for m in messages
                                 if m["dest_addr"] != by_key["branch-delivered"].recipient).items() if n > 1]
    report.check("nothing sent twice (all runs but the cleared one)", not dup and len(messages) > 0,
                 f"{len(messages)} messages accepted, repeated partner ids: {dup or 'none'}")

    if executor == "celery":
        counts = {}
        for n in (1, 2):
            text = (dep.proclogs / f"celery-worker-{n}.log").read_text(errors="replace")
            counts[f"worker{n}"] = len(re.findall(r"Task execute_workload\[[^\]]+\] received", text))
        report.check("celery: both workers ran tasks", all(counts.values()), f"tasks received: {counts}")

    # no secret in any file under the logs folder
    files = [p for p in dep.logs.rglob("*") if p.is_file()]
    leaks = []
    for path in files:
        data = path.read_bytes()
        for label, secret in (("password", dep.password), ("login", dep.login), ("api key", dep.api_key),
                              ("receiver token", dep.receiver_token)):
            if secret.encode() in data:
                leaks.append(f"{label} in {path.relative_to(dep.logs)}")
    report.check("no secret in any log file", not leaks and len(files) > 10,
                 f"{len(files)} files under {dep.logs} searched for the password, login, API key and the "
                 f"receiver's token; "
                 f"found: {leaks or 'none'}")


WATCHING = re.compile(r"Watching incoming messages after store id (\d+)")


def watcher_resumed(dep: Deployment) -> int | None:
    """The store id after which the STOP watcher started in the restarted triggerer (its log), if yet."""
    try:
        text = (dep.proclogs / "triggerer-2.log").read_text(errors="replace")
    except OSError:
        return None
    found = WATCHING.findall(text)
    return int(found[-1]) if found else None


def store_rows(dep: Deployment, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the message store's database (PostgreSQL, read directly)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(dep.store_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sqlalchemy.text(sql), params)]
    finally:
        engine.dispose()


def verify_receiver(dep: Deployment, report: Report, scs: list[Scenario], mo: dict[str, Any]) -> None:
    """The receiver in the api-server: pushed reports stored once, a pushed STOP ran its DAG once."""
    api = dep.api
    messages = dep.sandbox("GET", "messages")
    receiver_scs = [sc for sc in scs if sc.dag_id == RECEIVER]
    mt_nums = sorted(m["mt_num"] for m in messages for sc in receiver_scs if m["dest_addr"] == sc.recipient)
    pushes = dep.sandbox("GET", "pushes?kind=report")
    pushed = sorted(str(p["payload"].get("mtNum")) for p in pushes)
    bad = [f"{p['payload'].get('mtNum')}: {p['error']} after {p['attempts']} attempt(s)" for p in pushes if not p["ok"]]
    report.check("receiver: the sandbox pushed every report to it, each answered 2xx",
                 bool(pushes) and not bad and pushed == mt_nums
                 and all(p["url"].startswith(dep.receiver_url) for p in pushes),
                 f"{len(pushes)} report push(es) for mtNums {pushed} (sent with notify_url: {mt_nums}); "
                 f"failed: {bad or 'none'}")
    rows = store_rows(dep, "SELECT mt_num, status, final FROM messaging_delivery_reports ORDER BY mt_num")
    per_mt = Counter(r[0] for r in rows)
    report.check("receiver: one store row per mtNum",
                 sorted(per_mt) == mt_nums and set(per_mt.values()) == {1} and all(r[2] for r in rows),
                 f"messaging_delivery_reports: {[(r[0], r[1], 'final' if r[2] else 'not final') for r in rows]}")

    # the STOP
    runs = api("GET", f"/dags/{INCOMING}/dagRuns?limit=100")["dag_runs"]
    run = runs[0] if runs else {}
    tis = {}
    if run:
        tis = {ti["task_id"] + (f"[{ti['map_index']}]" if ti.get("map_index", -1) >= 0 else ""): ti["state"]
               for ti in api("GET", f"/dags/{INCOMING}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
                                    f"/taskInstances?limit=100")["task_instances"]}
    report.check("incoming STOP: the asset watcher started one run, it succeeded",
                 len(runs) == 1 and run.get("state") == "success" and run.get("run_type") == "asset_triggered",
                 f"{len(runs)} run(s) of {INCOMING}: "
                 + "; ".join(f"{r['dag_run_id']} ({r.get('run_type')}) {r['state']}" for r in runs)
                 + (f"; tasks: {', '.join(f'{t}={s}' for t, s in sorted(tis.items()))}" if tis else ""))
    try:
        opt_outs = json.loads(api("GET", "/variables/messaging_opt_outs")["value"])
    except (ApiError, ValueError) as exc:
        opt_outs = {"error": str(exc)}
    entry = opt_outs.get(OPT_OUT_NUMBER) if isinstance(opt_outs, dict) else None
    report.check("incoming STOP: opt-out recorded in the Variable messaging_opt_outs",
                 isinstance(entry, dict) and entry.get("transactionId") == mo["tx"],
                 f"{OPT_OUT_NUMBER}: {entry}; in the Variable: "
                 f"{sorted(opt_outs) if isinstance(opt_outs, dict) else opt_outs}")
    confirmations = [m for m in messages if m["dest_addr"] == OPT_OUT_NUMBER]
    report.check("incoming STOP: one confirmation sent to the subscriber",
                 len(confirmations) == 1 and confirmations[0]["channel"] == "VIBER",
                 f"{len(confirmations)} message(s) to {OPT_OUT_NUMBER}: {[m['channel'] for m in confirmations]}")
    mo_pushes = dep.sandbox("GET", "pushes?kind=mo")
    stored = store_rows(dep, "SELECT id FROM messaging_incoming_messages WHERE transaction_id = :tx", tx=mo["tx"])
    again = mo.get("again") or {}
    report.check("incoming STOP: pushed twice, stored once, still one run after the triggerer restart",
                 len(mo_pushes) == 2 and all(p["ok"] for p in mo_pushes) and again.get("ok") and len(stored) == 1
                 and mo.get("resumed") is not None and stored[0][0] <= mo["resumed"] and len(runs) == 1,
                 f"{len(mo_pushes)} MO push(es), answered {[p['status_code'] for p in mo_pushes]}; store rows for "
                 f"transactionId {mo['tx']}: {[r[0] for r in stored]}; the watcher in the restarted triggerer "
                 f"started after store id {mo.get('resumed', '(not seen)')}; runs: {len(runs)}")


def print_failure_context(dep: Deployment, report: Report) -> None:
    dead = dep.dead()
    for proc in dead:
        print(f"\n--- {proc.name} (pid {proc.pid}) exited with {proc.popen.returncode}; last lines of {proc.logfile}:")
        print(proc.tail())
    for check in report.failed:
        for path in check.logs:
            print(f"\n--- {check.name}: the provider's lines in {path.relative_to(dep.logs)}:")
            print(provider_lines(path))
    if not dead and any(not c.logs for c in report.failed):
        # a failed check without a dead process: the failed tasks' logs say why
        for path in sorted(dep.logs.glob("dag_id=*/run_id=*/task_id=*/attempt=*.log")):
            text = path.read_text(errors="replace")
            if '"level":"error"' in text or "Traceback" in text:
                print(f"\n--- last lines of {path.relative_to(dep.logs)}:")
                print("\n".join(text.splitlines()[-15:]))


def provider_lines(path: Path, limit: int = 10) -> str:
    """A task log's lines from the provider (and any warning or error), as ``time level event``."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if "airflow_provider_messaging" in str(rec.get("logger", "")) or rec.get("level") in ("warning", "error"):
            out.append(f"  {rec.get('timestamp', '')[11:19]} {rec.get('level', ''):<7} {str(rec.get('event'))[:300]}")
    return "\n".join(out[-limit:]) or "  (none)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executor", choices=("local", "celery"), default="local")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, Airflow home) at the end")
    parser.add_argument("--workdir", type=Path, default=None, help="work folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="messaging-e2e-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"work folder {workdir}; executor {args.executor}")
    dep = Deployment(workdir, args.executor)
    report = Report()

    def on_sigterm(*_: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    old = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        ensure_drivers(args.executor)
        postgres.ensure_installed()
        if args.executor == "celery" and not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
            install_redis()
        dep.prepare()
        run_all(dep, report, args.executor)
    except (Exception, KeyboardInterrupt) as exc:
        if not isinstance(exc, KeyboardInterrupt):
            traceback.print_exc()
        report.check("the deployment ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        if report.failed:
            print_failure_context(dep, report)
        log("stopping everything started")
        dep.stop_all()
        signal.signal(signal.SIGTERM, old)
        left = dep.leftovers()
        report.check("everything started was stopped", not left, f"still running: {left or 'nothing'}")
    elapsed = time.monotonic() - started
    failed_checks = report.failed
    print(f"\n{args.executor} executor, {elapsed:.0f} s")
    print(f"e2e: {len(report.checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    for c in failed_checks:
        print(f"  FAILED {c.name}" + (f" ({c.note.split(':')[0]})" if c.note else ""))
    if args.keep:
        print(f"work folder kept: {workdir} (process logs in {dep.proclogs}, sandbox log {workdir / 'sandbox.log'})")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        if failed_checks:
            print("(--keep keeps the work folder: Airflow home, every log file, the sandbox's log)")
    return 1 if failed_checks else 0


def ensure_drivers(executor: str) -> None:
    """The PostgreSQL drivers (extra ``postgres``) and, for Celery, the Celery provider (extra
    ``celery``): synced into the project's environment from the lock when missing."""
    import importlib.util

    wanted = ["psycopg2", "asyncpg"] + (["airflow.providers.celery"] if executor == "celery" else [])
    missing = []
    for name in wanted:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    if not missing:
        return
    uv = shutil.which("uv") or str(ROOT / ".uv" / "bin" / "uv")
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() or not Path(uv).exists():
        raise RuntimeError(f"missing {', '.join(missing)}: install the extras, e.g. "
                           f"`pip install '{ROOT}[postgres,celery]'`, or run `make e2e`")
    log(f"missing {', '.join(missing)}: uv sync --inexact --extra postgres --extra celery")
    subprocess.run([uv, "sync", "--frozen", "--inexact", "--quiet", "--extra", "postgres", "--extra", "celery"],
                   cwd=ROOT, check=True)


def install_redis() -> None:
    if os.geteuid() != 0:
        raise RuntimeError("redis-server is not installed and this user cannot apt-get install it (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"], check=True, env=env)


if __name__ == "__main__":
    sys.exit(main())
