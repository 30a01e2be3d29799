"""Wire models of the send request (SPEC §1, seeds 000 and 001). No Airflow imports.

Every [doc] rule of the send envelope lives here once. ``SendRequest`` is the body the platform
receives minus ``login``/``password`` (the hook adds those from the connection).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.models import limits
from airflow_provider_messaging.models.base import WireModel


class Channel(str, enum.Enum):
    VIBER = "VIBER"
    WHATSAPP = "WHATSAPP"


class ContentType(str, enum.Enum):
    TEXT = "TEXT"
    IMAGE_URL = "IMAGE_URL"
    BUTTON = "BUTTON"


TtlUnit = Literal["SECONDS", "MINUTES", "HOURS"]

# --- destAddr ---------------------------------------------------------------------------------
_DEST_SEPARATORS = re.compile(r"[\s\-()]")
#: [decided] after removing separators and a leading "+": 10 to 15 digits (E.164 allows 15).
DEST_ADDR_DIGITS = re.compile(r"^[0-9]{10,15}\Z")


def _shape(digits: str) -> str:
    """What is wrong with a number, without the number: its length, and whether it has other characters."""
    others = sum(not ch.isdigit() for ch in digits)
    return f"{len(digits) - others} digits" + (f" and {others} other character(s)" if others else "")


def normalize_dest_addr(value: str) -> str:
    """Strip spaces, dashes and parentheses and a leading ``+``; check what is left.

    ``+7 (210) 123-45-67``, ``72101234567`` and ``8-210-123-45-67`` are all accepted (SPEC §1).
    The ``8`` trunk prefix is kept as given: the platform accepts it.
    """
    if not isinstance(value, str):
        raise ValueError(f"must be a phone number string, got {type(value).__name__}")
    digits = _DEST_SEPARATORS.sub("", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if not DEST_ADDR_DIGITS.match(digits):
        raise ValueError(
            "must be country code + operator code + number, 10 to 15 digits (spaces, dashes, "
            f"parentheses and a leading + allowed), got {_shape(digits)}"  # never the number: personal data
        )
    return digits


# --- imageURL ------------------------------------------------------------------------------------
#: [doc] Viber: a 400x400 px JPG or PNG image is recommended (a recommendation: warn, don't reject).
_RECOMMENDED_IMAGE = re.compile(r"\.(jpe?g|png)\Z", re.IGNORECASE)


def image_url_advice(url: str | None) -> str | None:
    """The platform's image recommendation, as a warning when ``url`` does not look like a JPG or
    PNG (judged by the path's extension; the size cannot be checked without fetching it)."""
    if not url:
        return None
    path = urlsplit(url).path
    if _RECOMMENDED_IMAGE.search(path):
        return None
    return (
        f"imageURL: a 400x400 px JPG or PNG image is recommended; {url!r} does not end in "
        ".jpg, .jpeg or .png (sent anyway)"
    )


# --- extraParam -------------------------------------------------------------------------------
def build_extra_param(params: Mapping[str, Any]) -> str:
    """``{"a": "1", "b": "x,y"}`` -> ``a=1,b=x,,y`` (SPEC §1: a comma in a value is doubled)."""
    parts = []
    for key, value in params.items():
        name = str(key)
        if not name:
            raise ValueError("extraParam: a parameter name must not be empty")
        if "," in name or "=" in name:
            raise ValueError(f"extraParam: parameter name {name!r} must not contain ',' or '='")
        text = "" if value is None else str(value)
        parts.append(f"{name}={text.replace(',', ',,')}")
    return ",".join(parts)


# --- scheduleInfo ------------------------------------------------------------------------------
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")
_WEEKDAYS = re.compile(r"^[1-7]*\Z")
DEADLINE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_DEADLINE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}\Z")


