"""The example DAG that records an opt-out for each incoming "STOP"."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from airflow_provider_messaging.triggers.incoming import MessageReceivedTrigger

EXAMPLE = Path(__file__).resolve().parents[3] / "example_dags" / "example_incoming_stop.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_incoming_stop_module", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_dag_runs_for_an_asset_watched_for_stop_messages(example):
    assert example.dag.dag_id == "example_incoming_stop"
    assert set(example.dag.task_ids) == {"record_opt_outs", "confirm_opt_out"}
    assert example.dag.max_active_runs == 1
    [watcher] = example.stop_requests.watchers
    assert isinstance(watcher.trigger, MessageReceivedTrigger)
    pattern = re.compile(watcher.trigger.text_pattern, re.IGNORECASE)
    assert all(pattern.search(t) for t in ("STOP", " stop ", "Stop"))
    assert not any(pattern.search(t) for t in ("stop it", "nonstop", "hello"))


def test_the_watcher_serialises_with_the_dag(example):
    try:
        from airflow.serialization.serialized_objects import DagSerialization
    except ImportError:  # Airflow 3.1
        from airflow.serialization.serialized_objects import SerializedDAG as DagSerialization

    text = json.dumps(DagSerialization.to_dict(example.dag))
    assert '"classpath": "airflow_provider_messaging.triggers.incoming.MessageReceivedTrigger"' in text


def test_opt_outs_are_recorded_once_per_number_and_message(example):
    stop = {
        "transactionId": "t1",
        "sourceAddr": "79001234567",
        "destAddr": "MyShop",
        "message": "STOP",
        "receivedDate": "2022-06-22T10:22:45+0300",
    }
    opt_outs, new = example.merge_opt_outs({}, [stop, {**stop, "transactionId": "t2"}])
    assert new == ["79001234567"]
    assert opt_outs == {
        "79001234567": {"transactionId": "t1", "receivedDate": "2022-06-22T10:22:45+0300", "serviceNumber": "MyShop"}
    }
    again, new = example.merge_opt_outs(opt_outs, [stop])  # handed over again after a triggerer restart
    assert again == opt_outs and new == []
