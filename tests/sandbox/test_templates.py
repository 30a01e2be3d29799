"""The sandbox's ``message-matchers`` method (SPEC §4): X-API-KEY, rules, every answer code."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from airflow_provider_messaging.models.codes import TEMPLATE_ANSWER_CODES
from airflow_provider_messaging.sandbox import Sandbox

PATH = "/api/message-matchers"

# The seed's four examples, verbatim apart from the name (each must be unique).
WHATSAPP_VARS = {"messageMatcher": {
    "name": "new_matcher", "channelType": "WHATSAPP", "language": "RU",
    "content": {"header": {"text": "Ваша компания {{1}}", "headerExampleTextParam": "Солнышко"},
                "text": "Здравствуйте, {{1}}! Спасибо, что выбрали нас {{2}}",
                "textExampleParams": ["Николай", "Пример"],
                "keyboard": {"rows": [{"buttons": [
                    {"text": "Сайт", "buttonType": "URL", "url": "https://edna.ru/{{1}}",
                     "urlTextExample": "https://edna.ru/test"},
                    {"text": "Позвонить", "buttonType": "PHONE", "phone": "+7900000000"}]}]},
                "footer": {"text": "Спасибо за интерес"}},
    "category": "MARKETING", "type": "OPERATOR"}, "subjectIds": [20526]}
WHATSAPP_BUTTONS = {"messageMatcher": {
    "name": "new_matcher_buttons", "channelType": "WHATSAPP", "language": "RU",
    "content": {"header": {"text": "Ваш чат с edna"}, "text": "Здравствуйте! Спасибо, что выбрали нас.",
                "keyboard": {"rows": [{"buttons": [
                    {"text": "Да", "buttonType": "QUICK_REPLY", "payload": "1"},
                    {"text": "Нет", "buttonType": "QUICK_REPLY", "payload": "2"},
                    {"text": "Не знаю", "buttonType": "QUICK_REPLY", "payload": "3"}]}]}},
    "category": "MARKETING", "type": "OPERATOR"}, "subjectIds": [20526]}
VIBER = {"messageMatcher": {
    "name": "new_matcher_viber", "channelType": "VIBER", "language": "RU",
    "content": {"text": "Здравствуйте, [\\s\\w]+! Спасибо, что выбрали нас."},
    "category": "TRANSACTIONAL", "type": "OPERATOR"}, "subjectIds": [2234]}
SMS = {"messageMatcher": {
    "name": "new_matcher_sms", "channelType": "SMS", "language": "RU",
    "content": {"text": "Здравствуйте, %w{1,10}! Спасибо, что выбрали нас."},
    "category": "MARKETING", "type": "OPERATOR",
    "createdAt": "2022-05-05T11:34:34.844Z", "updatedAt": "2022-05-05T11:34:34.844Z"},
    "subjectIds": [2234], "smsProviderIds": [2]}


@pytest.fixture(scope="module")
def _shared():
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(_shared: Sandbox) -> Sandbox:
    _shared.reset()
    return _shared


def create(sandbox: Sandbox, body: Any, key: str | None = "sandbox-api-key") -> requests.Response:
    headers = {} if key is None else {"X-API-KEY": key}
    return requests.post(sandbox.url + PATH, json=body, headers=headers, timeout=5)


def changed(template: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Copy with messageMatcher fields replaced (None removes); ``content__x`` edits content.x."""
    body = copy.deepcopy(template)
    mm = body["messageMatcher"]
    for key, value in fields.items():
        target, name = (mm["content"], key[len("content__"):]) if key.startswith("content__") else (mm, key)
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return body


def assert_answer(response: requests.Response, code: str, contains: str | None = None) -> dict[str, Any]:
    assert response.status_code == TEMPLATE_ANSWER_CODES[code][0], response.text
    payload = response.json()
    assert payload["code"] == code
    if contains is not None:
        assert contains in payload["description"], payload
    return payload


@pytest.mark.parametrize("example", [WHATSAPP_VARS, WHATSAPP_BUTTONS, VIBER, SMS],
                         ids=["whatsapp-vars", "whatsapp-buttons", "viber", "sms"])
def test_ok_for_each_seed_example_with_the_created_template(sandbox, example):
    payload = assert_answer(create(sandbox, example), "ok")
    created = payload["messageMatcher"]
    assert isinstance(created["id"], int) and created["name"] == example["messageMatcher"]["name"]
    assert created["content"] == example["messageMatcher"]["content"]
    assert sandbox.templates[0]["id"] == created["id"]


def test_unauthorized_without_or_with_a_wrong_api_key(sandbox):
    for key in (None, "wrong-key"):
        response = create(sandbox, VIBER, key=key)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized" and "sandbox-api-key" not in response.text
    assert sandbox.templates == []


def test_must_not_be_null_when_whatsapp_category_is_missing(sandbox):
    assert_answer(create(sandbox, changed(WHATSAPP_VARS, category=None)), "must not be null", "category")


def test_category_invalid_for_whatsapp(sandbox):
    assert_answer(create(sandbox, changed(WHATSAPP_VARS, category="TRANSACTIONAL")),
                  "message-matcher-category-invalid", "category")


def test_category_invalid_for_viber(sandbox):
    assert_answer(create(sandbox, changed(VIBER, category="MARKETING")), "message-matcher-category-invalid")


