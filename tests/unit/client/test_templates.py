"""``create_template`` of both clients against real HTTP peers (pytest-httpserver answering each code
exactly, and the project's sandbox, which validates on its own): wire body, X-API-KEY, every answer
code as a typed error, retries, the API key kept out of logs and errors."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.models.codes import TEMPLATE_ANSWER_CODES, TEMPLATE_NAME_EXISTS
from airflow_provider_messaging.models.templates import TemplateRequest
from airflow_provider_messaging.sandbox import Sandbox
from airflow_provider_messaging.xcom import template_xcom
from tests.helpers.templates import (
    SEED_SMS,
    SEED_VIBER,
    SEED_WHATSAPP_BUTTONS,
    SEED_WHATSAPP_VARIABLES,
    edit,
    named,
)

API_KEY = "tpl-key-visible-nowhere"
PATH = "/api/message-matchers"

#: answer code -> the typed error it becomes
ERROR_CLASSES = {
    "must not be null": exc.TemplateCategoryError,
    "message-matcher-category-invalid": exc.TemplateCategoryError,
    "message-matcher.saving.bad-request": exc.TemplateBadRequestError,
    TEMPLATE_NAME_EXISTS: exc.TemplateNameExistsError,
    "Invalid language": exc.TemplateLanguageError,
}


@pytest.fixture
def platform(httpserver, set_conn):
    set_conn(httpserver.url_for("/"), api_key=API_KEY)
    return httpserver


def ok_answer(body: dict) -> dict:
    return {"code": "ok", "messageMatcher": {**body["messageMatcher"], "id": 1001}}


# --- the request --------------------------------------------------------------------------------
def test_create_posts_the_seed_body_with_the_api_key_header(platform, make_client):
    platform.expect_oneshot_request(PATH, method="POST").respond_with_json(ok_answer(SEED_WHATSAPP_VARIABLES))
    result = make_client().create_template(SEED_WHATSAPP_VARIABLES)
    (request, _), = platform.log
    assert json.loads(request.data) == SEED_WHATSAPP_VARIABLES
    assert request.headers["X-API-KEY"] == API_KEY
    assert request.headers["Content-Type"].startswith("application/json")
    assert "password" not in json.loads(request.data) and "login" not in json.loads(request.data)
    assert (result.name, result.channel, result.code, result.created) == ("new_matcher", "WHATSAPP", "ok", True)
    assert result.answer == ok_answer(SEED_WHATSAPP_VARIABLES)
    assert template_xcom(result) == {"name": "new_matcher", "channel": "WHATSAPP", "code": "ok", "created": True,
                                "answer": ok_answer(SEED_WHATSAPP_VARIABLES)}


def test_templates_url_extra_is_a_path_under_the_base_url(httpserver, set_conn, make_client):
    set_conn(httpserver.url_for("/prefix/"), api_key=API_KEY, templates_url="v2/matchers")
    httpserver.expect_oneshot_request("/prefix/v2/matchers").respond_with_json({"code": "ok"})
    assert make_client().create_template(SEED_SMS).channel == "SMS"
    assert len(httpserver.log) == 1


def test_templates_url_extra_may_be_absolute(httpserver, set_conn, make_client):
    set_conn("http://unused.invalid", api_key=API_KEY, templates_url=httpserver.url_for("/elsewhere"))
    httpserver.expect_oneshot_request("/elsewhere").respond_with_json({"code": "ok"})
    assert make_client().create_template(SEED_WHATSAPP_BUTTONS).created is True


def test_a_200_without_a_body_code_is_success(platform, make_client):
    platform.expect_oneshot_request(PATH).respond_with_json({"messageMatcher": {"name": "new_matcher"}})
    result = make_client().create_template(SEED_SMS)
    assert (result.code, result.created) == ("ok", True)


def test_a_model_instance_is_used_as_validated_when_built(platform, make_client):
    """The seed's Viber example, built with the opt-out, is sent without repeating it."""
    request = TemplateRequest.parse(SEED_VIBER, extra_categories=("TRANSACTIONAL",))
    platform.expect_oneshot_request(PATH).respond_with_json({"code": "ok"})
    assert make_client().create_template(request).channel == "VIBER"
    assert json.loads(platform.log[0][0].data) == SEED_VIBER


