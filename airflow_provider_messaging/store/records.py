"""What the message store hands out and takes in: records and the wire fields they come from.

No Airflow imports, no pydantic. Wire formats: delivery reports SPEC §2
(``{"mtNum", "id", "status", "errorCode", "doneDate", ...}``), MO messages SPEC §3
(``{"transactionId", "destAddr", "sourceAddr", "type", "message", "partCount", "receivedDate",
"mediaURL", ...}``). Unknown extra fields are kept as they came.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# one definition of the send ledger's record and states, shared with the guard (ledger.py has no
# Airflow or pydantic imports either)
from airflow_provider_messaging.ledger import ACCEPTED, FAILED, IN_FLIGHT, LedgerRecord
from airflow_provider_messaging.store.errors import InvalidRecordError

__all__ = [
    "ACCEPTED",
    "FAILED",
    "IN_FLIGHT",
    "LEDGER_STATES",
    "SEND_SCOPE",
    "DeliveryRecord",
    "InFlight",
    "IncomingMessage",
    "LedgerEntry",
    "LedgerRecord",
    "MoPage",
]

LEDGER_STATES = (IN_FLIGHT, ACCEPTED, FAILED)
#: the scope of the single-send operators' ledger rows (a campaign uses its campaign id)
SEND_SCOPE = "send"


@dataclass(frozen=True)
class InFlight:
    """A partner id about to be sent, with a campaign's row number and (masked) recipient."""

    partner_id: str
    row_no: int | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """A whole ledger row, as :meth:`MessageStore.iterate_ledger` streams them."""

    scope: str
    partner_id: str
    state: str
    mt_num: str | None
    duplicate: bool
    error_code: int | None
    reason: str | None
    row_no: int | None
    recipient: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def record(self) -> LedgerRecord:
        return LedgerRecord(self.partner_id, self.state, self.mt_num, self.duplicate, self.error_code, self.reason)


@dataclass(frozen=True)
class DeliveryRecord:
    """The latest stored state of one mtNum."""

    mt_num: str
    status: int
    error_code: int | None
    final: bool
    partner_id: str | None
    done_date: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    received_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def as_wire(self) -> dict[str, Any]:
        """The report in its wire format (SPEC §2), extra fields included."""
        wire: dict[str, Any] = {**self.extra, "mtNum": self.mt_num, "status": self.status}
        if self.partner_id is not None:
            wire["id"] = self.partner_id
        if self.error_code is not None:
            wire["errorCode"] = self.error_code
        if self.done_date is not None:
            wire["doneDate"] = self.done_date
        return wire


@dataclass(frozen=True)
class IncomingMessage:
    """One stored MO message; ``id`` is its place in arrival order (the cursor)."""

    id: int
    transaction_id: str
    service_number: str | None
    source_addr: str | None
    type: str | None
    message: str | None
    part_count: int | None
    received_date: str | None
    media_url: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    received_at: dt.datetime | None = None

    def as_wire(self) -> dict[str, Any]:
        """The message in its wire format (SPEC §3), extra fields included; JSON-serialisable."""
        wire: dict[str, Any] = dict(self.extra)
        for key, value in (
            ("transactionId", self.transaction_id),
            ("destAddr", self.service_number),
            ("sourceAddr", self.source_addr),
            ("type", self.type),
            ("message", self.message),
            ("partCount", self.part_count),
            ("receivedDate", self.received_date),
            ("mediaURL", self.media_url),
        ):
            if value is not None:
                wire[key] = value
        return wire


@dataclass(frozen=True)
class MoPage:
    """MO messages after a cursor, and the cursor to pass next (past every row scanned, matching or not)."""

    messages: list[IncomingMessage]
    cursor: int


# --- validation of what comes in --------------------------------------------------------------------------

REPORT_FIELDS = {
    "mtNum": "mt_num",
    "id": "partner_id",
    "status": "status",
    "errorCode": "error_code",
    "doneDate": "done_date",
}
MO_FIELDS = {
    "transactionId": "transaction_id",
    "destAddr": "service_number",
    "sourceAddr": "source_addr",
    "type": "type",
    "message": "message",
    "partCount": "part_count",
    "receivedDate": "received_date",
    "mediaURL": "media_url",
}
KEY_LIMIT = 200
SHORT_LIMIT = 64


def _where(kind: str, index: int) -> str:
    return f"{kind} {index}"


