"""MessagingHook against real HTTP peers: wire JSON, each error code, retries, secrets."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager

import pytest
from werkzeug import Response

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.models import SEND_ERRORS, InvalidMessageError, compose_message

PASSWORD = "s3cret-pass"
MSG = {"destAddr": "+7 900 123-45-67", "id": "m-1",
       "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                             "serviceNumber": "SENDER"}}}


def make_hook(sleeps: list | None = None, **kw) -> MessagingHook:
    return MessagingHook(sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw)


def error_body(code: int, description: str, extended: str | None = None) -> str:
    body = {"error": {"code": code, "description": description}}
    if extended:
        body["extendedDescription"] = extended
    return json.dumps(body)


@pytest.fixture
def platform(httpserver, set_conn):
    set_conn(httpserver.url_for("/api"), password=PASSWORD)
    return httpserver


def test_send_posts_the_seed_body_with_credentials_and_returns_mt_num(platform):
    platform.expect_oneshot_request("/api/send", method="POST").respond_with_json({"mtNum": "7390612217"})
    result = make_hook().send(MSG)
    assert (result.mt_num, result.id, result.duplicate) == ("7390612217", "m-1", False)
    (request, _), = platform.log
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.data) == {
        "login": "partner", "password": PASSWORD, "destAddr": "79001234567", "id": "m-1",
        "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "hi"}},
                                              "serviceNumber": "SENDER"}}}


def test_send_accepts_the_model_and_whatsapp_echoes_id(platform):
    platform.expect_oneshot_request("/api/send").respond_with_json({"mtNum": "107930572", "id": "8770599"})
    msg = compose_message(channel="whatsapp", dest_addr="79001234567", service_number="S", text="x",
                          message_id="8770599")
    assert make_hook().send(msg).id == "8770599"


def test_send_path_extra_and_absolute_templates_url(httpserver, set_conn):
    set_conn(httpserver.url_for("/prefix/"), send_path="v2/messages", templates_url="https://other.example/t")
    httpserver.expect_oneshot_request("/prefix/v2/messages").respond_with_json({"mtNum": "1"})
    hook = make_hook()
    assert hook.send(MSG).mt_num == "1"
    assert hook.settings.url(hook.settings.templates_url) == "https://other.example/t"


def test_invalid_input_is_refused_before_any_request(platform):
    bad = json.loads(json.dumps(MSG))
    bad["message"]["data"]["instantContent"]["data"]["text"] = "x" * 1001
    with pytest.raises(InvalidMessageError, match="text: Viber text is at most 1000"):
        make_hook().send(bad)
    assert platform.log == []


def test_viber_sessions_extra_refuses_button_before_any_request(httpserver, set_conn):
    set_conn(httpserver.url_for("/"), viber_sessions=True)
    msg = compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="t",
                          button_caption="c", button_url="https://x")
    with pytest.raises(InvalidMessageError, match="Viber sessions"):
        make_hook().send(msg)
    assert httpserver.log == []


FAIL_FAST = [(2, 403, exc.InvalidIpAddressError), (4, 400, exc.InvalidRequestError),
             (5, 401, exc.InvalidLoginError), (6, 401, exc.InvalidPasswordError),
             (7, 400, exc.ServiceNumberNotDefinedError), (8, 406, exc.InvalidDestAddrError),
             (9, 406, exc.InvalidMessageTypeError), (11, 406, exc.InvalidTtlError)]


@pytest.mark.parametrize("code, status, cls", FAIL_FAST, ids=[str(c[0]) for c in FAIL_FAST])
def test_non_retryable_codes_fail_at_once_with_a_typed_error(platform, set_conn, code, status, cls):
    # a login that is not a word of the hints (the login is masked like the password)
    set_conn(platform.url_for("/api"), login="acme-shop-01", password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(
        error_body(code, "Invalid request", "Message is too long (2618 symbols). Viber message max length is 2000 symbols."),
        status=status, content_type="application/json")
    sleeps: list = []
    with pytest.raises(cls) as err:
        make_hook(sleeps).send(MSG)
    e = err.value
    assert (e.code, e.http_status, e.retryable) == (code, status, False)
    assert e.extended_description.startswith("Message is too long")
    assert len(platform.log) == 1 and sleeps == []
    assert f"code {code}" in str(e)
    assert SEND_ERRORS[code].hint in str(e)  # says what to fix


def test_messages_say_what_to_fix(platform):
    platform.expect_request("/api/send").respond_with_data(error_body(6, "Invalid password"), status=401)
    with pytest.raises(exc.AuthenticationError, match="check the connection's password"):
        make_hook().send(MSG)


@pytest.mark.parametrize("code, status, cls", [(1, 503, exc.ServiceUnavailableError), (3, 429, exc.ThrottledError),
                                               (100, 500, exc.PlatformError)])
def test_transient_codes_are_retried_with_the_byte_identical_body(platform, code, status, cls):
    platform.expect_ordered_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    platform.expect_ordered_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "42"})
    sleeps: list = []
    assert make_hook(sleeps).send(MSG).mt_num == "42"
    bodies = [req.data for req, _ in platform.log]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert json.loads(bodies[0])["id"] == "m-1"
    assert len(sleeps) == 2


def test_retries_are_bounded_by_max_retries(platform, set_conn):
    set_conn(platform.url_for("/api"), max_retries=2, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(error_body(1, "Service is unavailable"), status=503)
    sleeps: list = []
    with pytest.raises(exc.ServiceUnavailableError) as err:
        make_hook(sleeps).send(MSG)
    assert len(platform.log) == 3 and len(sleeps) == 2
    assert err.value.retryable


def test_backoff_grows_exponentially_within_bounds(platform, set_conn, monkeypatch):
    import random

    set_conn(platform.url_for("/api"), max_retries=6, backoff_initial=1, backoff_max=8, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(error_body(100, "100"), status=500)
    sleeps: list = []
    with pytest.raises(exc.PlatformError):
        make_hook(sleeps).send(MSG)
    assert len(sleeps) == 6
    # full jitter: the n-th wait is drawn from [0, min(8, 1 * 2**(n-1))]
    assert all(0 <= s <= min(8, 2 ** i) for i, s in enumerate(sleeps))
    # and the bound itself doubles up to backoff_max: draw at the top of each range
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    top: list = []
    with pytest.raises(exc.PlatformError):
        make_hook(top).send(MSG)
    assert top == [1, 2, 4, 8, 8, 8]


def test_retry_after_is_honoured(platform):
    platform.expect_ordered_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": "7"})
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "9"})
    sleeps: list = []
    assert make_hook(sleeps).send(MSG).mt_num == "9"
    assert sleeps == [pytest.approx(7, abs=0.01)] or sleeps[0] >= 7


def test_code_10_means_already_accepted_never_resent(platform):
    platform.expect_request("/api/send").respond_with_data(error_body(10, "Prohibited sending duplicates"), status=409)
    result = make_hook().send(MSG)
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
                                                                         hint):
    set_conn(platform.url_for("/api"), max_retries=1, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(body, status=status, content_type="text/html")
    with pytest.raises(exc.UnexpectedResponseError) as err:
        make_hook().send(MSG)
    e = err.value
    assert e.http_status == status and e.retryable is retryable
    assert len(platform.log) == (2 if retryable else 1)
    assert f"HTTP {status}" in str(e)
    assert hint in str(e)  # says what to fix
    if body.startswith("<html><body>"):
        assert "502 Bad Gateway" in str(e)
    if not body:
        assert "(empty body)" in str(e)


def test_200_without_mt_num_is_an_error(platform):
    platform.expect_request("/api/send").respond_with_data("OK", status=200)
    with pytest.raises(exc.UnexpectedResponseError, match="HTTP 200"):
        make_hook().send(MSG)


# --- transport failures -------------------------------------------------------------------------
@contextmanager
def raw_server(reply: bytes | None):
    """A socket server that reads each whole request (recording its body), then sends ``reply``
    (raw bytes, e.g. a broken-off answer) or nothing, and closes the connection."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    received: list[bytes] = []
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0]
                             .split(b":")[1])
                while len(body) < length:
                    body += conn.recv(65536)
                received.append(body)
                if reply is not None:
                    conn.sendall(reply)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}", received
    finally:
        stop.set()
        t.join()
        srv.close()


