"""``MessagingNotifier`` in real DAG runs (dag.test()) and in Airflow's own deadline-alert runner
(``CallbackTrigger``), against the sandbox with its duplicate control off: each message the sandbox
accepted is a message a person got."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import airflow.sdk
import pytest

from airflow_provider_messaging.exceptions import NotificationError
from airflow_provider_messaging.notifications.messaging import MessagingNotifier, notification_id
from tests.helpers.airflow import task_states

DAGS = "tests/integration/dags/notify_dags.py"
NOTIFIER = "airflow_provider_messaging.notifications.messaging.MessagingNotifier"

#: deadline alerts with callbacks (``AsyncCallback``, run by ``CallbackTrigger``): not in Airflow 3.1.0
needs_deadline_callbacks = pytest.mark.skipif(
    not hasattr(airflow.sdk, "AsyncCallback") or importlib.util.find_spec("airflow.triggers.callback") is None,
    reason="this Airflow has no deadline-alert callbacks (airflow.sdk.AsyncCallback, airflow.triggers.callback)",
)


def texts(sandbox) -> list[str]:
    return [m.body["message"]["data"]["instantContent"]["data"].get("text") for m in sandbox.messages]


def test_a_failing_task_sends_the_rendered_alert(load_dag, messaging_sandbox_factory, capfd):
    sandbox = messaging_sandbox_factory(dedup="off", login="notify-login-x1", password="notify-pass-x1")
    run = load_dag(DAGS, "notify_task_failure").test()
    assert task_states(run) == {"boom": "failed"}
    [message] = sandbox.messages
    assert message.dest_addr == "79000000011" and message.channel == "VIBER"
    assert texts(sandbox) == ["Task boom of notify_task_failure failed (try 1)"]
    assert message.body["message"]["data"]["serviceNumber"] == "ALERTS"
    notifier = load_dag(DAGS, "notify_task_failure").get_task("boom").on_failure_callback[0]
    assert message.id == notification_id(dag_id="notify_task_failure", run_id=run.run_id, task="boom[-1]#1",
                                         callback=f"task:{notifier.callback_id}", recipient="79000000011")
    out = "".join(capfd.readouterr())
    assert "Notification id=" in out and "to 7900*****11 accepted" in out
    assert "79000000011" not in out  # the recipient is masked in the log
    assert "notify-pass-x1" not in out and "notify-login-x1" not in out


def test_a_callback_fired_twice_sends_once(load_dag, messaging_sandbox_factory, message_store_url, capfd):
    sandbox = messaging_sandbox_factory(dedup="off")
    run = load_dag(DAGS, "notify_fires_twice").test()
    assert task_states(run) == {"boom_twice": "failed"}
    assert texts(sandbox) == ["boom_twice failed"]  # one message, though the callback ran twice
    assert sandbox.sent_count(sandbox.messages[0].id, "79000000012") == 1
    assert "was sent earlier" in "".join(capfd.readouterr())

    from airflow_provider_messaging.store import MessageStore

    store = MessageStore(message_store_url)
    try:
        record = store.ledger("send").get(sandbox.messages[0].id)
    finally:
        store.dispose()
    assert (record.state, record.mt_num) == ("accepted", sandbox.messages[0].mt_num)


def test_a_dag_success_callback_sends_to_many_recipients_with_image_and_button(load_dag, messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="off")
    run = load_dag(DAGS, "notify_dag_success").test()
    assert task_states(run) == {"fine": "success"}
    assert sandbox.wait_for(lambda: len(sandbox.messages) == 3)
    assert sorted(m.dest_addr for m in sandbox.messages) == ["79000000013", "79000000014", "89000000015"]
    content = sandbox.messages[0].body["message"]["data"]["instantContent"]
    assert content["type"] == "BUTTON"
    assert content["data"]["text"] == "notify_dag_success done for ops"
    assert content["data"]["imageURL"] == "https://example.org/ok.png"
    assert content["data"]["action"] == "https://airflow.example/dags/notify_dag_success"
    assert len({m.id for m in sandbox.messages}) == 3


# --- deadline alerts: Airflow's CallbackTrigger awaits the notifier in the triggerer ----------------------
def deadline_context(run_id: str = "scheduled__2026-05-01T00:00:00+00:00") -> dict:
    """What the scheduler hands a deadline alert's callback (``Deadline.handle_miss``)."""
    return {"dag_run": {"dag_id": "nightly_report", "dag_run_id": run_id, "logical_date": "2026-05-01T00:00:00Z"},
            "deadline": {"id": "0199-deadline", "deadline_time": "2026-05-01T01:00:00Z"}}


def run_callback_trigger(kwargs: dict) -> list[dict]:
    from airflow.triggers.callback import CallbackTrigger

    async def collect():
        trigger = CallbackTrigger(callback_path=NOTIFIER, callback_kwargs=json.loads(json.dumps(kwargs)))
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


