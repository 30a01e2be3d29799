"""Differential property test: for generated send payloads, the client's wire models
(``models.send.SendRequest``) and the sandbox's own validation agree on accept/reject.

The two are written independently on purpose (the sandbox never imports the client's models), so
a disagreement points at a bug on one side. Payloads are wire-shaped JSON with the documented fields
only: unknown fields are a known, decided difference (the client refuses them, the sandbox ignores
them, as the platform is assumed to).
"""

from __future__ import annotations

import json
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_messaging.models.base import InvalidMessageError
from airflow_provider_messaging.models.send import SendRequest
from airflow_provider_messaging.sandbox import Sandbox
from airflow_provider_messaging.sandbox.validation import SendRejection, validate_send

ABSENT = object()

VALID_DEST = ["72101234567", "+72101234567", "8-210-123-45-67", "82101234567", "+7 (210) 123-45-67",
              "4915123456789", "1234567890", "123456789012345"]
INVALID_DEST = ["123456789", "1234567890123456", "", "   ", "7900+0000001", "abc", 79000000001, None,
                "7210123456\u0667", "72101234567\n"]
VIBER_TTL = [ABSENT, None, 1, 60, 2880, "60", 60.0]
WHATSAPP_TTL = [ABSENT, None, 0, 1440, 10080, "1440"]
INVALID_TTL = [-1, 0, 59, 1441, 2881, 10081, "x", 1.5, "1.5", [60], True, False, "6_0", "60.0", "1_440"]
UNITS_OK = [ABSENT, "MINUTES"]
UNITS_ANY = [None, "SECONDS", "HOURS", "DAYS", "minutes"]
CONTENT_OK = {
    ("VIBER", "TEXT"): {"text": "hi"},
    ("VIBER", "IMAGE_URL"): {"imageURL": "https://example.com/i.png"},
    ("VIBER", "BUTTON"): {"text": "hi", "caption": "Open", "action": "https://example.com"},
    ("WHATSAPP", "TEXT"): {"text": "hi"},
    ("WHATSAPP", "IMAGE_URL"): {"imageURL": "https://example.com/i.png"},
}
CONTENT_VALUES = ["", " ", "hi", "x" * 1000, "x" * 1001, "x" * 1999, "x" * 2001, 5, None,
                  "https://example.com/i.png"]


def pick(draw: st.DrawFn, valid: list[Any], invalid: list[Any]) -> Any:
    """Mostly a valid value; one time in eight an invalid (or unusual) one."""
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(invalid))
    return draw(st.sampled_from(valid))


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not ABSENT:
        target[key] = value


