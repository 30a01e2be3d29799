"""``MessagingHook.get_statuses`` / ``aget_statuses`` against a real HTTP peer (pytest-httpserver)."""

from __future__ import annotations

import asyncio
import json

import pytest
from werkzeug import Request, Response

from airflow_provider_messaging.exceptions import (
    InvalidPasswordError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.models import DeliveryReport


class StatusPeer:
    """Answers the status method from a table of reports and records every request body."""

    def __init__(self, reports: dict[str, dict]) -> None:
        self.reports = reports
        self.bodies: list[dict] = []
        self.faults: list[Response] = []

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.bodies.append(body)
        if self.faults:
            return self.faults.pop(0)
        found = [self.reports[n] for n in body["mtNums"] if n in self.reports]
        return Response(json.dumps({"reports": found}), status=200, content_type="application/json")


def _report(n: int, status: int = 2, code: int = 0) -> dict:
    return {"mtNum": str(n), "id": f"id-{n}", "status": status, "errorCode": code,
            "doneDate": "2022-06-22T10:22:45+0300"}


@pytest.fixture
def peer(httpserver, set_conn):
    reports = {str(n): _report(n, 5 if n % 3 == 0 else 2, 7 if n % 3 == 0 else 0) for n in range(1000, 1250)}
    p = StatusPeer(reports)
    httpserver.expect_request("/api/status", method="POST").respond_with_handler(p)
    set_conn(httpserver.url_for("/api"), status_path="/status", backoff_initial=0.01, backoff_max=0.05)
    return p


def test_get_statuses_batches_and_sends_credentials(peer):
    hook = MessagingHook()
    wanted = [str(n) for n in range(1000, 1250)]
    got = hook.get_statuses(wanted, batch_size=100)
    assert [len(b["mtNums"]) for b in peer.bodies] == [100, 100, 50]
    assert all(b["login"] == "partner" and b["password"] == "s3cret-pass" for b in peer.bodies)
    assert sum((b["mtNums"] for b in peer.bodies), []) == wanted
    assert hook.status_requests == 3
    assert list(got) == wanted
    assert isinstance(got["1002"], DeliveryReport)
    assert got["1002"].outcome == "timeout" and got["1001"].outcome == "delivered"


def test_unknown_mt_nums_are_absent_and_duplicates_asked_once(peer):
    got = MessagingHook().get_statuses(["1001", "1001", 1002, "555", " "], batch_size=10)
    assert peer.bodies[0]["mtNums"] == ["1001", "1002", "555"]
    assert sorted(got) == ["1001", "1002"]


def test_nothing_to_ask_sends_nothing(peer):
    assert MessagingHook().get_statuses([]) == {}
    assert peer.bodies == []


def test_batch_size_is_checked_before_any_request(peer):
    with pytest.raises(ValueError, match="from 1 to 1000"):
        MessagingHook().get_statuses(["1001"], batch_size=1001)
    assert peer.bodies == []


def test_transient_error_is_retried_with_retry_after(peer):
    waits: list[float] = []
    peer.faults.append(Response(json.dumps({"error": {"code": 3, "description": "Too many connections"}}),
                                status=429, headers={"Retry-After": "0.2"}, content_type="application/json"))
    got = MessagingHook(sleep=waits.append).get_statuses(["1001"])
    assert got["1001"].outcome == "delivered"
    assert len(peer.bodies) == 2 and peer.bodies[0] == peer.bodies[1]
    assert waits and waits[0] >= 0.2


def test_error_body_gives_the_typed_error_without_the_password(peer):
    peer.faults.append(Response(json.dumps({"error": {"code": 6, "description": "Invalid password"}}),
                                status=401, content_type="application/json"))
    with pytest.raises(InvalidPasswordError) as info:
        MessagingHook(sleep=lambda s: None).get_statuses(["1001"])
    assert len(peer.bodies) == 1  # not retried
    assert "s3cret-pass" not in str(info.value)


def test_an_answer_without_reports_is_an_unexpected_response(peer):
    peer.faults.append(Response("<html>ok</html>", status=200, content_type="text/html"))
    with pytest.raises(UnexpectedResponseError, match="HTTP 200"):
        MessagingHook().get_statuses(["1001"])


def test_async_twin_gives_the_same_reports(peer):
    wanted = [str(n) for n in range(1000, 1250)]
    sync = MessagingHook().get_statuses(wanted, batch_size=100)
    peer.bodies.clear()
    hook = MessagingHook()
    got = asyncio.run(hook.aget_statuses(wanted, batch_size=100))
    assert got == sync
    assert [len(b["mtNums"]) for b in peer.bodies] == [100, 100, 50]
    assert hook.status_requests == 3


def test_async_retries_transient_errors_and_raises_the_others(peer):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    for _ in range(2):
        peer.faults.append(Response(json.dumps({"error": {"code": 1, "description": "Service is unavailable"}}),
                                    status=503, content_type="application/json"))
    got = asyncio.run(MessagingHook().aget_statuses(["1003"], sleep=sleep))
    assert got["1003"].outcome == "delivered"
    assert len(waits) == 2 and len(peer.bodies) == 3

    peer.bodies.clear()
    peer.faults.extend(
        Response(json.dumps({"error": {"code": 1, "description": "Service is unavailable"}}), status=503)
        for _ in range(3)
    )
    with pytest.raises(ServiceUnavailableError):
        asyncio.run(MessagingHook(max_retries=2).aget_statuses(["1003"], sleep=sleep))
    assert len(peer.bodies) == 3  # the first try and two retries


def test_async_connection_refused_is_a_transport_error(set_conn):
    import socket

    from airflow_provider_messaging.exceptions import TransportError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    set_conn(f"http://127.0.0.1:{port}", max_retries=1, backoff_initial=0.01, backoff_max=0.01)
    with pytest.raises(TransportError, match="could not connect"):
        asyncio.run(MessagingHook().aget_statuses(["1"]))


# --- a platform (or proxy) that echoes the request must not put the password in exception text --
def _echo(status: int, envelope: bool):
    def handler(request: Request) -> Response:
        echoed = request.get_data(as_text=True)
        body = ({"error": {"code": 4, "description": "Invalid request"}, "extendedDescription": f"bad body {echoed}"}
                if envelope else {"echo": echoed})
        return Response(json.dumps(body), status=status, content_type="application/json")
    return handler


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("status", "envelope"), [(400, True), (200, False)], ids=["error-400", "answer-200"])
def test_an_echoed_password_never_reaches_the_exception_text(httpserver, set_conn, mode, status, envelope):
    from airflow_provider_messaging.exceptions import MessagingApiError

    httpserver.expect_request("/status").respond_with_handler(_echo(status, envelope))
    set_conn(httpserver.url_for("/"), password="echoed-secret-pw", max_retries=0)
    hook = MessagingHook()
    with pytest.raises(MessagingApiError) as info:
        if mode == "sync":
            hook.get_statuses(["1001"])
        else:
            asyncio.run(hook.aget_statuses(["1001"]))
    assert len(httpserver.log) == 1 and b"echoed-secret-pw" in httpserver.log[0][0].data  # it was echoed...
    error = info.value
    texts = [str(error), repr(error.args), error.description, error.extended_description, error.body_snippet]
    assert not [t for t in texts if t and "echoed-secret-pw" in t]  # ...and scrubbed from the error
    assert "***" in str(error)


