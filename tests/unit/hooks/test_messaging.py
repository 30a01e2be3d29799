"""``MessagingHook``: the connection read into settings, secrets registered with Airflow's masker,
the clients handed out, and its public methods delegating to them (transport behaviour itself is
tested against both clients in ``tests/unit/client``)."""

from __future__ import annotations

import asyncio
import json

import pytest

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.client import AsyncMessagingClient, MessagingClient
from airflow_provider_messaging.hooks.messaging import MessagingHook
from tests.helpers.peers import error_body
from tests.helpers.templates import SEED_SMS

PASSWORD = "s3cret-pass"
MSG = {"destAddr": "+7 900 123-45-67", "id": "m-1",
       "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                             "serviceNumber": "SENDER"}}}


def make_hook(sleeps: list | None = None, **kw) -> MessagingHook:
    return MessagingHook(sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw)


@pytest.fixture
def platform(httpserver, set_conn):
    set_conn(httpserver.url_for("/api"), password=PASSWORD)
    return httpserver


def test_send_path_extra_and_absolute_templates_url(httpserver, set_conn):
    set_conn(httpserver.url_for("/prefix/"), send_path="v2/messages", templates_url="https://other.example/t")
    httpserver.expect_oneshot_request("/prefix/v2/messages").respond_with_json({"mtNum": "1"})
    hook = make_hook()
    assert hook.send(MSG).mt_num == "1"
    assert hook.settings.url(hook.settings.templates_url) == "https://other.example/t"


# --- secrets --------------------------------------------------------------------------------------
def test_password_never_in_logs_or_exception_text(platform, capfd):
    from airflow_provider_messaging.compat import redact

    platform.expect_request("/api/send").respond_with_data(error_body(6, "Invalid password"), status=401)
    hook = make_hook()
    with pytest.raises(exc.InvalidPasswordError) as err:
        hook.send(MSG)
    hook.log.info("even a careless log line: password=%s", hook.settings.password)
    out, errout = capfd.readouterr()
    assert "password=***" in out + errout
    assert PASSWORD not in out + errout
    assert PASSWORD not in str(err.value) and PASSWORD not in repr(err.value.__dict__)
    # registered with the masker, so Airflow's task log pipeline redacts it (see test_send_operator)
    assert redact(f"pw={PASSWORD}") == "pw=***"


def test_connection_settings_are_read_with_defaults(set_conn, httpserver):
    set_conn("api.example.com", scheme="http")
    s = MessagingHook().settings
    assert s.base_url == "http://api.example.com"
    assert (s.send_path, s.status_path, s.templates_url) == ("/send", "/status", "/api/message-matchers")
    assert (s.timeout, s.max_retries, s.verify_ssl, s.viber_sessions, s.platform_dedup) == (30.0, 5, True, False, False)


def test_connection_without_credentials_is_refused(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps({"conn_type": "messaging", "host": "http://x"}))
    with pytest.raises(ValueError, match="login and password"):
        MessagingHook().settings


def test_login_is_masked_like_the_password(platform):
    from airflow_provider_messaging.compat import redact

    assert make_hook().settings.login == "partner"
    assert redact("login partner") == "login ***"  # SPEC §1: login and password are both secrets


@pytest.mark.parametrize("host, port, expected", [
    ("api.example.com", 8443, "https://api.example.com:8443"),
    ("http://[::1]/prefix", 8080, "http://[::1]:8080/prefix"),
    ("http://10.0.0.1:81/p", 9999, "http://10.0.0.1:81/p"),
])
def test_connection_port_joins_the_base_url(monkeypatch, host, port, expected):
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(
        {"conn_type": "messaging", "host": host, "port": port, "login": "l", "password": "p"}))
    assert MessagingHook().settings.base_url == expected


def test_verify_ssl_extra_turns_certificate_checks_off(set_conn):
    set_conn("https://platform.invalid", verify_ssl="false")
    assert make_hook().get_conn().session.verify is False
    set_conn("https://platform.invalid")
    assert make_hook().get_conn().session.verify is not False


@pytest.mark.parametrize("extra, message", [
    ({"timeout": 0}, "'timeout' must be > 0"), ({"timeout": "soon"}, "'timeout' must be a number"),
    ({"max_retries": -1}, "'max_retries' must be >= 0"), ({"backoff_max": -5}, "'backoff_max' must be >= 0"),
])
def test_bad_connection_extras_are_refused_before_any_request(httpserver, set_conn, extra, message):
    set_conn(httpserver.url_for("/"), **extra)
    with pytest.raises(ValueError, match=message):
        make_hook().send(MSG)
    assert httpserver.log == []


