"""The platform's documented codes (SPEC §1 send errors, §2 delivery statuses and failure codes).

Each table lives here once; the client, the sandbox and the sensors read it from here.
No Airflow imports.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SendErrorCode:
    """One row of the send-error table (SPEC §1, seeds 000/001)."""

    code: int
    description: str
    http_status: int
    retryable: bool
    hint: str


#: [doc] code, description, HTTP status; [decided] retryable and the hint shown to the user.
SEND_ERRORS: dict[int, SendErrorCode] = {
    e.code: e
    for e in (
        SendErrorCode(1, "Service is unavailable", 503, True, "the platform is unavailable; retried with backoff"),
        SendErrorCode(
            2,
            "Invalid IP-address",
            403,
            False,
            "this machine's IP address is not on the partner's allow-list: ask the platform to add it",
        ),
        SendErrorCode(
            3,
            "Too many connections",
            429,
            True,
            "throttled by the platform; retried after backing off, lower the concurrency of sends",
        ),
        SendErrorCode(4, "Invalid request", 400, False, "the request was refused as invalid: fix the input"),
        SendErrorCode(5, "Invalid login", 401, False, "check the connection's login"),
        SendErrorCode(6, "Invalid password", 401, False, "check the connection's password"),
        SendErrorCode(
            7,
            "serviceNumber is not defined",
            400,
            False,
            "set service_number (or the connection extra default_service_number)",
        ),
        SendErrorCode(8, "destAddr is not correct", 406, False, "the recipient's number is not valid"),
        SendErrorCode(9, "Message type is not correct", 406, False, "the message type is not valid for this channel"),
        SendErrorCode(
            10,
            "Prohibited sending duplicates",
            409,
            False,
            "a message with this id was already accepted; it is not sent again",
        ),
        SendErrorCode(11, "Invalid TTL", 406, False, "the ttl is outside the channel's allowed values"),
        SendErrorCode(100, "100", 500, True, "platform fault; retried with backoff"),
    )
}

#: Codes that mean "the same partner id was already accepted" (never resend).
DUPLICATE_CODE = 10


class DeliveryStatus(enum.IntEnum):
    """[decided] SMPP 3.4 ``message_state`` numbering (SPEC §2)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.DELIVERED,
        DeliveryStatus.EXPIRED,
        DeliveryStatus.DELETED,
        DeliveryStatus.UNDELIVERABLE,
        DeliveryStatus.REJECTED,
    }
)


class DeliveryFailure(enum.IntEnum):
    """[doc] delivery-failure codes carried in ``errorCode`` when ``status`` = 5 (seed 000)."""

    UNKNOWN = 1
    CALL_BARRED = 3
    MEMORY_CAPACITY_EXCEEDED = 5
    TELESERVICE_NOT_PROVISIONED = 6
    TIMEOUT = 7
    DUPLICATED = 9
    UNROUTED = 11

    @property
    def failure_name(self) -> str:
        """The documented name (``call-barred``, ``teleservice-not-provisioned``, ...)."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_name(cls, name: str) -> DeliveryFailure:
        key = name.strip().upper().replace("-", "_")
        try:
            return cls[key]
        except KeyError:
            names = ", ".join(f.failure_name for f in cls)
            raise ValueError(f"unknown delivery failure name {name!r}; expected one of: {names}") from None


#: documented failure names in table order
FAILURE_NAMES: tuple[str, ...] = tuple(f.failure_name for f in DeliveryFailure)


#: how a code outside the documented tables is named (never an error: the platform may add codes)
UNRECOGNISED_PREFIX = "unrecognised code "


def failure_name(code: int | None) -> str | None:
    """Name of a failure code; an unknown code reads ``unrecognised code N`` and never raises."""
    if code is None or code == 0:
        return None
    try:
        return DeliveryFailure(code).failure_name
    except ValueError:
        return f"{UNRECOGNISED_PREFIX}{code}"


def status_name(status: int | None) -> str:
    """Name of a status; an unknown status reads ``unrecognised code N`` and never raises."""
    try:
        return DeliveryStatus(status).name  # type: ignore[arg-type]
    except ValueError:
        return f"{UNRECOGNISED_PREFIX}{status}"


# --- Operator templates (SPEC §4, seed 002) -------------------------------------------------------

#: [doc] a WhatsApp template variable: ``{{1}}``, ``{{2}}``... (filled in at send time)
WHATSAPP_VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")

TEMPLATE_OK = "ok"
TEMPLATE_CATEGORY_MISSING = "must not be null"
TEMPLATE_CATEGORY_INVALID = "message-matcher-category-invalid"
TEMPLATE_BAD_REQUEST = "message-matcher.saving.bad-request"
TEMPLATE_NAME_EXISTS = "message-matcher-name-already-exists"
TEMPLATE_INVALID_LANGUAGE = "Invalid language"

#: [doc] answer codes of ``message-matchers``; [decided] the HTTP status each comes with.
TEMPLATE_ANSWER_CODES: dict[str, tuple[int, str]] = {
    TEMPLATE_OK: (200, "the template was created"),
    TEMPLATE_CATEGORY_MISSING: (400, "the WhatsApp template has no category"),
    TEMPLATE_CATEGORY_INVALID: (400, "the WhatsApp category must be MARKETING, AUTHENTICATION or UTILITY"),
    TEMPLATE_BAD_REQUEST: (400, "a WhatsApp URL button has a missing or wrong dynamic-link example (urlTextExample)"),
    TEMPLATE_NAME_EXISTS: (409, "a template with this name or content already exists"),
    TEMPLATE_INVALID_LANGUAGE: (400, "the template's language code is not valid"),
}

#: [decided] what creating a template does when the platform says it exists: raise, or treat it as done
IF_EXISTS_CHOICES = ("fail", "skip")


def check_if_exists(value: str) -> str:
    """``value`` if it is one of :data:`IF_EXISTS_CHOICES`, else ``ValueError``."""
    if value not in IF_EXISTS_CHOICES:
        raise ValueError(f"if_exists must be 'fail' or 'skip', got {value!r}")
    return value
