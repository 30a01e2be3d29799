"""Both clients (``MessagingClient`` and ``AsyncMessagingClient``) against real HTTP peers:
wire JSON, each error code, retries, ambiguity, secrets. Every test runs against each client
(``kind``): identical answers must give identical results."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from werkzeug import Response

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.models import SEND_ERRORS, InvalidMessageError, compose_message
from tests.helpers.peers import dropping_server, error_body, forward_proxy, free_port, truncating_server

PASSWORD = "s3cret-pass"
MSG = {"destAddr": "+7 900 123-45-67", "id": "m-1",
       "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                             "serviceNumber": "SENDER"}}}


@pytest.fixture
def platform(httpserver, set_conn):
    set_conn(httpserver.url_for("/api"), password=PASSWORD)
    return httpserver


def test_send_posts_the_seed_body_with_credentials_and_returns_mt_num(platform, make_client):
    platform.expect_oneshot_request("/api/send", method="POST").respond_with_json({"mtNum": "7390612217"})
    result = make_client().send(MSG)
    assert (result.mt_num, result.id, result.duplicate) == ("7390612217", "m-1", False)
    (request, _), = platform.log
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.data) == {
        "login": "partner", "password": PASSWORD, "destAddr": "79001234567", "id": "m-1",
        "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                              "serviceNumber": "SENDER"}}}


def test_send_accepts_the_model_and_whatsapp_echoes_id(platform, make_client):
    platform.expect_oneshot_request("/api/send").respond_with_json({"mtNum": "107930572", "id": "8770599"})
    msg = compose_message(channel="whatsapp", dest_addr="79001234567", service_number="S", text="x",
                          message_id="8770599")
    assert make_client().send(msg).id == "8770599"


def test_invalid_input_is_refused_before_any_request(platform, make_client):
    bad = json.loads(json.dumps(MSG))
    bad["message"]["data"]["instantContent"]["data"]["text"] = "x" * 1001
    with pytest.raises(InvalidMessageError, match="text: Viber text is at most 1000"):
        make_client().send(bad)
    assert platform.log == []


def test_viber_sessions_extra_refuses_button_before_any_request(httpserver, set_conn, make_client):
    set_conn(httpserver.url_for("/"), viber_sessions=True)
    msg = compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="t",
                          button_caption="c", button_url="https://x")
    with pytest.raises(InvalidMessageError, match="Viber sessions"):
        make_client().send(msg)
    assert httpserver.log == []


FAIL_FAST = [(2, 403, exc.InvalidIpAddressError), (4, 400, exc.InvalidRequestError),
             (5, 401, exc.InvalidLoginError), (6, 401, exc.InvalidPasswordError),
             (7, 400, exc.ServiceNumberNotDefinedError), (8, 406, exc.InvalidDestAddrError),
             (9, 406, exc.InvalidMessageTypeError), (11, 406, exc.InvalidTtlError)]


@pytest.mark.parametrize("code, status, cls", FAIL_FAST, ids=[str(c[0]) for c in FAIL_FAST])
def test_non_retryable_codes_fail_at_once_with_a_typed_error(platform, set_conn, code, status, cls, make_client):
    # a login that is not a word of the hints (the login is masked like the password)
    set_conn(platform.url_for("/api"), login="acme-shop-01", password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(
        error_body(code, "Invalid request", "Message is too long (2618 symbols). Viber message max length is 2000 symbols."),
        status=status, content_type="application/json")
    sleeps: list = []
    with pytest.raises(cls) as err:
        make_client(sleeps).send(MSG)
    e = err.value
    assert (e.code, e.http_status, e.retryable) == (code, status, False)
    assert e.extended_description.startswith("Message is too long")
    assert len(platform.log) == 1 and sleeps == []
    assert f"code {code}" in str(e)
    assert SEND_ERRORS[code].hint in str(e)  # says what to fix


def test_messages_say_what_to_fix(platform, make_client):
    platform.expect_request("/api/send").respond_with_data(error_body(6, "Invalid password"), status=401)
    with pytest.raises(exc.AuthenticationError, match="check the connection's password"):
        make_client().send(MSG)


@pytest.mark.parametrize("code, status, cls", [(1, 503, exc.ServiceUnavailableError), (3, 429, exc.ThrottledError),
                                               (100, 500, exc.PlatformError)])
def test_transient_codes_are_retried_with_the_byte_identical_body(platform, code, status, cls, make_client):
    platform.expect_ordered_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    platform.expect_ordered_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "42"})
    sleeps: list = []
    assert make_client(sleeps).send(MSG).mt_num == "42"
    bodies = [req.data for req, _ in platform.log]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert json.loads(bodies[0])["id"] == "m-1"
    assert len(sleeps) == 2


def test_retries_are_bounded_by_max_retries(platform, set_conn, make_client):
    set_conn(platform.url_for("/api"), max_retries=2, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(error_body(1, "Service is unavailable"), status=503)
    sleeps: list = []
    with pytest.raises(exc.ServiceUnavailableError) as err:
        make_client(sleeps).send(MSG)
    assert len(platform.log) == 3 and len(sleeps) == 2
    assert err.value.retryable


def test_backoff_grows_exponentially_within_bounds(platform, set_conn, monkeypatch, make_client):
    import random

    set_conn(platform.url_for("/api"), max_retries=6, backoff_initial=1, backoff_max=8, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(error_body(100, "100"), status=500)
    sleeps: list = []
    with pytest.raises(exc.PlatformError):
        make_client(sleeps).send(MSG)
    assert len(sleeps) == 6
    # full jitter: the n-th wait is drawn from [0, min(8, 1 * 2**(n-1))]
    assert all(0 <= s <= min(8, 2 ** i) for i, s in enumerate(sleeps))
    # and the bound itself doubles up to backoff_max: draw at the top of each range
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    top: list = []
    with pytest.raises(exc.PlatformError):
        make_client(top).send(MSG)
    assert top == [1, 2, 4, 8, 8, 8]


def test_retry_after_is_honoured(platform, make_client):
    platform.expect_ordered_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": "7"})
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "9"})
    sleeps: list = []
    assert make_client(sleeps).send(MSG).mt_num == "9"
    assert sleeps == [pytest.approx(7, abs=0.01)] or sleeps[0] >= 7


def test_code_10_means_already_accepted_never_resent(platform, make_client):
    platform.expect_request("/api/send").respond_with_data(error_body(10, "Prohibited sending duplicates"), status=409)
    result = make_client().send(MSG)
    assert result.duplicate and result.mt_num is None and result.id == "m-1"
    assert len(platform.log) == 1


@pytest.mark.parametrize("status, body, retryable, hint", [
    (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", True, "retried with backoff"),
    (504, "", True, "retried with backoff"),
    (404, "Not Found", False, "check the connection's host and send path"),
    (403, "<html>Forbidden</html>", False, "check the credentials, proxy and allow-list"),
    (418, '{"unexpected": true}', False, "check the input and the connection's settings"),
])
def test_undocumented_answers_give_a_typed_error_with_status_and_snippet(platform, set_conn, status, body, retryable,
                                                                         hint, make_client):
    set_conn(platform.url_for("/api"), max_retries=1, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(body, status=status, content_type="text/html")
    with pytest.raises(exc.UnexpectedResponseError) as err:
        make_client().send(MSG)
    e = err.value
    assert e.http_status == status and e.retryable is retryable
    assert len(platform.log) == (2 if retryable else 1)
    assert f"HTTP {status}" in str(e)
    assert hint in str(e)  # says what to fix
    if body.startswith("<html><body>"):
        assert "502 Bad Gateway" in str(e)
    if not body:
        assert "(empty body)" in str(e)


def test_200_without_mt_num_is_an_error(platform, make_client):
    platform.expect_request("/api/send").respond_with_data("OK", status=200)
    with pytest.raises(exc.UnexpectedResponseError, match="HTTP 200"):
        make_client().send(MSG)


def test_dropped_connection_after_sending_is_not_resent_when_dedup_is_not_known(set_conn, make_client):
    with dropping_server() as (url, received):
        set_conn(url)
        sleeps: list = []
        with pytest.raises(exc.AmbiguousSendError, match="may have accepted"):
            make_client(sleeps).send(MSG)
    assert len(received) == 1 and sleeps == []


def test_dropped_connection_is_retried_with_the_same_id_when_platform_dedup_is_on(set_conn, make_client):
    with dropping_server() as (url, received):
        set_conn(url, platform_dedup=True, max_retries=2)
        with pytest.raises(exc.TransportError) as err:
            make_client().send(MSG)
    assert err.value.ambiguous
    assert len(received) == 3 and len(set(received)) == 1


def test_connection_refused_is_retried_then_fails_clearly(set_conn, make_client):
    port = free_port()  # nothing listens there now
    set_conn(f"http://127.0.0.1:{port}", max_retries=2)
    sleeps: list = []
    with pytest.raises(exc.TransportError) as err:
        make_client(sleeps).send(MSG)
    assert not err.value.ambiguous and len(sleeps) == 2


def test_read_timeout_is_ambiguous(httpserver, set_conn, make_client):
    import time

    def slow(request):
        time.sleep(0.3)
        return Response(json.dumps({"mtNum": "1"}), content_type="application/json")

    httpserver.expect_request("/send").respond_with_handler(slow)
    set_conn(httpserver.url_for("/"), timeout=0.1)
    with pytest.raises(exc.AmbiguousSendError, match="no answer"):
        make_client().send(MSG)
    deadline = time.monotonic() + 2
    while not httpserver.log and time.monotonic() < deadline:  # let the slow answer finish
        time.sleep(0.05)
    assert len(httpserver.log) == 1


# --- test_connection ----------------------------------------------------------------------------
@pytest.mark.parametrize("code, status, ok", [(8, 406, True), (4, 400, True), (5, 401, False), (6, 401, False),
                                              (2, 403, False)])
def test_check_credentials_checks_credentials_without_sending(platform, code, status, ok, make_client):
    platform.expect_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    success, message = make_client().check_credentials()
    assert success is ok
    (request, _), = platform.log
    body = json.loads(request.data)
    assert "message" not in body  # nothing that could be delivered
    assert PASSWORD not in message


def test_one_pool_per_client_reused_across_sends(set_conn, make_client):
    """Keep-alive: three sends from one client use one TCP connection (counted by a socket server)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    accepted: list[int] = []

    def serve():
        srv.settimeout(5)
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        accepted.append(1)
        srv.settimeout(0.5)
        with conn:
            buf = b""
            for _ in range(3):
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:  # the client closed this connection
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = buf[length:]
                answer = b'{"mtNum":"1"}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(answer)).encode() + b"\r\n\r\n" + answer)
        try:
            srv.accept()  # a second connection would be a failure
            accepted.append(1)
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    set_conn(f"http://127.0.0.1:{srv.getsockname()[1]}", timeout=3)
    client = make_client()
    assert [client.send(MSG).mt_num for _ in range(3)] == ["1", "1", "1"]
    t.join(timeout=5)
    srv.close()
    assert accepted == [1]