def dropping_server():
    """Accepts a connection, reads the whole request, then closes without answering."""
    return raw_server(None)


def truncating_server():
    """Reads the request, starts a chunked 200 answer and breaks it off mid-chunk."""
    return raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"40\r\n{\"mtNum\":")


def test_dropped_connection_after_sending_is_not_resent_when_dedup_is_not_known(set_conn):
    with dropping_server() as (url, received):
        set_conn(url)
        sleeps: list = []
        with pytest.raises(exc.AmbiguousSendError, match="may have accepted"):
            make_hook(sleeps).send(MSG)
    assert len(received) == 1 and sleeps == []


def test_dropped_connection_is_retried_with_the_same_id_when_platform_dedup_is_on(set_conn):
    with dropping_server() as (url, received):
        set_conn(url, platform_dedup=True, max_retries=2)
        with pytest.raises(exc.TransportError) as err:
            make_hook().send(MSG)
    assert err.value.ambiguous
    assert len(received) == 3 and len(set(received)) == 1


def test_connection_refused_is_retried_then_fails_clearly(set_conn):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    set_conn(f"http://127.0.0.1:{port}", max_retries=2)
    sleeps: list = []
    with pytest.raises(exc.TransportError) as err:
        make_hook(sleeps).send(MSG)
    assert not err.value.ambiguous and len(sleeps) == 2


