"""In-memory state of the sandbox: accepted messages, dedup index, outcome rules, faults, rate
limit, templates and the background dispatcher that pushes delivery reports.

Everything here is guarded by one lock and kept small so the send path stays fast. Statuses are
computed lazily from timestamps (ACCEPTED, then ENROUTE after half the delivery delay, then the
final state after the full delay); only pushes to ``notifyUrl`` need the dispatcher thread.
"""

from __future__ import annotations

import copy
import fnmatch
import heapq
import ipaddress
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from airflow_provider_messaging.models.codes import (
    FAILURE_NAMES,
    DeliveryFailure,
    DeliveryStatus,
)
from airflow_provider_messaging.models.outcomes import DELIVERY_OUTCOMES, PENDING, STATUS_OUTCOMES
from airflow_provider_messaging.sandbox.validation import normalize_recipient

log = logging.getLogger(__name__)

#: The platform's clock: dates in reports and MO messages are written in UTC+3, as in the seeds.
PLATFORM_TZ = timezone(timedelta(hours=3))
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

DEDUP_MODES = ("on", "off", "reject")
FAULTS = ("unavailable", "throttled", "platform_error", "drop_after_accept")
FAULT_ENDPOINTS = ("send", "status")
#: Outcome names: ``delivered`` (default), the seven failure names, ``expired``, ``deleted``,
#: ``rejected``, and ``pending`` (the message never reaches a final state).
OUTCOMES: tuple[str, ...] = DELIVERY_OUTCOMES
_OUTCOME_STATUS = {outcome: status for status, outcome in STATUS_OUTCOMES.items()}

FIRST_MT_NUM = 7390612217


def platform_date(moment: datetime) -> str:
    """``2022-06-22T10:22:45+0300``: the seeds' date format, in the platform's UTC+3."""
    return moment.astimezone(PLATFORM_TZ).strftime(DATE_FORMAT)


@dataclass(frozen=True)
class Outcome:
    """The final state an outcome name leads to: ``status`` (None: never final) and ``error_code``."""

    name: str
    status: DeliveryStatus | None
    error_code: int


def parse_outcome(name: str) -> Outcome:
    """Turn an outcome name into its final status; raise ``ValueError`` naming the valid ones.
    The names are the client's (``models.status``), so a scripted outcome is what a DAG branches on."""
    key = str(name).strip().lower().replace("_", "-")
    if key == PENDING:
        return Outcome(key, None, 0)
    if key in FAILURE_NAMES:
        failure = DeliveryFailure.from_name(key)
        return Outcome(failure.failure_name, DeliveryStatus.UNDELIVERABLE, int(failure))
    status = _OUTCOME_STATUS.get(key)
    if status is None:
        raise ValueError(f"unknown outcome {name!r}; expected one of: {', '.join(OUTCOMES)}")
    return Outcome(key, status, 0)


class OutcomeRules:
    """Recipient → outcome rules: an exact number (normalised digits) wins over glob patterns;
    globs (``fnmatch``, e.g. ``7900000001*``) are tried in the order they were added."""

    def __init__(self, rules: Mapping[str, str] | None = None) -> None:
        self._exact: dict[str, Outcome] = {}
        self._globs: dict[str, Outcome] = {}
        for pattern, outcome in (rules or {}).items():
            self.set(pattern, outcome)

    def set(self, pattern: str, outcome: str) -> None:
        """Add or replace one rule (validates the outcome name, naming the rule in the error)."""
        try:
            parsed = parse_outcome(outcome)
        except ValueError as exc:
            raise ValueError(f"outcomes[{pattern!r}]: {exc}") from None
        if any(ch in pattern for ch in "*?["):
            self._globs[pattern] = parsed
        else:
            self._exact[normalize_recipient(pattern)] = parsed

    def resolve(self, recipient: str) -> Outcome:
        """The outcome for a normalised recipient; ``delivered`` when no rule matches."""
        hit = self._exact.get(recipient)
        if hit is not None:
            return hit
        for pattern, outcome in self._globs.items():
            if fnmatch.fnmatchcase(recipient, pattern):
                return outcome
        return _DELIVERED

    def as_dict(self) -> dict[str, str]:
        """The rules as ``{pattern: outcome name}``."""
        return {**{k: v.name for k, v in self._exact.items()}, **{k: v.name for k, v in self._globs.items()}}


