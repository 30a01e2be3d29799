"""The package registers as an Airflow provider: valid provider info, shown by the Airflow CLI."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import jsonschema

from airflow_provider_messaging.get_provider_info import get_provider_info


def test_provider_info_is_valid_against_airflows_schema():
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == distribution("airflow-provider-messaging").metadata["Name"]


def test_every_listed_module_and_class_imports():
    info = get_provider_info()
    modules = [m for key in ("hooks", "operators", "sensors", "triggers") for entry in info.get(key, [])
               for m in entry["python-modules"]]
    for module in modules:
        importlib.import_module(module)
    for dotted in [c["hook-class-name"] for c in info["connection-types"]] + info.get("notifications", []):
        module, _, name = dotted.rpartition(".")
        assert getattr(importlib.import_module(module), name)


def test_connection_form_fields_have_labels():
    import dataclasses

    from airflow_provider_messaging.client.settings import KNOWN_EXTRAS, ClientSettings

    (conn,) = get_provider_info()["connection-types"]
    assert conn["connection-type"] == "messaging"
    # every extra the hook reads has a labelled field (the raw extra editor is hidden)
    assert {"send_path", "status_path", "templates_url", "api_key", "default_service_number", "viber_sessions",
            "timeout", "max_retries", "verify_ssl", "proxy", "scheme"} <= KNOWN_EXTRAS
    for name in sorted(KNOWN_EXTRAS):
        assert conn["conn-fields"][name]["label"], name
        default = next((f.default for f in dataclasses.fields(ClientSettings) if f.name == name), None)
        if default not in (None, dataclasses.MISSING):
            assert conn["conn-fields"][name]["schema"].get("default") == default, name
    assert "extra" in conn["ui-field-behaviour"]["hidden-fields"]
    assert conn["ui-field-behaviour"]["placeholders"]["send_path"] == "/send"
    assert conn["conn-fields"]["api_key"]["schema"]["format"] == "password"
    assert conn["ui-field-behaviour"]["relabeling"]["host"] == "Base URL"


def test_entry_point_points_at_get_provider_info():
    eps = [ep for ep in distribution("airflow-provider-messaging").entry_points if ep.group == "apache_airflow_provider"]
    assert [ep.value for ep in eps] == ["airflow_provider_messaging.get_provider_info:get_provider_info"]


def _airflow(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "airflow", *args], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_airflow_cli_lists_the_provider_and_its_hook():
    assert "airflow-provider-messaging" in _airflow("providers", "list", "-o", "plain")
    hooks = _airflow("providers", "hooks", "-o", "json")
    entry = next(h for h in json.loads(hooks) if h["connection_type"] == "messaging")
    assert entry["class"] == "airflow_provider_messaging.hooks.messaging.MessagingHook"
    assert entry["package_name"] == "airflow-provider-messaging"
