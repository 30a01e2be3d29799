"""``make demo``: run the quickstart DAG end to end against the bundled sandbox.

Sets up a throw-away Airflow home (SQLite), starts the sandbox on a free local port, points the
``messaging_default`` connection at it, runs the DAG with ``dag.test()`` and prints what happened.
Exit status 0 when every task succeeded.
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


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="messaging-demo-"))
    dags = home / "dags"
    dags.mkdir()
    os.environ.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("DEMO_LOG_LEVEL", "WARNING"),
    })
    from airflow_provider_messaging.sandbox import Sandbox

    print(f"Airflow home: {home}")
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
        run = module.dag.test()

        print("\nTasks:")
        states = {}
        for ti in sorted(run.get_task_instances(), key=lambda t: t.task_id):
            states[ti.task_id] = str(getattr(ti.state, "value", ti.state))
            print(f"  {ti.task_id:<16} {states[ti.task_id]}")
        sandbox.wait_for(lambda: all(m.is_final for m in sandbox.messages), timeout=10)
        print("\nMessages the sandbox accepted:")
        for m in sandbox.messages:
            report = sandbox.report(m.mt_num)
            print(f"  mtNum={m.mt_num} {m.channel:<9} to {m.dest_addr} id={m.id} "
                  f"status={report.get('status')} errorCode={report.get('errorCode')}")
        ok = run.state == "success" and all(s == "success" for s in states.values())
        print(f"\nDAG run {run.run_id}: {run.state}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
