"""The campaign's send loop: rows in, one result per row out, every message sent at most once.

For each chunk of rows: read what the send ledger already knows about their partner ids (one query),
then release the messages to send in small groups, each group recorded *in flight* in one
transaction before any of its requests leaves (group commit). ``send_many`` pulls them as its slots
free up; answers are recorded (accepted with the mtNum, or failed with the code) in batches.

What an earlier run left decides a row (``ResendPolicy``): accepted (or code 10): not sent again; in
flight without an answer (a crash, a timeout, a dropped connection): resent with the same id and the
byte-identical body only when the platform's duplicate control is on (``platform_dedup``) or the
user said ``resend_unconfirmed``, otherwise reported ``unconfirmed``; failed or unknown: sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airflow_provider_messaging.campaign import results as r
from airflow_provider_messaging.campaign.keys import CampaignKey, shard_of
from airflow_provider_messaging.campaign.recipients import InputRow
from airflow_provider_messaging.campaign.render import MessageTemplate, Rejected
from airflow_provider_messaging.models.codes import DUPLICATE_CODE
from airflow_provider_messaging.models.send import SendRequest, normalize_dest_addr
from airflow_provider_messaging.store.records import ACCEPTED, FAILED, InFlight, LedgerRecord

#: rows read and looked up in the ledger at a time
CHUNK = 64
#: ids recorded in flight in one transaction: at least MIN_GROUP (a transaction costs about the same
#: for 1 or 16 ids), at most MAX_GROUP, else the concurrency
MIN_GROUP = 8
MAX_GROUP = 16
#: answers are written to the ledger when this many are waiting, or after FLUSH_SECONDS; a failure
#: at once (a failed id left "in flight" by a crash would read as unconfirmed instead of being resent)
FLUSH_EVERY = 64
FLUSH_SECONDS = 0.25
#: platform codes that concern the account, not the message: the campaign stops at the first one
ACCOUNT_CODES = frozenset({2, 5, 6})


def group_size(concurrency: int) -> int:
    """How many ids are recorded in flight per transaction at ``concurrency``. After a crash, at most
    ``2 * group_size(c) + c`` ids can be in flight in the ledger without having been sent: the group
    being handed out, the next one (its commit overlaps the sends), and the requests in flight."""
    return max(MIN_GROUP, min(concurrency, MAX_GROUP))


class CampaignLedger(Protocol):
    """The send ledger of one campaign (``StoreSendLedger`` of the campaign's scope), in batches, each
    call one transaction. Called from worker threads (pooled connections, the event loop never waits
    on the database)."""

    def get_many(self, partner_ids: Sequence[str]) -> Mapping[str, LedgerRecord]: ...

    def mark_in_flight_many(self, entries: Sequence[InFlight]) -> None: ...

    def mark_results_many(self, results: Sequence[LedgerRecord]) -> None: ...


SendOutcome = Any  # a SendResult, or the error the send ended with


class Sender(Protocol):
    """``AsyncMessagingClient``: sends what it pulls, at most ``concurrency`` at a time."""

    def send_many(
        self, messages: AsyncIterable[SendRequest], *, concurrency: int, max_rate: float | None = None
    ) -> AsyncIterator[tuple[SendRequest, SendOutcome]]: ...


@dataclass(frozen=True)
class ResendPolicy:
    """``platform_dedup``: the connection says the platform drops repeats of an id;
    ``resend_unconfirmed``: the user accepts the risk of a second message."""

    platform_dedup: bool = False
    resend_unconfirmed: bool = False

    @property
    def resend_in_flight(self) -> bool:
        return self.platform_dedup or self.resend_unconfirmed


class CampaignStopped(Exception):
    """The platform refused the account (codes 2, 5, 6): nothing more is sent."""


@dataclass(slots=True)
class _Outgoing:
    row: int
    recipient: str
    partner_id: str
    request: SendRequest


@dataclass
class Campaign:
    """One run of a campaign (or of one shard of it).

    :param rows: the input rows, read lazily.
    :param template: the compiled message.
    :param key: the campaign key (partner ids).
    :param shard: ``(k, n)`` to take only the k-th of n slices of the input.
    :param log: where progress lines go.
    """

    rows: Iterable[InputRow]
    template: MessageTemplate
    key: CampaignKey
    ledger: CampaignLedger
    sender: Sender
    writer: r.ResultWriter
    policy: ResendPolicy = field(default_factory=ResendPolicy)
    concurrency: int = 16
    max_rate: float | None = None
    shard: tuple[int, int] | None = None
    progress: r.Progress | None = None

    def __post_init__(self) -> None:
        self.summary = self.writer.summary
        self._seen: set[int] = set()
        self._in_flight: dict[str, _Outgoing] = {}
        self._unsent: dict[str, None] = {}  # recorded in flight, not yet handed to send_many
        self._commit: asyncio.Future[None] | None = None
        self._answers: list[LedgerRecord] = []
        self._flushing: asyncio.Future[None] | None = None
        self._flushed_at = time.monotonic()
        self._failure_waiting = False
        self._stop_reason: str | None = None
        # two groups at most are recorded in flight ahead of the requests (the one being handed out and
        # the next one's commit): after a crash, at most that many unsent ids read as unconfirmed
        self.group = group_size(self.concurrency)

    # --- rows -> messages -------------------------------------------------------------------------
    def _prepare(self, row: InputRow) -> r.RowResult | _Outgoing | None:
        raw = row.dest_addr
        text = "" if raw is None else str(raw)
        if row.problem is not None:
            if self.shard and shard_of(text or str(row.number), self.shard[1]) != self.shard[0]:
                return None
            field_name, rule = row.problem
            return r.RowResult(row.number, text, r.REJECTED, field=field_name, reason=rule)
        try:
            dest = normalize_dest_addr(text)
        except ValueError as exc:
            if self.shard and shard_of(text, self.shard[1]) != self.shard[0]:
                return None
            return r.RowResult(row.number, text, r.REJECTED, field="destAddr", reason=str(exc))
        if self.shard and shard_of(dest, self.shard[1]) != self.shard[0]:
            return None
        partner_id = self.key.partner_id(self.template.channel, dest)
        seen_key = int(dest) * 16 + len(dest)  # an int is smaller than a str; the length keeps leading zeros
        if seen_key in self._seen:
            return r.RowResult(
                row.number,
                dest,
                r.DUPLICATE_ROW,
                partner_id=partner_id,
                reason="the same recipient is on an earlier row",
            )
        try:
            request = self.template.render(row.fields, dest, partner_id)
        except Rejected as exc:
            return r.RowResult(row.number, dest, r.REJECTED, partner_id=partner_id, field=exc.field, reason=exc.rule)
        self._seen.add(seen_key)
        return _Outgoing(row.number, dest, partner_id, request)

    def _chunks(self) -> Iterator[list[_Outgoing]]:
        chunk: list[_Outgoing] = []
        for row in self.rows:
            item = self._prepare(row)
            if item is None:
                continue
            if isinstance(item, r.RowResult):
                self.writer.write(item)
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
            if self.stopping():
                return
        if chunk:
            yield chunk

    async def _groups(self) -> AsyncGenerator[list[_Outgoing], None]:
        """Groups of messages to send, after the ledger decided each row (one lookup per chunk)."""
        for chunk in self._chunks():
            known = await asyncio.to_thread(self.ledger.get_many, [o.partner_id for o in chunk])
            to_send = [o for o in chunk if self._decide(o, known.get(o.partner_id))]
            for start in range(0, len(to_send), self.group):
                yield to_send[start : start + self.group]
            if self.stopping():
                return

    def _record_in_flight(self, group: list[_Outgoing]) -> asyncio.Future[None]:
        """Start recording a group in flight (one transaction, in a worker thread)."""
        for item in group:
            self._unsent[item.partner_id] = None
        entries = [InFlight(o.partner_id, o.row, o.recipient) for o in group]
        self._commit = asyncio.ensure_future(asyncio.to_thread(self.ledger.mark_in_flight_many, entries))
        return self._commit

    async def _outgoing(self) -> AsyncGenerator[SendRequest, None]:
        """What ``send_many`` pulls. A group is handed out only once its in-flight record is committed;
        the next group's commit runs meanwhile, so the pipeline does not wait on the database."""
        groups = self._groups()
        current = await anext(groups, None)
        commit = self._record_in_flight(current) if current else None
        while current is not None and not self.stopping():
            if commit is not None:
                await commit
            following = await anext(groups, None)
            commit = self._record_in_flight(following) if following and not self.stopping() else None
            for item in current:
                if self.stopping():
                    return
                self._in_flight[item.partner_id] = item
                del self._unsent[item.partner_id]
                self.summary.sent += 1
                yield item.request
                self._tick()
            current = following if commit is not None else None

    def _decide(self, item: _Outgoing, entry: LedgerRecord | None) -> bool:
        """True: send it. Otherwise its result (from an earlier run) is written now."""
        if entry is None or entry.state == FAILED:
            return True
        pid = item.partner_id
        if entry.state == ACCEPTED:
            outcome = r.DUPLICATE if entry.duplicate else r.ACCEPTED
            self.writer.write(
                r.RowResult(
                    item.row,
                    item.recipient,
                    outcome,
                    partner_id=pid,
                    mt_num=entry.mt_num,
                    reason="accepted in an earlier run: not sent again",
                )
            )
            return False
        if self.policy.resend_in_flight:
            return True
        self.writer.write(
            r.RowResult(
                item.row,
                item.recipient,
                r.UNCONFIRMED,
                partner_id=pid,
                reason="an earlier run sent it and got no answer; not resent without the platform's duplicate control "
                "(connection extra platform_dedup) or resend_unconfirmed=True",
            )
        )
        return False

    # --- answers ----------------------------------------------------------------------------------
    def _answer(self, request: SendRequest, outcome: SendOutcome) -> None:
        pid = request.id or ""
        item = self._in_flight.pop(pid, None)
        row, recipient = (item.row, item.recipient) if item else (0, request.dest_addr)
        if isinstance(outcome, BaseException):
            code = getattr(outcome, "code", None)
            reason = str(outcome)
            if getattr(outcome, "ambiguous", False):
                # it may have been accepted: stays in flight in the ledger
                self.writer.write(r.RowResult(row, recipient, r.UNCONFIRMED, partner_id=pid, reason=reason))
                return
            self.writer.write(r.RowResult(row, recipient, r.FAILED, partner_id=pid, error_code=code, reason=reason))
            self._answers.append(
                LedgerRecord(
                    pid,
                    FAILED,
                    error_code=code if isinstance(code, int) else None,
                    reason=reason[:500],
                )
            )
            self._failure_waiting = True
            if code in ACCOUNT_CODES and not self.stopping():
                self._stop_reason = reason
            return
        duplicate = bool(getattr(outcome, "duplicate", False))
        mt_num = getattr(outcome, "mt_num", None)
        self.writer.write(
            r.RowResult(
                row,
                recipient,
                r.DUPLICATE if duplicate else r.ACCEPTED,
                partner_id=pid,
                mt_num=mt_num,
                error_code=DUPLICATE_CODE if duplicate else None,
                reason="the platform had already accepted this id (code 10): not sent again" if duplicate else None,
            )
        )
        self._answers.append(LedgerRecord(pid, ACCEPTED, mt_num=mt_num, duplicate=duplicate))

    def _flush(self, force: bool = False) -> asyncio.Future[None] | None:
        """Record the answers gathered so far (one transaction, in a worker thread, one at a time)."""
        if not self._answers or (self._flushing is not None and not self._flushing.done()):
            return None
        if (
            force
            or self._failure_waiting
            or len(self._answers) >= FLUSH_EVERY
            or time.monotonic() - self._flushed_at >= FLUSH_SECONDS
        ):
            if self._flushing is not None:
                self._flushing.result()  # a failed write of the ledger ends the campaign
            answers, self._answers = self._answers, []
            self._failure_waiting = False
            self._flushing = asyncio.ensure_future(asyncio.to_thread(self.ledger.mark_results_many, answers))
            self._flushed_at = time.monotonic()
            return self._flushing
        return None

    def stopping(self) -> bool:
        """True once the platform refused the account: nothing more is handed out."""
        return self._stop_reason is not None

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress.maybe_log(self.summary.total, self.summary.sent)

    async def run(self) -> r.Summary:
        """Send the campaign; returns the summary (the results are in the writer's stream)."""
        source = self._outgoing()
        try:
            async for request, outcome in self.sender.send_many(
                source, concurrency=self.concurrency, max_rate=self.max_rate
            ):
                self._answer(request, outcome)
                self._flush()
                self._tick()
        finally:
            with contextlib.suppress(RuntimeError):  # still running (cancelled while pulling): nothing more comes
                await source.aclose()
            if self._commit is not None:
                await asyncio.gather(self._commit, return_exceptions=True)
            # ids recorded in flight that never left are not unanswered sends: record them failed
            self._answers.extend(
                LedgerRecord(pid, FAILED, reason="not sent: the campaign stopped") for pid in self._unsent
            )
            self._unsent.clear()
            if self._flushing is not None:
                await self._flushing
            self._flushing = None
            last = self._flush(force=True)
            if last is not None:
                await last
            self.summary.finished = time.time()
        if self.stopping():
            raise CampaignStopped(
                f"the platform refused the account: {self._stop_reason}; the campaign stopped, "
                f"{self.summary.total:,} rows done"
            )
        return self.summary