def test_async_connection_read_masks_every_secret(peer, set_conn, httpserver):
    """The trigger reads the connection through ``aget_settings``: login, password and API key are
    masked there as they are by the sync ``settings`` (SPEC §1: login and password are secrets)."""
    from airflow.sdk.log import redact

    set_conn(httpserver.url_for("/api"), login="async-login-4417", password="async-pass-4417",
             status_path="/status", api_key="async-key-4417")
    assert asyncio.run(MessagingHook().aget_statuses(["1001"]))["1001"].outcome == "delivered"
    assert redact("async-login-4417 async-pass-4417 async-key-4417") == "*** *** ***"


@pytest.fixture
def https_peer(tmp_path, set_conn, monkeypatch):
    """A status peer over HTTPS with a self-signed certificate, trusted only through
    REQUESTS_CA_BUNDLE (how a company CA is usually given to requests)."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pytest_httpserver import HTTPServer

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    server.expect_request("/status").respond_with_json({"reports": [_report(1001)]})
    set_conn(server.url_for("/"), max_retries=0)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    yield server
    server.clear()
    server.stop()


def test_a_ca_bundle_given_to_requests_is_trusted_by_the_async_client_too(https_peer):
    """The trigger's httpx client trusts what the sync session trusts (REQUESTS_CA_BUNDLE), or a
    deferrable sensor would fail TLS where the poke-mode one works."""
    assert MessagingHook().get_statuses(["1001"])["1001"].outcome == "delivered"
    assert asyncio.run(MessagingHook().aget_statuses(["1001"]))["1001"].outcome == "delivered"
    assert len(https_peer.log) == 2


def test_an_untrusted_certificate_says_so_in_the_async_error(https_peer, monkeypatch):
    from airflow_provider_messaging.exceptions import TransportError

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(TransportError, match="could not connect to https://.*CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(MessagingHook().aget_statuses(["1001"]))
