"""Wire models of the send request: the seeds' examples serialise exactly, every [doc] rule is refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_messaging.models import (
    InvalidMessageError,
    SendRequest,
    build_extra_param,
    compose_message,
    normalize_dest_addr,
)

# The seeds' examples, minus login/password (the hook adds those) -------------------------------
SCHEDULE = {"timeBegin": "10:00", "timeEnd": "20:00", "weekdaysSchedule": "12345"}
VIBER_EXAMPLE = {  # seed 000
    "useTimeDiff": False, "id": "8770100", "scheduleInfo": SCHEDULE, "destAddr": "72101234567",
    "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "VIBERMESS"}},
                                          "serviceNumber": "SENDER", "ttl": 1}},
}
WHATSAPP_TEXT_EXAMPLE = {  # seed 001, "Текст"
    "useTimeDiff": False, "id": "8770100", "scheduleInfo": SCHEDULE, "destAddr": "72101234567",
    "message": {"type": "WHATSAPP", "data": {"instantContent": {"type": "TEXT", "data": {"text": "WhatsApp message"}},
                                             "serviceNumber": "SENDER", "ttl": 1440}},
}
WHATSAPP_IMAGE_EXAMPLE = {  # seed 001, "Изображение"
    "useTimeDiff": False, "id": "8770100", "scheduleInfo": SCHEDULE, "destAddr": "72101234567",
    "message": {"type": "WHATSAPP", "data": {
        "instantContent": {"type": "IMAGE_URL", "data": {"imageURL": "https://example.ru/image"}},
        "serviceNumber": "SENDER", "ttl": 1440}},
}


@pytest.mark.parametrize("example", [VIBER_EXAMPLE, WHATSAPP_TEXT_EXAMPLE, WHATSAPP_IMAGE_EXAMPLE],
                         ids=["viber", "whatsapp-text", "whatsapp-image"])
def test_seed_examples_round_trip_exactly(example):
    assert SendRequest.parse(example).to_wire() == example


def test_compose_builds_the_seed_examples_from_snake_case_arguments():
    common = dict(dest_addr="+7 (210) 123-45-67", service_number="SENDER", use_time_diff=False, message_id="8770100",
                  schedule={"time_begin": "10:00", "time_end": "20:00", "weekdays_schedule": "12345"})
    assert compose_message(channel="viber", text="VIBERMESS", ttl=1, **common).to_wire() == VIBER_EXAMPLE
    assert compose_message(channel="WHATSAPP", text="WhatsApp message", ttl=1440, **common).to_wire() == WHATSAPP_TEXT_EXAMPLE
    assert compose_message(channel="whatsapp", image_url="https://example.ru/image", ttl=1440,
                           **common).to_wire() == WHATSAPP_IMAGE_EXAMPLE


def test_optional_fields_are_absent_not_null():
    body = compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="hi").to_wire()
    assert body == {"destAddr": "79001234567",
                    "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                                          "serviceNumber": "S"}}}
    assert "null" not in json.dumps(body)


def test_viber_four_variants():
    base = dict(channel="viber", dest_addr="79001234567", service_number="S")
    img = compose_message(image_url="https://x/i.png", **base).to_wire()["message"]["data"]["instantContent"]
    assert img == {"type": "IMAGE_URL", "data": {"imageURL": "https://x/i.png"}}
    btn = compose_message(text="t", button_caption="Open", button_url="https://x", **base).to_wire()
    assert btn["message"]["data"]["instantContent"] == {
        "type": "BUTTON", "data": {"text": "t", "caption": "Open", "action": "https://x"}}
    full = compose_message(text="t", image_url="https://x/i.png", button_caption="Open", button_url="https://x",
                           **base).to_wire()
    assert full["message"]["data"]["instantContent"]["data"] == {
        "text": "t", "imageURL": "https://x/i.png", "caption": "Open", "action": "https://x"}


def test_all_envelope_fields_serialise_camel_case():
    deadline = datetime(2019, 5, 10, 16, 29, 30, tzinfo=timezone(timedelta(hours=3)))
    body = compose_message(
        channel="whatsapp", dest_addr="8-210-123-45-67", service_number="S", text="x", ttl=24, ttl_unit="HOURS",
        schedule={"timeBegin": "09:00", "timeEnd": "21:00", "weekdaysSchedule": "", "deadline": deadline},
        use_time_diff=True, message_id="abc", extra_params={"a": "1"}, registered_delivery=2,
        notify_url="https://hooks.example/reports", cascade={"chain": [{"type": "SMS"}]},
    ).to_wire()
    assert body == {
        "destAddr": "82101234567",
        "message": {"type": "WHATSAPP", "data": {"instantContent": {"type": "TEXT", "data": {"text": "x"}},
                                                 "serviceNumber": "S", "ttl": 24, "ttlUnit": "HOURS"}},
        "scheduleInfo": {"timeBegin": "09:00", "timeEnd": "21:00", "weekdaysSchedule": "",
                         "deadline": "2019-05-10T16:29:30+0300"},
        "useTimeDiff": True, "id": "abc", "extraParam": "a=1", "registeredDelivery": 2,
        "notifyUrl": "https://hooks.example/reports", "cascadeChainLink": {"chain": [{"type": "SMS"}]},
    }


@pytest.mark.parametrize("raw, expected", [
    ("72101234567", "72101234567"), ("+72101234567", "72101234567"), ("8-210-123-45-67", "82101234567"),
    ("82101234567", "82101234567"), ("+7 (210) 123-45-67", "72101234567"), ("+44 20 7946 0958", "442079460958"),
])
def test_dest_addr_documented_forms_are_normalised(raw, expected):
    assert normalize_dest_addr(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "7210123456789012", "+7 210 ABC-45-67", "++72101234567"])
def test_dest_addr_invalid_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidMessageError) as err:
        compose_message(channel="viber", dest_addr=raw, service_number="S", text="x")
    assert err.value.problems[0][0] == "destAddr"
    assert "10 to 15 digits" in str(err.value)
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) >= 4:  # a recipient's number is personal data: the error says its shape, not the number
        assert digits not in str(err.value) and raw not in str(err.value)


def test_extra_param_doubles_commas_in_values_like_the_seed():
    params = {"место": "абзаково", "название": "гостевой дом-2", "координаты": "53.8085896, 58.6362112",
              "c": "23.02.09", "по": "05.03.09"}
    assert build_extra_param(params) == ("место=абзаково,название=гостевой дом-2,"
                                         "координаты=53.8085896,, 58.6362112,c=23.02.09,по=05.03.09")


@pytest.mark.parametrize("name", ["a,b", "", "a=b"])
def test_extra_param_name_rules(name):
    with pytest.raises(InvalidMessageError) as err:
        compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="x",
                        extra_params={name: "v"})
    assert err.value.problems[0][0] == "extraParam"


def refused(**kwargs) -> InvalidMessageError:
    args = dict(channel="viber", dest_addr="79001234567", service_number="S")
    args.update(kwargs)
    with pytest.raises(InvalidMessageError) as err:
        compose_message(**args)
    return err.value


def fields(err: InvalidMessageError) -> list[str]:
    return [f for f, _ in err.problems]


def test_viber_text_limit_1000():
    compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="x" * 1000)
    err = refused(text="x" * 1001)
    assert fields(err) == ["message.data.instantContent.data.text"]
    assert "at most 1000" in str(err)


def test_viber_whole_message_limit_2000():
    err = refused(text="x" * 600, button_caption="c" * 1401, button_url="https://x")
    assert "Message is too long (2001 symbols). Viber message max length is 2000 symbols." in str(err)


@pytest.mark.parametrize("ttl, unit, ok", [
    (1, None, True), (2880, "MINUTES", True), (2881, None, False), (0, None, False),
    (48, "HOURS", True), (49, "HOURS", False), (60, "SECONDS", True), (59, "SECONDS", False),
    (172800, "SECONDS", True), (172801, "SECONDS", False),
])
def test_viber_ttl_1_to_2880_minutes_in_any_unit(ttl, unit, ok):
    args = dict(channel="viber", dest_addr="79001234567", service_number="S", text="x", ttl=ttl, ttl_unit=unit)
    if ok:
        compose_message(**args)
    else:
        err = refused(text="x", ttl=ttl, ttl_unit=unit)
        assert fields(err) == ["message.data.ttl"]
        assert "1 to 2880 minutes" in str(err)


def test_ttl_unit_only_with_ttl_and_only_documented_units():
    assert "may only be given together with ttl" in str(refused(text="x", ttl_unit="HOURS"))
    assert fields(refused(text="x", ttl=1, ttl_unit="DAYS")) == ["message.data.ttlUnit"]


@pytest.mark.parametrize("ttl, unit, ok", [
    (None, None, True), (0, None, True), (1440, None, True), (10080, "MINUTES", True), (24, "HOURS", True),
    (86400, "SECONDS", True), (1441, None, False), (11520, None, False), (1, None, False), (25, "HOURS", False),
])
def test_whatsapp_ttl_whole_days(ttl, unit, ok):
    args = dict(channel="whatsapp", dest_addr="79001234567", service_number="S", text="x", ttl=ttl, ttl_unit=unit)
    if ok:
        compose_message(**args)
    else:
        err = refused(**args)
        assert "whole days" in str(err)


def test_whatsapp_text_xor_image_and_no_button():
    assert "not both" in str(refused(channel="whatsapp", text="x", image_url="https://x/i"))
    assert "no button" in str(refused(channel="whatsapp", text="x", button_caption="c", button_url="u"))
    wire = dict(WHATSAPP_TEXT_EXAMPLE)
    wire["message"] = {"type": "WHATSAPP", "data": {
        "instantContent": {"type": "TEXT", "data": {"text": "x", "imageURL": "https://x/i"}}, "serviceNumber": "S"}}
    with pytest.raises(InvalidMessageError, match="imageURL: not allowed"):
        SendRequest.parse(wire)


def test_whatsapp_text_limit_1000():
    compose_message(channel="whatsapp", dest_addr="79001234567", service_number="S", text="x" * 1000)
    err = refused(channel="whatsapp", text="x" * 1001)
    assert "Message is too long (1001 symbols). WHATSAPP message max length is 1000 symbols." in str(err)


def test_viber_text_with_image_needs_a_button():
    assert "only with a button" in str(refused(text="x", image_url="https://x/i"))


def test_button_needs_text_caption_and_action():
    err = refused(button_caption="Open", button_url="https://x")
    assert "message.data.instantContent.data.text" in fields(err)
    assert fields(refused(text="t", button_url="https://x")) == ["message.data.instantContent.data.caption"]
    assert fields(refused(text="t", button_caption="Open")) == ["message.data.instantContent.data.action"]
    err = refused(text="t", button_caption="", button_url="https://x")
    assert fields(err) == ["message.data.instantContent.data.caption"] and "must not be empty" in str(err)


def test_viber_sessions_refuse_button_up_front():
    args = dict(channel="viber", dest_addr="79001234567", service_number="S", text="t", button_caption="c",
                button_url="https://x")
    compose_message(**args)
    with pytest.raises(InvalidMessageError, match="Viber sessions"):
        compose_message(viber_sessions=True, **args)
    compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="t", viber_sessions=True)


def test_service_number_required():
    err = refused(service_number=None, text="x")
    assert fields(err) == ["message.data.serviceNumber"]
    assert fields(refused(service_number="  ", text="x")) == ["message.data.serviceNumber"]


@pytest.mark.parametrize("schedule, field", [
    ({"timeBegin": "24:00"}, "scheduleInfo.timeBegin"), ({"timeEnd": "9:00"}, "scheduleInfo.timeEnd"),
    ({"weekdaysSchedule": "1238"}, "scheduleInfo.weekdaysSchedule"),
    ({"weekdaysSchedule": "Mon"}, "scheduleInfo.weekdaysSchedule"),
    ({"deadline": "2019-05-10 16:29:30"}, "scheduleInfo.deadline"),
    ({"deadline": "2019-13-10T16:29:30+0300"}, "scheduleInfo.deadline"),
    ({"deadline": datetime(2019, 5, 10)}, "scheduleInfo.deadline"),
    ({"start": "10:00"}, "scheduleInfo.start"),
])
def test_schedule_rules(schedule, field):
    assert fields(refused(text="x", schedule=schedule)) == [field]


def test_schedule_empty_weekdays_allowed():
    compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="x",
                    schedule={"weekdaysSchedule": ""})


@pytest.mark.parametrize("value", [3, -1, True, "1"])
def test_registered_delivery_0_1_2(value):
    assert fields(refused(text="x", registered_delivery=value)) == ["registeredDelivery"]


def test_notify_url_non_empty_and_at_most_2048():
    compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="x",
                    notify_url="https://h/" + "a" * (2048 - 10))
    assert "must not be empty" in str(refused(text="x", notify_url=""))
    assert "at most 2048" in str(refused(text="x", notify_url="https://h/" + "a" * 2039))


def test_use_time_diff_must_be_boolean():
    assert fields(refused(text="x", use_time_diff="yes")) == ["useTimeDiff"]


def test_unknown_and_credential_fields_are_refused_in_wire_dicts():
    body = dict(VIBER_EXAMPLE, password="p")
    with pytest.raises(InvalidMessageError, match="password"):
        SendRequest.parse(body)


def test_message_type_must_be_viber_or_whatsapp():
    with pytest.raises(InvalidMessageError, match="VIBER or WHATSAPP"):
        compose_message(channel="sms", dest_addr="79001234567", service_number="S", text="x")
    body = json.loads(json.dumps(VIBER_EXAMPLE))
    body["message"]["type"] = "Viber"
    with pytest.raises(InvalidMessageError, match="message.type"):
        SendRequest.parse(body)


@pytest.mark.parametrize("field, value", [("ttl", True), ("ttl", "6_0"), ("ttl", "60.0"), ("timeBegin", "10:00\n"),
                                          ("destAddr", "7210123456\u0667")])
def test_lookalike_values_are_refused(field, value):
    body = json.loads(json.dumps(VIBER_EXAMPLE))
    if field == "ttl":
        body["message"]["data"]["ttl"] = value
    elif field == "timeBegin":
        body["scheduleInfo"]["timeBegin"] = value
    else:
        body["destAddr"] = value
    with pytest.raises(InvalidMessageError, match=field):
        SendRequest.parse(body)


def test_models_exceptions_and_sandbox_import_without_airflow():
    import subprocess
    import sys

    code = ("import sys, airflow_provider_messaging.models, airflow_provider_messaging.exceptions, "
            "airflow_provider_messaging.sandbox; "
            "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"
