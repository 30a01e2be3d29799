"""The receiver's Airflow plugin: entry point, provider info, mounted at /messaging in Airflow's own
api-server app, token hidden from Airflow's access log."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from airflow_provider_messaging.get_provider_info import get_provider_info
from tests.helpers.receiver import TOKEN


def test_plugin_is_registered_by_entry_point_and_provider_info():
    names = {e.name: e.value for e in entry_points(group="airflow.plugins")}
    target = "airflow_provider_messaging.receiver.plugin:MessagingReceiverPlugin"
    assert names["messaging_receiver"] == target
    assert get_provider_info()["plugins"] == [{"name": "messaging_receiver", "plugin-class": target.replace(":", ".")}]


def test_processes_that_load_plugins_do_not_build_the_app():
    code = (
        "import sys\n"
        "import airflow.plugins_manager as pm\n"
        "pm.ensure_plugins_loaded()\n"  # what every Airflow process does
        "assert 'airflow_provider_messaging.receiver.plugin' in sys.modules\n"  # the plugin was loaded
        "assert 'airflow_provider_messaging.receiver.app' not in sys.modules\n"  # but its app not built
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


# Airflow 3.1's own api-server models use a class-based pydantic config (the oldest environment)
@pytest.mark.filterwarnings("ignore:Support for class-based `config` is deprecated:DeprecationWarning")
def test_airflow_api_server_app_mounts_the_receiver_at_messaging(airflow_db, tmp_path, monkeypatch, capfd):
    from fastapi.testclient import TestClient

    from airflow_provider_messaging.store import MessageStore

    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT", json.dumps({"conn_type": "generic", "password": TOKEN})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic", "extra": {"url": store_url}})
    )
    from airflow.api_fastapi.app import create_app

    client = TestClient(create_app())  # the api-server's app, plugins mounted
    assert client.post(f"/messaging/{TOKEN}/reports", json={"mtNum": "1", "status": 2}).json() == {"accepted": 1}
    assert client.post("/messaging/reports", json={"mtNum": "2", "status": 2}).status_code == 401
    assert client.get("/messaging/health").json() == {"status": "ok"}
    out, err = capfd.readouterr()
    import importlib.util

    if importlib.util.find_spec("airflow.api_fastapi.common.http_access_log"):  # Airflow 3.1 logs no access lines
        assert "path=/messaging/***/reports" in out + err  # Airflow's own access log line
    assert TOKEN not in out + err
    store = MessageStore(store_url)
    assert list(store.get_reports(["1", "2"])) == ["1"]
    store.dispose()