class ScheduleInfo(WireModel):
    time_begin: str | None = None
    time_end: str | None = None
    weekdays_schedule: str | None = None
    deadline: str | None = None

    @field_validator("time_begin", "time_end")
    @classmethod
    def _hhmm(cls, v: str | None) -> str | None:
        if v is not None and not _HHMM.match(v):
            raise ValueError(f"must be HH:MM between 00:00 and 23:59 (e.g. 10:00), got {v!r}")
        return v

    @field_validator("weekdays_schedule")
    @classmethod
    def _weekdays(cls, v: str | None) -> str | None:
        if v is not None and not _WEEKDAYS.match(v):
            raise ValueError(f"must be digits 1 (Monday) to 7 (Sunday), e.g. '12345', got {v!r}")
        return v

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, v: Any) -> Any:
        if isinstance(v, datetime):
            if v.tzinfo is None:
                raise ValueError("a deadline datetime must carry a time zone")
            return v.strftime(DEADLINE_FORMAT)
        if v is not None:
            ok = isinstance(v, str) and _DEADLINE.match(v)
            if ok:
                try:
                    datetime.strptime(v, DEADLINE_FORMAT)
                except ValueError:
                    ok = False
            if not ok:
                raise ValueError(f"must be a date-time like 2019-05-10T16:29:30+0300, got {v!r}")
        return v


_TTL_STRING = re.compile(r"^\s*[+-]?[0-9]+\s*\Z")


# --- message -----------------------------------------------------------------------------------
class InstantContentData(WireModel):
    text: str | None = None
    image_url: str | None = Field(default=None, alias="imageURL")
    caption: str | None = None  # [decided] Viber button name
    action: str | None = None  # [decided] Viber button URL


class InstantContent(WireModel):
    type: ContentType
    data: InstantContentData


class MessageData(WireModel):
    instant_content: InstantContent
    service_number: str = Field(min_length=1)
    ttl: int | None = Field(default=None, ge=0)
    ttl_unit: TtlUnit | None = None

    @field_validator("ttl", mode="before")
    @classmethod
    def _ttl_whole_number(cls, v: Any) -> Any:
        # a boolean is not a number, and a string must be written in digits: Python's int() would
        # also take "1_440" and pydantic "60.0", which the platform need not read as numbers
        if isinstance(v, bool) or (isinstance(v, str) and not _TTL_STRING.match(v)):
            raise ValueError(f"must be a whole number, got {v!r}")
        return v

    @field_validator("service_number", mode="before")
    @classmethod
    def _service_number(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v.strip()):
            raise ValueError("is required: the sender name the message goes out from (platform error 7)")
        return v

    @model_validator(mode="after")
    def _ttl_unit_needs_ttl(self) -> MessageData:
        if self.ttl_unit is not None and self.ttl is None:
            raise ValueError("ttlUnit: may only be given together with ttl")
        return self

    def ttl_seconds(self) -> int | None:
        if self.ttl is None:
            return None
        return self.ttl * limits.TTL_UNIT_SECONDS[self.ttl_unit or limits.DEFAULT_TTL_UNIT]


