"""The sandbox's pushes: delivery reports to notifyUrl per registeredDelivery (SPEC §2), retries of a
failing receiver, and MO messages (SPEC §3)."""

from __future__ import annotations

import re
import socket
import time

import pytest
import requests
from werkzeug import Request, Response

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.sandbox import post, viber, wait_until

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0300$")


def received(httpserver, path: str) -> list[dict]:
    return [req.get_json() for req, _resp in httpserver.log if req.path == path]


@pytest.fixture
def receiver(httpserver):
    """An HTTP receiver answering 200 on /reports and /mo; returns the httpserver."""
    httpserver.expect_request("/reports", method="POST").respond_with_data("ok")
    httpserver.expect_request("/mo", method="POST").respond_with_data("ok")
    return httpserver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- reports ----------------------------------------------------------------------------------------

def test_registered_delivery_1_pushes_the_final_report_delivered_and_failed(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"79000000002": "teleservice-not-provisioned"})
    url = receiver.url_for("/reports")
    ok = post(sandbox, viber(id="p-ok", notifyUrl=url, registeredDelivery=1)).json()["mtNum"]
    bad = post(sandbox, viber(id="p-bad", destAddr="79000000002", notifyUrl=url)).json()["mtNum"]  # default 1
    assert wait_until(lambda: len(received(receiver, "/reports")) == 2)
    by_mt = {r["mtNum"]: r for r in received(receiver, "/reports")}
    assert by_mt[ok]["id"] == "p-ok" and by_mt[ok]["status"] == 2 and by_mt[ok]["errorCode"] == 0
    assert by_mt[bad] == {"mtNum": bad, "id": "p-bad", "status": 5, "errorCode": 6,
                          "doneDate": by_mt[bad]["doneDate"]}
    assert DATE.match(by_mt[bad]["doneDate"])
    assert wait_until(lambda: len(sandbox.reports_pushed) == 2)  # recorded once the receiver answered
    assert {p["payload"]["mtNum"] for p in sandbox.reports_pushed} == {ok, bad}
    assert all(p["ok"] and p["attempts"] == 1 for p in sandbox.reports_pushed)


def test_registered_delivery_1_with_intermediate_reports_pushes_enroute_then_final(messaging_sandbox_factory,
                                                                                   receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.1, intermediate_reports=True)
    mt = post(sandbox, viber(notifyUrl=receiver.url_for("/reports"))).json()["mtNum"]
    assert wait_until(lambda: len(received(receiver, "/reports")) == 2)
    statuses = sorted(r["status"] for r in received(receiver, "/reports") if r["mtNum"] == mt)
    assert statuses == [1, 2]


def test_registered_delivery_2_pushes_only_not_delivered(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"7900000000[2-3]": "expired"})
    url = receiver.url_for("/reports")
    delivered = post(sandbox, viber(destAddr="79000000001", notifyUrl=url, registeredDelivery=2)).json()["mtNum"]
    expired = post(sandbox, viber(destAddr="79000000002", notifyUrl=url, registeredDelivery=2)).json()["mtNum"]
    assert wait_until(lambda: len(received(receiver, "/reports")) >= 1)
    assert wait_until(lambda: sandbox.message(delivered).is_final)
    time.sleep(0.15)
    pushed = received(receiver, "/reports")
    assert [r["mtNum"] for r in pushed] == [expired] and pushed[0]["status"] == 3


def test_registered_delivery_0_pushes_nothing(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"79000000002": "call-barred"})
    url = receiver.url_for("/reports")
    mts = [post(sandbox, viber(destAddr=d, notifyUrl=url, registeredDelivery=0)).json()["mtNum"]
           for d in ("79000000001", "79000000002")]
    control = post(sandbox, viber(destAddr="79000000003", notifyUrl=url, registeredDelivery=1)).json()["mtNum"]
    assert wait_until(lambda: all(sandbox.message(m).is_final for m in mts))
    assert wait_until(lambda: len(received(receiver, "/reports")) == 1)  # the control's report did arrive
    time.sleep(0.15)
    assert [r["mtNum"] for r in received(receiver, "/reports")] == [control]
    assert [p["payload"]["mtNum"] for p in sandbox.reports_pushed] == [control]


def test_pending_outcome_pushes_no_final_report(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"79000000001": "pending"})
    pending = post(sandbox, viber(notifyUrl=receiver.url_for("/reports"))).json()["mtNum"]
    control = post(sandbox, viber(destAddr="79000000009", notifyUrl=receiver.url_for("/reports"))).json()["mtNum"]
    assert wait_until(lambda: len(received(receiver, "/reports")) == 1)  # the control's report did arrive
    time.sleep(0.2)
    assert [r["mtNum"] for r in received(receiver, "/reports")] == [control]
    assert not sandbox.message(pending).is_final and sandbox.report(pending)["status"] in (1, 6)