def test_retry_after_as_an_http_date_is_honoured(platform, make_client):
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    platform.expect_ordered_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": when})
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "9"})
    sleeps: list = []
    assert make_client(sleeps).send(MSG).mt_num == "9"
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_secrets_echoed_by_the_platform_never_reach_exception_text(platform, make_client):
    """A platform or proxy that echoes the request must not put the credentials in the error."""
    echo = f"bad request login=partner password={PASSWORD}"
    platform.expect_request("/api/send").respond_with_data(
        json.dumps({"error": {"code": 4, "description": f"Invalid request ({PASSWORD})"},
                    "extendedDescription": echo}), status=400, content_type="application/json")
    with pytest.raises(exc.InvalidRequestError) as err:
        make_client().send(MSG)
    e = err.value
    for text in (str(e), e.description, e.extended_description, e.body_snippet):
        assert PASSWORD not in text and "partner" not in text
    assert "password=***" in str(e)


def test_an_undocumented_answer_echoing_secrets_is_scrubbed_too(platform, make_client):
    platform.expect_request("/api/send").respond_with_data(f"<pre>{PASSWORD}</pre>", status=418)
    with pytest.raises(exc.UnexpectedResponseError) as err:
        make_client().send(MSG)
    assert PASSWORD not in str(err.value) and "<pre>***</pre>" in str(err.value)