def test_dict_with_an_opt_out_is_accepted_and_without_it_refused_before_any_request(platform, make_client):
    with pytest.raises(InvalidMessageError, match="strict_enums=False"):
        make_client().create_template(SEED_VIBER)
    assert platform.log == []
    platform.expect_oneshot_request(PATH).respond_with_json({"code": "ok"})
    assert make_client().create_template(SEED_VIBER, strict_enums=False).created is True


def test_invalid_template_is_refused_before_any_request(platform, make_client):
    with pytest.raises(InvalidMessageError, match=r"messageMatcher\.content\.textExampleParams: required"):
        make_client().create_template(edit(SEED_WHATSAPP_VARIABLES, "messageMatcher.content.textExampleParams"))
    assert platform.log == []


def test_missing_api_key_is_a_clear_error_before_any_request(httpserver, set_conn, make_client):
    set_conn(httpserver.url_for("/"))
    with pytest.raises(ValueError, match=r"connection 'messaging_default': the extra 'api_key'"):
        make_client().create_template(SEED_SMS)
    assert httpserver.log == []


def test_if_exists_must_be_fail_or_skip(platform, make_client):
    with pytest.raises(ValueError, match="if_exists must be 'fail' or 'skip'"):
        make_client().create_template(SEED_SMS, if_exists="ignore")  # type: ignore[arg-type]
    assert platform.log == []


# --- each answer code -----------------------------------------------------------------------------
@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_each_answer_code_becomes_its_typed_error_saying_what_to_fix(platform, code, make_client):
    status, meaning = TEMPLATE_ANSWER_CODES[code]
    platform.expect_request(PATH).respond_with_json({"code": code, "description": f"server says {code}"},
                                                    status=status)
    with pytest.raises(ERROR_CLASSES[code]) as err:
        make_client().create_template(SEED_WHATSAPP_VARIABLES)
    error = err.value
    assert isinstance(error, exc.TemplateError) and isinstance(error, exc.MessagingApiError)
    assert (error.code, error.http_status, error.retryable) == (code, status, False)
    assert error.description == f"server says {code}"
    text = str(error)
    assert f"code {code!r}" in text and f"server says {code}" in text and meaning in text
    assert "To fix: " + type(error).fix in text
    assert len(platform.log) == 1  # a refused template is never retried


def test_every_documented_error_code_has_a_typed_error():
    """The code strings live in models/codes.py's table and, named, in exceptions.py: they agree."""
    assert set(ERROR_CLASSES) == set(TEMPLATE_ANSWER_CODES) - {"ok"}
    assert {code: cls for code, cls in exc.TEMPLATE_ERROR_CLASSES.items()} == ERROR_CLASSES


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_an_error_code_in_a_200_answer_is_still_that_error(platform, code, make_client):
    platform.expect_request(PATH).respond_with_json({"code": code})
    with pytest.raises(ERROR_CLASSES[code]):
        make_client().create_template(SEED_WHATSAPP_VARIABLES)


def test_name_exists_with_if_exists_skip_is_success_not_created(platform, caplog, make_client):
    platform.expect_request(PATH).respond_with_json(
        {"code": TEMPLATE_NAME_EXISTS, "description": "exists"}, status=409)
    result = make_client().create_template(SEED_SMS, if_exists="skip")
    assert (result.name, result.channel, result.code, result.created) == ("new_matcher", "SMS", TEMPLATE_NAME_EXISTS, False)
    assert result.answer == {"code": TEMPLATE_NAME_EXISTS, "description": "exists"}
    assert "already exists on the platform (exists): nothing created, treated as done" in caplog.text


def test_skip_does_not_hide_other_errors(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"code": "Invalid language"}, status=400)
    with pytest.raises(exc.TemplateLanguageError):
        make_client().create_template(SEED_SMS, if_exists="skip")


def test_unauthorized_is_an_auth_error_naming_the_connection_extra(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"code": "unauthorized"}, status=401)
    with pytest.raises(exc.TemplateAuthError, match="check the connection extra api_key") as err:
        make_client().create_template(SEED_SMS)
    assert err.value.retryable is False and err.value.http_status == 401
    assert len(platform.log) == 1


def test_a_403_without_a_template_body_is_an_auth_error(platform, make_client):
    platform.expect_request(PATH).respond_with_data("Forbidden", status=403)
    with pytest.raises(exc.TemplateAuthError):
        make_client().create_template(SEED_SMS)