def test_connection_in_uri_form_works_end_to_end(messaging_sandbox_factory, monkeypatch):
    sandbox = messaging_sandbox_factory(conn_id=None, password="p@ss:w/rd &?=", status_path="/v1/status")
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", sandbox.connection_uri)
    hook = make_hook()
    assert hook.settings.base_url == sandbox.url and hook.settings.status_path == "/v1/status"
    assert hook.settings.password == "p@ss:w/rd &?=" and hook.settings.platform_dedup is True
    result = hook.send({**MSG, "message": {"type": "VIBER", "data": {
        "instantContent": {"type": "TEXT", "data": {"text": "hi"}},
        "serviceNumber": hook.settings.default_service_number}}})
    assert [m.mt_num for m in sandbox.messages] == [result.mt_num]


def test_an_unknown_extra_is_named_in_a_warning(httpserver, set_conn, capfd):
    set_conn(httpserver.url_for("/"), platform_dedupe=True, timeout=5)
    settings = make_hook().settings
    assert settings.platform_dedup is False and settings.timeout == 5
    out = "".join(capfd.readouterr())
    assert "unknown extra(s) platform_dedupe ignored" in out and "platform_dedup" in out


# --- the clients it hands out, and the defects fixed with them ---------------------------------------
def test_get_conn_is_one_sync_client_per_hook_and_close_releases_it(platform):
    platform.expect_request("/api/send").respond_with_json({"mtNum": "1"})
    with make_hook() as hook:
        client = hook.get_conn()
        assert isinstance(client, MessagingClient) and hook.get_conn() is client
        assert hook.send(MSG).mt_num == "1"
        assert client.settings is hook.settings
    assert hook.client is None  # closed on exit


def test_get_async_conn_gives_an_async_client_with_the_same_settings(platform):
    platform.expect_request("/api/send").respond_with_json({"mtNum": "2"})
    hook = make_hook()

    async def run():
        async with await hook.get_async_conn() as client:
            assert isinstance(client, AsyncMessagingClient)
            return client.settings, (await client.send(MSG)).mt_num

    settings, mt_num = asyncio.run(run())
    assert settings == hook.settings and mt_num == "2"


def test_send_without_service_number_uses_the_connections_default(httpserver, set_conn):
    """Defect: ``MessagingHook().send({...})`` without serviceNumber was refused ("Field required")."""
    set_conn(httpserver.url_for("/"), default_service_number="MyShop")
    httpserver.expect_request("/send").respond_with_json({"mtNum": "3"})
    message = json.loads(json.dumps(MSG))
    del message["message"]["data"]["serviceNumber"]
    assert MessagingHook().send(message).mt_num == "3"
    assert json.loads(httpserver.log[0][0].data)["message"]["data"]["serviceNumber"] == "MyShop"
    assert "serviceNumber" not in message["message"]["data"]  # the caller's dict is not changed


def test_send_without_service_number_and_without_a_default_is_refused_before_any_request(httpserver, set_conn):
    set_conn(httpserver.url_for("/"))
    message = json.loads(json.dumps(MSG))
    del message["message"]["data"]["serviceNumber"]
    with pytest.raises(exc.InvalidMessageError, match="serviceNumber: .*required"):
        MessagingHook().send(message)
    assert httpserver.log == []


def test_test_connection_delegates_to_the_client_and_reports_an_incomplete_connection(platform, monkeypatch):
    platform.expect_request("/api/send").respond_with_data(error_body(8, "destAddr is not correct"), status=406)
    assert make_hook().test_connection() == (True, "credentials accepted")
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps({"conn_type": "messaging", "host": "http://x"}))
    ok, message = make_hook().test_connection()
    assert not ok and "login and password" in message


def test_api_key_never_in_logs_or_exception_text(httpserver, set_conn, capfd):
    from airflow_provider_messaging.compat import redact

    api_key = "tpl-key-visible-nowhere"
    set_conn(httpserver.url_for("/"), api_key=api_key)
    httpserver.expect_request("/api/message-matchers").respond_with_json({"code": "unauthorized"}, status=401)
    hook = make_hook()
    with pytest.raises(exc.TemplateAuthError) as err:
        hook.create_template(SEED_SMS)
    hook.log.info("even a careless log line: key=%s", hook.settings.api_key)
    out = "".join(capfd.readouterr())
    assert "key=***" in out
    assert "Creating SMS template 'new_matcher'" in out  # the hook did log, without the key
    assert api_key not in out
    assert api_key not in str(err.value) and api_key not in repr(err.value.__dict__)
    assert redact(f"k={api_key}") == "k=***"
