"""Test session set-up: one migrated Airflow home (SQLite, temp dir) shared by the whole session.

The environment is set before anything imports Airflow, so every test sees the same home.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers.airflow import ROOT, conn_json

# message stores on SQLite and PostgreSQL (the receiver, the incoming-message trigger)
pytest_plugins = ["tests.helpers.stores"]

_HOME = Path(tempfile.mkdtemp(prefix="messaging-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
_DAGS = _HOME / "dags"
_DAGS.mkdir()
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")

# (imported once the environment above is set: it imports Airflow)
from airflow_provider_messaging.compat import HAS_RETRY_POLICY  # noqa: E402

# MessagingRetryPolicy needs Airflow 3.3+ (the task retry_policy argument): on older Airflow its tests are
# not collected, and tests/unit/test_retry_policy_availability.py checks what a user gets there instead
if not HAS_RETRY_POLICY:
    collect_ignore = ["unit/test_retry_policy.py", "integration/test_retry_policy_dags.py"]


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated metadata DB for ``dag.test()``; migrated once per session (~3 s)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    return _HOME


@pytest.fixture
def set_conn(monkeypatch):
    """Point ``messaging_default`` (or another id) at a host: ``set_conn(url, **extras)``."""

    def _set(host: str, conn_id: str = "messaging_default", login: str = "partner",
             password: str = "s3cret-pass", **extra):
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn_json(host, login, password, **extra))

    return _set


@pytest.fixture(scope="session")
def load_dag(airflow_db):
    """``load_dag("example_dags/x.py", "dag_id")``: copy a DAG file into the session's DAGs folder
    (``dag.test()`` wants the file there), import it and return the DAG."""
    loaded: dict[tuple[str, str], object] = {}

    def _load(relpath: str, dag_id: str | None = None):
        src = ROOT / relpath
        key = (relpath, dag_id or "")
        if key not in loaded:
            dst = _DAGS / src.name
            shutil.copyfile(src, dst)
            spec = importlib.util.spec_from_file_location(f"dagfile_{src.stem}", dst)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            from airflow.sdk import DAG

            from airflow_provider_messaging.compat import serialize_for_dag_test

            dags = {d.dag_id: d for d in vars(module).values() if isinstance(d, DAG)}
            loaded[key] = dags[dag_id] if dag_id else next(iter(dags.values()))
            serialize_for_dag_test(loaded[key])  # Airflow 3.1.0 only (apache/airflow#56657)
        return loaded[key]

    return _load


@pytest.fixture(scope="session", autouse=True)
def task_process_logging():
    """Configure logging as Airflow's task process does (structlog with the secrets masker), so
    tests see what a task log would show."""
    from airflow.sdk.log import configure_logging

    configure_logging()


@pytest.fixture(scope="session", autouse=True)
def one_in_process_execution_api():
    """Airflow 3.1's ``dag.test()`` builds its in-process execution API anew for every task (2-3 s
    each here); newer versions build it once per process (``functools.lru_cache``): do the same.
    Feature-detected, so a no-op where Airflow caches it already."""
    import functools

    from airflow.sdk.execution_time import supervisor

    if not hasattr(supervisor.in_process_api_server, "cache_info"):
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(supervisor.in_process_api_server)


@pytest.fixture(scope="session", autouse=True)
def reschedule_start_date_as_a_datetime():
    """Airflow 3.1.0's API client builds ``TaskRescheduleStartDate`` without validation
    (``model_construct``), so under ``dag.test()`` (no process boundary to decode it) a reschedule-mode
    sensor's second poke gets the first reschedule date as text and fails in ``run_duration``
    (``TypeError: unsupported operand type(s) for -: 'datetime.datetime' and 'str'``). Validate it
    as newer versions do. Feature-detected: a no-op where the answer is a datetime already."""
    from airflow.sdk.api.client import TaskInstanceOperations
    from airflow.sdk.execution_time.comms import TaskRescheduleStartDate

    original = TaskInstanceOperations.get_reschedule_start_date

    def get_reschedule_start_date(self, *args, **kwargs):
        answer = original(self, *args, **kwargs)
        if isinstance(answer.start_date, str):
            answer = TaskRescheduleStartDate(start_date=answer.start_date)
        return answer

    TaskInstanceOperations.get_reschedule_start_date = get_reschedule_start_date
    yield
    TaskInstanceOperations.get_reschedule_start_date = original


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster for the session (devtools/postgres.py); ``postgres.new_database()``
    gives a test an empty database."""
    from tests.helpers.postgres import TestPostgres

    # a folder of its own, not under pytest's numbered temp folders, which a concurrent pytest
    # session may clean up while this cluster still runs
    folder = Path(tempfile.mkdtemp(prefix="messaging-store-pg-"))
    server = TestPostgres(folder).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
