"""The quickstart example DAG and the `make demo` script, end to end against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.airflow import ROOT, task_states, xcom_values


def test_quickstart_dag_sends_both_channels_once_and_sees_them_delivered(load_dag, messaging_sandbox):
    dag = load_dag("example_dags/example_messaging_quickstart.py", "example_messaging_quickstart")
    run = dag.test()
    assert set(task_states(run).values()) == {"success"}
    statuses = xcom_values(run, "wait_for_delivery")[-1]
    sent = {m.channel: m for m in messaging_sandbox.messages}
    assert set(sent) == {"VIBER", "WHATSAPP"}
    assert sent["VIBER"].body["message"]["data"]["instantContent"]["type"] == "BUTTON"
    for m in sent.values():
        assert messaging_sandbox.sent_count(m.id, m.dest_addr) == 1
        assert statuses[m.mt_num]["outcome"] == "delivered"


def test_make_demo_script_runs_end_to_end():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    result = subprocess.run([sys.executable, str(ROOT / "example_dags" / "run_demo.py")], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "DAG run" in result.stdout and ": success" in result.stdout
    assert result.stdout.count("DELIVERED (status 2") == 2
    assert "sandbox-secret" not in result.stdout + result.stderr
