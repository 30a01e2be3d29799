"""The receiver's Airflow plugin: entry point, provider info, mounted at /messaging in Airflow's own
api-server app, token hidden from Airflow's access log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

from airflow_provider_messaging.get_provider_info import get_provider_info
from tests.helpers.receiver import TOKEN


def test_plugin_is_registered_by_entry_point_and_provider_info():
    names = {e.name: e.value for e in entry_points(group="airflow.plugins")}
    target = "airflow_provider_messaging.receiver.plugin:MessagingReceiverPlugin"
    assert names["messaging_receiver"] == target
    assert get_provider_info()["plugins"] == [{"name": "messaging_receiver", "plugin-class": target.replace(":", ".")}]


def test_airflow_api_server_mounts_the_receiver_and_other_processes_do_not_build_it(airflow_db, tmp_path):
    code = (
        "import sys\n"
        "import airflow.plugins_manager as pm\n"
        "pm.ensure_plugins_loaded()\n"  # what every Airflow process does
        "assert 'airflow_provider_messaging.receiver.app' not in sys.modules\n"
        "assert 'messaging_receiver' in [p['name'] for p in pm.get_plugin_info(attrs_to_dump={'source'})]\n"
        "from airflow.api_fastapi.app import create_app\n"  # what the api-server does
        "from fastapi.testclient import TestClient\n"
        "client = TestClient(create_app())\n"
        f"ok = client.post('/messaging/{TOKEN}/reports', json={{'mtNum': '1', 'status': 2}})\n"
        "bad = client.post('/messaging/reports', json={'mtNum': '2', 'status': 2})\n"
        "print('ANSWERS', ok.status_code, ok.json(), bad.status_code, client.get('/messaging/health').json())\n"
    )
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {
        **os.environ,
        "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT": json.dumps({"conn_type": "generic", "password": TOKEN}),
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT": json.dumps({"conn_type": "generic", "extra": {"url": store_url}}),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=180
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "ANSWERS 200 {'accepted': 1} 401 {'status': 'ok'}" in output
    assert "path=/messaging/***/reports" in output  # Airflow's own access log line
    assert TOKEN not in output

    from airflow_provider_messaging.store import MessageStore

    store = MessageStore(store_url)
    assert list(store.get_reports(["1", "2"])) == ["1"]
    store.dispose()