def test_an_undocumented_code_is_reported_as_such(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"code": "quota-exceeded", "description": "too many"}, status=400)
    with pytest.raises(exc.UnrecognisedTemplateAnswerError, match="'quota-exceeded'.*too many.*not documented"):
        make_client().create_template(SEED_SMS)


def test_a_200_that_is_not_json_is_an_unexpected_answer(platform, make_client):
    platform.expect_request(PATH).respond_with_data("<html>ok</html>", status=200)
    with pytest.raises(exc.UnexpectedResponseError) as err:
        make_client().create_template(SEED_SMS)
    assert err.value.retryable is False


# --- retries (same rules as sending) --------------------------------------------------------------
def test_503_is_retried_with_the_same_body_honouring_retry_after(platform, make_client):
    for _ in range(2):
        platform.expect_ordered_request(PATH).respond_with_data(
            "<html>unavailable</html>", status=503, headers={"Retry-After": "7"})
    platform.expect_ordered_request(PATH).respond_with_json({"code": "ok"})
    sleeps: list[float] = []
    result = make_client(sleeps).create_template(SEED_WHATSAPP_BUTTONS)
    assert result.created is True
    assert len(platform.log) == 3
    assert len({r.data for r, _ in platform.log}) == 1  # byte-identical body each try
    assert all(r.headers["X-API-KEY"] == API_KEY for r, _ in platform.log)
    assert len(sleeps) == 2 and all(s >= 7 for s in sleeps)


def test_429_is_retried_and_gives_up_after_max_retries(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"code": "too-many"}, status=429, headers={"Retry-After": "1"})
    sleeps: list[float] = []
    with pytest.raises(exc.MessagingApiError) as err:
        make_client(sleeps, max_retries=2).create_template(SEED_SMS)
    assert err.value.retryable is True and err.value.http_status == 429
    assert len(platform.log) == 3 and len(sleeps) == 2


def test_a_send_style_5xx_body_keeps_its_typed_error(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"error": {"code": 100, "description": "100"}}, status=500)
    with pytest.raises(exc.PlatformError):
        make_client(max_retries=1).create_template(SEED_SMS)
    assert len(platform.log) == 2


def test_html_502_is_retryable_with_a_snippet(platform, make_client):
    platform.expect_request(PATH).respond_with_data("<html><h1>502 Bad Gateway</h1></html>", status=502)
    with pytest.raises(exc.UnexpectedResponseError, match="502 Bad Gateway") as err:
        make_client(max_retries=0).create_template(SEED_SMS)
    assert err.value.retryable is True


# --- the API key stays secret ---------------------------------------------------------------------
# --- end to end through the sandbox (it validates and answers on its own) -------------------------
@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(api_key=API_KEY) as sb:
        yield sb


@pytest.fixture
def sandbox_client(sandbox, monkeypatch, make_client):
    sandbox.reset()
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", sandbox.connection_json())
    return make_client()


@pytest.mark.parametrize("seed, options", [
    (SEED_WHATSAPP_VARIABLES, {}), (SEED_WHATSAPP_BUTTONS, {}),
    (SEED_VIBER, {"extra_categories": ("TRANSACTIONAL",)}), (SEED_SMS, {}),
], ids=["whatsapp-variables", "whatsapp-quick-replies", "viber", "sms"])
def test_sandbox_creates_each_seed_example(sandbox, sandbox_client, seed, options):
    result = sandbox_client.create_template(seed, **options)
    assert (result.code, result.created, result.channel) == ("ok", True, seed["messageMatcher"]["channelType"])
    assert result.answer["messageMatcher"]["name"] == "new_matcher"
    (stored,) = sandbox.templates
    assert stored["content"] == seed["messageMatcher"]["content"]


def test_sandbox_second_create_is_name_exists_and_skip_is_success(sandbox, sandbox_client):
    first = named(SEED_WHATSAPP_BUTTONS, "welcome_once")
    assert sandbox_client.create_template(first).created is True
    with pytest.raises(exc.TemplateNameExistsError, match="if_exists='skip'") as err:
        sandbox_client.create_template(first)
    assert err.value.http_status == 409
    skipped = sandbox_client.create_template(first, if_exists="skip")
    assert (skipped.created, skipped.code) == (False, TEMPLATE_NAME_EXISTS)
    assert len(sandbox.templates) == 1


