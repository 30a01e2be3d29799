"""The README's install path: a wheel built with `uv build` installs into a fresh virtualenv and
registers the provider with Airflow (`airflow providers list`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (`make test` puts it there)")
    return uv


def test_built_wheel_installs_into_a_fresh_venv_and_registers_the_provider(tmp_path):
    if os.path.realpath(sys.prefix) != os.path.realpath(ROOT / ".venv"):
        pytest.skip("installs uv.lock's dependencies offline from uv's cache, which `make sync` fills: "
                    "`make test` runs it, another environment (`make test-oldest`) need not have them")
    uv = _uv()
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

    # the dependencies exactly as locked, taken from uv's cache (filled by `make sync`): no download
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(run(uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
                                "--quiet", cwd=ROOT))
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