@needs_deadline_callbacks
def test_a_deadline_alert_sends_through_the_async_path_once(messaging_sandbox_factory, capfd):
    sandbox = messaging_sandbox_factory(dedup="off", password="deadline-pass-x2")
    kwargs = {"recipients": ["79000000021", "79000000022"], "channel": "WHATSAPP",
              "text": "{{ dag_run.dag_id }} missed its deadline ({{ deadline.deadline_time }})",
              "service_number": "ALERTS", "context": deadline_context()}
    events = run_callback_trigger(kwargs)
    assert events[-1]["state"] == "success", events
    assert sorted(m.dest_addr for m in sandbox.messages) == ["79000000021", "79000000022"]
    assert set(texts(sandbox)) == {"nightly_report missed its deadline (2026-05-01T01:00:00Z)"}
    assert {m.channel for m in sandbox.messages} == {"WHATSAPP"}
    # the same deadline's callback again (a triggerer restart runs it once more): nothing new
    assert run_callback_trigger(kwargs)[-1]["state"] == "success"
    assert len(sandbox.messages) == 2
    # another run's deadline is another alert
    assert run_callback_trigger({**kwargs, "context": deadline_context("manual__2"), "recipients": ["79000000021"]}
                                )[-1]["state"] == "success"
    assert len(sandbox.messages) == 3
    out = "".join(capfd.readouterr())
    assert "deadline-pass-x2" not in out and "79000000021" not in out


def test_a_refused_recipient_fails_the_notification_naming_it_masked_and_the_others_still_go(
    messaging_sandbox_factory
):
    sandbox = messaging_sandbox_factory(dedup="off")
    notifier = MessagingNotifier(recipients="79000000031, 12", text="{{ dag_run.dag_id }}", service_number="ALERTS")
    with pytest.raises(NotificationError) as info:
        notifier(deadline_context())
    assert [m.dest_addr for m in sandbox.messages] == ["79000000031"]
    assert "1 of 2 notification message(s) not sent" in str(info.value)
    assert "79000000031" not in str(info.value)
    assert "12:" not in str(info.value) and "***: invalid message: destAddr" in str(info.value)


def test_an_invalid_recipient_is_masked_in_the_error_too(messaging_sandbox_factory):
    messaging_sandbox_factory(dedup="off")
    notifier = MessagingNotifier(recipients="+1 234 5", text="x", service_number="ALERTS")
    with pytest.raises(NotificationError) as info:
        notifier(deadline_context())
    assert "2345" not in str(info.value) and "+1 234 5" not in str(info.value)


def test_the_notifier_takes_airflows_callback_kwargs_and_checks_its_own():
    notifier = MessagingNotifier(recipients="1", text="t", context={"x": 1})
    assert notifier.context == {"x": 1}
    with pytest.raises(ValueError, match="VIBER or WHATSAPP"):
        MessagingNotifier(recipients="1", text="t", channel="SMS")
    with pytest.raises(ValueError, match="text, image_url"):
        MessagingNotifier(recipients="1")


@needs_deadline_callbacks
def test_a_dag_with_a_deadline_alert_using_the_notifier_serializes_with_the_notifiers_path():
    from datetime import timedelta

    from airflow.sdk import DAG, AsyncCallback, DeadlineAlert, DeadlineReference
    from airflow.serialization.serialized_objects import DagSerialization

    # [START deadline_alert]
    callback = AsyncCallback(MessagingNotifier, kwargs={"recipients": ["79000000021"], "text": "{{ dag_run.dag_id }}"})
    dag = DAG("notify_deadline", schedule=None, deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=timedelta(hours=1), callback=callback))
    # [END deadline_alert]
    data = json.dumps(DagSerialization.serialize_dag(dag)["deadline"])
    assert NOTIFIER in data and "79000000021" in data and "password" not in data


@pytest.mark.parametrize("recipients", [
    "{{ ['79000000051', '79000000052'] }}",  # a list rendered to its text (what {{ var.json.x }} gives)
    '["79000000051", 79000000052, "79000000051"]',  # the text of a JSON list; a repeat is sent once
    ["79000000051", "{{ '79000000052' }}"],
])
def test_recipients_rendered_as_the_text_of_a_list_are_each_sent(messaging_sandbox_factory, recipients):
    sandbox = messaging_sandbox_factory(dedup="off")
    MessagingNotifier(recipients=recipients, text="{{ dag_run.dag_id }}", service_number="ALERTS")(deadline_context())
    assert sorted(m.dest_addr for m in sandbox.messages) == ["79000000051", "79000000052"]


@pytest.mark.parametrize("recipients", ["[{[]: 1}]", "[79000000051, null]", "[not a list"])
def test_recipients_that_only_look_like_a_list_are_refused_as_invalid_numbers(messaging_sandbox_factory, recipients):
    sandbox = messaging_sandbox_factory(dedup="off")
    with pytest.raises(NotificationError, match="invalid message: destAddr"):
        MessagingNotifier(recipients=recipients, text="x", service_number="ALERTS")(deadline_context())
    assert [m.dest_addr for m in sandbox.messages] == (["79000000051"] if "null" in recipients else [])
