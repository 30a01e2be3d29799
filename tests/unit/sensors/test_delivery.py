"""``DeliveryStatusSensor`` pieces: reading ``mt_nums``, poking the sandbox, resuming after the trigger."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.sensors.delivery import DeliveryStatusSensor
from airflow_provider_messaging.triggers.delivery import DeliveryStatusTrigger
from tests.helpers.airflow import send_result


def _send(recipients: list[str]) -> list[str]:
    hook = MessagingHook()
    return [
        hook.send({"destAddr": d, "id": f"s-{d}", "message": {"type": "VIBER", "data": {
            "serviceNumber": "SANDBOX", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}}).mt_num
        for d in recipients
    ]


def test_nothing_to_track_skips():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=[send_result(None, duplicate=True)])
    with pytest.raises(AirflowSkipException, match="no mtNum to track"):
        sensor.poke({})


# --- construction -------------------------------------------------------------------------------------
def test_fail_on_is_checked_at_construction():
    with pytest.raises(ValueError, match=r"w: fail_on: unknown outcome 'call-bared'"):
        DeliveryStatusSensor(task_id="w", mt_nums="1", fail_on=["call-bared"])
    with pytest.raises(ValueError, match="unknown outcome 'pending'"):
        DeliveryStatusSensor(task_id="w", mt_nums="1", fail_on="pending")
    assert DeliveryStatusSensor(task_id="w", mt_nums="1", fail_on="Call_Barred").fail_on == ("call-barred",)


def test_batch_size_is_checked_at_construction():
    with pytest.raises(ValueError, match="batch_size"):
        DeliveryStatusSensor(task_id="w", mt_nums="1", batch_size=5000)


def test_mt_nums_is_templated():
    assert "mt_nums" in DeliveryStatusSensor.template_fields


def test_deferrable_defaults_to_the_operators_setting(monkeypatch):
    import importlib

    import airflow_provider_messaging.sensors.delivery as module

    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    try:
        reloaded = importlib.reload(module)
        assert reloaded.DeliveryStatusSensor(task_id="w", mt_nums="1").deferrable is True
    finally:
        monkeypatch.delenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE")
        importlib.reload(module)


# --- poke -------------------------------------------------------------------------------------------
def test_poke_asks_only_for_messages_not_final_yet(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000012": "pending",
                                                                      "79000000013": "unrouted"})
    mt = _send(["79000000011", "79000000012", "79000000013"])
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=mt, poke_interval=0.01, batch_size=2)
    first = sensor.poke({})
    assert first.is_done is False
    assert sensor.hook.status_requests == 2  # 3 mtNums in batches of 2
    second = sensor.poke({})
    assert second.is_done is False
    assert sensor.hook.status_requests == 3  # only the pending one is asked again
    assert sandbox.message(mt[1]).is_final is False


def test_poke_returns_the_xcom_shape_when_all_final(messaging_sandbox_factory):
    messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000022": "memory-capacity-exceeded"})
    mt = _send(["79000000021", "79000000022"])
    result = DeliveryStatusSensor(task_id="w", mt_nums=mt).poke({})
    assert result.is_done is True
    assert list(result.xcom_value) == mt
    assert result.xcom_value[mt[1]] == {
        "status": 5, "status_name": "UNDELIVERABLE", "error_code": 5, "failure": "memory-capacity-exceeded",
        "final": True, "done_date": result.xcom_value[mt[1]]["done_date"], "outcome": "memory-capacity-exceeded",
        "id": "s-79000000022",
    }
    assert result.xcom_value[mt[0]]["outcome"] == "delivered"
    assert json.loads(json.dumps(result.xcom_value)) == result.xcom_value


def test_fail_on_fails_the_poke(messaging_sandbox_factory):
    messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000032": "call-barred"})
    mt = _send(["79000000031", "79000000032"])
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=mt, fail_on=["call-barred", "unrouted"])
    with pytest.raises(AirflowFailException, match=rf"1 of 2 messages .* fail_on .*: {mt[1]} call-barred"):
        sensor.poke({})


def test_transient_poll_error_is_not_done_and_bad_credentials_fail(messaging_sandbox_factory, set_conn):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0)
    mt = _send(["79000000041"])
    set_conn(sandbox.url, login=sandbox.login, password=sandbox.password, max_retries=0)
    sandbox.inject("unavailable", count=1, endpoint="status")
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=mt)
    assert sensor.poke({}).is_done is False
    assert sensor.poke({}).is_done is True

    set_conn(sandbox.url, login=sandbox.login, password="not-the-password")
    with pytest.raises(AirflowFailException, match="Invalid password"):
        DeliveryStatusSensor(task_id="w2", mt_nums=mt).poke({})


def test_deferrable_checks_once_then_defers_without_secrets(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000052": "pending"})
    mt = _send(["79000000051", "79000000052"])
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=mt, deferrable=True, poke_interval=7, timeout=100,
                                  batch_size=50)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute({})
    trigger = info.value.trigger
    assert isinstance(trigger, DeliveryStatusTrigger)
    assert info.value.method_name == "execute_complete"
    assert sensor.hook.status_requests == 1  # one check (2 mtNums, one batch) before deferring
    _, kwargs = trigger.serialize()
    assert kwargs["mt_nums"] == mt and kwargs["poll_interval"] == 7.0 and kwargs["batch_size"] == 50
    assert sandbox.password not in json.dumps(kwargs)


def test_deferrable_returns_at_once_when_already_final(messaging_sandbox_factory):
    messaging_sandbox_factory(delivery_delay=0.0)
    mt = _send(["79000000061"])
    result = DeliveryStatusSensor(task_id="w", mt_nums=mt, deferrable=True).execute({})
    assert result[mt[0]]["outcome"] == "delivered"


# --- resuming after the trigger ------------------------------------------------------------------
REPORTS = {
    "1": {"status": 2, "status_name": "DELIVERED", "error_code": 0, "failure": None, "final": True,
          "done_date": "d", "outcome": "delivered", "id": None},
    "2": {"status": 5, "status_name": "UNDELIVERABLE", "error_code": 11, "failure": "unrouted", "final": True,
          "done_date": "d", "outcome": "unrouted", "id": None},
}


def test_execute_complete_success_returns_the_reports():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1", "2"])
    assert sensor.execute_complete({}, {"status": "success", "reports": REPORTS, "message": "ok"}) == REPORTS


def test_execute_complete_applies_fail_on():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1", "2"], fail_on=["unrouted"])
    with pytest.raises(AirflowFailException, match="2 unrouted"):
        sensor.execute_complete({}, {"status": "success", "reports": REPORTS, "message": "ok"})


def test_execute_complete_timeout_and_error():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1"])
    with pytest.raises(AirflowSensorTimeout, match="1 of 2 messages not final"):
        sensor.execute_complete({}, {"status": "timeout", "reports": {}, "message": "1 of 2 messages not final"})
    with pytest.raises(AirflowException, match="trigger failed: boom") as info:
        sensor.execute_complete({}, {"status": "error", "reports": {}, "message": "boom"})
    assert not isinstance(info.value, AirflowFailException)  # left to the task's retries
    with pytest.raises(AirflowFailException, match="status request failed: InvalidPasswordError"):
        sensor.execute_complete({}, {"status": "error", "reports": {}, "message": "InvalidPasswordError: ...",
                                     "fatal": True})
    with pytest.raises(AirflowException, match="no event"):
        sensor.execute_complete({}, None)


def test_execute_complete_soft_fail_skips():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1"], soft_fail=True)
    with pytest.raises(AirflowSkipException, match="timeout"):
        sensor.execute_complete({}, {"status": "timeout", "reports": {}, "message": "late"})
    with pytest.raises(AirflowSkipException, match="error"):
        sensor.execute_complete({}, {"status": "error", "reports": {}, "message": "boom"})


@pytest.mark.parametrize("flag", ["soft_fail", "never_fail"])
def test_deferrable_first_check_skips_like_poke_mode_on_soft_fail_and_never_fail(flag, messaging_sandbox_factory):
    """The check made before deferring follows BaseSensorOperator.execute's rules."""
    messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000072": "call-barred"})
    mt = _send(["79000000071", "79000000072"])
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=mt, deferrable=True, fail_on=["call-barred"], **{flag: True})
    with pytest.raises(AirflowSkipException, match=rf"1 of 2 messages .* fail_on .*: {mt[1]} call-barred"):
        sensor.execute({})


