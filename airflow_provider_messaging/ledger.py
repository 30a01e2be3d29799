"""Exactly once per partner id: the guard around a send, over a small ledger. No Airflow imports.

A ledger remembers, per partner ``id``, where a send stands (:class:`LedgerRecord`). The guard
(:class:`ExactlyOnceSend`) applies the provider's rules around each send:

- ``accepted`` earlier: the earlier answer is returned and nothing is sent;
- ``in_flight`` without an answer (an earlier try may have reached the platform): resent with the
  same id only when the platform drops duplicates (``platform_dedup``) or the caller accepts the
  risk (``resend_unconfirmed``); otherwise ``UnconfirmedSendError``, nothing is sent;
- before the request the id is marked ``in_flight``; an answer marks it ``accepted``; a failure that
  may have reached the platform (an ambiguous transport error) leaves it ``in_flight``; any other
  failure (the platform answered, or the request never left) marks it ``failed``.

Ledgers: the message store's (``airflow_provider_messaging.store.StoreSendLedger``, what the send
operators and the notifier use: it outlives task tries, clears and workers), :class:`MemoryLedger`
(one process), or any object with the four methods of :class:`SendLedger`. :class:`LedgerRecord` is
the one record type of all of them (the store re-exports it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from airflow_provider_messaging.exceptions import InvalidMessageError, MessagingApiError, UnconfirmedSendError

if TYPE_CHECKING:
    from airflow_provider_messaging.models.results import SendResult

log = logging.getLogger(__name__)

#: the longest name of a ledger scope (a campaign's is cut to it: see ``campaign.keys``)
SCOPE_MAX = 200
IN_FLIGHT = "in_flight"
ACCEPTED = "accepted"
FAILED = "failed"
R = TypeVar("R", bound="HasPartnerId")


class HasPartnerId(Protocol):
    """A request the guard can key: a ``SendRequest`` (its ``id`` is the partner id)."""

    @property
    def id(self) -> str | None: ...


@dataclass(frozen=True)
class LedgerRecord:
    """Where the send of one partner id stands."""

    partner_id: str
    state: str  # "in_flight" | "accepted" | "failed"
    mt_num: str | None = None
    duplicate: bool = False
    error_code: int | None = None
    reason: str | None = None


class SendLedger(Protocol):
    """Where the guard keeps its records (one per partner id)."""

    def get(self, partner_id: str) -> LedgerRecord | None: ...

    def mark_in_flight(self, partner_id: str) -> None: ...

    def mark_accepted(self, partner_id: str, mt_num: str | None, *, duplicate: bool = False) -> None: ...

    def mark_failed(self, partner_id: str, *, error_code: int | None = None, reason: str | None = None) -> None: ...


class MemoryLedger:
    """A ``SendLedger`` in a dict: exactly once within one process (tests, scripts)."""

    def __init__(self) -> None:
        self.records: dict[str, LedgerRecord] = {}

    def get(self, partner_id: str) -> LedgerRecord | None:
        return self.records.get(partner_id)

    def mark_in_flight(self, partner_id: str) -> None:
        self.records[partner_id] = LedgerRecord(partner_id, IN_FLIGHT)

    def mark_accepted(self, partner_id: str, mt_num: str | None, *, duplicate: bool = False) -> None:
        self.records[partner_id] = LedgerRecord(partner_id, ACCEPTED, mt_num=mt_num, duplicate=duplicate)

    def mark_failed(self, partner_id: str, *, error_code: int | None = None, reason: str | None = None) -> None:
        self.records[partner_id] = LedgerRecord(partner_id, FAILED, error_code=error_code, reason=reason)


class ExactlyOnceSend:
    """The guard: ``begin`` before a send, ``settle`` with its outcome; or ``send`` / ``asend`` around it.

    :param ledger: where records are kept.
    :param platform_dedup: the platform drops a second request with the same partner id (connection
        extra ``platform_dedup``): an unanswered send may be resent.
    :param resend_unconfirmed: resend an unanswered send even without ``platform_dedup`` (the
        caller accepts a possible second message).
    """

    def __init__(self, ledger: SendLedger, *, platform_dedup: bool, resend_unconfirmed: bool = False) -> None:
        self.ledger = ledger
        self.platform_dedup = platform_dedup
        self.resend_unconfirmed = resend_unconfirmed

    def begin(self, partner_id: str) -> SendResult | None:
        """The earlier answer (send nothing), or None after marking the id in flight (send now).

        :raises UnconfirmedSendError: an earlier try got no answer and resending is not allowed.
        """
        prior = self.ledger.get(partner_id)
        if prior is not None and prior.state == ACCEPTED:
            from airflow_provider_messaging.models.results import SendResult

            log.info(
                "Message id=%s was accepted by an earlier try (mtNum=%s): not sent again", partner_id, prior.mt_num
            )
            return SendResult(mt_num=prior.mt_num, id=partner_id, duplicate=prior.duplicate)
        if prior is not None and prior.state == IN_FLIGHT and not (self.platform_dedup or self.resend_unconfirmed):
            raise UnconfirmedSendError(partner_id)
        self.ledger.mark_in_flight(partner_id)
        return None

    def settle(self, partner_id: str, outcome: SendResult | BaseException) -> None:
        """Record how the send ended: an answer, or the error it raised."""
        if isinstance(outcome, BaseException):
            if isinstance(outcome, MessagingApiError) and getattr(outcome, "ambiguous", False):
                return  # it may have been accepted: stays in flight, the next try decides
            if isinstance(outcome, (MessagingApiError, InvalidMessageError)):  # nothing was accepted
                code = getattr(outcome, "code", None)
                self.ledger.mark_failed(
                    partner_id, error_code=code if isinstance(code, int) else None, reason=str(outcome)[:500]
                )
            return  # anything else (a bug, a cancellation): unknown, stays in flight
        self.ledger.mark_accepted(partner_id, outcome.mt_num, duplicate=outcome.duplicate)

    def send(self, request: R, send_fn: Callable[[R], SendResult]) -> SendResult:
        """``send_fn(request)`` at most once per partner id (see the module's rules)."""
        partner_id = require_id(request)
        earlier = self.begin(partner_id)
        if earlier is not None:
            return earlier
        try:
            result = send_fn(request)
        except BaseException as exc:
            self.settle(partner_id, exc)
            raise
        self.settle(partner_id, result)
        return result

    async def asend(self, request: R, send_fn: Callable[[R], Awaitable[SendResult]]) -> SendResult:
        """Async :meth:`send` (the ledger's methods are called as they are: keep them quick)."""
        partner_id = require_id(request)
        earlier = self.begin(partner_id)
        if earlier is not None:
            return earlier
        try:
            result = await send_fn(request)
        except BaseException as exc:
            self.settle(partner_id, exc)
            raise
        self.settle(partner_id, result)
        return result


def require_id(request: HasPartnerId) -> str:
    if not request.id:
        raise ValueError("an exactly-once send needs a partner id (the request's id)")
    return request.id


def guarded_send(
    ledger: SendLedger,
    request: R,
    send_fn: Callable[[R], SendResult],
    *,
    platform_dedup: bool,
    resend_unconfirmed: bool = False,
) -> SendResult:
    """``send_fn(request)`` at most once per partner id: ``ExactlyOnceSend(...).send(request, send_fn)``."""
    guard = ExactlyOnceSend(ledger, platform_dedup=platform_dedup, resend_unconfirmed=resend_unconfirmed)
    return guard.send(request, send_fn)