@st.composite
def send_payloads(draw: st.DrawFn) -> dict[str, Any]:
    """Wire-shaped send bodies, each field mostly valid so both accepts and rejects are common."""
    channel = pick(draw, ["VIBER", "WHATSAPP"], ["Viber", "SMS", None])
    ctype = pick(draw, ["TEXT", "IMAGE_URL", "BUTTON"] if channel == "VIBER" else ["TEXT", "IMAGE_URL"],
                 ["VIDEO", "BUTTON", "TEXT", "IMAGE_URL"])
    content = dict(CONTENT_OK.get((channel, ctype), {"text": "hi"}))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        key = draw(st.sampled_from(["text", "imageURL", "caption", "action"]))
        value = draw(st.sampled_from(CONTENT_VALUES + ["ABSENT"]))
        if value == "ABSENT":
            content.pop(key, None)
        else:
            content[key] = value
    data: dict[str, Any] = {"instantContent": {"type": ctype, "data": content}}
    _put(data, "serviceNumber", pick(draw, ["SANDBOX"], ["", " ", ABSENT, None, 5]))
    _put(data, "ttl", pick(draw, VIBER_TTL if channel == "VIBER" else WHATSAPP_TTL, INVALID_TTL))
    if "ttl" in data and data["ttl"] is not None:
        _put(data, "ttlUnit", pick(draw, UNITS_OK, UNITS_ANY))
    elif draw(st.integers(0, 7)) == 0:
        data["ttlUnit"] = draw(st.sampled_from(UNITS_ANY))
    body: dict[str, Any] = {"destAddr": pick(draw, VALID_DEST, INVALID_DEST),
                            "message": {"type": channel, "data": data}}
    if draw(st.booleans()):
        schedule: dict[str, Any] = {}
        _put(schedule, "timeBegin", pick(draw, [ABSENT, "10:00", "00:00"], ["24:00", "9:00", "10:60", 10, None, "10:00\n", "1\u0660:00"]))
        _put(schedule, "timeEnd", pick(draw, [ABSENT, "21:00", "23:59"], ["24:00", "21:5", None]))
        _put(schedule, "weekdaysSchedule", pick(draw, [ABSENT, "", "12345", "7"], ["0", "8", "1 2", 12345, None, "123\n"]))
        _put(schedule, "deadline", pick(draw, [ABSENT, "2019-05-10T16:29:30+0300"],
                                        ["2019-02-30T16:29:30+0300", "2019-05-10 16:29:30",
                                         "2019-05-10T16:29:30Z", 5, None,
                                         "2019-05-10T16:29:30+0300\n"]))
        body["scheduleInfo"] = schedule
    _put(body, "useTimeDiff", pick(draw, [ABSENT, True, False], [None, "true", 1, 0]))
    _put(body, "id", pick(draw, [ABSENT, "order-1"], [None, "", 5]))
    _put(body, "registeredDelivery", pick(draw, [ABSENT, 0, 1, 2], [None, 3, -1, "1", 1.0, True, False]))
    _put(body, "notifyUrl", pick(draw, [ABSENT, "http://127.0.0.1:9/r", "http://e.com/" + "a" * 2035],
                                 [None, "", " ", "http://e.com/" + "a" * 2036, 5]))
    _put(body, "extraParam", pick(draw, [ABSENT, "a=1,b=x,,y"], [None, 5, ""]))
    _put(body, "cascadeChainLink", pick(draw, [ABSENT, {}, {"k": 1}], [None, "sms", [1]]))
    return body


def client_accepts(body: dict[str, Any], viber_sessions: bool = False) -> bool:
    try:
        SendRequest.parse(json.loads(json.dumps(body)), context={"viber_sessions": viber_sessions})
    except InvalidMessageError:
        return False
    return True


def sandbox_accepts(body: dict[str, Any], viber_sessions: bool = False) -> bool:
    return not isinstance(validate_send(body, viber_sessions=viber_sessions), SendRejection)


@settings(max_examples=3000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(send_payloads(), st.booleans())
def test_client_models_and_sandbox_agree_on_accept_or_reject(body, viber_sessions):
    client, sandbox = client_accepts(body, viber_sessions), sandbox_accepts(body, viber_sessions)
    assert client == sandbox, (
        f"viber_sessions={viber_sessions}: client {'accepts' if client else 'rejects'}, sandbox "
        f"{'accepts' if sandbox else 'rejects'}: {validate_send(body, viber_sessions=viber_sessions)!r}\n"
        f"{json.dumps(body)[:600]}")


def test_ttl_boolean_is_refused_by_the_sandbox():
    body = {"destAddr": "72101234567", "message": {"type": "VIBER", "data": {
        "serviceNumber": "SANDBOX", "ttl": True, "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}}
    assert validate_send(body) == SendRejection(11, "message.data.ttl must be an integer")


_SANDBOX: list[Sandbox] = []


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(send_payloads())
def test_over_http_the_sandbox_answers_200_exactly_when_the_client_accepts(body):
    if not _SANDBOX:
        _SANDBOX.append(Sandbox(dedup="off", delivery_delay=0).start())
    sandbox = _SANDBOX[0]
    wire = dict(body, login=sandbox.login, password=sandbox.password)
    response = requests.post(sandbox.url + "/send", json=wire, timeout=5)
    assert (response.status_code == 200) == client_accepts(body), response.text


def teardown_module() -> None:
    for sandbox in _SANDBOX:
        sandbox.stop()