def test_deferrable_first_check_never_fail_skips_other_errors():
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1"], deferrable=True, never_fail=True,
                                  messaging_conn_id="no_such_messaging_conn")
    with pytest.raises(AirflowSkipException, match="never_fail.*no_such_messaging_conn"):
        sensor.execute({})
    with pytest.raises(Exception, match="no_such_messaging_conn") as info:
        DeliveryStatusSensor(task_id="w", mt_nums=["1"], deferrable=True,
                             messaging_conn_id="no_such_messaging_conn").execute({})
    assert not isinstance(info.value, AirflowSkipException)


def test_a_soft_fail_skip_logs_why(capfd):
    """Airflow replaces the message of a soft_fail skip with its own; the log must still say why."""
    sensor = DeliveryStatusSensor(task_id="w", mt_nums=["1", "2"], fail_on=["unrouted"], soft_fail=True)
    with pytest.raises(AirflowFailException):
        sensor.execute_complete({}, {"status": "success", "reports": REPORTS, "message": "ok"})
    assert "Skipping instead of failing (soft_fail): 1 of 2 messages ended in an outcome listed in fail_on" \
        in "".join(capfd.readouterr())


def test_a_soft_fail_skip_on_a_refused_status_request_logs_why(messaging_sandbox_factory, set_conn, capfd):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0)
    set_conn(sandbox.url, login=sandbox.login, password="not-the-password")
    with pytest.raises(AirflowFailException, match="Invalid password"):
        DeliveryStatusSensor(task_id="w", mt_nums=["1"], soft_fail=True).poke({})
    out = "".join(capfd.readouterr())
    assert "Skipping instead of failing (soft_fail): status request failed:" in out and "Invalid password" in out
    assert "not-the-password" not in out


@pytest.mark.parametrize(("rendered", "message"), [
    ("", "expected a campaign summary"),  # a template that rendered to nothing
    ("{'scope': ", "cannot read"),  # a summary rendered half
    ("[{[]: 1}]", "cannot read"),
])
def test_a_campaign_that_renders_to_nothing_usable_fails_the_task_clearly(rendered, message):
    sensor = DeliveryStatusSensor(task_id="w", campaign="{{ ti.xcom_pull('send') }}")
    sensor.campaign = rendered  # what the template rendered to
    with pytest.raises(AirflowFailException, match=message):
        sensor.campaign_scope()