def test_read_timeout_is_ambiguous(httpserver, set_conn):
    import time

    def slow(request):
        time.sleep(0.3)
        return Response(json.dumps({"mtNum": "1"}), content_type="application/json")

    httpserver.expect_request("/send").respond_with_handler(slow)
    set_conn(httpserver.url_for("/"), timeout=0.1)
    with pytest.raises(exc.AmbiguousSendError, match="no answer"):
        make_hook().send(MSG)
    deadline = time.monotonic() + 2
    while not httpserver.log and time.monotonic() < deadline:  # let the slow answer finish
        time.sleep(0.05)
    assert len(httpserver.log) == 1


# --- test_connection ----------------------------------------------------------------------------
@pytest.mark.parametrize("code, status, ok", [(8, 406, True), (4, 400, True), (5, 401, False), (6, 401, False),
                                              (2, 403, False)])
def test_test_connection_checks_credentials_without_sending(platform, code, status, ok):
    platform.expect_request("/api/send").respond_with_data(error_body(code, "x"), status=status)
    success, message = make_hook().test_connection()
    assert success is ok
    (request, _), = platform.log
    body = json.loads(request.data)
    assert "message" not in body  # nothing that could be delivered
    assert PASSWORD not in message


# --- secrets --------------------------------------------------------------------------------------
def test_password_never_in_logs_or_exception_text(platform, capfd):
    from airflow.sdk.log import redact

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


def test_one_session_per_hook_reused_across_sends(set_conn):
    """Keep-alive: three sends from one hook use one TCP connection (counted by a socket server)."""
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
    hook = make_hook()
    session = hook.get_conn()
    assert [hook.send(MSG).mt_num for _ in range(3)] == ["1", "1", "1"]
    assert hook.get_conn() is session
    t.join(timeout=5)
    srv.close()
    assert accepted == [1]


def test_retry_after_as_an_http_date_is_honoured(platform):
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    platform.expect_ordered_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": when})
    platform.expect_ordered_request("/api/send").respond_with_json({"mtNum": "9"})
    sleeps: list = []
    assert make_hook(sleeps).send(MSG).mt_num == "9"
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_secrets_echoed_by_the_platform_never_reach_exception_text(platform):
    """A platform or proxy that echoes the request must not put the credentials in the error."""
    echo = f"bad request login=partner password={PASSWORD}"
    platform.expect_request("/api/send").respond_with_data(
        json.dumps({"error": {"code": 4, "description": f"Invalid request ({PASSWORD})"},
                    "extendedDescription": echo}), status=400, content_type="application/json")
    with pytest.raises(exc.InvalidRequestError) as err:
        make_hook().send(MSG)
    e = err.value
    for text in (str(e), e.description, e.extended_description, e.body_snippet):
        assert PASSWORD not in text and "partner" not in text
    assert "password=***" in str(e)


def test_an_undocumented_answer_echoing_secrets_is_scrubbed_too(platform):
    platform.expect_request("/api/send").respond_with_data(f"<pre>{PASSWORD}</pre>", status=418)
    with pytest.raises(exc.UnexpectedResponseError) as err:
        make_hook().send(MSG)
    assert PASSWORD not in str(err.value) and "<pre>***</pre>" in str(err.value)


def test_login_is_masked_like_the_password(platform):
    from airflow.sdk.log import redact

    assert make_hook().settings.login == "partner"
    assert redact("login partner") == "login ***"  # SPEC §1: login and password are both secrets