_DELIVERED = parse_outcome("delivered")


@dataclass
class SandboxMessage:
    """One accepted message. ``status``/``error_code`` are computed from the time it was accepted."""

    mt_num: str
    id: str | None
    dest_addr: str
    channel: str
    body: dict[str, Any]
    accepted_at: datetime
    outcome: str
    repeats: int = 0
    _t0: float = field(default=0.0, repr=False)
    _delay: float = field(default=0.0, repr=False)
    _final: Outcome = field(default=_DELIVERED, repr=False)

    @property
    def recipient(self) -> str:
        """``dest_addr`` normalised to digits (``8...`` → ``7...`` for Russian numbers)."""
        return normalize_recipient(self.dest_addr)

    def _elapsed(self) -> float:
        return time.monotonic() - self._t0

    @property
    def is_final(self) -> bool:
        """True once the message has reached its final state."""
        return self._final.status is not None and self._elapsed() >= self._delay

    @property
    def status(self) -> int:
        """SMPP status now: 6 ACCEPTED, 1 ENROUTE, then the final status of the outcome."""
        elapsed = self._elapsed()
        if self._final.status is not None and elapsed >= self._delay:
            return int(self._final.status)
        if elapsed >= self._delay / 2:
            return int(DeliveryStatus.ENROUTE)
        return int(DeliveryStatus.ACCEPTED)

    @property
    def error_code(self) -> int:
        """The delivery-failure code once final (0 when delivered or not final yet)."""
        return self._final.error_code if self.is_final else 0

    @property
    def done_date(self) -> str | None:
        """When the final state was reached, in the seeds' format, or None before that."""
        if not self.is_final:
            return None
        return platform_date(self.accepted_at + timedelta(seconds=self._delay))

    def report(self) -> dict[str, Any]:
        """The report in the [decided] wire format (SPEC §2)."""
        return self._report(final=self.is_final)

    def _report(self, *, final: bool) -> dict[str, Any]:
        rep: dict[str, Any] = {"mtNum": self.mt_num}
        if self.id is not None:
            rep["id"] = self.id
        if final:
            rep["status"] = int(self._final.status)  # type: ignore[arg-type]
            rep["errorCode"] = self._final.error_code
            rep["doneDate"] = platform_date(self.accepted_at + timedelta(seconds=self._delay))
        else:
            rep["status"] = self.status
            rep["errorCode"] = 0
        return rep

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (admin endpoint ``GET /_sandbox/messages``)."""
        return {
            "mt_num": self.mt_num,
            "id": self.id,
            "dest_addr": self.dest_addr,
            "recipient": self.recipient,
            "channel": self.channel,
            "body": self.body,
            "accepted_at": platform_date(self.accepted_at),
            "outcome": self.outcome,
            "status": self.status,
            "error_code": self.error_code,
            "repeats": self.repeats,
        }


@dataclass
class PushRecord:
    """One report or MO message the sandbox POSTed (or tried to) to a partner URL."""

    url: str
    payload: dict[str, Any]
    kind: str  # "report" or "mo"
    attempts: int = 0
    ok: bool = False
    status_code: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "url": self.url,
            "payload": self.payload,
            "kind": self.kind,
            "attempts": self.attempts,
            "ok": self.ok,
            "status_code": self.status_code,
            "error": self.error,
        }


@dataclass
class Fault:
    """A queued fault: the next ``remaining`` requests to ``endpoint`` answer with it."""

    fault: str
    remaining: int
    retry_after: int
    endpoint: str = "send"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "fault": self.fault,
            "count": self.remaining,
            "retry_after": self.retry_after,
            "endpoint": self.endpoint,
        }


class RateLimiter:
    """Token bucket: ``rate`` requests per second, bursts up to ``rate``."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate_limit must be a positive number of requests per second")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def acquire(self) -> int | None:
        """Take a token; return None if allowed, else the Retry-After in whole seconds (>= 1)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))


class Dispatcher:
    """One scheduler thread plus a small worker pool that POST JSON to partner URLs, retrying a
    failing receiver (non-2xx or connection error) with a short exponential backoff."""

    def __init__(
        self,
        retries: int,
        backoff: float,
        on_record: Callable[[PushRecord], None],
        workers: int = 4,
        timeout: float = 5.0,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self._on_record = on_record
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-push")
        self._client = httpx.Client(timeout=timeout)
        self._generation = 0
        self._thread: threading.Thread | None = None

    def schedule(self, due: float, job: Callable[[], None]) -> None:
        """Run ``job`` on a worker at monotonic time ``due``."""
        with self._cond:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (due, next(self._seq), job))
            if self._heap[0][2] is job:
                self._cond.notify()

    def push_later(
        self, due: float, url: str, payload_fn: Callable[[], dict[str, Any] | None], kind: str = "report"
    ) -> None:
        """At ``due``, build the payload (None: skip) and POST it to ``url`` with retries."""
        generation = self._generation

        def job() -> None:
            if generation != self._generation:
                return
            payload = payload_fn()
            if payload is not None:
                self._attempt(PushRecord(url=url, payload=payload, kind=kind), generation)

        self.schedule(due, job)

    def push_now(self, url: str, payload: dict[str, Any], kind: str) -> PushRecord:
        """POST synchronously (retrying with backoff) and return the record."""
        record = PushRecord(url=url, payload=payload, kind=kind)
        while True:
            self._post(record)
            if record.ok or record.attempts > self.retries:
                break
            time.sleep(self.backoff * 2 ** (record.attempts - 1))
        self._on_record(record)
        return record

    def _post(self, record: PushRecord) -> None:
        record.attempts += 1
        try:
            response = self._client.post(record.url, json=record.payload)
            record.status_code = response.status_code
            record.ok = 200 <= response.status_code < 300
            record.error = None if record.ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            record.ok = False
            record.status_code = None
            record.error = type(exc).__name__

    def _attempt(self, record: PushRecord, generation: int) -> None:
        self._post(record)
        if record.ok or record.attempts > self.retries:
            self._on_record(record)
            return
        delay = self.backoff * 2 ** (record.attempts - 1)

        def retry() -> None:
            if generation == self._generation:
                self._attempt(record, generation)

        self.schedule(time.monotonic() + delay, retry)

    def clear(self) -> None:
        """Forget every scheduled push (used by ``reset``)."""
        with self._cond:
            self._generation += 1
            self._heap.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic())
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._heap)
            try:
                self._pool.submit(job)
            except RuntimeError:  # pool shut down while stopping
                return

    def stop(self) -> None:
        """Stop the scheduler and the workers (pending pushes are dropped)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()


