"""``DeliveryStatusSensor(source=...)``: reports read from the receiver's store (PostgreSQL and SQLite),
the platform polled only when asked to; same return shape as polling."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_messaging.compat import TaskDeferred
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor

#: a status connection nobody answers: a sensor that asks the platform fails loudly
UNREACHABLE = {
    "conn_type": "messaging",
    "host": "http://127.0.0.1:9",
    "login": "x",
    "password": "never-used-pw",
    "extra": {"max_retries": 0, "timeout": 1},
}


@pytest.fixture
def store(message_store, monkeypatch):
    url = message_store.url.render_as_string(hide_password=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic", "extra": {"url": url}})
    )
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_UNREACHABLE", json.dumps(UNREACHABLE))
    return message_store


def test_receiver_mode_reads_pushed_reports_and_never_asks_the_platform(store):
    sensor = DeliveryStatusSensor(
        task_id="w", mt_nums=["m1", "m2"], source="receiver", messaging_conn_id="messaging_unreachable"
    )
    store.record_reports([{"mtNum": "m1", "id": "p1", "status": 2}, {"mtNum": "m2", "status": 6}])
    assert sensor.poke({}).is_done is False
    store.record_reports([{"mtNum": "m2", "status": 5, "errorCode": 3, "doneDate": "2022-06-22T10:22:45+0300"}])
    done = sensor.poke({})
    assert done.is_done
    assert done.xcom_value == {
        "m1": {
            "status": 2,
            "status_name": "DELIVERED",
            "error_code": 0,
            "failure": None,
            "final": True,
            "done_date": None,
            "outcome": "delivered",
            "id": "p1",
        },
        "m2": {
            "status": 5,
            "status_name": "UNDELIVERABLE",
            "error_code": 3,
            "failure": "call-barred",
            "final": True,
            "done_date": "2022-06-22T10:22:45+0300",
            "outcome": "call-barred",
            "id": None,
        },
    }


def test_both_polls_the_platform_only_after_poll_after(store, messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0)
    from airflow_provider_messaging.hooks.messaging import MessagingHook

    mt_num = (
        MessagingHook()
        .send(
            {
                "destAddr": "79000000001",
                "id": "b-1",
                "message": {
                    "type": "VIBER",
                    "data": {"serviceNumber": "SANDBOX", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}},
                },
            }
        )
        .mt_num
    )
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=[mt_num], source="both", poll_after=0.4)
    assert sensor.poke({}).is_done is False  # not in the store, too early to ask the platform
    time.sleep(0.5)
    done = sensor.poke({})
    assert done.is_done and done.xcom_value[mt_num]["outcome"] == "delivered"
    assert len(sandbox.messages) == 1


def test_an_unreadable_store_is_retried_at_the_next_poke(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_STORE_DEFAULT",
        json.dumps({"conn_type": "generic", "extra": {"url": "postgresql://nobody@127.0.0.1:1/none"}}),
    )
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["m1"], source="receiver")
    assert sensor.poke({}).is_done is False


def test_deferring_hands_the_source_to_the_trigger(store):
    sensor = DeliveryStatusSensor(
        task_id="w",
        mt_nums=["m1"],
        source="both",
        poll_after=60,
        deferrable=True,
        timeout=30,
        store_conn_id="messaging_store_default",
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["source"] == "both" and kwargs["store_conn_id"] == "messaging_store_default"
    assert time.time() + 55 < kwargs["poll_at"] <= time.time() + 60


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"source": "push"}, "w: source: expected one of 'poll', 'receiver', 'both'"),
        ({"source": "both", "poll_after": -1}, "w: poll_after: expected a number of seconds >= 0"),
    ],
)
def test_bad_source_arguments_are_named(kwargs, named):
    with pytest.raises(ValueError, match=named):
        DeliveryStatusSensor(task_id="w", mt_nums="1", **kwargs)
