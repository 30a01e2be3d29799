"""``DeliveryStatusTrigger`` against the sandbox: events, serialisation, secrets, safe to run twice."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.triggers.delivery import DeliveryStatusTrigger

CLASSPATH = "airflow_provider_messaging.triggers.delivery.DeliveryStatusTrigger"


def _send(recipients: list[str], prefix: str = "t") -> list[tuple[str, str, str]]:
    """Send one Viber text to each recipient; ``[(mtNum, id, dest_addr)]``."""
    hook = MessagingHook()
    out = []
    for i, dest in enumerate(recipients):
        message_id = f"{prefix}-{i}"
        result = hook.send({"destAddr": dest, "id": message_id, "message": {
            "type": "VIBER", "data": {"serviceNumber": "SANDBOX",
                                      "instantContent": {"type": "TEXT", "data": {"text": "hello"}}}}})
        out.append((result.mt_num, message_id, dest))
    return out


async def _events(trigger: DeliveryStatusTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def _run(trigger: DeliveryStatusTrigger) -> list[dict]:
    return asyncio.run(asyncio.wait_for(_events(trigger), timeout=30))


def test_serialise_round_trip_is_json_only():
    trigger = DeliveryStatusTrigger(mt_nums=["7390612217", 7390612218, "7390612217"], poll_interval=5,
                                    timeout=60, batch_size=250, messaging_conn_id="messaging_sales")
    classpath, kwargs = trigger.serialize()
    assert classpath == CLASSPATH
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["mt_nums"] == ["7390612217", "7390612218"]
    assert kwargs["messaging_conn_id"] == "messaging_sales"
    assert kwargs["batch_size"] == 250 and kwargs["poll_interval"] == 5.0
    assert kwargs["end_time"] == pytest.approx(time.time() + 60, abs=5)
    again = DeliveryStatusTrigger(**kwargs)
    assert again.serialize() == (classpath, kwargs)  # a restart keeps the original deadline


def test_serialised_kwargs_carry_no_secret(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05)
    trigger = DeliveryStatusTrigger(mt_nums=["1"], poll_interval=0.05, timeout=0.2)
    assert _run(trigger)[0]["status"] == "timeout"  # the connection was read while running...
    text = json.dumps(trigger.serialize())
    # ...and still nothing of it is in what the triggerer stores
    for secret in (sandbox.password, sandbox.login, sandbox.api_key, sandbox.url):
        assert secret not in text


def test_polls_until_every_message_is_final(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.3, outcomes={"79000000002": "call-barred",
                                                                       "79000000003": "expired"})
    sent = _send(["79000000001", "79000000002", "79000000003"])
    events = _run(DeliveryStatusTrigger(mt_nums=[m for m, _, _ in sent], poll_interval=0.05, timeout=10))
    assert len(events) == 1
    event = events[0]
    assert event["status"] == "success" and event["pending"] == []
    assert [event["reports"][m]["outcome"] for m, _, _ in sent] == ["delivered", "call-barred", "expired"]
    assert event["reports"][sent[1][0]]["error_code"] == 3
    assert event["reports"][sent[0][0]]["id"] == sent[0][1]
    assert json.loads(json.dumps(event)) == event
    assert len(sandbox.messages) == 3


def test_a_trigger_run_twice_gives_the_same_result_and_sends_nothing(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.2, outcomes={"79000000005": "teleservice-not-provisioned"})
    sent = _send(["79000000004", "79000000005"])
    before = [sandbox.sent_count(i, d) for _, i, d in sent]
    _, kwargs = DeliveryStatusTrigger(mt_nums=[m for m, _, _ in sent], poll_interval=0.05, timeout=10).serialize()
    first = _run(DeliveryStatusTrigger(**kwargs))      # e.g. the triggerer restarts here...
    second = _run(DeliveryStatusTrigger(**kwargs))     # ...and runs it again from its serialised form
    assert first == second
    assert first[0]["status"] == "success"
    assert [first[0]["reports"][m]["outcome"] for m, _, _ in sent] == ["delivered", "teleservice-not-provisioned"]
    assert [sandbox.sent_count(i, d) for _, i, d in sent] == before == [1, 1]
    assert len(sandbox.messages) == 2


def test_timeout_yields_a_clear_event_not_a_hang(messaging_sandbox_factory):
    messaging_sandbox_factory(delivery_delay=0.05, outcomes={"79000000007": "pending"})
    sent = _send(["79000000006", "79000000007"])
    started = time.monotonic()
    events = _run(DeliveryStatusTrigger(mt_nums=[m for m, _, _ in sent], poll_interval=0.05, timeout=0.5))
    assert time.monotonic() - started < 5
    event = events[0]
    assert event["status"] == "timeout"
    assert event["pending"] == [sent[1][0]]
    assert "1 of 2 messages not final" in event["message"]
    assert event["reports"][sent[0][0]]["outcome"] == "delivered"
    assert event["reports"][sent[1][0]]["final"] is False


def test_bad_credentials_yield_an_error_event_without_secrets(messaging_sandbox_factory, set_conn):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05)
    set_conn(sandbox.url, login=sandbox.login, password="wrong-password-123")
    events = _run(DeliveryStatusTrigger(mt_nums=["7390612217"], poll_interval=0.05, timeout=5))
    assert events[0]["status"] == "error"
    assert events[0]["fatal"] is True  # refused by the platform: the task fails without retries
    assert "Invalid password" in events[0]["message"]
    assert "wrong-password-123" not in json.dumps(events)


def test_transient_errors_keep_polling(messaging_sandbox_factory, monkeypatch):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05)
    conn = json.loads(sandbox.connection_json())
    conn["extra"].update(backoff_initial=0.01, backoff_max=0.02, max_retries=0)
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(conn))
    sent = _send(["79000000008"])
    sandbox.inject("unavailable", count=2, endpoint="status")
    events = _run(DeliveryStatusTrigger(mt_nums=[sent[0][0]], poll_interval=0.05, timeout=10))
    assert events[0]["status"] == "success"
    assert sandbox.faults == []  # both faults were met, and polling went on past them


def test_missing_connection_is_an_error_event():
    events = _run(DeliveryStatusTrigger(mt_nums=["1"], messaging_conn_id="no_such_messaging_conn", timeout=5))
    assert events[0]["status"] == "error"
    assert events[0]["fatal"] is False  # not the platform's answer: left to the task's retries
    assert "no_such_messaging_conn" in events[0]["message"]


def test_two_copies_running_at_once_agree_and_send_nothing(messaging_sandbox_factory):
    """Two triggerers may briefly run the same trigger side by side (HA, a reassignment): both only
    read, so both give the same event and the platform sees no new message."""
    sandbox = messaging_sandbox_factory(delivery_delay=0.3, outcomes={"79000000010": "memory-capacity-exceeded"})
    sent = _send(["79000000009", "79000000010"])
    _, kwargs = DeliveryStatusTrigger(mt_nums=[m for m, _, _ in sent], poll_interval=0.05, timeout=10).serialize()

    async def both() -> list[list[dict]]:
        return list(await asyncio.gather(_events(DeliveryStatusTrigger(**kwargs)), _events(DeliveryStatusTrigger(**kwargs))))

    first, second = asyncio.run(asyncio.wait_for(both(), timeout=30))
    assert first == second and len(first) == 1
    assert [first[0]["reports"][m]["outcome"] for m, _, _ in sent] == ["delivered", "memory-capacity-exceeded"]
    assert [sandbox.sent_count(i, d) for _, i, d in sent] == [1, 1]
    assert len(sandbox.messages) == 2


def test_the_first_check_waits_for_first_check_at_and_a_restart_after_it_does_not(messaging_sandbox_factory):
    """The sensor checked just before deferring: the trigger's first check comes one interval later,
    not at once; a trigger restarted after that time checks at once."""
    messaging_sandbox_factory(delivery_delay=0)
    sent = [m for m, _, _ in _send(["79000000011"])]
    started = time.monotonic()
    (event,) = _run(DeliveryStatusTrigger(mt_nums=sent, poll_interval=5, timeout=10, first_check_at=time.time() + 0.6))
    assert event["status"] == "success" and time.monotonic() - started >= 0.55
    restarted = DeliveryStatusTrigger(**{**DeliveryStatusTrigger(
        mt_nums=sent, poll_interval=5, timeout=10, first_check_at=time.time() - 1).serialize()[1]})
    started = time.monotonic()
    (event,) = _run(restarted)
    assert event["status"] == "success" and time.monotonic() - started < 3  # not a poll interval later
