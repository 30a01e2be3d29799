"""The receiver's Airflow plugin: entry point, provider info, mounted at /messaging."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from airflow_provider_messaging.get_provider_info import get_provider_info


def test_plugin_is_registered_by_entry_point_and_provider_info():
    names = {e.name: e.value for e in entry_points(group="airflow.plugins")}
    target = "airflow_provider_messaging.receiver.plugin:MessagingReceiverPlugin"
    assert names["messaging_receiver"] == target
    assert get_provider_info()["plugins"] == [{"name": "messaging_receiver", "plugin-class": target.replace(":", ".")}]


def test_airflow_mounts_the_app_at_messaging_and_other_processes_do_not_build_it():
    code = (
        "import sys\n"
        "import airflow.plugins_manager as pm\n"
        "pm.ensure_plugins_loaded()\n"  # what every Airflow process does
        "assert 'airflow_provider_messaging.receiver.app' not in sys.modules\n"
        "assert 'messaging_receiver' in [p['name'] for p in pm.get_plugin_info(attrs_to_dump={'source'})]\n"
        "apps, _ = pm.get_fastapi_plugins()\n"  # what the api-server does
        "[app] = [a for a in apps if a['url_prefix'] == '/messaging']\n"
        "from fastapi.testclient import TestClient\n"
        "print(TestClient(app['app']).get('/health').json())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("{'status': 'ok'}")