def _identifier(where: str, name: str, value: Any, limit: int, *, required: bool) -> str | None:
    """A string id; an integer is accepted and stored as its decimal string."""
    if value is None:
        if required:
            raise InvalidRecordError(f"{where}: {name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidRecordError(f"{where}: {name} must be a string, got {type(value).__name__}")
    text = str(value)
    if required and not text.strip():
        raise InvalidRecordError(f"{where}: {name} must not be empty")
    if len(text) > limit:
        raise InvalidRecordError(f"{where}: {name} is longer than {limit} characters")
    return text


def _text(where: str, name: str, value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecordError(f"{where}: {name} must be a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise InvalidRecordError(f"{where}: {name} is longer than {limit} characters")
    return value


def _integer(where: str, name: str, value: Any, *, required: bool = False) -> int | None:
    if value is None:
        if required:
            raise InvalidRecordError(f"{where}: {name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecordError(f"{where}: {name} must be an integer, got {type(value).__name__}")
    if not -(2**31) <= value < 2**31:
        raise InvalidRecordError(f"{where}: {name} is out of range")
    return value


def _extra(where: str, record: Mapping[str, Any], known: Mapping[str, str]) -> dict[str, Any]:
    extra = {k: v for k, v in record.items() if k not in known}
    try:
        json.dumps(extra)
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(f"{where}: an extra field is not JSON-serialisable ({exc})") from None
    return extra


def _mapping(where: str, record: Any) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise InvalidRecordError(f"{where}: must be a JSON object, got {type(record).__name__}")
    bad = [k for k in record if not isinstance(k, str)]
    if bad:
        raise InvalidRecordError(f"{where}: field names must be strings, got {bad[0]!r}")
    return record


def report_values(index: int, report: Any) -> dict[str, Any]:
    """The columns of one wire-format delivery report (SPEC §2), checked (``final`` is added by the caller)."""
    where = _where("report", index)
    report = _mapping(where, report)
    return {
        "mt_num": _identifier(where, "mtNum", report.get("mtNum"), SHORT_LIMIT, required=True),
        "partner_id": _identifier(where, "id", report.get("id"), KEY_LIMIT, required=False),
        "status": _integer(where, "status", report.get("status"), required=True),
        "error_code": _integer(where, "errorCode", report.get("errorCode")),
        "done_date": _text(where, "doneDate", report.get("doneDate"), SHORT_LIMIT),
        "extra": _extra(where, report, REPORT_FIELDS),
    }


def mo_values(index: int, message: Any) -> dict[str, Any]:
    """The columns of one wire-format MO message (SPEC §3), checked."""
    where = _where("MO message", index)
    message = _mapping(where, message)
    return {
        "transaction_id": _identifier(where, "transactionId", message.get("transactionId"), KEY_LIMIT, required=True),
        "service_number": _text(where, "destAddr", message.get("destAddr"), SHORT_LIMIT),
        "source_addr": _text(where, "sourceAddr", message.get("sourceAddr"), SHORT_LIMIT),
        "type": _text(where, "type", message.get("type"), 32),
        "message": _text(where, "message", message.get("message")),
        "part_count": _integer(where, "partCount", message.get("partCount")),
        "received_date": _text(where, "receivedDate", message.get("receivedDate"), SHORT_LIMIT),
        "media_url": _text(where, "mediaURL", message.get("mediaURL")),
        "extra": _extra(where, message, MO_FIELDS),
    }


def partner_id_of(where: str, partner_id: Any) -> str:
    value = _identifier(where, "partner_id", partner_id, KEY_LIMIT, required=True)
    assert value is not None
    return value


def mask_recipient(recipient: str | None) -> str | None:
    """A recipient as the ledger keeps it: enough to recognise, never the whole number.

    A value that already holds ``*`` is taken as masked by the caller.
    """
    if recipient is None:
        return None
    recipient = str(recipient)
    if "*" not in recipient:
        n = len(recipient)
        recipient = recipient[:4] + "*" * (n - 6) + recipient[-2:] if n > 6 else "***"
    return recipient[:SHORT_LIMIT]


def is_final_status(status: int) -> bool:
    """Whether a report's status is final (SPEC §2 table, read from the models' code table)."""
    # imported here: the models package imports pydantic, and importing the store stays light
    from airflow_provider_messaging.models.codes import DeliveryStatus

    try:
        return DeliveryStatus(status).is_final
    except ValueError:  # an unlisted status is not final (it reads "pending")
        return False