def test_viber_image_not_jpg_or_png_is_sent_with_a_warning(platform, capfd):
    platform.expect_request("/api/send").respond_with_json({"mtNum": "1"})
    msg = compose_message(channel="viber", dest_addr="79001234567", service_number="S",
                          image_url="https://cdn.example/banner.gif", message_id="img-1")
    assert make_hook().send(msg).mt_num == "1"
    assert len(platform.log) == 1
    out = "".join(capfd.readouterr())
    assert "400x400 px JPG or PNG image is recommended" in out
    ok = compose_message(channel="viber", dest_addr="79001234567", service_number="S",
                         image_url="https://cdn.example/banner.PNG?v=2")
    assert ok.advisories() == []


# --- end to end against the sandbox --------------------------------------------------------------------
def test_hook_against_the_sandbox_sends_and_the_sandbox_records_it_once(messaging_sandbox):
    result = make_hook().send({**MSG, "destAddr": "79000000001"})
    [message] = messaging_sandbox.messages
    assert (result.mt_num, result.id) == (message.mt_num, "m-1")
    assert messaging_sandbox.sent_count("m-1", "79000000001") == 1


@pytest.mark.parametrize("fault, cls", [("unavailable", exc.ServiceUnavailableError), ("throttled", exc.ThrottledError),
                                        ("platform_error", exc.PlatformError)])
def test_hook_retries_the_sandboxs_transient_faults_and_sends_once(messaging_sandbox, fault, cls):
    messaging_sandbox.inject(fault, count=2, retry_after=4)
    sleeps: list = []
    assert make_hook(sleeps).send(MSG).mt_num
    assert len(sleeps) == 2 and messaging_sandbox.sent_count("m-1", MSG["destAddr"]) == 1
    if fault == "throttled":
        assert all(s >= 4 for s in sleeps)
    messaging_sandbox.inject(fault, count=3)
    with pytest.raises(cls):
        make_hook(max_retries=2).send({**MSG, "id": "m-2"})
    assert messaging_sandbox.sent_count("m-2", MSG["destAddr"]) == 0


def test_drop_after_accept_with_platform_dedup_is_retried_and_sent_once(messaging_sandbox):
    messaging_sandbox.inject("drop_after_accept")
    result = make_hook().send(MSG)  # the sandbox's connection says platform_dedup (dedup "on")
    [message] = messaging_sandbox.messages
    assert result.mt_num == message.mt_num
    assert messaging_sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_drop_after_accept_with_dedup_reject_is_a_duplicate_not_a_second_message(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="reject")
    sandbox.inject("drop_after_accept")
    result = make_hook().send(MSG)
    assert result.duplicate and len(sandbox.messages) == 1
    assert sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_drop_after_accept_without_platform_dedup_is_not_resent(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="off")
    sandbox.inject("drop_after_accept")
    with pytest.raises(exc.AmbiguousSendError):
        make_hook().send(MSG)
    assert len(sandbox.messages) == 1 and sandbox.sent_count("m-1", MSG["destAddr"]) == 1


def test_test_connection_against_the_sandbox(messaging_sandbox_factory, set_conn):
    sandbox = messaging_sandbox_factory()
    assert make_hook().test_connection() == (True, "credentials accepted")
    set_conn(sandbox.url, login=sandbox.login, password="wrong-password")
    ok, message = make_hook().test_connection()
    assert not ok and "code 6" in message and "wrong-password" not in message
    set_conn(sandbox.url, login="nobody", password=sandbox.password)
    ok, message = make_hook().test_connection()
    assert not ok and "code 5" in message
    blocked = messaging_sandbox_factory(allowed_ips=["10.0.0.0/8"])
    ok, message = make_hook().test_connection()
    assert not ok and "IP address" in message
    assert sandbox.messages == [] and blocked.messages == []  # nothing was sent


def test_test_connection_makes_one_attempt_without_backoff(set_conn):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    set_conn(f"http://127.0.0.1:{port}")
    sleeps: list = []
    ok, message = make_hook(sleeps).test_connection()
    assert not ok and "could not reach the platform" in message and sleeps == []


@pytest.mark.parametrize("host, port, expected", [
    ("api.example.com", 8443, "https://api.example.com:8443"),
    ("http://[::1]/prefix", 8080, "http://[::1]:8080/prefix"),
    ("http://10.0.0.1:81/p", 9999, "http://10.0.0.1:81/p"),
])
def test_connection_port_joins_the_base_url(monkeypatch, host, port, expected):
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", json.dumps(
        {"conn_type": "messaging", "host": host, "port": port, "login": "l", "password": "p"}))
    assert MessagingHook().settings.base_url == expected