def test_viber_image_not_jpg_or_png_is_sent_with_a_warning(platform, caplog, make_client):
    platform.expect_request("/api/send").respond_with_json({"mtNum": "1"})
    msg = compose_message(channel="viber", dest_addr="79001234567", service_number="S",
                          image_url="https://cdn.example/banner.gif", message_id="img-1")
    assert make_client().send(msg).mt_num == "1"
    assert len(platform.log) == 1
    assert "400x400 px JPG or PNG image is recommended" in caplog.text  # the client's (stdlib) logger
    ok = compose_message(channel="viber", dest_addr="79001234567", service_number="S",
                         image_url="https://cdn.example/banner.PNG?v=2")
    assert ok.advisories() == []


# --- end to end against the sandbox --------------------------------------------------------------------
def test_client_against_the_sandbox_sends_and_the_sandbox_records_it_once(messaging_sandbox, make_client):
    result = make_client().send({**MSG, "destAddr": "79000000001"})
    [message] = messaging_sandbox.messages
    assert (result.mt_num, result.id) == (message.mt_num, "m-1")
    assert messaging_sandbox.sent_count("m-1", "79000000001") == 1


@pytest.mark.parametrize("fault, cls", [("unavailable", exc.ServiceUnavailableError), ("throttled", exc.ThrottledError),
                                        ("platform_error", exc.PlatformError)])
