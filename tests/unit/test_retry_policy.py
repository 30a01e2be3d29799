"""``MessagingRetryPolicy`` judged on real exceptions: each one raised by the client against a real peer
(pytest-httpserver answering as the platform documents, the sandbox, a closed port, a server that drops
the connection), then handed to the policy as Airflow's task runner hands it over.

Airflow 3.3+ only (tests/conftest.py leaves this file out on older Airflow, where
test_retry_policy_availability.py checks what a user gets instead)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from airflow.sdk import RetryAction
from werkzeug import Response

from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.client.sync import MessagingClient
from airflow_provider_messaging.exceptions import MessagingApiError
from airflow_provider_messaging.ledger import ExactlyOnceSend, MemoryLedger
from airflow_provider_messaging.retry_policy import MessagingRetryPolicy
from tests.helpers.peers import dropping_server
from tests.helpers.templates import VIBER_DOCUMENTED

MESSAGE = {"destAddr": "79001234567", "id": "p-1", "message": {"type": "VIBER", "data": {
    "serviceNumber": "S", "instantContent": {"type": "TEXT", "data": {"text": "hi"}}}}}
POLICY = MessagingRetryPolicy(base_delay=timedelta(seconds=10), max_delay=timedelta(seconds=60))


def client_for(url: str, **overrides) -> MessagingClient:
    settings = ClientSettings(base_url=url, login="partner", password="pw-secret", max_retries=0, timeout=5,
                              **overrides)
    return MessagingClient(settings, sleep=lambda s: None)


def error_from(httpserver, status: int, body, headers=None, **overrides) -> MessagingApiError:
    httpserver.expect_request("/send").respond_with_response(
        Response(json.dumps(body) if not isinstance(body, str) else body, status=status, headers=headers or {},
                 content_type="application/json"))
    with client_for(httpserver.url_for("/"), **overrides) as client, pytest.raises(MessagingApiError) as info:
        client.send(MESSAGE)
    return info.value


def platform_error(code: int, status: int) -> dict:
    return {"error": {"code": code, "description": "refused"}, "extendedDescription": "as documented"}


@pytest.mark.parametrize(("code", "status"), [(2, 403), (4, 400), (5, 401), (6, 401), (7, 400), (8, 406),
                                              (9, 406), (11, 400)])
def test_non_retryable_codes_fail_at_once(httpserver, code, status):
    exc = error_from(httpserver, status, platform_error(code, status))
    assert exc.code == code
    decision = POLICY.evaluate(exc, try_number=1, max_tries=5)
    assert decision.action is RetryAction.FAIL and f"code {code}" in decision.reason


@pytest.mark.parametrize(("retry_after", "try_number", "expected"), [("45", 1, 45), ("2", 1, 10), ("2", 3, 40),
                                                                     (None, 2, 20)])
def test_throttling_retries_no_sooner_than_retry_after(httpserver, retry_after, try_number, expected):
    headers = {"Retry-After": retry_after} if retry_after else {}
    exc = error_from(httpserver, 429, platform_error(3, 429), headers)
    decision = POLICY.evaluate(exc, try_number=try_number, max_tries=5)
    assert decision.action is RetryAction.RETRY
    assert decision.retry_delay == timedelta(seconds=expected)
    assert "throttled" in decision.reason


def test_a_bare_429_without_the_platforms_body_is_throttling_too(httpserver):
    exc = error_from(httpserver, 429, "<html>slow down</html>", {"Retry-After": "30"})
    decision = POLICY.evaluate(exc, try_number=1, max_tries=5)
    assert (decision.action, decision.retry_delay) == (RetryAction.RETRY, timedelta(seconds=30))


@pytest.mark.parametrize(("status", "body"), [(503, platform_error(1, 503)), (500, platform_error(100, 500)),
                                              (502, "<html>bad gateway</html>"), (504, "")])
def test_transient_faults_retry_with_backoff(httpserver, status, body):
    exc = error_from(httpserver, status, body)
    first = POLICY.evaluate(exc, try_number=1, max_tries=5)
    later = POLICY.evaluate(exc, try_number=4, max_tries=5)
    assert (first.action, first.retry_delay) == (RetryAction.RETRY, timedelta(seconds=10))
    assert (later.action, later.retry_delay) == (RetryAction.RETRY, timedelta(seconds=60))  # 80 s, capped


def test_a_connection_refused_before_sending_is_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    with client_for(f"http://127.0.0.1:{port}") as client, pytest.raises(MessagingApiError) as info:
        client.send(MESSAGE)
    assert not getattr(info.value, "ambiguous", True)
    decision = POLICY.evaluate(info.value, try_number=2, max_tries=5)
    assert (decision.action, decision.retry_delay) == (RetryAction.RETRY, timedelta(seconds=20))
    assert "transport error" in decision.reason


def test_an_unanswered_send_without_platform_dedup_is_never_retried_blindly():
    with dropping_server() as (url, received), client_for(url) as client, pytest.raises(MessagingApiError) as info:
        client.send(MESSAGE)
    assert len(received) == 1 and info.value.ambiguous
    decision = POLICY.evaluate(info.value, try_number=1, max_tries=5)
    assert decision.action is RetryAction.FAIL and "not retried blindly" in decision.reason
    # unless the task (or the policy) says a resend is wanted: then the next try's ledger decides
    task = type("Task", (), {"resend_unconfirmed": True})()
    assert POLICY.evaluate(info.value, 1, 5, context={"task": task}).action is RetryAction.RETRY
    assert MessagingRetryPolicy(retry_ambiguous=True).evaluate(info.value, 1, 5).action is RetryAction.RETRY


def test_an_unanswered_send_with_platform_dedup_is_retried():
    with dropping_server() as (url, _), client_for(url, platform_dedup=True) as client, \
            pytest.raises(MessagingApiError) as info:
        client.send(MESSAGE)
    assert info.value.ambiguous and info.value.retryable
    assert POLICY.evaluate(info.value, 1, 5).action is RetryAction.RETRY


def test_the_ledgers_refusal_to_resend_fails_at_once():
    ledger = MemoryLedger()
    ledger.mark_in_flight("p-1")
    guard = ExactlyOnceSend(ledger, platform_dedup=False)
    with pytest.raises(Exception) as info:
        guard.send(type("R", (), {"id": "p-1"})(), lambda r: pytest.fail("must not send"))
    assert POLICY.evaluate(info.value, 2, 5).action is RetryAction.FAIL


def test_invalid_input_fails_at_once(httpserver):
    with client_for(httpserver.url_for("/")) as client, pytest.raises(Exception) as info:
        client.send({**MESSAGE, "destAddr": "12"})
    assert httpserver.log == []
    decision = POLICY.evaluate(info.value, 1, 5)
    assert decision.action is RetryAction.FAIL and "invalid input" in decision.reason


def test_a_template_refusal_fails_at_once(messaging_sandbox):
    from tests.helpers.clients import settings_from_env

    with MessagingClient(settings_from_env(max_retries=0)) as client:
        client.create_template(VIBER_DOCUMENTED)
        with pytest.raises(MessagingApiError) as info:
            client.create_template(VIBER_DOCUMENTED)  # the same name again
    decision = POLICY.evaluate(info.value, 1, 5)
    assert decision.action is RetryAction.FAIL and "refused the template" in decision.reason


def test_a_wrapped_error_is_found_and_other_errors_keep_airflows_default(httpserver):
    exc = error_from(httpserver, 403, platform_error(2, 403))
    try:
        try:
            raise exc
        except MessagingApiError as inner:
            raise RuntimeError("the task's own wrapper") from inner
    except RuntimeError as wrapped:
        assert POLICY.evaluate(wrapped, 1, 5).action is RetryAction.FAIL
    assert POLICY.evaluate(KeyError("x"), 1, 5).action is RetryAction.DEFAULT


def test_the_policy_serializes_and_checks_its_arguments():
    policy = MessagingRetryPolicy(base_delay=timedelta(seconds=3), max_delay=timedelta(seconds=9),
                                  retry_ambiguous=True)
    again = MessagingRetryPolicy.deserialize(json.loads(json.dumps(policy.serialize())))
    assert (again.base_delay, again.max_delay, again.retry_ambiguous) == (policy.base_delay, policy.max_delay, True)
    with pytest.raises(ValueError):
        MessagingRetryPolicy(base_delay=timedelta(seconds=10), max_delay=timedelta(seconds=1))