@contextmanager
def forward_proxy():
    """A minimal HTTP forward proxy stand-in: records the request line and answers as the platform."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    lines: list[bytes] = []

    def serve():
        conn, _ = srv.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            lines.append(data.split(b"\r\n", 1)[0])
            body = b'{"mtNum":"77"}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}", lines
    finally:
        t.join(timeout=5)
        srv.close()


def test_proxy_extra_routes_the_send_through_the_proxy(set_conn):
    with forward_proxy() as (proxy, lines):
        set_conn("http://platform.invalid/api", proxy=proxy)
        assert make_hook().send(MSG).mt_num == "77"
    assert lines == [b"POST http://platform.invalid/api/send HTTP/1.1"]


def test_verify_ssl_extra_turns_certificate_checks_off(set_conn):
    set_conn("https://platform.invalid", verify_ssl="false")
    assert make_hook().get_conn().verify is False
    set_conn("https://platform.invalid")
    assert make_hook().get_conn().verify is not False


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


def test_errors_survive_pickling_with_their_fields(platform):
    import pickle

    platform.expect_request("/api/send").respond_with_data(error_body(8, "destAddr is not correct"), status=406)
    with pytest.raises(exc.InvalidDestAddrError) as answered:
        make_hook().send(MSG)
    errors = [answered.value, exc.AmbiguousSendError("no answer", ambiguous=True, retryable=False),
              InvalidMessageError([("destAddr", "must be digits")])]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)


def test_an_answer_that_breaks_off_is_ambiguous_and_typed(set_conn):
    with truncating_server() as (url, received):
        set_conn(url)
        with pytest.raises(exc.AmbiguousSendError, match="broke off"):
            make_hook().send(MSG)
        assert len(received) == 1
        set_conn(url, platform_dedup=True, max_retries=1)
        with pytest.raises(exc.TransportError) as err:
            make_hook().send(MSG)
        assert err.value.ambiguous and len(received) == 3


def test_a_malformed_base_url_is_a_typed_error_without_retries(set_conn):
    set_conn("http://exa mple.com:99999")
    sleeps: list = []
    with pytest.raises(exc.TransportError, match="check the connection's host") as err:
        make_hook(sleeps).send(MSG)
    assert not err.value.retryable and sleeps == []


def test_an_unknown_extra_is_named_in_a_warning(httpserver, set_conn, capfd):
    set_conn(httpserver.url_for("/"), platform_dedupe=True, timeout=5)
    settings = make_hook().settings
    assert settings.platform_dedup is False and settings.timeout == 5
    out = "".join(capfd.readouterr())
    assert "unknown extra(s) platform_dedupe ignored" in out and "platform_dedup" in out


def test_a_json_escaped_echo_of_the_password_is_scrubbed_too(httpserver, set_conn):
    password = 'pa"ss\\wörd-42'
    set_conn(httpserver.url_for("/"), password=password)
    echoed = json.dumps({"password": password})  # the escaped spelling: pa\"ss\\w\u00f6rd-42
    httpserver.expect_request("/send").respond_with_data(
        json.dumps({"error": {"code": 4, "description": "Invalid request"}, "extendedDescription": echoed}),
        status=400)
    with pytest.raises(exc.InvalidRequestError) as err:
        make_hook().send(MSG)
    e = err.value
    texts = [str(e), e.description, e.extended_description, e.body_snippet]
    for spelling in (password, json.dumps(password)[1:-1], json.dumps(json.dumps(password)[1:-1])[1:-1]):
        assert not any(spelling in t for t in texts), spelling
    assert "***" in e.extended_description and "***" in e.body_snippet


def test_a_retry_after_longer_than_max_retry_after_is_not_waited_out_in_the_task(platform, set_conn):
    set_conn(platform.url_for("/api"), max_retry_after=120, password=PASSWORD)
    platform.expect_request("/api/send").respond_with_data(
        error_body(3, "Too many connections"), status=429, headers={"Retry-After": "3600"})
    sleeps: list = []
    with pytest.raises(exc.ThrottledError) as err:
        make_hook(sleeps).send(MSG)
    assert err.value.retry_after == 3600
    assert sleeps == [] and len(platform.log) == 1  # raised for Airflow's task retries to take over