def test_client_retries_the_sandboxs_transient_faults_and_sends_once(messaging_sandbox, fault, cls, make_client):
    messaging_sandbox.inject(fault, count=2, retry_after=4)
    sleeps: list = []
    assert make_client(sleeps).send(MSG).mt_num
    assert len(sleeps) == 2 and messaging_sandbox.sent_count("m-1", MSG["destAddr"]) == 1
    if fault == "throttled":
        assert all(s >= 4 for s in sleeps)
    messaging_sandbox.inject(fault, count=3)
    with pytest.raises(cls):
        make_client(max_retries=2).send({**MSG, "id": "m-2"})
    assert messaging_sandbox.sent_count("m-2", MSG["destAddr"]) == 0


def test_drop_after_accept_with_platform_dedup_is_retried_and_sent_once(messaging_sandbox, make_client):
    messaging_sandbox.inject("drop_after_accept")
    result = make_client().send(MSG)  # the sandbox's connection says platform_dedup (dedup "on")
    [message] = messaging_sandbox.messages
    assert result.mt_num == message.mt_num
    assert messaging_sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_drop_after_accept_with_dedup_reject_is_a_duplicate_not_a_second_message(messaging_sandbox_factory, make_client):
    sandbox = messaging_sandbox_factory(dedup="reject")
    sandbox.inject("drop_after_accept")
    result = make_client().send(MSG)
    assert result.duplicate and len(sandbox.messages) == 1
    assert sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_drop_after_accept_without_platform_dedup_is_not_resent(messaging_sandbox_factory, make_client):
    sandbox = messaging_sandbox_factory(dedup="off")
    sandbox.inject("drop_after_accept")
    with pytest.raises(exc.AmbiguousSendError):
        make_client().send(MSG)
    assert len(sandbox.messages) == 1 and sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_check_credentials_against_the_sandbox(messaging_sandbox_factory, set_conn, make_client):
    sandbox = messaging_sandbox_factory()
    assert make_client().check_credentials() == (True, "credentials accepted")
    set_conn(sandbox.url, login=sandbox.login, password="wrong-password")
    ok, message = make_client().check_credentials()
    assert not ok and "code 6" in message and "wrong-password" not in message
    set_conn(sandbox.url, login="nobody", password=sandbox.password)
    ok, message = make_client().check_credentials()
    assert not ok and "code 5" in message
    blocked = messaging_sandbox_factory(allowed_ips=["10.0.0.0/8"])
    ok, message = make_client().check_credentials()
    assert not ok and "IP address" in message
    assert sandbox.messages == [] and blocked.messages == []  # nothing was sent


def test_check_credentials_makes_one_attempt_without_backoff(set_conn, make_client):
    port = free_port()
    set_conn(f"http://127.0.0.1:{port}")
    sleeps: list = []
    ok, message = make_client(sleeps).check_credentials()
    assert not ok and "could not reach the platform" in message and sleeps == []


def test_proxy_extra_routes_the_send_through_the_proxy(set_conn, make_client):
    with forward_proxy() as (proxy, lines):
        set_conn("http://platform.invalid/api", proxy=proxy)
        assert make_client().send(MSG).mt_num == "77"
    assert lines == [b"POST http://platform.invalid/api/send HTTP/1.1"]


def test_errors_survive_pickling_with_their_fields(platform, make_client):
    import pickle

    platform.expect_request("/api/send").respond_with_data(error_body(8, "destAddr is not correct"), status=406)
    with pytest.raises(exc.InvalidDestAddrError) as answered:
        make_client().send(MSG)
    errors = [answered.value, exc.AmbiguousSendError("no answer", ambiguous=True, retryable=False),
              InvalidMessageError([("destAddr", "must be digits")])]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)


def test_an_answer_that_breaks_off_is_ambiguous_and_typed(set_conn, make_client):
    with truncating_server() as (url, received):
        set_conn(url)
        with pytest.raises(exc.AmbiguousSendError, match="broke off"):
            make_client().send(MSG)
        assert len(received) == 1
        set_conn(url, platform_dedup=True, max_retries=1)
        with pytest.raises(exc.TransportError) as err:
            make_client().send(MSG)
        assert err.value.ambiguous and len(received) == 3


