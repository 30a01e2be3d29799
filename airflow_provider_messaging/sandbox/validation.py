"""Server-side validation of the sandbox, written over the raw JSON dict.

This module deliberately does not import the client's wire models: the sandbox must refuse what
SPEC refuses even when the client's models have a bug. Only the code tables
(:mod:`airflow_provider_messaging.models.codes`) and the numeric limits
(:mod:`airflow_provider_messaging.models.limits`) are shared.

Every rejection names the field and the rule it broke, in the style of the seeds'
``extendedDescription`` ("Message is too long (2618 symbols). Viber message max length is 2000
symbols."). No rejection ever echoes the password or the API key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from airflow_provider_messaging.models import limits
from airflow_provider_messaging.models.codes import (
    TEMPLATE_BAD_REQUEST,
    TEMPLATE_CATEGORY_INVALID,
    TEMPLATE_CATEGORY_MISSING,
    TEMPLATE_INVALID_LANGUAGE,
)

# --- send (SPEC §1) ---------------------------------------------------------------------------

#: Channels the send envelope knows ([doc] ``message.type``).
CHANNELS = ("VIBER", "WHATSAPP")
#: ``instantContent.type`` values per channel.
VIBER_CONTENT_TYPES = ("TEXT", "IMAGE_URL", "BUTTON")
WHATSAPP_CONTENT_TYPES = ("TEXT", "IMAGE_URL")
#: Content fields the sandbox knows about; other keys under ``instantContent.data`` are ignored.
_CONTENT_FIELDS = ("text", "imageURL", "caption", "action")
_VIBER_ALLOWED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (required fields, optional fields)
    "TEXT": (("text",), ()),
    "IMAGE_URL": (("imageURL",), ()),
    "BUTTON": (("text", "caption", "action"), ("imageURL",)),
}

_DEST_SEPARATORS = re.compile(r"[\s\-()]")
_DEST_STRIP = re.compile(r"[^0-9]")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d\Z", re.ASCII)
_WEEKDAYS = re.compile(r"^[1-7]*\Z")
_DEADLINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}\Z", re.ASCII)
DEADLINE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
DEST_MIN_DIGITS = 10
DEST_MAX_DIGITS = 15


@dataclass(frozen=True)
class SendRejection:
    """Why a send request was refused: the send-error code and an extended description."""

    code: int
    extended: str


@dataclass(frozen=True)
class AcceptedSend:
    """What the sandbox keeps of a valid send request."""

    dest_addr: str
    channel: str
    partner_id: str | None
    notify_url: str | None
    registered_delivery: int


def normalize_recipient(value: str) -> str:
    """Digits only; an 11-digit Russian number written with the ``8`` trunk prefix becomes ``7...``.

    ``+7 (210) 123-45-67``, ``72101234567``, ``8-210-123-45-67`` and ``82101234567`` all normalise
    to ``72101234567``. Used for outcome rules, ``sent_count`` and the message records.
    """
    digits = _DEST_STRIP.sub("", value)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_INT_STRING = re.compile(r"^\s*[+-]?[0-9]+\s*$")


def _as_int(value: Any) -> int | None:
    """An integer given as a JSON integer, an integral number (``60.0``) or a string of digits
    (seed 000 types Viber's ttl as a string); None for anything else, booleans included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_STRING.match(value):
        return int(value)
    return None


def _present(body: dict[str, Any], key: str) -> bool:
    """An optional field counts as given when the key is there with a non-null value."""
    return body.get(key) is not None


def _check_dest_addr(body: dict[str, Any]) -> SendRejection | None:
    dest = body.get("destAddr")
    if dest is None:
        return SendRejection(8, "destAddr is required")
    if not isinstance(dest, str):
        return SendRejection(8, "destAddr must be a string")
    if not dest.strip():
        return SendRejection(8, "destAddr must not be empty")
    compact = _DEST_SEPARATORS.sub("", dest)
    if compact.startswith("+"):
        compact = compact[1:]
    if not compact.isdigit() or not compact.isascii():
        return SendRejection(8, "destAddr may contain only digits, a leading '+', spaces, dashes and parentheses")
    digits = _DEST_STRIP.sub("", dest)
    if not DEST_MIN_DIGITS <= len(digits) <= DEST_MAX_DIGITS:
        return SendRejection(
            8,
            f"destAddr has {len(digits)} digits; a number is country code + operator code + "
            f"number, {DEST_MIN_DIGITS} to {DEST_MAX_DIGITS} digits",
        )
    return None


def _ttl_seconds(data: dict[str, Any]) -> tuple[SendRejection | None, int | None]:
    """Check ``ttl``/``ttlUnit`` types and return the lifetime in seconds (None when absent)."""
    unit = data.get("ttlUnit")
    ttl = data.get("ttl")
    if unit is not None:
        if ttl is None:
            return SendRejection(4, "message.data.ttlUnit is only allowed together with message.data.ttl"), None
        if not isinstance(unit, str) or unit not in limits.TTL_UNIT_SECONDS:
            units = ", ".join(limits.TTL_UNIT_SECONDS)
            return SendRejection(4, f"message.data.ttlUnit must be one of {units}"), None
    if ttl is None:
        return None, None
    minutes_or_units = _as_int(ttl)
    if minutes_or_units is None:
        return SendRejection(11, "message.data.ttl must be an integer"), None
    factor = limits.TTL_UNIT_SECONDS[unit or limits.DEFAULT_TTL_UNIT]
    return None, minutes_or_units * factor


def _check_ttl(channel: str, data: dict[str, Any]) -> SendRejection | None:
    rejection, seconds = _ttl_seconds(data)
    if rejection is not None or seconds is None:
        return rejection
    if channel == "VIBER":
        lo, hi = limits.VIBER_TTL_MIN_MINUTES * 60, limits.VIBER_TTL_MAX_MINUTES * 60
        if not lo <= seconds <= hi:
            return SendRejection(
                11,
                f"Invalid TTL: message.data.ttl is {_describe_ttl(data)}. Viber message lifetime must be from "
                f"{limits.VIBER_TTL_MIN_MINUTES} to {limits.VIBER_TTL_MAX_MINUTES} minutes.",
            )
        return None
    if seconds == 0:
        return None  # [doc] 0: the platform's per-client default
    allowed = sorted(limits.WHATSAPP_TTL_MINUTES)
    if seconds % 60 or seconds // 60 not in limits.WHATSAPP_TTL_MINUTES:
        return SendRejection(
            11,
            f"Invalid TTL: message.data.ttl is {_describe_ttl(data)}. WHATSAPP message lifetime must be whole days "
            f"in minutes: {', '.join(map(str, allowed))} (or 0 for the default).",
        )
    return None


def _describe_ttl(data: dict[str, Any]) -> str:
    return f"{data.get('ttl')} {str(data.get('ttlUnit') or limits.DEFAULT_TTL_UNIT).lower()}"


def _string_field(content: dict[str, Any], key: str) -> tuple[bool, SendRejection | None]:
    """(present, rejection) for an optional string field of ``instantContent.data``."""
    value = content.get(key)
    if value is None:
        return False, None
    if not isinstance(value, str):
        return True, SendRejection(4, f"instantContent.data.{key} must be a string")
    return True, None


def _check_content(channel: str, data: dict[str, Any], viber_sessions: bool) -> SendRejection | None:
    ic = data.get("instantContent")
    if ic is None:
        return SendRejection(4, "message.data.instantContent is required")
    if not isinstance(ic, dict):
        return SendRejection(4, "message.data.instantContent must be an object")
    ctype = ic.get("type")
    allowed_types = VIBER_CONTENT_TYPES if channel == "VIBER" else WHATSAPP_CONTENT_TYPES
    if ctype is None:
        return SendRejection(9, "instantContent.type is required")
    if not isinstance(ctype, str) or ctype not in allowed_types:
        return SendRejection(
            9, f"instantContent.type {ctype!r} is not valid for {channel}; expected one of {', '.join(allowed_types)}"
        )
    content = ic.get("data")
    if content is None:
        return SendRejection(4, "instantContent.data is required")
    if not isinstance(content, dict):
        return SendRejection(4, "instantContent.data must be an object")
    present: dict[str, bool] = {}
    for key in _CONTENT_FIELDS:
        given, rejection = _string_field(content, key)
        if rejection is not None:
            return rejection
        present[key] = given

    if channel == "VIBER":
        if viber_sessions and ctype not in ("TEXT", "IMAGE_URL"):
            return SendRejection(
                4,
                f"Invalid request: this account uses Viber sessions, which accept only TEXT or "
                f"IMAGE_URL messages, not {ctype}",
            )
        required, optional = _VIBER_ALLOWED[ctype]
        for key in required:
            if not present[key]:
                return SendRejection(4, f"instantContent.data.{key} is required for a Viber {ctype} message")
            if not content[key]:
                return SendRejection(4, f"instantContent.data.{key} must not be empty in a Viber {ctype} message")
        for key in _CONTENT_FIELDS:
            if present[key] and key not in required and key not in optional:
                return SendRejection(4, f"instantContent.data.{key} is not allowed in a Viber {ctype} message")
        text = content.get("text") or ""
        caption = content.get("caption") or ""
        total = len(text) + len(caption)
        if total > limits.VIBER_MESSAGE_MAX:
            return SendRejection(
                4,
                f"Message is too long ({total} symbols). Viber message max length is "
                f"{limits.VIBER_MESSAGE_MAX} symbols.",
            )
        if len(text) > limits.VIBER_TEXT_MAX:
            return SendRejection(
                4, f"Text is too long ({len(text)} symbols). Viber text max length is {limits.VIBER_TEXT_MAX} symbols."
            )
        return None

    # WhatsApp: text only or image only [doc]
    for key in ("caption", "action"):
        if present[key]:
            return SendRejection(4, f"instantContent.data.{key} is not allowed in a WHATSAPP message")
    if present["text"] and present["imageURL"]:
        return SendRejection(
            4,
            "A WHATSAPP message is text only or image only: instantContent.data must not carry both text and imageURL",
        )
    if ctype == "TEXT":
        if not present["text"]:
            return SendRejection(4, "instantContent.data.text is required for a WHATSAPP TEXT message")
        if not content["text"]:
            return SendRejection(4, "instantContent.data.text must not be empty in a WHATSAPP TEXT message")
        text = content["text"]
        if len(text) > limits.WHATSAPP_TEXT_MAX:
            return SendRejection(
                4,
                f"Message is too long ({len(text)} symbols). WHATSAPP message max length is "
                f"{limits.WHATSAPP_TEXT_MAX} symbols.",
            )
        return None
    if not present["imageURL"]:
        return SendRejection(4, "instantContent.data.imageURL is required for a WHATSAPP IMAGE_URL message")
    if not content["imageURL"]:
        return SendRejection(4, "instantContent.data.imageURL must not be empty in a WHATSAPP IMAGE_URL message")
    if present["text"]:
        return SendRejection(4, "instantContent.data.text is not allowed in a WHATSAPP IMAGE_URL message")
    return None


def _check_schedule(body: dict[str, Any]) -> SendRejection | None:
    if not _present(body, "scheduleInfo"):
        return None
    sched = body["scheduleInfo"]
    if not isinstance(sched, dict):
        return SendRejection(4, "scheduleInfo must be an object")
    for key in ("timeBegin", "timeEnd"):
        value = sched.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not _HHMM.match(value):
            return SendRejection(4, f"scheduleInfo.{key} must be a time HH:MM from 00:00 to 23:59, e.g. 10:00")
    weekdays = sched.get("weekdaysSchedule")
    if weekdays is not None and (not isinstance(weekdays, str) or not _WEEKDAYS.match(weekdays)):
        return SendRejection(
            4, "scheduleInfo.weekdaysSchedule may contain only the digits 1 (Monday) to 7 (Sunday), e.g. 12345"
        )
    deadline = sched.get("deadline")
    if deadline is not None:
        if not isinstance(deadline, str) or not _DEADLINE.match(deadline):
            return SendRejection(4, "scheduleInfo.deadline must be a date-time like 2019-05-10T16:29:30+0300")
        try:
            datetime.strptime(deadline, DEADLINE_FORMAT)
        except ValueError:
            return SendRejection(4, f"scheduleInfo.deadline {deadline!r} is not a valid date-time")
    return None


def _check_envelope_options(body: dict[str, Any]) -> SendRejection | None:
    if _present(body, "useTimeDiff") and not isinstance(body["useTimeDiff"], bool):
        return SendRejection(4, "useTimeDiff must be a boolean (true or false)")
    if _present(body, "registeredDelivery"):
        rd = body["registeredDelivery"]
        if isinstance(rd, bool) or not isinstance(rd, (int, float)) or rd not in limits.REGISTERED_DELIVERY_VALUES:
            values = ", ".join(map(str, limits.REGISTERED_DELIVERY_VALUES))
            return SendRejection(4, f"registeredDelivery must be one of {values}")
    if "notifyUrl" in body:
        url = body["notifyUrl"]
        if url is not None:
            if not isinstance(url, str):
                return SendRejection(4, "notifyUrl must be a string")
            if not url.strip():
                return SendRejection(4, "notifyUrl must not be empty")
            if len(url) > limits.NOTIFY_URL_MAX:
                return SendRejection(
                    4,
                    f"notifyUrl is too long ({len(url)} symbols). notifyUrl max length is "
                    f"{limits.NOTIFY_URL_MAX} symbols.",
                )
    if _present(body, "extraParam") and not isinstance(body["extraParam"], str):
        return SendRejection(4, "extraParam must be a string like param1=value1,param2=value2")
    if _present(body, "id"):
        pid = body["id"]
        if not isinstance(pid, str):
            return SendRejection(4, "id must be a string")
        if not pid:
            return SendRejection(4, "id must not be empty")
    if _present(body, "cascadeChainLink") and not isinstance(body["cascadeChainLink"], dict):
        return SendRejection(4, "cascadeChainLink must be an object")
    return None


def validate_send(body: dict[str, Any], *, viber_sessions: bool = False) -> SendRejection | AcceptedSend:
    """Check a send request (already authenticated) against every [doc] rule of SPEC §1.

    Returns the first rejection, in this order: destAddr (8), message.type (9), serviceNumber (7),
    ttl/ttlUnit (4, 11), instantContent (4, 9), scheduleInfo, useTimeDiff, registeredDelivery,
    notifyUrl, extraParam, id, cascadeChainLink (4). Unknown top-level fields are ignored.
    """
    rejection = _check_dest_addr(body)
    if rejection:
        return rejection
    message = body.get("message")
    if message is None:
        return SendRejection(9, "message is required")
    if not isinstance(message, dict):
        return SendRejection(4, "message must be an object")
    channel = message.get("type")
    if not isinstance(channel, str) or channel not in CHANNELS:
        return SendRejection(9, f"message.type {channel!r} is not correct; expected one of {', '.join(CHANNELS)}")
    data = message.get("data")
    if data is None:
        return SendRejection(7, "message.data.serviceNumber is required")
    if not isinstance(data, dict):
        return SendRejection(4, "message.data must be an object")
    service = data.get("serviceNumber")
    if service is None:
        return SendRejection(7, "message.data.serviceNumber is required")
    if not isinstance(service, str) or not service.strip():
        return SendRejection(7, "message.data.serviceNumber must be a non-empty string")
    checks: tuple[Callable[[], SendRejection | None], ...] = (
        lambda: _check_ttl(channel, data),
        lambda: _check_content(channel, data, viber_sessions),
        lambda: _check_schedule(body),
        lambda: _check_envelope_options(body),
    )
    for check in checks:
        rejection = check()
        if rejection:
            return rejection
    rd = body.get("registeredDelivery")
    rd = 1 if rd is None else int(rd)
    return AcceptedSend(
        dest_addr=body["destAddr"],
        channel=channel,
        partner_id=body.get("id"),
        notify_url=body.get("notifyUrl"),
        registered_delivery=rd,
    )


# --- templates (SPEC §4) ----------------------------------------------------------------------

# the answer codes come from the one table in models/codes.py
BAD_REQUEST = TEMPLATE_BAD_REQUEST
CATEGORY_NULL = TEMPLATE_CATEGORY_MISSING
CATEGORY_INVALID = TEMPLATE_CATEGORY_INVALID
INVALID_LANGUAGE = TEMPLATE_INVALID_LANGUAGE

TEMPLATE_CHANNELS = ("WHATSAPP", "VIBER", "SMS")
WHATSAPP_CATEGORIES = ("MARKETING", "AUTHENTICATION", "UTILITY")
#: [doc] the twelve Viber categories, plus TRANSACTIONAL, which seed 002's own Viber example uses.
VIBER_CATEGORIES = (
    "ACCOUNT_UPDATE",
    "PAYMENT_UPDATE",
    "PERSONAL_FINANCE_UPDATE",
    "SHIPPING_UPDATE",
    "RESERVATION_UPDATE",
    "ISSUE_RESOLUTION",
    "ISSUE_UPDATE",
    "APPOINTMENT_UPDATE",
    "TRANSPORTATION_UPDATE",
    "TICKET_UPDATE",
    "ALERT_UPDATE",
    "AUTO_REPLY",
    "TRANSACTIONAL",
)
WHATSAPP_CONTENT_TYPES_T = ("TEXT", "IMAGE", "BUTTON", "DOCUMENT", "LOCATION", "AUDIO", "VIDEO", "AUTHENTICATION")
HEADER_TYPES = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT")
BUTTON_TYPES = ("PHONE", "URL", "QUICK_REPLY")
SMS_PROVIDER_IDS = (0, 1, 2, 3)

_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_]+\Z")
_WA_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(_[A-Za-z]{2,4})?\Z")
_VIBER_LANGUAGE = re.compile(r"^[A-Za-z]{2}\Z")
_WA_VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass(frozen=True)
class TemplateRejection:
    """Why a template was refused: a documented answer code and a description naming the field."""

    code: str
    description: str


