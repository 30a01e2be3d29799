"""The sandbox's command line, pytest plugin and connection forms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.sandbox import post, viber, wait_until


def _start_cli(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "airflow_provider_messaging.sandbox", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("export AIRFLOW_CONN_MESSAGING_DEFAULT="):
            break
    return proc, lines


def exported(line: str) -> dict[str, str]:
    """What a shell sets when the line is pasted into it as it is (bash itself reads it)."""
    result = subprocess.run(["bash", "-c", f'{line}\nenv -0'], capture_output=True, check=True)
    pairs = (item.split(b"=", 1) for item in result.stdout.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode() for k, v in pairs}


def test_cli_prints_the_uri_and_the_env_line_and_serves(tmp_path):
    proc, lines = _start_cli("--port", "0", "--login", "cli-user", "--password", "cli pass",
                             "--dedup", "reject", "--delivery-delay", "0.05", "--outcome", "7900000000*=call-barred")
    try:
        uri_line = next(line for line in lines if line.startswith("Connection URI: "))
        uri = urlsplit(uri_line.split(": ", 1)[1])
        assert uri.scheme == "messaging" and uri.hostname == "127.0.0.1"
        assert unquote(uri.username) == "cli-user" and unquote(uri.password) == "cli pass"
        assert parse_qs(uri.query)["scheme"] == ["http"]
        env_json = json.loads(exported(lines[-1])["AIRFLOW_CONN_MESSAGING_DEFAULT"])
        base = env_json["host"]
        assert base == f"http://127.0.0.1:{uri.port}" and env_json["extra"]["api_key"] == "sandbox-api-key"
        body = viber(id="cli-1", destAddr="79000000001")
        body.update(login="cli-user", password="cli pass")
        mt = requests.post(base + "/send", json=body, timeout=5).json()["mtNum"]
        assert requests.post(base + "/send", json=body, timeout=5).status_code == 409  # --dedup reject
        pull = {"login": "cli-user", "password": "cli pass", "mtNums": [mt]}
        assert wait_until(lambda: requests.post(base + "/status", json=pull, timeout=5)
                          .json()["reports"][0].get("errorCode") == 3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_cli_refuses_an_unknown_outcome():
    result = subprocess.run([sys.executable, "-m", "airflow_provider_messaging.sandbox", "--port", "0",
                             "--outcome", "7900*=lost"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown outcome 'lost'" in result.stderr


def test_fixture_is_started_and_sets_the_airflow_connection(messaging_sandbox, request):
    assert request.config.pluginmanager.has_plugin("messaging_sandbox")  # loaded by the pytest11 entry point
    name, value = messaging_sandbox.env_var()
    assert name == "AIRFLOW_CONN_MESSAGING_DEFAULT"
    assert os.environ[name] == value == messaging_sandbox.connection_json()
    conn = json.loads(value)
    assert conn == {"conn_type": "messaging", "host": messaging_sandbox.url, "login": "sandbox",
                    "password": "sandbox-secret",
                    "extra": {"api_key": "sandbox-api-key", "default_service_number": "SANDBOX",
                              "viber_sessions": False, "platform_dedup": True}}
    assert post(messaging_sandbox, viber()).status_code == 200


def test_factory_builds_custom_sandboxes_under_their_own_conn_ids(messaging_sandbox_factory):
    first = messaging_sandbox_factory(dedup="off", conn_id="msg_a")
    second = messaging_sandbox_factory(viber_sessions=True, conn_id="msg_b")
    assert first.url != second.url
    assert json.loads(os.environ["AIRFLOW_CONN_MSG_A"])["extra"]["platform_dedup"] is False
    assert json.loads(os.environ["AIRFLOW_CONN_MSG_B"])["extra"]["viber_sessions"] is True
    assert post(first, viber()).status_code == 200 and post(second, viber()).status_code == 200


def test_stop_closes_the_port():
    sandbox = Sandbox().start()
    url = sandbox.url
    assert requests.get(url + "/_sandbox/health", timeout=5).json()["ok"]
    sandbox.stop()
    sandbox.stop()  # twice is fine
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_sandbox/health", timeout=2)


def test_connection_uri_quotes_values_and_airflow_parses_it():
    from airflow.models.connection import Connection

    with Sandbox(login="user@x", password="p@ss:w/rd &?=", templates_path="/tpl") as sandbox:
        uri = sandbox.connection_uri
        assert uri.startswith(f"messaging://user%40x:p%40ss%3Aw%2Frd%20%26%3F%3D@127.0.0.1:{sandbox.port}?")
        conn = Connection(conn_id="sandbox_uri", uri=uri)
        assert (conn.conn_type, conn.host, conn.port) == ("messaging", "127.0.0.1", sandbox.port)
        assert (conn.login, conn.password) == ("user@x", "p@ss:w/rd &?=")
        extra = dict(conn.extra_dejson)
        # Airflow 3.3 decodes query values as JSON (True); 3.1 keeps the text ("true"): the settings read both
        assert extra.pop("platform_dedup") in (True, "true")
        assert extra == {"scheme": "http", "api_key": "sandbox-api-key", "default_service_number": "SANDBOX",
                         "templates_url": "/tpl"}
        from airflow_provider_messaging.client.settings import ClientSettings

        assert ClientSettings.from_connection(conn).platform_dedup is True
        from_json = Connection.from_json(sandbox.connection_json(), conn_id="sandbox_json")
        assert from_json.host == sandbox.url and from_json.password == "p@ss:w/rd &?="


def test_bench_module_measures_requests_per_second(capsys):
    from airflow_provider_messaging.sandbox.bench import main

    assert main(["--requests", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 sends to an in-process sandbox: ") and out.rstrip().endswith("requests/s")


def test_messages_stay_readable_after_the_context_exits():
    with Sandbox() as sandbox:
        mt = post(sandbox, viber(id="after-1")).json()["mtNum"]
    assert [m.mt_num for m in sandbox.messages] == [mt]
    assert sandbox.sent_count("after-1", "79000000001") == 1
