"""The exactly-once guard (``ledger.ExactlyOnceSend``) over a ledger: each rule, then against a real
peer that drops the connection after reading the request."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.client import ClientSettings, MessagingClient
from airflow_provider_messaging.ledger import ExactlyOnceSend, LedgerRecord, MemoryLedger, guarded_send
from airflow_provider_messaging.models import SendResult, compose_message
from tests.helpers.peers import dropping_server, error_body

REQUEST = compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="hi", message_id="p-1")


class Recorder:
    """A send function that records its calls and gives a scripted outcome."""

    def __init__(self, outcome: SendResult | BaseException) -> None:
        self.outcome = outcome
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def test_an_answer_is_recorded_and_a_second_send_returns_it_without_a_request():
    ledger = MemoryLedger()
    first = Recorder(SendResult(mt_num="42", id="p-1"))
    assert guarded_send(ledger, REQUEST, first, platform_dedup=False).mt_num == "42"
    assert ledger.get("p-1") == LedgerRecord("p-1", "accepted", mt_num="42")
    again = Recorder(SendResult(mt_num="99", id="p-1"))
    result = guarded_send(ledger, REQUEST, again, platform_dedup=True)
    assert (result.mt_num, result.id, again.calls) == ("42", "p-1", 0)


def test_a_duplicate_answer_is_remembered_as_such():
    ledger = MemoryLedger()
    guarded_send(ledger, REQUEST, Recorder(SendResult(id="p-1", duplicate=True)), platform_dedup=False)
    assert guarded_send(ledger, REQUEST, Recorder(SendResult()), platform_dedup=False).duplicate is True


@pytest.mark.parametrize("platform_dedup, resend_unconfirmed, resent", [
    (False, False, False), (True, False, True), (False, True, True)])
def test_an_unanswered_send_is_resent_only_with_platform_dedup_or_resend_unconfirmed(platform_dedup,
                                                                                      resend_unconfirmed, resent):
    ledger = MemoryLedger()
    ledger.mark_in_flight("p-1")
    send = Recorder(SendResult(mt_num="7", id="p-1"))
    guard = ExactlyOnceSend(ledger, platform_dedup=platform_dedup, resend_unconfirmed=resend_unconfirmed)
    if resent:
        assert guard.send(REQUEST, send).mt_num == "7"
    else:
        with pytest.raises(exc.UnconfirmedSendError, match="resend_unconfirmed=True"):
            guard.send(REQUEST, send)
    assert send.calls == int(resent)


@pytest.mark.parametrize("error", [
    exc.TransportError("no answer", ambiguous=True, retryable=True),
    exc.AmbiguousSendError.not_resent("the connection broke"),
])
def test_an_error_that_may_have_reached_the_platform_leaves_it_in_flight(error):
    ledger = MemoryLedger()
    with pytest.raises(type(error)):
        guarded_send(ledger, REQUEST, Recorder(error), platform_dedup=False)
    assert ledger.get("p-1").state == "in_flight"


@pytest.mark.parametrize("error, code", [
    (exc.InvalidDestAddrError(http_status=406, description="destAddr is not correct"), 8),
    (exc.ServiceUnavailableError(http_status=503), 1),
    (exc.TransportError("refused", ambiguous=False, retryable=True), None),
    (exc.InvalidMessageError([("destAddr", "bad")]), None),
])
def test_an_answered_or_never_sent_failure_is_failed_and_may_be_sent_again(error, code):
    ledger = MemoryLedger()
    with pytest.raises(type(error)):
        guarded_send(ledger, REQUEST, Recorder(error), platform_dedup=False)
    record = ledger.get("p-1")
    assert (record.state, record.error_code) == ("failed", code) and record.reason
    assert guarded_send(ledger, REQUEST, Recorder(SendResult(mt_num="1")), platform_dedup=False).mt_num == "1"


def test_a_request_without_partner_id_is_refused():
    no_id = compose_message(channel="viber", dest_addr="79001234567", service_number="S", text="hi")
    with pytest.raises(ValueError, match="partner id"):
        guarded_send(MemoryLedger(), no_id, Recorder(SendResult()), platform_dedup=True)


def test_the_async_guard_follows_the_same_rules():
    ledger = MemoryLedger()
    guard = ExactlyOnceSend(ledger, platform_dedup=False)
    calls = []

    async def send(request):
        calls.append(request.id)
        raise exc.TransportError("no answer", ambiguous=True, retryable=True)

    with pytest.raises(exc.TransportError):
        asyncio.run(guard.asend(REQUEST, send))
    with pytest.raises(exc.UnconfirmedSendError):
        asyncio.run(guard.asend(REQUEST, send))
    assert calls == ["p-1"]


def test_against_a_peer_that_drops_the_answer_the_second_try_sends_nothing():
    ledger = MemoryLedger()
    with dropping_server() as (url, received):
        with MessagingClient(ClientSettings(base_url=url, login="partner", password="pw")) as client:
            with pytest.raises(exc.AmbiguousSendError):
                guarded_send(ledger, REQUEST, client.send, platform_dedup=False)
            with pytest.raises(exc.UnconfirmedSendError):
                guarded_send(ledger, REQUEST, client.send, platform_dedup=False)
    assert len(received) == 1


def test_against_a_peer_that_refuses_the_failure_is_recorded_with_its_code(httpserver):
    httpserver.expect_request("/send").respond_with_data(error_body(8, "destAddr is not correct"), status=406)
    ledger = MemoryLedger()
    with MessagingClient(ClientSettings(base_url=httpserver.url_for("/"), login="partner", password="pw")) as client:
        with pytest.raises(exc.InvalidDestAddrError):
            guarded_send(ledger, REQUEST, client.send, platform_dedup=False)
    assert ledger.get("p-1").error_code == 8
