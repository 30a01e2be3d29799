"""The README's install path: a wheel built with `uv build` installs into a fresh virtualenv and
registers the provider with Airflow (`airflow providers list`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_built_wheel_installs_into_a_fresh_venv_and_registers_the_provider(tmp_path):
    from uv import find_uv_bin  # the dev group has uv: every test environment can build and install

    # the uv on PATH first (`make` puts the one that filled the cache there: caches of other uv
    # versions differ), else the dev group's
    uv = shutil.which("uv") or find_uv_bin()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "UV_PROJECT"))}
    env["UV_COMPILE_BYTECODE"] = "0"  # a throw-away venv: no need to compile Airflow's 5,000 modules

    def run(*args: str, cwd=tmp_path) -> str:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done.stdout

    run(uv, "build", "--wheel", "--quiet", "-o", str(tmp_path / "dist"), str(ROOT))
    (wheel,) = (tmp_path / "dist").glob("airflow_provider_messaging-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "airflow_provider_messaging/sandbox/__main__.py" in names
    assert not any(n.startswith(("tests/", "example_dags/", "e2e/")) for n in names)

    # the dependencies as this test environment has them, taken from uv's cache (which installing it
    # filled: `make sync`, `make sync-oldest`): no download. The locked environment: uv.lock without
    # the dev group; another one (the oldest Airflow's): what is installed in it, the project aside.
    requirements = tmp_path / "requirements.txt"
    if os.path.realpath(sys.prefix) == os.path.realpath(ROOT / ".venv"):
        pins = run(uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet", cwd=ROOT)
    else:
        pins = run(uv, "pip", "freeze", "--exclude-editable", "--python", sys.executable)
    requirements.write_text(pins)
    venv = tmp_path / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    run(uv, "pip", "install", "--quiet", "--offline", "--python", str(python), "--no-deps",
        "-r", str(requirements), str(wheel))

    env["AIRFLOW_HOME"] = str(tmp_path / "airflow-home")
    where = run(str(python), "-c", "import airflow_provider_messaging as m; print(m.__file__)")
    assert where.startswith(str(venv)), where  # the installed wheel, not the checkout
    listed = run(str(venv / "bin" / "airflow"), "providers", "list", "--output", "json")
    providers = json.loads(listed[listed.index("["):])
    mine = [p for p in providers if p["package_name"] == "airflow-provider-messaging"]
    assert mine and mine[0]["version"] == "0.1.0", providers
