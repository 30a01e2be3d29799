"""The quickstart example DAG without a logical date, and the `make demo` script, end to end against the
sandbox (the quickstart's plain run is in ``test_example_dags.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.airflow import ROOT, task_states, xcom_values


def test_quickstart_runs_without_a_logical_date_and_masks_recipients(load_dag, messaging_sandbox, capfd):
    # what `airflow dags trigger` and the REST API create by default: a run with no logical date
    dag = load_dag("example_dags/example_messaging_quickstart.py", "example_messaging_quickstart")
    run = dag.test(logical_date=None)
    assert run.logical_date is None
    assert set(task_states(run).values()) == {"success"}, task_states(run)
    rows = xcom_values(run, "summary")[-1]
    assert [r["to"] for r in rows] == ["7900*****67", "7900*****67"]
    assert {r["outcome"] for r in rows} == {"delivered"}
    out = capfd.readouterr()
    assert "7900*****67" in out.out + out.err
    assert "79001234567" not in out.out + out.err
    day = run.run_after.strftime("%Y-%m-%d")
    assert all(f"your order for {day} is ready" in m.body["message"]["data"]["instantContent"]["data"]["text"]
               for m in messaging_sandbox.messages)


def test_make_demo_script_runs_end_to_end_and_leaves_nothing_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["TMPDIR"] = str(tmp_path)  # the demo's throw-away Airflow home goes here
    result = subprocess.run([sys.executable, str(ROOT / "example_dags" / "run_demo.py")], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "DAG run" in result.stdout and ": success" in result.stdout
    assert result.stdout.count("DELIVERED (status 2") == 2
    assert "sandbox-secret" not in result.stdout + result.stderr
    assert "79001234567" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []
