"""``CreateTemplateOperator``: in real DAG runs (dag.test() against the sandbox) and executed directly
against pytest-httpserver for the failure modes."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.models.codes import TEMPLATE_NAME_EXISTS
from airflow_provider_messaging.models.templates import TemplateRequest
from airflow_provider_messaging.operators.templates import CreateTemplateOperator, protect_placeholders
from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.airflow import task_states, xcom_values
from tests.helpers.templates import SEED_SMS, SEED_VIBER, SEED_WHATSAPP_VARIABLES

DAGS = "tests/integration/dags/templates_dag.py"
API_KEY = "op-key-visible-nowhere"
PATH = "/api/message-matchers"


@pytest.fixture
def platform(httpserver, set_conn):
    set_conn(httpserver.url_for("/"), api_key=API_KEY)
    return httpserver


def run(op: CreateTemplateOperator, context: dict | None = None):
    """Render the template fields like a task does, then execute."""
    context = context or {"params": {}}
    op.render_template_fields(context)
    return op.execute(context)


# --- real DAG runs --------------------------------------------------------------------------------
def test_dag_creates_the_template_and_a_second_create_with_skip_succeeds(load_dag, monkeypatch, capfd):
    with Sandbox(api_key=API_KEY) as sandbox:
        monkeypatch.setenv(*sandbox.env_var())
        dr = load_dag(DAGS, "messaging_templates").test()
        templates = sandbox.templates
    assert task_states(dr) == {"create_template": "success", "create_again": "success"}
    (stored,) = templates  # created once; the second create changed nothing
    assert stored["name"] == "welcome_campaign"  # Jinja rendered
    assert stored["content"]["text"] == "Здравствуйте, {{1}}! Спасибо, что выбрали нас {{2}}"  # variables kept
    assert stored["content"]["header"] == {"text": "Ваша компания {{1}}", "headerExampleTextParam": "Солнышко"}
    assert stored["content"]["keyboard"]["rows"][0]["buttons"][0]["url"] == "https://edna.ru/{{1}}"
    first = xcom_values(dr, "create_template")[-1]
    assert {k: first[k] for k in ("name", "channel", "code", "created")} == {
        "name": "welcome_campaign", "channel": "WHATSAPP", "code": "ok", "created": True}
    assert first["answer"]["messageMatcher"]["name"] == "welcome_campaign"
    second = xcom_values(dr, "create_again")[-1]
    assert {k: second[k] for k in ("name", "channel", "code", "created")} == {
        "name": "welcome_campaign", "channel": "WHATSAPP", "code": TEMPLATE_NAME_EXISTS, "created": False}
    out = "".join(capfd.readouterr())
    assert "already exists on the platform" in out and "treated as done (if_exists='skip')" in out
    assert API_KEY not in out and API_KEY not in json.dumps([first, second])


def test_dag_invalid_template_fails_after_templating_without_request_or_retries(load_dag, platform, capfd):
    dr = load_dag(DAGS, "messaging_templates_invalid").test()
    assert task_states(dr) == {"create_template": "failed"}
    assert platform.log == []
    out = "".join(capfd.readouterr())
    assert "messageMatcher.name: only Latin letters, digits and _ are allowed, got 'welcome-campaign'" in out
    (ti,) = dr.get_task_instances()
    assert ti.try_number == 1  # AirflowFailException: no retries


# --- executed directly ------------------------------------------------------------------------------
def test_whatsapp_variables_survive_jinja_and_params_are_rendered(platform):
    platform.expect_request(PATH).respond_with_json({"code": "ok"})
    template = json.loads(json.dumps(SEED_WHATSAPP_VARIABLES))
    template["messageMatcher"]["name"] = "{{ params.prefix }}_matcher"
    result = run(CreateTemplateOperator(task_id="t", template=template), {"params": {"prefix": "new"}})
    assert result["name"] == "new_matcher"
    assert json.loads(platform.log[0][0].data) == SEED_WHATSAPP_VARIABLES


def test_protect_placeholders_keeps_variables_and_respects_raw_blocks():
    assert protect_placeholders("Hi {{1}} {{ 2 }} {{ name }}") == (
        "Hi {% raw %}{{1}}{% endraw %} {% raw %}{{ 2 }}{% endraw %} {{ name }}")
    assert protect_placeholders("{% raw %}{{1}}{% endraw %}") == "{% raw %}{{1}}{% endraw %}"


def test_returns_name_channel_code_created_and_answer(platform):
    platform.expect_request(PATH).respond_with_json({"code": "ok", "messageMatcher": {"id": 7}})
    assert run(CreateTemplateOperator(task_id="t", template=SEED_SMS)) == {
        "name": "new_matcher", "channel": "SMS", "code": "ok", "created": True,
        "answer": {"code": "ok", "messageMatcher": {"id": 7}}}


def test_json_string_template_is_accepted(platform):
    platform.expect_request(PATH).respond_with_json({"code": "ok"})
    assert run(CreateTemplateOperator(task_id="t", template=json.dumps(SEED_SMS)))["channel"] == "SMS"
    with pytest.raises(AirflowFailException, match="template: must be a dict"):
        run(CreateTemplateOperator(task_id="t2", template="not json"))


def test_strict_enums_and_extra_categories_pass_to_validation(platform):
    platform.expect_request(PATH).respond_with_json({"code": "ok"})
    with pytest.raises(AirflowFailException, match="extra_categories=\\('TRANSACTIONAL',\\)"):
        run(CreateTemplateOperator(task_id="t", template=SEED_VIBER))
    assert platform.log == []
    assert run(CreateTemplateOperator(task_id="t", template=SEED_VIBER, strict_enums=False))["created"] is True
    assert run(CreateTemplateOperator(task_id="t", template=SEED_VIBER,
                                      extra_categories=("TRANSACTIONAL",)))["channel"] == "VIBER"


def test_a_model_instance_is_sent_as_built(platform):
    platform.expect_request(PATH).respond_with_json({"code": "ok"})
    request = TemplateRequest.parse(SEED_VIBER, strict_enums=False)
    assert run(CreateTemplateOperator(task_id="t", template=request))["created"] is True
    assert json.loads(platform.log[0][0].data) == SEED_VIBER


def test_name_exists_fails_by_default_without_retries(platform):
    platform.expect_request(PATH).respond_with_json({"code": TEMPLATE_NAME_EXISTS}, status=409)
    with pytest.raises(AirflowFailException, match="if_exists='skip'"):
        run(CreateTemplateOperator(task_id="t", template=SEED_SMS))


def test_name_exists_with_skip_succeeds_not_created(platform):
    platform.expect_request(PATH).respond_with_json({"code": TEMPLATE_NAME_EXISTS}, status=409)
    result = run(CreateTemplateOperator(task_id="t", template=SEED_SMS, if_exists="skip"))
    assert (result["created"], result["code"]) == (False, TEMPLATE_NAME_EXISTS)


def test_missing_api_key_fails_the_task_naming_the_extra(httpserver, set_conn):
    set_conn(httpserver.url_for("/"))
    with pytest.raises(AirflowFailException, match="the extra 'api_key'"):
        run(CreateTemplateOperator(task_id="t", template=SEED_SMS))
    assert httpserver.log == []


def test_transient_errors_are_left_to_airflow_retries(platform, set_conn, httpserver):
    set_conn(httpserver.url_for("/"), api_key=API_KEY, max_retries=0)
    platform.expect_request(PATH).respond_with_data("busy", status=503)
    with pytest.raises(exc.MessagingApiError) as err:
        run(CreateTemplateOperator(task_id="t", template=SEED_SMS))
    assert not isinstance(err.value, AirflowFailException) and err.value.retryable is True


def test_unknown_if_exists_is_refused_when_the_dag_is_parsed():
    with pytest.raises(ValueError, match="if_exists must be 'fail' or 'skip'"):
        CreateTemplateOperator(task_id="t", template=SEED_SMS, if_exists="overwrite")  # type: ignore[arg-type]
