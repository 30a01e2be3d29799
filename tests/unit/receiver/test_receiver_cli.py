"""The standalone receiver: ``python -m airflow_provider_messaging.receiver`` serving real HTTP into a
store; tokens never reach its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx

from airflow_provider_messaging.store import MessageStore
from tests.helpers.receiver import OTHER_TOKEN, TOKEN, free_port


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the receiver exited"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the receiver did not start")


def test_cli_serves_into_the_store_and_masks_tokens_in_its_log(tmp_path, capfd):
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {
        **os.environ,
        "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT": json.dumps(
            {"conn_type": "generic", "password": TOKEN, "extra": {"tokens": [OTHER_TOKEN]}}
        ),
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT": json.dumps({"conn_type": "generic", "extra": {"url": store_url}}),
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_messaging.receiver", "--port", str(port)], env=env
    )  # output goes to this test's file descriptors (capfd)
    try:
        wait_until_up(url, process)
        report = {"mtNum": "7390612217", "status": 2}
        assert httpx.post(f"{url}/{TOKEN}/reports", json=report).status_code == 200
        assert (
            httpx.post(
                f"{url}/mo",
                json={"transactionId": "1", "sourceAddr": "7", "destAddr": "S"},
                headers={"Authorization": f"Bearer {OTHER_TOKEN}"},
            ).status_code
            == 200
        )
        assert httpx.post(f"{url}/{TOKEN}x/reports", json=report).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
    out, err = capfd.readouterr()
    logged = out + err
    assert "POST /***/reports" in logged and "401" in logged
    assert TOKEN not in logged and OTHER_TOKEN not in logged
    store = MessageStore(store_url)
    assert list(store.get_reports(["7390612217"])) == ["7390612217"]
    assert [m.transaction_id for m in store.mo_after(0).messages] == ["1"]
    store.dispose()


def test_cli_refuses_to_start_without_valid_settings_and_names_the_problem(monkeypatch, capsys):
    from airflow_provider_messaging.receiver.__main__ import main

    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT", json.dumps({"conn_type": "generic", "password": "x"}))
    assert main(["--port", "0"]) == 2
    assert "tokens: every token needs at least 16 characters" in capsys.readouterr().err
    monkeypatch.delenv("AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT")
    assert main(["--port", "0", "--conn-id", "no_such_receiver"]) == 2
    assert "no_such_receiver" in capsys.readouterr().err
