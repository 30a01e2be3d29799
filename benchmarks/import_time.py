"""What importing the provider's DAG-facing modules adds to ``import airflow.sdk`` (DAG files
must parse fast). Median over several fresh interpreters; target <= 30 ms.

    uv run python benchmarks/import_time.py [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: what a DAG file imports: operators, sensors, notifiers (every module of those packages), the retry policy
PACKAGES = ("operators", "sensors", "notifications")
MODULES = ("airflow_provider_messaging.retry_policy",)
HEAVY = ("pydantic", "requests", "httpx", "tenacity", "airflow_provider_messaging.client",
         "airflow_provider_messaging.models.send", "airflow_provider_messaging.models.status",
         "airflow_provider_messaging.store")

PROBE = """
import json, sys, time
modules = json.loads(sys.argv[1])
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
before = set(sys.modules)
for name in modules:
    __import__(name)
t2 = time.perf_counter()
heavy = json.loads(sys.argv[2])
print(json.dumps({"sdk": t1 - t0, "added": t2 - t1,
                  "loaded": sorted(h for h in heavy if h in sys.modules and h not in before)}))
"""


def dag_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / "airflow_provider_messaging" / package).glob("*.py")):
            if path.name != "__init__.py":
                names.append(f"airflow_provider_messaging.{package}.{path.stem}")
    return names + list(MODULES)


def main(runs: int = 9) -> float:
    modules = dag_modules()
    # as installed (uv compiles bytecode): the provider's .pyc files exist, so each run measures
    # importing, not compiling the source (this machine sets PYTHONDONTWRITEBYTECODE)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "airflow_provider_messaging")], check=True)
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(modules), json.dumps(HEAVY)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    added = statistics.median(s["added"] for s in samples) * 1000
    sdk = statistics.median(s["sdk"] for s in samples) * 1000
    print(f"modules: {', '.join(m.rsplit('.', 2)[-2] + '.' + m.rsplit('.', 1)[-1] for m in modules)}")
    print(f"import airflow.sdk (median of {runs} fresh interpreters): {sdk:7.1f} ms")
    print(f"added by the provider's DAG-facing modules:        {added:7.1f} ms  (target <= 30 ms)")
    print(f"loaded by them beyond airflow.sdk: {', '.join(samples[-1]['loaded']) or 'none of ' + ', '.join(HEAVY)}")
    return added


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