def _nonempty_str(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _check_category(mm: dict[str, Any], allowed: tuple[str, ...]) -> TemplateRejection | None:
    category = mm.get("category")
    if category is None:
        return TemplateRejection(CATEGORY_NULL, "category: must not be null")
    if category not in allowed:
        return TemplateRejection(CATEGORY_INVALID, f"category: {category!r} is not one of {', '.join(allowed)}")
    return None


def _check_whatsapp_template(mm: dict[str, Any]) -> TemplateRejection | None:
    rejected = _check_category(mm, WHATSAPP_CATEGORIES)
    if rejected is not None:
        return rejected
    language = mm.get("language")
    if not isinstance(language, str) or not _WA_LANGUAGE.match(language):
        return TemplateRejection(INVALID_LANGUAGE, "language: must be a WhatsApp language code such as en, ru or pt_BR")
    content = mm.get("content")
    if not isinstance(content, dict):
        return TemplateRejection(BAD_REQUEST, "content: must be an object")
    text = content.get("text")
    if not _nonempty_str(text):
        return TemplateRejection(BAD_REQUEST, "content.text: must not be empty")
    variables = set(_WA_VARIABLE.findall(text))
    params = content.get("textExampleParams")
    if params is None:
        params = []
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return TemplateRejection(BAD_REQUEST, "content.textExampleParams: must be a list of strings")
    if len(params) != len(variables):
        return TemplateRejection(
            BAD_REQUEST,
            f"content.textExampleParams: content.text has {len(variables)} variable(s) "
            f"{{{{n}}}}, so it needs exactly that many examples, got {len(params)}",
        )
    content_type = mm.get("contentType")
    if content_type is not None and content_type not in WHATSAPP_CONTENT_TYPES_T:
        return TemplateRejection(BAD_REQUEST, f"contentType: must be one of {', '.join(WHATSAPP_CONTENT_TYPES_T)}")
    rejection = _check_whatsapp_header(content.get("header"))
    if rejection:
        return rejection
    return _check_whatsapp_keyboard(content.get("keyboard"))


def _check_whatsapp_header(header: Any) -> TemplateRejection | None:
    if header is None:
        return None
    if not isinstance(header, dict):
        return TemplateRejection(BAD_REQUEST, "content.header: must be an object")
    htype = header.get("headerType")
    if htype is None:
        return None
    if htype not in HEADER_TYPES:
        return TemplateRejection(BAD_REQUEST, f"content.header.headerType: must be one of {', '.join(HEADER_TYPES)}")
    if htype == "TEXT" and not _nonempty_str(header.get("headerExampleTextParam")):
        return TemplateRejection(BAD_REQUEST, "content.header.headerExampleTextParam: required when headerType is TEXT")
    if htype != "TEXT" and not _nonempty_str(header.get("headerExampleMediaUrl")):
        return TemplateRejection(
            BAD_REQUEST, f"content.header.headerExampleMediaUrl: required when headerType is {htype}"
        )
    return None


def _check_whatsapp_keyboard(keyboard: Any) -> TemplateRejection | None:
    if keyboard is None:
        return None
    rows = keyboard.get("rows") if isinstance(keyboard, dict) else None
    if not isinstance(rows, list):
        return TemplateRejection(BAD_REQUEST, "content.keyboard.rows: must be a list")
    for r, row in enumerate(rows):
        buttons = row.get("buttons") if isinstance(row, dict) else None
        if not isinstance(buttons, list):
            return TemplateRejection(BAD_REQUEST, f"content.keyboard.rows[{r}].buttons: must be a list")
        for b, button in enumerate(buttons):
            where = f"content.keyboard.rows[{r}].buttons[{b}]"
            if not isinstance(button, dict):
                return TemplateRejection(BAD_REQUEST, f"{where}: must be an object")
            btype = button.get("buttonType")
            if btype not in BUTTON_TYPES:
                return TemplateRejection(BAD_REQUEST, f"{where}.buttonType: must be one of {', '.join(BUTTON_TYPES)}")
            if btype == "URL":
                url, example = button.get("url"), button.get("urlTextExample")
                if not _nonempty_str(url):
                    return TemplateRejection(BAD_REQUEST, f"{where}.url: required for a URL button")
                if not _nonempty_str(example):
                    return TemplateRejection(
                        BAD_REQUEST, f"{where}.urlTextExample: the dynamic-link example is required for a URL button"
                    )
                static = url.split("{{", 1)[0]
                if not example.startswith(static):
                    return TemplateRejection(
                        BAD_REQUEST,
                        f"{where}.urlTextExample: the dynamic-link example must start with "
                        f"the button url's fixed part {static!r}",
                    )
            elif btype == "PHONE" and not _nonempty_str(button.get("phone")):
                return TemplateRejection(BAD_REQUEST, f"{where}.phone: required for a PHONE button")
            elif btype == "QUICK_REPLY" and not _nonempty_str(button.get("payload")):
                return TemplateRejection(BAD_REQUEST, f"{where}.payload: required for a QUICK_REPLY button")
    return None


def _check_viber_template(mm: dict[str, Any]) -> TemplateRejection | None:
    language = mm.get("language")
    if not isinstance(language, str) or not _VIBER_LANGUAGE.match(language):
        return TemplateRejection(INVALID_LANGUAGE, "language: must be an ISO 639-1 code of two letters, e.g. ru")
    rejected = _check_category(mm, VIBER_CATEGORIES)
    if rejected is not None:
        return rejected
    content = mm.get("content")
    if not isinstance(content, dict):
        return TemplateRejection(BAD_REQUEST, "content: must be an object")
    if not _nonempty_str(content.get("text")):
        return TemplateRejection(BAD_REQUEST, "content.text: must not be empty")
    for key in ("action", "caption"):
        if content.get(key) is not None and not isinstance(content[key], str):
            return TemplateRejection(BAD_REQUEST, f"content.{key}: must be a string")
    content_type = mm.get("contentType")
    if content_type is not None and content_type != "TEXT":
        return TemplateRejection(BAD_REQUEST, "contentType: a Viber template's contentType is TEXT")
    return None


def _check_sms_template(mm: dict[str, Any], body: dict[str, Any]) -> TemplateRejection | None:
    content = mm.get("content")
    if not isinstance(content, dict):
        return TemplateRejection(BAD_REQUEST, "content: must be an object")
    if not _nonempty_str(content.get("text")):
        return TemplateRejection(BAD_REQUEST, "content.text: must not be empty")
    providers = body.get("smsProviderIds")
    if not isinstance(providers, list) or not providers:
        return TemplateRejection(BAD_REQUEST, "smsProviderIds: required, a non-empty list for an SMS template")
    if not all(_is_int(p) and p in SMS_PROVIDER_IDS for p in providers):
        return TemplateRejection(
            BAD_REQUEST, "smsProviderIds: each must be 0 (MTS), 1 (Beeline), 2 (MegaFon) or 3 (Tele2)"
        )
    return None


def validate_template(body: Any) -> TemplateRejection | dict[str, Any]:
    """Check a ``message-matchers`` request (SPEC §4); return the ``messageMatcher`` on success."""
    if not isinstance(body, dict):
        return TemplateRejection(BAD_REQUEST, "body: must be a JSON object")
    mm = body.get("messageMatcher")
    if not isinstance(mm, dict):
        return TemplateRejection(BAD_REQUEST, "messageMatcher: must be an object")
    name = mm.get("name")
    if not _nonempty_str(name):
        return TemplateRejection(BAD_REQUEST, "name: must not be empty")
    if not _TEMPLATE_NAME.match(name):
        return TemplateRejection(BAD_REQUEST, "name: only Latin letters, digits and _ are allowed")
    if len(name) > limits.TEMPLATE_NAME_MAX:
        return TemplateRejection(BAD_REQUEST, f"name: at most {limits.TEMPLATE_NAME_MAX} characters, got {len(name)}")
    channel = mm.get("channelType")
    if channel not in TEMPLATE_CHANNELS:
        return TemplateRejection(BAD_REQUEST, f"channelType: must be one of {', '.join(TEMPLATE_CHANNELS)}")
    ttype = mm.get("type")
    if ttype != "OPERATOR":
        return TemplateRejection(BAD_REQUEST, "type: only OPERATOR templates are supported")
    subjects = body.get("subjectIds")
    if not isinstance(subjects, list) or not subjects or not all(_is_int(s) for s in subjects):
        return TemplateRejection(BAD_REQUEST, "subjectIds: required, a non-empty list of integer ids")
    if channel == "WHATSAPP":
        rejection = _check_whatsapp_template(mm)
    elif channel == "VIBER":
        rejection = _check_viber_template(mm)
    else:
        rejection = _check_sms_template(mm, body)
    return rejection if rejection else mm