class SandboxState:
    """All mutable state of one sandbox; the FastAPI app and the ``Sandbox`` object share it."""

    def __init__(
        self,
        *,
        login: str,
        password: str,
        api_key: str,
        dedup: str = "on",
        delivery_delay: float = 0.2,
        outcomes: Mapping[str, str] | None = None,
        allowed_ips: Iterable[str] | None = None,
        rate_limit: float | None = None,
        latency: float = 0.0,
        mo_url: str | None = None,
        send_path: str = "/send",
        status_path: str = "/status",
        templates_path: str = "/api/message-matchers",
        viber_sessions: bool = False,
        report_retries: int = 3,
        report_backoff: float = 0.05,
        intermediate_reports: bool = False,
    ) -> None:
        if dedup not in DEDUP_MODES:
            raise ValueError(f"dedup must be one of {', '.join(DEDUP_MODES)}, got {dedup!r}")
        if delivery_delay < 0:
            raise ValueError("delivery_delay must be >= 0 seconds")
        if latency < 0:
            raise ValueError("latency must be >= 0 seconds")
        if report_retries < 0:
            raise ValueError("report_retries must be >= 0")
        for path in (send_path, status_path, templates_path):
            if not path.startswith("/") or path.startswith("/_sandbox"):
                raise ValueError(f"endpoint paths must start with '/' and not with /_sandbox: {path!r}")
        self.login = login
        self.password = password
        self.api_key = api_key
        self.dedup = dedup
        self.delivery_delay = float(delivery_delay)
        self._initial_outcomes = dict(outcomes or {})
        self.outcomes = OutcomeRules(self._initial_outcomes)
        self.allowed_networks = (
            None if allowed_ips is None else tuple(ipaddress.ip_network(ip, strict=False) for ip in allowed_ips)
        )
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit else None
        self.latency = float(latency)
        self.mo_url = mo_url
        self.send_path = send_path
        self.status_path = status_path
        self.templates_path = templates_path
        self.viber_sessions = viber_sessions
        self.report_retries = report_retries
        self.intermediate_reports = intermediate_reports

        self.lock = threading.Lock()
        self.messages: list[SandboxMessage] = []
        self.by_mt_num: dict[str, SandboxMessage] = {}
        self.by_partner_id: dict[tuple[str, str], SandboxMessage] = {}
        self.sent: dict[tuple[str | None, str], int] = {}
        self.faults: list[Fault] = []
        self.templates: list[dict[str, Any]] = []
        self.pushes: list[PushRecord] = []
        self._mt_counter = itertools.count(FIRST_MT_NUM)
        self._template_ids = itertools.count(1001)
        self._tx_counter = itertools.count(1)
        self.dispatcher = Dispatcher(report_retries, report_backoff, self._record_push)

    # --- bookkeeping -------------------------------------------------------------------------
    def _record_push(self, record: PushRecord) -> None:
        with self.lock:
            self.pushes.append(record)

    def close(self) -> None:
        """Stop the background dispatcher."""
        self.dispatcher.stop()

    def reset(self) -> None:
        """Forget messages, dedup index, faults, templates and pushes; restore the outcome rules
        given at construction. mtNums keep counting up (never reused)."""
        self.dispatcher.clear()
        with self.lock:
            self.messages.clear()
            self.by_mt_num.clear()
            self.by_partner_id.clear()
            self.sent.clear()
            self.faults.clear()
            self.templates.clear()
            self.pushes.clear()
            self.outcomes = OutcomeRules(self._initial_outcomes)

    # --- checks ------------------------------------------------------------------------------
    def ip_allowed(self, host: str | None) -> bool:
        """Whether a client address passes the allow-list (always, when there is none)."""
        if self.allowed_networks is None:
            return True
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in net for net in self.allowed_networks)

    def take_fault(self, endpoint: str, *, accepted: bool = False) -> Fault | None:
        """Consume the oldest queued fault for ``endpoint`` if it applies at this stage.

        Faults are served in the order they were queued. ``drop_after_accept`` applies only to a
        request that is being accepted (``accepted=True``); the others apply before validation.
        """
        if not self.faults:
            return None
        with self.lock:
            for fault in self.faults:
                if fault.endpoint != endpoint:
                    continue
                if (fault.fault == "drop_after_accept") != accepted:
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return Fault(fault.fault, 1, fault.retry_after, fault.endpoint)
        return None

    def throttle(self) -> int | None:
        """Apply the rate limit; None when allowed, else Retry-After seconds."""
        if self.rate_limiter is None:
            return None
        with self.lock:
            return self.rate_limiter.acquire()

    def inject(self, fault: str, count: int = 1, retry_after: int = 1, endpoint: str = "send") -> Fault:
        """Queue a fault for the next ``count`` requests to ``endpoint``."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        if endpoint not in FAULT_ENDPOINTS:
            raise ValueError(f"fault endpoint must be one of {', '.join(FAULT_ENDPOINTS)}")
        if fault == "drop_after_accept" and endpoint != "send":
            raise ValueError("drop_after_accept applies to the send endpoint only")
        if count < 1:
            raise ValueError("count must be >= 1")
        if retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        queued = Fault(fault, int(count), int(retry_after), endpoint)
        with self.lock:
            self.faults.append(queued)
        return queued

    def set_outcome(self, pattern: str, outcome: str) -> None:
        """Add or replace an outcome rule (applies to messages accepted from now on)."""
        with self.lock:
            self.outcomes.set(pattern, outcome)

    # --- send --------------------------------------------------------------------------------
    def accept(
        self,
        body: dict[str, Any],
        *,
        dest_addr: str,
        channel: str,
        partner_id: str | None,
        notify_url: str | None,
        registered_delivery: int,
    ) -> tuple[str, SandboxMessage | None]:
        """Record a valid send. Returns (mtNum, new message) or (mtNum, None) for a dedup repeat
        in mode ``on``; raises ``DuplicateError`` in mode ``reject``."""
        with self.lock:
            if partner_id is not None and self.dedup != "off":
                previous = self.by_partner_id.get((self.login, partner_id))
                if previous is not None:
                    if self.dedup == "reject":
                        raise DuplicateError(previous.mt_num)
                    previous.repeats += 1
                    return previous.mt_num, None
            recipient = normalize_recipient(dest_addr)
            outcome = self.outcomes.resolve(recipient)
            mt_num = str(next(self._mt_counter))
            stored = {k: v for k, v in body.items() if k != "password"}
            message = SandboxMessage(
                mt_num=mt_num,
                id=partner_id,
                dest_addr=dest_addr,
                channel=channel,
                body=stored,
                accepted_at=datetime.now(timezone.utc),
                outcome=outcome.name,
                _t0=time.monotonic(),
                _delay=self.delivery_delay,
                _final=outcome,
            )
            self.messages.append(message)
            self.by_mt_num[mt_num] = message
            self.sent[(partner_id, recipient)] = self.sent.get((partner_id, recipient), 0) + 1
            if partner_id is not None:
                self.by_partner_id[(self.login, partner_id)] = message
        if notify_url and registered_delivery != 0:
            self._schedule_reports(message, notify_url, registered_delivery)
        return mt_num, message

    def _schedule_reports(self, message: SandboxMessage, url: str, registered_delivery: int) -> None:
        t0 = message._t0
        if registered_delivery == 1 and self.intermediate_reports:
            self.dispatcher.push_later(
                t0 + self.delivery_delay / 2,
                url,
                lambda: {**message._report(final=False), "status": int(DeliveryStatus.ENROUTE)},
            )
        if message._final.status is None:
            return  # pending: never final, nothing more to push
        if registered_delivery == 2 and message._final.status == DeliveryStatus.DELIVERED:
            return
        self.dispatcher.push_later(t0 + self.delivery_delay, url, lambda: message._report(final=True))

    def sent_count(self, partner_id: str | None, dest_addr: str) -> int:
        """How many messages with this partner id and recipient were accepted as new."""
        with self.lock:
            return self.sent.get((partner_id, normalize_recipient(dest_addr)), 0)

    def reports(self, mt_nums: Iterable[str]) -> list[dict[str, Any]]:
        """Current reports of known mtNums (unknown ones are omitted), in the order asked."""
        with self.lock:
            found = [self.by_mt_num.get(str(n)) for n in mt_nums]
        return [m.report() for m in found if m is not None]

    # --- templates ---------------------------------------------------------------------------
    def add_template(self, matcher: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
        """Store a valid template; None if one with that name (or channel + text) exists."""
        name = matcher["name"]
        channel = matcher["channelType"]
        text = (matcher.get("content") or {}).get("text")
        with self.lock:
            for existing in self.templates:
                if existing["name"] == name or (
                    existing["channelType"] == channel and existing.get("content", {}).get("text") == text
                ):
                    return None
            created = copy.deepcopy(matcher)
            created["id"] = next(self._template_ids)
            created["subjectIds"] = list(body.get("subjectIds") or [])
            if body.get("smsProviderIds") is not None:
                created["smsProviderIds"] = list(body["smsProviderIds"])
            self.templates.append(created)
            return copy.deepcopy(created)

    # --- MO ------------------------------------------------------------------------------------
    def build_mo(
        self,
        source_addr: str,
        text: str | None = None,
        media_url: str | None = None,
        dest_addr: str = "SANDBOX",
        type: str = "Viber",
        part_count: int = 1,
        transaction_id: str | None = None,
        received_date: str | None = None,
    ) -> dict[str, Any]:
        """An MO message in the documented format (SPEC §3); ``message`` absent without text."""
        now = datetime.now(timezone.utc)
        if transaction_id is None:
            transaction_id = (
                now.astimezone(PLATFORM_TZ).strftime("%Y%m%d%H%M%S%f")[:17] + f"{next(self._tx_counter) % 1000:03d}"
            )
        payload: dict[str, Any] = {
            "transactionId": transaction_id,
            "destAddr": dest_addr,
            "sourceAddr": source_addr,
            "type": type,
        }
        if text is not None:
            payload["message"] = text
        payload["partCount"] = part_count
        payload["receivedDate"] = received_date or platform_date(now)
        if media_url is not None:
            payload["mediaURL"] = media_url
        return payload


class DuplicateError(Exception):
    """A repeat of an already accepted partner id while dedup mode is ``reject``."""

    def __init__(self, mt_num: str) -> None:
        super().__init__(mt_num)
        self.mt_num = mt_num