def test_a_malformed_base_url_is_a_typed_error_without_retries(set_conn, make_client):
    set_conn("http://exa mple.com:99999")
    sleeps: list = []
    with pytest.raises(exc.TransportError, match="check the connection's host") as err:
        make_client(sleeps).send(MSG)
    assert not err.value.retryable and sleeps == []


def test_a_json_escaped_echo_of_the_password_is_scrubbed_too(httpserver, set_conn, make_client):
    password = 'pa"ss\\wörd-42'
    set_conn(httpserver.url_for("/"), password=password)
    echoed = json.dumps({"password": password})  # the escaped spelling: pa\"ss\\w\u00f6rd-42
    httpserver.expect_request("/send").respond_with_data(
        json.dumps({"error": {"code": 4, "description": "Invalid request"}, "extendedDescription": echoed}),
        status=400)
    with pytest.raises(exc.InvalidRequestError) as err:
        make_client().send(MSG)
    e = err.value
    texts = [str(e), e.description, e.extended_description, e.body_snippet]
    for spelling in (password, json.dumps(password)[1:-1], json.dumps(json.dumps(password)[1:-1])[1:-1]):
        assert not any(spelling in t for t in texts), spelling
    assert "***" in e.extended_description and "***" in e.body_snippet


def test_a_retry_after_longer_than_max_retry_after_is_not_waited_out_in_the_task(platform, set_conn, make_client):
    set_conn(platform.url_for("/api"), max_retry_after=120, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": "3600"})
    sleeps: list = []
    with pytest.raises(exc.ThrottledError) as err:
        make_client(sleeps).send(MSG)
    assert err.value.retry_after == 3600
    assert sleeps == [] and len(platform.log) == 1  # raised for Airflow's task retries to take over


def test_each_request_carries_its_own_body_headers_and_the_platforms_cookies(httpserver, set_conn, make_client):
    """Requests of one client share their preparation: each still goes out with its own body and
    Content-Length, the templates method's API key goes with template requests only, and a cookie
    the platform sets (a load balancer's, say) comes back on the next request."""
    from tests.helpers.templates import SEED_WHATSAPP_VARIABLES

    set_conn(httpserver.url_for("/"), password=PASSWORD, api_key="k-123")
    httpserver.expect_request("/send").respond_with_json({"mtNum": "1"})
    httpserver.expect_request("/api/message-matchers").respond_with_json({"code": "ok"})
    client = make_client()
    short = dict(MSG, id="a")
    long = dict(MSG, id="b" * 60, message={"type": "WHATSAPP", "data": {
        "instantContent": {"type": "TEXT", "data": {"text": "a longer text " * 20}}, "serviceNumber": "SENDER"}})
    for message in (short, long, short):
        client.send(message)
    client.create_template(SEED_WHATSAPP_VARIABLES)
    client.send(long)
    httpserver.clear_all_handlers()
    httpserver.expect_oneshot_request("/send").respond_with_response(
        Response('{"mtNum": "2"}', content_type="application/json", headers={"Set-Cookie": "lb=node-7; Path=/"}))
    httpserver.expect_request("/send").respond_with_json({"mtNum": "3"})
    assert [client.send(m).mt_num for m in (short, long)] == ["2", "3"]

    log = [request for request, _ in httpserver.log]
    assert [r.path for r in log] == ["/send"] * 3 + ["/api/message-matchers"] + ["/send"] * 3
    assert [json.loads(r.data).get("id") for r in log] == ["a", "b" * 60, "a", None, "b" * 60, "a", "b" * 60]
    assert [int(r.headers["Content-Length"]) for r in log] == [len(r.data) for r in log]
    assert [r.headers.get("X-API-KEY") for r in log] == [None] * 3 + ["k-123"] + [None] * 3
    assert [r.headers.get("Cookie") for r in log] == [None] * 6 + ["lb=node-7"]


def test_headers_and_auth_set_on_the_sync_session_after_a_send_go_with_the_next_one(platform):
    from airflow_provider_messaging.client import MessagingClient
    from tests.helpers.clients import settings_from_env

    platform.expect_request("/api/send").respond_with_json({"mtNum": "1"})
    with MessagingClient(settings_from_env()) as client:
        client.send(MSG)
        client.session.headers["X-Trace"] = "abc"
        client.send(MSG)
        client.session.auth = ("proxy-user", "proxy-pass")  # auth (it may sign the body): prepared per request
        client.send(MSG)
    assert [r.headers.get("X-Trace") for r, _ in platform.log] == [None, "abc", "abc"]
    assert [bool(r.headers.get("Authorization")) for r, _ in platform.log] == [False, False, True]
