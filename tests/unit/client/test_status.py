"""Delivery statuses through both clients (``get_statuses``) against a real HTTP peer
(pytest-httpserver): batches, retries, errors, secrets, TLS. Every test runs against each client."""

from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from airflow_provider_messaging.exceptions import (
    InvalidPasswordError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from airflow_provider_messaging.models import DeliveryReport
from tests.helpers.peers import report, status_peer


@pytest.fixture
def peer(httpserver, set_conn):
    return status_peer(httpserver, set_conn)


def test_get_statuses_batches_and_sends_credentials(peer, make_client):
    client = make_client()
    wanted = [str(n) for n in range(1000, 1250)]
    got = client.get_statuses(wanted, batch_size=100)
    assert [len(b["mtNums"]) for b in peer.bodies] == [100, 100, 50]
    assert all(b["login"] == "partner" and b["password"] == "s3cret-pass" for b in peer.bodies)
    assert sum((b["mtNums"] for b in peer.bodies), []) == wanted
    assert client.status_requests == 3
    assert list(got) == wanted
    assert isinstance(got["1002"], DeliveryReport)
    assert got["1002"].outcome == "timeout" and got["1001"].outcome == "delivered"


def test_unknown_mt_nums_are_absent_and_duplicates_asked_once(peer, make_client):
    got = make_client().get_statuses(["1001", "1001", 1002, "555", " "], batch_size=10)
    assert peer.bodies[0]["mtNums"] == ["1001", "1002", "555"]
    assert sorted(got) == ["1001", "1002"]


def test_nothing_to_ask_sends_nothing(peer, make_client):
    assert make_client().get_statuses([]) == {}
    assert peer.bodies == []


def test_batch_size_is_checked_before_any_request(peer, make_client):
    with pytest.raises(ValueError, match="from 1 to 1000"):
        make_client().get_statuses(["1001"], batch_size=1001)
    assert peer.bodies == []


def test_transient_error_is_retried_with_retry_after(peer, make_client):
    waits: list[float] = []
    peer.faults.append(Response(json.dumps({"error": {"code": 3, "description": "Too many connections"}}),
                                status=429, headers={"Retry-After": "0.2"}, content_type="application/json"))
    got = make_client(waits).get_statuses(["1001"])
    assert got["1001"].outcome == "delivered"
    assert len(peer.bodies) == 2 and peer.bodies[0] == peer.bodies[1]
    assert waits and waits[0] >= 0.2


def test_error_body_gives_the_typed_error_without_the_password(peer, make_client):
    peer.faults.append(Response(json.dumps({"error": {"code": 6, "description": "Invalid password"}}),
                                status=401, content_type="application/json"))
    with pytest.raises(InvalidPasswordError) as info:
        make_client().get_statuses(["1001"])
    assert len(peer.bodies) == 1  # not retried
    assert "s3cret-pass" not in str(info.value)


def test_an_answer_without_reports_is_an_unexpected_response(peer, make_client):
    peer.faults.append(Response("<html>ok</html>", status=200, content_type="text/html"))
    with pytest.raises(UnexpectedResponseError, match="HTTP 200"):
        make_client().get_statuses(["1001"])


def test_transient_errors_are_retried_and_the_others_raised(peer, make_client):
    waits: list[float] = []

    for _ in range(2):
        peer.faults.append(Response(json.dumps({"error": {"code": 1, "description": "Service is unavailable"}}),
                                    status=503, content_type="application/json"))
    got = make_client(waits).get_statuses(["1003"])
    assert got["1003"].outcome == "delivered"
    assert len(waits) == 2 and len(peer.bodies) == 3

    peer.bodies.clear()
    peer.faults.extend(
        Response(json.dumps({"error": {"code": 1, "description": "Service is unavailable"}}), status=503)
        for _ in range(3)
    )
    with pytest.raises(ServiceUnavailableError):
        make_client(waits, max_retries=2).get_statuses(["1003"])
    assert len(peer.bodies) == 3  # the first try and two retries


def test_connection_refused_is_a_transport_error(set_conn, make_client):
    import socket

    from airflow_provider_messaging.exceptions import TransportError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    set_conn(f"http://127.0.0.1:{port}", max_retries=1, backoff_initial=0.01, backoff_max=0.01)
    with pytest.raises(TransportError, match="could not connect"):
        make_client().get_statuses(["1"])


# --- a platform (or proxy) that echoes the request must not put the password in exception text --
def _echo(status: int, envelope: bool):
    def handler(request: Request) -> Response:
        echoed = request.get_data(as_text=True)
        body = ({"error": {"code": 4, "description": "Invalid request"}, "extendedDescription": f"bad body {echoed}"}
                if envelope else {"echo": echoed})
        return Response(json.dumps(body), status=status, content_type="application/json")
    return handler


@pytest.mark.parametrize(("status", "envelope"), [(400, True), (200, False)], ids=["error-400", "answer-200"])
def test_an_echoed_password_never_reaches_the_exception_text(httpserver, set_conn, status, envelope, make_client):
    from airflow_provider_messaging.exceptions import MessagingApiError

    httpserver.expect_request("/status").respond_with_handler(_echo(status, envelope))
    set_conn(httpserver.url_for("/"), password="echoed-secret-pw", max_retries=0)
    with pytest.raises(MessagingApiError) as info:
        make_client().get_statuses(["1001"])
    assert len(httpserver.log) == 1 and b"echoed-secret-pw" in httpserver.log[0][0].data  # it was echoed...
    error = info.value
    texts = [str(error), repr(error.args), error.description, error.extended_description, error.body_snippet]
    assert not [t for t in texts if t and "echoed-secret-pw" in t]  # ...and scrubbed from the error
    assert "***" in str(error)


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
    server.expect_request("/status").respond_with_json({"reports": [report(1001)]})
    set_conn(server.url_for("/"), max_retries=0)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    yield server
    server.clear()
    server.stop()


def test_a_ca_bundle_given_to_requests_is_trusted_by_both_clients(https_peer, make_client):
    """The trigger's httpx client trusts what the sync session trusts (REQUESTS_CA_BUNDLE), or a
    deferrable sensor would fail TLS where the poke-mode one works."""
    assert make_client().get_statuses(["1001"])["1001"].outcome == "delivered"
    assert len(https_peer.log) == 1


def test_an_untrusted_certificate_says_so_in_the_error(https_peer, monkeypatch, make_client):
    from airflow_provider_messaging.exceptions import TransportError

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(TransportError, match="could not connect to https://.*CERTIFICATE_VERIFY_FAILED"):
        make_client().get_statuses(["1001"])