def test_sandbox_refuses_a_wrong_api_key(sandbox, monkeypatch, make_client):
    sandbox.reset()
    conn = json.loads(sandbox.connection_json())
    conn["extra"]["api_key"] = "wrong-key"
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(conn))
    with pytest.raises(exc.TemplateAuthError, match="api_key"):
        make_client().create_template(SEED_SMS)
    assert sandbox.templates == []


def test_sandbox_category_invalid_when_the_caller_opted_out(sandbox_client):
    """strict_enums=False lets an undocumented category through; the platform then decides."""
    data = edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category", "PROMO")
    with pytest.raises(exc.TemplateCategoryError) as err:
        sandbox_client.create_template(data, strict_enums=False)
    assert err.value.code == "message-matcher-category-invalid"


#: bodies the client refuses up front, sent raw to show the platform's own answer becomes the same typed error
RAW_REFUSALS = {
    "must not be null": edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category"),
    "message-matcher-category-invalid": edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category", "ALERT_UPDATE"),
    "message-matcher.saving.bad-request": edit(SEED_WHATSAPP_VARIABLES,
                                               "messageMatcher.content.keyboard.rows.0.buttons.0.urlTextExample"),
    "Invalid language": edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.language", "russian"),
}


@pytest.mark.parametrize("code", sorted(RAW_REFUSALS))
def test_sandbox_answer_codes_become_typed_errors(sandbox, sandbox_client, code):
    body = RAW_REFUSALS[code]
    with pytest.raises(InvalidMessageError):
        sandbox_client.create_template(body)  # the client refuses it before any request
    settings = sandbox_client.settings
    with pytest.raises(ERROR_CLASSES[code]) as err:
        sandbox_client.post(settings.template_url, json.dumps(body).encode(), headers={"X-API-KEY": settings.api_key},
                            error_parser=exc.template_error_from_response)
    assert (err.value.code, err.value.http_status) == (code, TEMPLATE_ANSWER_CODES[code][0])
    assert sandbox.templates == []


@pytest.mark.parametrize("answer", [
    lambda key: {"code": "Invalid language", "description": f"header X-API-KEY={key} refused"},
    lambda key: f"<html>proxy saw X-API-KEY: {key}</html>",
], ids=["error-code-in-a-200", "not-json-200"])
def test_an_echoed_api_key_in_a_200_answer_never_reaches_the_error(platform, answer, make_client):
    """Errors built from a 200 answer are scrubbed like the non-200 ones (a proxy may echo headers)."""
    body = answer(API_KEY)
    if isinstance(body, dict):
        platform.expect_request(PATH).respond_with_json(body)
    else:
        platform.expect_request(PATH).respond_with_data(body, status=200)
    with pytest.raises(exc.MessagingApiError) as err:
        make_client().create_template(SEED_SMS)
    texts = [str(err.value), repr(err.value.args), err.value.description, err.value.body_snippet]
    assert not [t for t in texts if t and API_KEY in t]
    assert "***" in str(err.value)


def test_name_exists_after_an_unanswered_attempt_is_our_own_creation_not_a_failure(httpserver, set_conn, make_client):
    """The first attempt times out after the platform created the template; the retry is told the
    name exists. With if_exists="fail" that must not fail the task as if the template pre-existed."""
    import time

    from werkzeug import Response

    calls: list[float] = []

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.5)  # created, but the answer comes after the client's timeout
            return Response(json.dumps({"code": "ok"}), content_type="application/json")
        return Response(json.dumps({"code": TEMPLATE_NAME_EXISTS, "description": "exists"}), status=409,
                        content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(handler)
    set_conn(httpserver.url_for("/"), api_key=API_KEY, timeout=0.2)
    result = make_client().create_template(named(SEED_WHATSAPP_BUTTONS, "lost_answer"), if_exists="fail")
    assert result.created is True and result.code == TEMPLATE_NAME_EXISTS
    assert "earlier attempt" in result.answer["note"]
    assert len(calls) >= 2  # (a retry queued behind the slow first answer may time out too)


def test_name_exists_without_an_unanswered_attempt_still_fails_with_if_exists_fail(platform, make_client):
    platform.expect_request(PATH).respond_with_json({"code": TEMPLATE_NAME_EXISTS}, status=409)
    with pytest.raises(exc.TemplateNameExistsError):
        make_client().create_template(named(SEED_WHATSAPP_BUTTONS, "taken"), if_exists="fail")
