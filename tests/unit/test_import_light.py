"""What a DAG file imports (operators, sensors, notifiers) loads no HTTP library, pydantic, the
client or the message store: benchmarks/import_time.py's probe, run once, and its time budget."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from tests.helpers.airflow import ROOT


def benchmark():
    spec = importlib.util.spec_from_file_location("messaging_import_time", ROOT / "benchmarks" / "import_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dag_facing_modules_load_nothing_heavy():
    bench = benchmark()
    modules = bench.dag_modules()
    assert {"airflow_provider_messaging.notifications.messaging", "airflow_provider_messaging.retry_policy"} <= set(modules)
    from airflow_provider_messaging.compat import HAS_RETRY_POLICY

    if not HAS_RETRY_POLICY:  # Airflow < 3.3: importing it raises ImportError on purpose (needs 3.3)
        modules.remove("airflow_provider_messaging.retry_policy")
    out = subprocess.run([sys.executable, "-c", bench.PROBE, json.dumps(modules), json.dumps(bench.HEAVY)],
                         capture_output=True, text=True, check=True, cwd=ROOT, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["added"] < 0.5  # generous on a busy 2-core machine; the benchmark's target is 30 ms