@pytest.mark.parametrize("button,field", [
    ({"text": "Сайт", "buttonType": "URL", "url": "https://edna.ru/{{1}}"}, "urlTextExample"),
    ({"text": "Сайт", "buttonType": "URL", "urlTextExample": "https://edna.ru/test"}, "url"),
    ({"text": "Сайт", "buttonType": "URL", "url": "https://edna.ru/{{1}}",
      "urlTextExample": "https://other.example/test"}, "fixed part"),
])
def test_saving_bad_request_for_a_wrong_url_button_example(sandbox, button, field):
    body = changed(WHATSAPP_VARS, content__keyboard={"rows": [{"buttons": [button]}]})
    assert_answer(create(sandbox, body), "message-matcher.saving.bad-request", field)


@pytest.mark.parametrize("template,language", [
    (WHATSAPP_VARS, "russian"), (WHATSAPP_VARS, "r"), (WHATSAPP_VARS, None),
    (VIBER, "rus"), (VIBER, "r1"), (VIBER, None),
])
def test_invalid_language(sandbox, template, language):
    assert_answer(create(sandbox, changed(template, language=language)), "Invalid language", "language")


@pytest.mark.parametrize("language", ["en", "RU", "pt_BR", "zh_Hant"])
def test_whatsapp_language_codes_accepted(sandbox, language):
    assert_answer(create(sandbox, changed(WHATSAPP_BUTTONS, language=language)), "ok")


def test_name_already_exists_for_same_name_or_same_content(sandbox):
    assert_answer(create(sandbox, VIBER), "ok")
    assert_answer(create(sandbox, changed(VIBER, content__text="Other text")),
                  "message-matcher-name-already-exists", "name")
    assert_answer(create(sandbox, changed(VIBER, name="another_name")), "message-matcher-name-already-exists")
    assert len(sandbox.templates) == 1


@pytest.mark.parametrize("template,fields,field", [
    (VIBER, {"name": None}, "name"),
    (VIBER, {"name": "имя"}, "name"),
    (VIBER, {"name": "bad-name"}, "name"),
    (VIBER, {"name": "new_line\n"}, "name"),
    (VIBER, {"name": "n" * 61}, "at most 60"),
    (VIBER, {"channelType": "TELEGRAM"}, "channelType"),
    (VIBER, {"type": "USER"}, "OPERATOR"),
    (VIBER, {"content__text": None}, "content.text"),
    (VIBER, {"contentType": "IMAGE"}, "contentType"),
    (WHATSAPP_VARS, {"content__textExampleParams": ["one"]}, "textExampleParams"),
    (WHATSAPP_VARS, {"content__textExampleParams": None}, "textExampleParams"),
    (WHATSAPP_VARS, {"content": None}, "content"),
    (WHATSAPP_VARS, {"content__header": {"headerType": "TEXT", "text": "x"}}, "headerExampleTextParam"),
    (WHATSAPP_VARS, {"content__header": {"headerType": "IMAGE"}}, "headerExampleMediaUrl"),
    (WHATSAPP_BUTTONS, {"content__keyboard": {"rows": [{"buttons": [{"buttonType": "PHONE"}]}]}}, "phone"),
    (WHATSAPP_BUTTONS, {"content__keyboard": {"rows": [{"buttons": [{"buttonType": "QUICK_REPLY"}]}]}},
     "payload"),
    (WHATSAPP_BUTTONS, {"content__keyboard": {"rows": [{"buttons": [{"buttonType": "CALL"}]}]}}, "buttonType"),
    (SMS, {"content__text": ""}, "content.text"),
])
def test_bad_request_names_the_field(sandbox, template, fields, field):
    body = changed(template, **fields)
    if fields.get("content") is None and "content" in fields:
        body["messageMatcher"].pop("content", None)
    assert_answer(create(sandbox, body), "message-matcher.saving.bad-request", field)


@pytest.mark.parametrize("subjects", [None, [], ["20526"], [True]])
def test_subject_ids_required_list_of_ints(sandbox, subjects):
    body = copy.deepcopy(VIBER)
    body["subjectIds"] = subjects
    assert_answer(create(sandbox, body), "message-matcher.saving.bad-request", "subjectIds")


@pytest.mark.parametrize("providers", [None, [], [4], [-1], ["2"]])
def test_sms_provider_ids_subset_of_0_to_3(sandbox, providers):
    body = copy.deepcopy(SMS)
    body["smsProviderIds"] = providers
    assert_answer(create(sandbox, body), "message-matcher.saving.bad-request", "smsProviderIds")


def test_request_format_without_wrapper_is_refused(sandbox):
    flat = dict(VIBER["messageMatcher"], subjectIds=[2234])
    assert_answer(create(sandbox, flat), "message-matcher.saving.bad-request", "messageMatcher")


def test_not_json_is_bad_request(sandbox):
    response = requests.post(sandbox.url + PATH, data=b"{", timeout=5,
                             headers={"X-API-KEY": "sandbox-api-key", "Content-Type": "application/json"})
    assert_answer(response, "message-matcher.saving.bad-request", "JSON")


def test_templates_admin_endpoint_and_reset(sandbox):
    assert_answer(create(sandbox, SMS), "ok")
    listed = requests.get(sandbox.url + "/_sandbox/templates", timeout=5).json()
    assert [t["name"] for t in listed] == ["new_matcher_sms"] and listed[0]["smsProviderIds"] == [2]
    sandbox.reset()
    assert sandbox.templates == []
    assert_answer(create(sandbox, SMS), "ok")