def test_failing_receiver_is_retried_until_it_answers_2xx(messaging_sandbox_factory, httpserver):
    calls = []

    def flaky(request: Request) -> Response:
        calls.append(request.get_json())
        return Response("busy", status=503) if len(calls) <= 2 else Response("ok", status=200)

    httpserver.expect_request("/flaky", method="POST").respond_with_handler(flaky)
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, report_retries=3)
    mt = post(sandbox, viber(notifyUrl=httpserver.url_for("/flaky"))).json()["mtNum"]
    assert wait_until(lambda: len(sandbox.reports_pushed) == 1, 3)
    [push] = sandbox.reports_pushed
    assert push["ok"] and push["attempts"] == 3 and push["status_code"] == 200
    assert len(calls) == 3 and all(c["mtNum"] == mt for c in calls)


def test_unreachable_receiver_gives_up_after_report_retries(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.02, report_retries=2)
    post(sandbox, viber(notifyUrl=f"http://127.0.0.1:{free_port()}/gone"))
    assert wait_until(lambda: len(sandbox.reports_pushed) == 1, 3)
    [push] = sandbox.reports_pushed
    assert not push["ok"] and push["attempts"] == 3 and push["status_code"] is None
    assert push["error"]


def test_pushes_admin_endpoint_lists_reports(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(delivery_delay=0.02)
    mt = post(sandbox, viber(notifyUrl=receiver.url_for("/reports"))).json()["mtNum"]
    assert wait_until(lambda: len(sandbox.reports_pushed) == 1)
    listed = requests.get(sandbox.url + "/_sandbox/pushes", params={"kind": "report"}, timeout=5).json()
    assert listed[0]["payload"]["mtNum"] == mt and listed[0]["url"].endswith("/reports")


# --- MO ---------------------------------------------------------------------------------------------------

def test_send_mo_pushes_the_documented_json(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(mo_url=receiver.url_for("/mo"))
    sent = sandbox.send_mo("72101234567", text="Сообщение для партнёра")
    [got] = received(receiver, "/mo")
    assert got == sent
    assert set(got) == {"transactionId", "destAddr", "sourceAddr", "type", "message", "partCount", "receivedDate"}
    assert got["destAddr"] == "SANDBOX" and got["sourceAddr"] == "72101234567" and got["type"] == "Viber"
    assert got["message"] == "Сообщение для партнёра" and got["partCount"] == 1
    assert re.fullmatch(r"\d{20}", got["transactionId"]) and DATE.match(got["receivedDate"])
    assert sandbox.mo_pushed[0]["payload"] == sent


def test_send_mo_without_text_omits_message_and_carries_media_url(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(mo_url=receiver.url_for("/mo"))
    sandbox.send_mo("72101234567", media_url="https://example.com/photo.jpg", dest_addr="0000")
    [got] = received(receiver, "/mo")
    assert "message" not in got and got["mediaURL"] == "https://example.com/photo.jpg" and got["destAddr"] == "0000"


def test_send_mo_needs_a_url_and_a_working_receiver(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(report_retries=1)
    with pytest.raises(RuntimeError, match="mo_url"):
        sandbox.send_mo("72101234567", text="hi")
    with pytest.raises(RuntimeError, match="failed after 2 attempts"):
        sandbox.send_mo("72101234567", text="hi", mo_url=f"http://127.0.0.1:{free_port()}/mo")


def test_mo_admin_endpoint_pushes(messaging_sandbox_factory, receiver):
    sandbox = messaging_sandbox_factory(mo_url=receiver.url_for("/mo"))
    answer = requests.post(sandbox.url + "/_sandbox/mo",
                           json={"source_addr": "79000000001", "text": "STOP"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["ok"]
    [got] = received(receiver, "/mo")
    assert got["message"] == "STOP" and got["sourceAddr"] == "79000000001"
    no_url = messaging_sandbox_factory()
    assert requests.post(no_url.url + "/_sandbox/mo", json={"source_addr": "1"}, timeout=5).status_code == 400


def test_every_outcome_name_the_client_branches_on_can_be_scripted_and_reads_back(monkeypatch):
    """The sandbox takes its outcome names from the client's table: each final outcome scripted on a
    recipient comes back, through the hook's status pull, as that same outcome (``deleted`` included)."""
    from airflow_provider_messaging.hooks.messaging import MessagingHook
    from airflow_provider_messaging.models import compose_message
    from airflow_provider_messaging.models.outcomes import FINAL_OUTCOMES

    recipients = {outcome: f"7903000{i:04d}" for i, outcome in enumerate(FINAL_OUTCOMES)}
    with Sandbox(delivery_delay=0.05, outcomes={d: o for o, d in recipients.items()}) as sandbox:
        monkeypatch.setenv(*sandbox.env_var())
        hook = MessagingHook()
        sent = {outcome: hook.send(compose_message(channel="viber", dest_addr=dest, service_number="S", text="x",
                                                   message_id=outcome)).mt_num
                for outcome, dest in recipients.items()}
        assert sandbox.wait_for(lambda: all(m.is_final for m in sandbox.messages))
        reports = hook.get_statuses(list(sent.values()))
    assert {outcome: reports[mt].outcome for outcome, mt in sent.items()} == {o: o for o in FINAL_OUTCOMES}