class Message(WireModel):
    type: Channel
    data: MessageData

    @model_validator(mode="after")
    def _channel_rules(self) -> Message:
        content = self.data.instant_content
        d = content.data
        problems: list[str] = []
        if self.type is Channel.VIBER:
            _viber_content(content.type, d, problems)
            seconds = self.data.ttl_seconds()
            lo, hi = limits.VIBER_TTL_MIN_MINUTES * 60, limits.VIBER_TTL_MAX_MINUTES * 60
            if seconds is not None and not lo <= seconds <= hi:
                problems.append(
                    f"data.ttl: Viber message lifetime must be 1 to 2880 minutes, got {self.data.ttl} "
                    f"{self.data.ttl_unit or limits.DEFAULT_TTL_UNIT}"
                )
        else:
            _whatsapp_content(content.type, d, problems)
            seconds = self.data.ttl_seconds()
            if seconds:  # 0 or absent: the platform's per-client default
                minutes = seconds / 60
                if minutes not in limits.WHATSAPP_TTL_MINUTES:
                    allowed = ", ".join(str(m) for m in sorted(limits.WHATSAPP_TTL_MINUTES))
                    problems.append(
                        f"data.ttl: WhatsApp lifetime must be whole days, one of {allowed} minutes "
                        f"(or 0 for the default), got {self.data.ttl} {self.data.ttl_unit or 'MINUTES'}"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _require(d: InstantContentData, allowed: set[str], required: set[str], kind: str, out: list[str]) -> None:
    present = {k for k in ("text", "image_url", "caption", "action") if getattr(d, k) is not None}
    wire = {"text": "text", "image_url": "imageURL", "caption": "caption", "action": "action"}
    for k in sorted(required - present):
        out.append(f"data.instantContent.data.{wire[k]}: required for {kind}")
    for k in sorted(present - allowed):
        out.append(f"data.instantContent.data.{wire[k]}: not allowed for {kind}")
    for k in sorted(present & required):
        if not getattr(d, k):
            out.append(f"data.instantContent.data.{wire[k]}: must not be empty for {kind}")


def _viber_content(ctype: ContentType, d: InstantContentData, out: list[str]) -> None:
    if ctype is ContentType.TEXT:
        _require(d, {"text"}, {"text"}, "a Viber TEXT message", out)
    elif ctype is ContentType.IMAGE_URL:
        _require(d, {"image_url"}, {"image_url"}, "a Viber IMAGE_URL message", out)
    else:
        _require(
            d,
            {"text", "image_url", "caption", "action"},
            {"text", "caption", "action"},
            "a Viber BUTTON message (text, caption and action, optionally imageURL)",
            out,
        )
    if d.text is not None and len(d.text) > limits.VIBER_TEXT_MAX:
        out.append(
            f"data.instantContent.data.text: Viber text is at most {limits.VIBER_TEXT_MAX} "
            f"characters, got {len(d.text)}"
        )
    total = len(d.text or "") + len(d.caption or "")
    if total > limits.VIBER_MESSAGE_MAX:
        out.append(
            f"data.instantContent: Message is too long ({total} symbols). "
            f"Viber message max length is {limits.VIBER_MESSAGE_MAX} symbols."
        )


def _whatsapp_content(ctype: ContentType, d: InstantContentData, out: list[str]) -> None:
    if ctype is ContentType.TEXT:
        _require(d, {"text"}, {"text"}, "a WhatsApp TEXT message (text and image together are not allowed)", out)
    elif ctype is ContentType.IMAGE_URL:
        _require(
            d,
            {"image_url"},
            {"image_url"},
            "a WhatsApp IMAGE_URL message (text and image together are not allowed)",
            out,
        )
    else:
        out.append("data.instantContent.type: WhatsApp supports TEXT or IMAGE_URL only, got BUTTON")
    if d.text is not None and len(d.text) > limits.WHATSAPP_TEXT_MAX:
        out.append(
            f"data.instantContent.data.text: Message is too long ({len(d.text)} symbols). "
            f"WHATSAPP message max length is {limits.WHATSAPP_TEXT_MAX} symbols."
        )


# --- the envelope ------------------------------------------------------------------------------
class SendRequest(WireModel):
    """The send body without ``login``/``password``."""

    dest_addr: str
    message: Message
    use_time_diff: bool | None = None
    id: str | None = Field(default=None, min_length=1)
    schedule_info: ScheduleInfo | None = None
    extra_param: str | None = None
    registered_delivery: Literal[0, 1, 2] | None = None
    notify_url: str | None = None
    cascade_chain_link: dict[str, Any] | None = None

    @field_validator("dest_addr", mode="before")
    @classmethod
    def _dest(cls, v: Any) -> str:
        return normalize_dest_addr(v)

    @field_validator("use_time_diff", mode="before")
    @classmethod
    def _strict_bool(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"must be true or false, got {v!r}")
        return v

    @field_validator("registered_delivery", mode="before")
    @classmethod
    def _rd(cls, v: Any) -> Any:
        if v is not None and (isinstance(v, bool) or v not in limits.REGISTERED_DELIVERY_VALUES):
            raise ValueError(f"must be 0 (no reports), 1 (all reports) or 2 (only NOT DELIVERED), got {v!r}")
        return v

    @field_validator("extra_param", mode="before")
    @classmethod
    def _extra(cls, v: Any) -> Any:
        if isinstance(v, Mapping):
            return build_extra_param(v)
        return v

    @field_validator("notify_url")
    @classmethod
    def _notify(cls, v: str | None) -> str | None:
        if v is not None:
            if not v.strip():
                raise ValueError("if present, must not be empty")
            if len(v) > limits.NOTIFY_URL_MAX:
                raise ValueError(f"must be at most {limits.NOTIFY_URL_MAX} characters, got {len(v)}")
        return v

    @model_validator(mode="after")
    def _account(self, info: ValidationInfo) -> SendRequest:
        if info.context and info.context.get("viber_sessions"):
            self.check_account(viber_sessions=True)
        return self

    @property
    def channel(self) -> Channel:
        return self.message.type

    def advisories(self) -> list[str]:
        """Recommendations the request does not follow: not errors, it is sent as it is."""
        if self.message.type is not Channel.VIBER:
            return []
        advice = image_url_advice(self.message.data.instant_content.data.image_url)
        return [advice] if advice else []

    def check_account(self, *, viber_sessions: bool) -> None:
        """[doc] a Viber-sessions account accepts only TEXT or IMAGE_URL: refuse BUTTON up front."""
        if (
            viber_sessions
            and self.message.type is Channel.VIBER
            and self.message.data.instant_content.type is ContentType.BUTTON
        ):
            raise InvalidMessageError(
                [
                    (
                        "message.data.instantContent.type",
                        "this account has Viber sessions switched on: only TEXT or IMAGE_URL are accepted, not BUTTON",
                    )
                ],
                "SendRequest",
            )


def compose_message(
    *,
    channel: Channel | str,
    dest_addr: str,
    service_number: str | None,
    text: str | None = None,
    image_url: str | None = None,
    button_caption: str | None = None,
    button_url: str | None = None,
    ttl: int | None = None,
    ttl_unit: str | None = None,
    schedule: Mapping[str, Any] | None = None,
    use_time_diff: bool | None = None,
    message_id: str | None = None,
    extra_params: Mapping[str, Any] | str | None = None,
    registered_delivery: int | None = None,
    notify_url: str | None = None,
    cascade: Mapping[str, Any] | None = None,
    viber_sessions: bool = False,
) -> SendRequest:
    """Build a validated ``SendRequest`` from snake_case arguments (what the operators take).

    The content type follows from what is given: text → TEXT; image only → IMAGE_URL; Viber
    text + button (+ image) → BUTTON. ``schedule`` takes snake_case or camelCase keys.
    """
    try:
        channel = Channel(channel.upper() if isinstance(channel, str) else channel)
    except ValueError:
        raise InvalidMessageError([("message.type", f"must be VIBER or WHATSAPP, got {channel!r}")]) from None
    has_button = button_caption is not None or button_url is not None
    if has_button and channel is Channel.WHATSAPP:
        raise InvalidMessageError([("button_caption/button_url", "WhatsApp messages have no button")])
    if has_button:
        ctype = ContentType.BUTTON
    elif text is not None and image_url is not None:
        what = (
            "Viber sends text and image together only with a button (button_caption and button_url)"
            if channel is Channel.VIBER
            else "WhatsApp sends text or image, not both"
        )
        raise InvalidMessageError([("text/image_url", what)])
    elif image_url is not None:
        ctype = ContentType.IMAGE_URL
    else:
        ctype = ContentType.TEXT
    data: dict[str, Any] = {"text": text, "imageURL": image_url, "caption": button_caption, "action": button_url}
    message_data: dict[str, Any] = {
        "instantContent": {"type": ctype.value, "data": {k: v for k, v in data.items() if v is not None}},
        "serviceNumber": service_number,
    }
    if ttl is not None:
        message_data["ttl"] = ttl
    if ttl_unit is not None:
        message_data["ttlUnit"] = ttl_unit.upper() if isinstance(ttl_unit, str) else ttl_unit
    body: dict[str, Any] = {"destAddr": dest_addr, "message": {"type": channel.value, "data": message_data}}
    optional = {
        "useTimeDiff": use_time_diff,
        "id": message_id,
        "scheduleInfo": dict(schedule) if schedule is not None else None,
        "extraParam": extra_params,
        "registeredDelivery": registered_delivery,
        "notifyUrl": notify_url,
        "cascadeChainLink": dict(cascade) if cascade is not None else None,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if isinstance(body.get("extraParam"), Mapping):
        try:
            body["extraParam"] = build_extra_param(body["extraParam"])
        except ValueError as exc:
            raise InvalidMessageError([("extraParam", str(exc).removeprefix("extraParam: "))]) from None
    return SendRequest.parse(body, "message", context={"viber_sessions": viber_sessions})
