"""The receiver over real HTTP (uvicorn on loopback) into a real store (SQLite and PostgreSQL).

Every bad input is checked for its answer and for what reached the database: 0 rows for a refused
request, 1 for a duplicate pushed twice.
"""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from airflow_provider_messaging.receiver.app import create_app
from airflow_provider_messaging.receiver.settings import ReceiverSettings
from tests.helpers.receiver import OTHER_TOKEN, TOKEN, count_rows, serve

#: the long tables of refusals run on PostgreSQL only (the refusal happens before the store is reached)
ON_POSTGRES_ONLY = pytest.mark.parametrize("message_store", ["postgresql"], indirect=True)
REPORTS = "messaging_delivery_reports"
MO = "messaging_incoming_messages"


def report(mt_num: str = "7390612217", status: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "mtNum": mt_num,
        "id": f"order-{mt_num}",
        "status": status,
        "errorCode": 0,
        "doneDate": "2022-06-22T10:22:45+0300",
        **extra,
    }


def mo(transaction_id: str = "2022062210224500001", text: str | None = "STOP", **extra: Any) -> dict[str, Any]:
    body = {
        "transactionId": transaction_id,
        "destAddr": "MyShop",
        "sourceAddr": "79001234567",
        "type": "Viber",
        "partCount": 1,
        "receivedDate": "2022-06-22T10:22:45+0300",
        **extra,
    }
    if text is not None:
        body["message"] = text
    return body


@pytest.fixture(scope="module")
def served() -> Any:
    """Receivers served for the module, one per store and settings (starting one takes ~0.2 s)."""
    running: dict[tuple[int, str], tuple[Any, str]] = {}
    yield running
    for server, _ in running.values():
        server.__exit__(None, None, None)


@pytest.fixture
def receiver(message_store, served):
    """``receiver(**settings)`` -> an httpx client on a served receiver writing to ``message_store``."""
    clients: list[httpx.Client] = []

    def make(**settings: Any) -> httpx.Client:
        options = {"tokens": [TOKEN, OTHER_TOKEN], **settings}
        key = (id(message_store), json.dumps(options, sort_keys=True))
        if key not in served:
            server = serve(create_app(settings=ReceiverSettings.build(**options), store=message_store))
            served[key] = (server, server.__enter__())
        client = httpx.Client(base_url=served[key][1], timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_one_report_is_stored_with_its_extra_fields_before_the_answer(receiver, message_store):
    client = receiver()
    answer = client.post(f"/{TOKEN}/reports", json=report(status=5, errorCode=6, channel="VIBER"))
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    stored = message_store.get_reports(["7390612217"])["7390612217"]
    assert (stored.status, stored.error_code, stored.partner_id, stored.final) == (5, 6, "order-7390612217", True)
    assert stored.extra == {"channel": "VIBER"}


def test_token_in_either_header_and_any_rotated_token_is_accepted(receiver, message_store):
    client = receiver()
    assert client.post("/reports", json=report("1"), headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.post("/reports", json=report("2"), headers={"X-Messaging-Token": OTHER_TOKEN}).status_code == 200
    assert client.post(f"/{OTHER_TOKEN}/mo", json=mo()).status_code == 200
    assert count_rows(message_store, REPORTS) == 2 and count_rows(message_store, MO) == 1


@ON_POSTGRES_ONLY
@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        pytest.param("/wrong-token-0123456789abc/reports", {}, id="wrong token in path"),
        pytest.param(
            "/reports", {"headers": {"Authorization": "Bearer wrong-token-0123456789abc"}}, id="wrong token in header"
        ),
        pytest.param("/reports", {}, id="missing token"),
        pytest.param(f"/reports?token={TOKEN}", {}, id="token in the query string"),
        pytest.param("/reports", {"headers": {"Authorization": f"Basic {TOKEN}"}}, id="token as basic auth"),
        pytest.param("/reports", {"headers": {"X-Api-Key": TOKEN}}, id="token in another header"),
        pytest.param(f"/{TOKEN[:-1]}/reports", {}, id="token one character short"),
    ],
)
def test_no_valid_token_is_401_and_nothing_is_stored(receiver, message_store, path, kwargs):
    client = receiver()
    answer = client.post(path, json=report(token=TOKEN), **kwargs)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "missing or wrong token"}
    assert TOKEN not in answer.text and "wrong-token" not in answer.text
    assert count_rows(message_store, REPORTS) == 0


def test_source_outside_the_allow_list_is_403_and_nothing_is_stored(receiver, message_store):
    assert receiver(allowed_networks=["10.0.0.0/8"]).post(f"/{TOKEN}/reports", json=report()).status_code == 403
    assert receiver(allowed_networks=["127.0.0.0/8"]).post(f"/{TOKEN}/reports", json=report()).status_code == 200
    assert count_rows(message_store, REPORTS) == 1


@ON_POSTGRES_ONLY
@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        pytest.param(b'{"mtNum": "1", "status": ', 400, "malformed JSON", id="malformed JSON"),
        pytest.param(b"\xff\xfe", 400, "not UTF-8", id="not text"),
        pytest.param(b'"a string"', 422, "expected a JSON object", id="not an object"),
        pytest.param(
            json.dumps({"mtNum": "1", "status": "delivered"}),
            422,
            "status: Input should be a valid integer",
            id="wrong type",
        ),
        pytest.param(
            json.dumps({"mtNum": "1", "status": True}),
            422,
            "status: Value error, expected an integer",
            id="boolean status",
        ),
        pytest.param(
            json.dumps({"mtNum": {"a": 1}, "status": 2}),
            422,
            "mtNum: Input should be a valid string",
            id="object mtNum",
        ),
        pytest.param(json.dumps({"status": 2}), 422, "mtNum: Field required", id="no mtNum"),
        pytest.param(json.dumps({"mtNum": "1"}), 422, "status: Field required", id="no status"),
        pytest.param(
            json.dumps([report("1"), report("2"), {"mtNum": "3"}]),
            422,
            "[2].status: Field required",
            id="array with one bad element",
        ),
        pytest.param(json.dumps([report("1"), 7]), 422, "[1]: expected a JSON object", id="array with a number"),
        pytest.param(
            json.dumps({"mtNum": "x" * 65, "status": 2}),
            422,
            "mtNum is longer than 64",
            id="longer than the store allows",
        ),
    ],
)
def test_bad_report_bodies_name_the_field_and_store_nothing(receiver, message_store, body, status, named):
    answer = receiver().post(f"/{TOKEN}/reports", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert named in answer.json()["detail"]
    assert count_rows(message_store, REPORTS) == 0


def test_mo_without_transaction_id_is_422_and_nothing_is_stored(receiver, message_store):
    client = receiver()
    answer = client.post(f"/{TOKEN}/mo", json=[mo("1"), {k: v for k, v in mo("2").items() if k != "transactionId"}])
    assert answer.status_code == 422
    assert answer.json()["problems"] == [{"field": "[1].transactionId", "rule": "Field required"}]
    assert count_rows(message_store, MO) == 0


def test_array_over_the_configured_length_is_413_and_nothing_is_stored(receiver, message_store):
    client = receiver(max_items=10)
    answer = client.post(f"/{TOKEN}/reports", json=[report(str(n)) for n in range(11)])
    assert answer.status_code == 413 and "11 items, more than the 10 allowed" in answer.json()["detail"]
    assert client.post(f"/{TOKEN}/reports", json=[report(str(n)) for n in range(10)]).json() == {"accepted": 10}
    assert count_rows(message_store, REPORTS) == 10


def test_body_over_the_configured_size_is_413_and_nothing_is_stored(receiver, message_store):
    client = receiver(max_body_bytes=4096)
    body = json.dumps([report(str(n)) for n in range(100)])
    assert len(body) > 4096
    answer = client.post(f"/{TOKEN}/reports", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "larger than 4096 bytes" in answer.json()["detail"]
    assert count_rows(message_store, REPORTS) == 0


def test_an_endless_chunked_body_is_cut_off_while_reading(receiver, message_store):
    """No Content-Length: the receiver counts while reading and answers 413 long before the end."""
    url = urlsplit(str(receiver().base_url))
    chunk = b"[" + b" " * 65536
    sent = 0
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)  # little buffered on our side
        sock.settimeout(10)
        sock.connect((url.hostname, url.port))
        sock.sendall(
            f"POST /{TOKEN}/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        answer = b""
        deadline = time.monotonic() + 20
        while sent < 64 * 1024 * 1024 and time.monotonic() < deadline:  # would be 64 MiB
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answer = sock.recv(4096)
                break
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:  # the receiver closed the connection after answering
                answer = sock.recv(4096)
                break
            sent += len(chunk)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # the default limit is 1 MiB: cut off near it (plus what the kernel's socket buffers took), not at 64 MiB
    assert sent < 16 * 1024 * 1024
    assert count_rows(message_store, REPORTS) == 0


def test_duplicate_report_is_stored_once_and_a_later_status_updates_it(receiver, message_store):
    client = receiver()
    for _ in range(2):
        assert client.post(f"/{TOKEN}/reports", json=report(status=6)).status_code == 200
    assert count_rows(message_store, REPORTS) == 1
    assert client.post(f"/{TOKEN}/reports", json=[report(status=2), report(status=1)]).status_code == 200
    assert client.post(f"/{TOKEN}/reports", json=report(status=1)).status_code == 200
    assert count_rows(message_store, REPORTS) == 1
    assert message_store.get_reports(["7390612217"])["7390612217"].status == 2  # final is never replaced


def test_duplicate_mo_is_stored_once(receiver, message_store):
    client = receiver()
    assert client.post(f"/{TOKEN}/mo", json=mo(extra_field={"kept": True})).status_code == 200
    assert client.post(f"/{TOKEN}/mo", json=[mo(), mo("2", text=None)]).status_code == 200
    assert count_rows(message_store, MO) == 2
    page = message_store.mo_after(0)
    assert [m.as_wire() for m in page.messages] == [mo(extra_field={"kept": True}), mo("2", text=None)]


def test_store_down_is_503_so_the_platform_retries():
    from airflow_provider_messaging.store import MessageStore

    broken = MessageStore("postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings=ReceiverSettings.build([TOKEN]), store=broken)
    with serve(app) as url:
        answer = httpx.post(f"{url}/{TOKEN}/reports", json=report(), timeout=20)
    assert answer.status_code == 503
    assert "nothing was stored" in answer.json()["detail"]
    assert "nobody" not in answer.text


def test_health_needs_no_token():
    with serve(create_app(settings=ReceiverSettings.build([TOKEN]))) as url:
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
