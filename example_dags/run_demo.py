"""``make demo``: run the quickstart DAG end to end against the bundled sandbox.

Sets up a throw-away Airflow home (SQLite), starts the sandbox on a free local port, points the
``messaging_default`` connection at it, runs the DAG with ``dag.test()`` and prints what happened.
Exit status 0 when every task succeeded. The Airflow home is removed at the end (``--keep`` keeps it
for a look at the task logs).
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAG_FILE = HERE / "example_messaging_quickstart.py"


def _xcom(run, task_id: str):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(
            XComModel.get_many(key="return_value", run_id=run.run_id, dag_ids=run.dag_id, task_ids=task_id)
            .with_only_columns(XComModel.value)
        ).first()
        return XComModel.deserialize_value(row) if row else None


def main(argv: list[str]) -> int:
    home = Path(tempfile.mkdtemp(prefix="messaging-demo-"))
    try:
        return _demo(home)
    finally:
        if "--keep" in argv:
            print(f"Kept the Airflow home: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def _demo(home: Path) -> int:
    dags = home / "dags"
    dags.mkdir()
    os.environ.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("DEMO_LOG_LEVEL", "WARNING"),
    })
    from airflow_provider_messaging.hooks.messaging import mask_number
    from airflow_provider_messaging.sandbox import Sandbox

    print(f"Airflow home: {home} (removed at the end; --keep keeps it)")
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Sandbox(delivery_delay=1.0) as sandbox:
        name, value = sandbox.env_var("messaging_default")
        os.environ[name] = value
        print(f"Sandbox: {sandbox.url}")
        shutil.copyfile(DAG_FILE, dags / DAG_FILE.name)
        spec = importlib.util.spec_from_file_location("example_messaging_quickstart", dags / DAG_FILE.name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        from airflow_provider_messaging.compat import serialize_for_dag_test

        serialize_for_dag_test(module.dag)  # Airflow 3.1.0's dag.test() needs it (fixed in 3.1.1)
        run = module.dag.test()

        print("\nTasks:")
        states = {}
        for ti in sorted(run.get_task_instances(), key=lambda t: t.task_id):
            states[ti.task_id] = str(getattr(ti.state, "value", ti.state))
            print(f"  {ti.task_id:<16} {states[ti.task_id]}")
        print("\nDelivery statuses the DAG saw (wait_for_delivery's XCom):")
        statuses = _xcom(run, "wait_for_delivery") or {}
        for mt_num, status in statuses.items():
            print(f"  mtNum={mt_num}: {status['status_name']} (status {status['status']}, "
                  f"errorCode {status['error_code']}, outcome {status['outcome']}, done {status['done_date']})")
        print("\nMessages the sandbox accepted (each sent once):")
        for m in sandbox.messages:
            print(f"  mtNum={m.mt_num} {m.channel:<9} to {mask_number(m.dest_addr)} id={m.id} "
                  f"sent {sandbox.sent_count(m.id, m.dest_addr)}x")
        ok = run.state == "success" and all(s == "success" for s in states.values()) and len(statuses) == 2
        print(f"\nDAG run {run.run_id}: {run.state}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
