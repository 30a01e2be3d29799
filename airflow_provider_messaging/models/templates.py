"""Wire models of the ``message-matchers`` request that creates an operator template (SPEC §4,
seed 002). No Airflow imports.

The body is the one the platform's examples send::

    {"messageMatcher": {"name", "channelType", "language", "content": {...}, "contentType",
                        "category", "type"},
     "subjectIds": [int, ...], "smsProviderIds": [int, ...]}

``messageMatcher`` is one model per channel (``WhatsAppMatcher``, ``ViberMatcher``,
``SmsMatcher``), chosen by ``channelType``. Every [doc] rule lives here once; each refusal is an
``InvalidMessageError`` naming the wire path (``messageMatcher.content.text``) and the rule.

Enumerations (categories, contentType, headerType, buttonType) are strict by default. A value the
platform accepts but the documentation does not list (seed 002's own Viber example uses
``TRANSACTIONAL``) passes when the caller opts out: ``TemplateRequest.parse(data,
strict_enums=False)`` or, for categories only, ``extra_categories=("TRANSACTIONAL",)``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypeGuard

from pydantic import Field, ValidationInfo, field_validator, model_validator

from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.models import limits
from airflow_provider_messaging.models.base import WireModel
from airflow_provider_messaging.models.codes import WHATSAPP_VARIABLE


class TemplateChannel(str, enum.Enum):
    """``channelType`` of a template."""

    WHATSAPP = "WHATSAPP"
    VIBER = "VIBER"
    SMS = "SMS"


TEMPLATE_CHANNELS: tuple[str, ...] = tuple(c.value for c in TemplateChannel)

#: [doc] ``type`` values; only OPERATOR is supported by the platform now (CUSTOM never for WhatsApp).
TEMPLATE_TYPES: tuple[str, ...] = ("OPERATOR", "USER", "CUSTOM")
SUPPORTED_TEMPLATE_TYPE = "OPERATOR"

#: [doc] WhatsApp categories.
WHATSAPP_CATEGORIES: tuple[str, ...] = ("MARKETING", "AUTHENTICATION", "UTILITY")
#: [doc] the twelve Viber categories.
VIBER_CATEGORIES: tuple[str, ...] = (
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
)
#: [doc] WhatsApp ``contentType`` values.
WHATSAPP_CONTENT_TYPES: tuple[str, ...] = (
    "TEXT",
    "IMAGE",
    "BUTTON",
    "DOCUMENT",
    "LOCATION",
    "AUDIO",
    "VIDEO",
    "AUTHENTICATION",
)
#: [doc] Viber ``contentType``: TEXT only. [decided] SMS: TEXT only too (the seed lists none).
VIBER_CONTENT_TYPES: tuple[str, ...] = ("TEXT",)
SMS_CONTENT_TYPES: tuple[str, ...] = ("TEXT",)
#: [doc] WhatsApp header types; the media ones need ``headerExampleMediaUrl``.
HEADER_TYPES: tuple[str, ...] = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT")
MEDIA_HEADER_TYPES: tuple[str, ...] = ("IMAGE", "VIDEO", "DOCUMENT")
#: [doc] WhatsApp button types.
BUTTON_TYPES: tuple[str, ...] = ("PHONE", "URL", "QUICK_REPLY")
#: [doc] SMS operators a template is registered with.
SMS_PROVIDERS: dict[int, str] = {0: "MTS", 1: "Beeline", 2: "MegaFon", 3: "Tele2"}

# ``\Z``, not ``$``: ``$`` also matches before a trailing newline ("abc\n" is not a valid name).
_NAME = re.compile(r"^[A-Za-z0-9_]+\Z")
#: WhatsApp Business Platform codes: ``ru``, ``en``, ``en_US``, ``pt_BR``, ``zh_CN``... (any case).
_WHATSAPP_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(_[A-Za-z]{2,4})?\Z")
#: ISO 639-1: two letters (any case: the platform's examples write ``RU``).
_ISO_639_1 = re.compile(r"^[A-Za-z]{2}\Z")
#: a WhatsApp variable ``{{n}}``

_SMS_PROVIDERS_TEXT = ", ".join(f"{k} {v}" for k, v in SMS_PROVIDERS.items())


def whatsapp_variables(text: str) -> list[int]:
    """The distinct variables ``{{n}}`` of a WhatsApp text, sorted: ``"{{2}} {{1}} {{1}}"`` -> [1, 2]."""
    return sorted({int(n) for n in WHATSAPP_VARIABLE.findall(text or "")})


# --- enum strictness --------------------------------------------------------------------------
def _options(info: ValidationInfo) -> tuple[bool, tuple[str, ...]]:
    ctx = info.context or {}
    extra = ctx.get("extra_categories") or ()
    if isinstance(extra, str):
        extra = (extra,)
    return bool(ctx.get("strict_enums", True)), tuple(str(e) for e in extra)


def _check_enum(
    value: Any, allowed: tuple[str, ...], info: ValidationInfo, what: str, *, is_category: bool = False
) -> str:
    """``value`` if listed (or the caller opted out of strict checks), else a ValueError saying how to opt out."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be one of {', '.join(allowed)} ({what}), got {value!r}")
    strict, extra_categories = _options(info)
    if value in allowed or (is_category and value in extra_categories) or not strict:
        return value
    opt_out = "pass strict_enums=False"
    if is_category:
        opt_out += f" or extra_categories=({value!r},)"
    raise ValueError(f"{value!r} is not one of {', '.join(allowed)} ({what}). If the platform accepts it, {opt_out}")


def _filled(value: str | None) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))


# --- WhatsApp content ---------------------------------------------------------------------------
class TemplateAttachment(WireModel):
    """``{fileUrl, originalFileName}`` (a WhatsApp attachment or header attachment)."""

    file_url: str | None = None
    original_file_name: str | None = None


class TemplateHeader(WireModel):
    """``content.header`` of a WhatsApp template.

    ``headerType`` is optional (the public API does not require it); when given, TEXT needs
    ``headerExampleTextParam`` and IMAGE / VIDEO / DOCUMENT need ``headerExampleMediaUrl``.
    """

    header_type: str | None = None
    text: str | None = None
    attachment: TemplateAttachment | None = None
    header_example_text_param: str | None = None
    header_example_media_url: str | None = None

    @field_validator("header_type")
    @classmethod
    def _header_type(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _check_enum(v, HEADER_TYPES, info, "WhatsApp header type")

    @model_validator(mode="after")
    def _examples(self) -> TemplateHeader:
        problems: list[str] = []
        if self.header_type == "TEXT" and not _filled(self.header_example_text_param):
            problems.append("headerExampleTextParam: required when headerType is TEXT (an example of the header text)")
        if self.header_type in MEDIA_HEADER_TYPES and not _filled(self.header_example_media_url):
            problems.append(
                f"headerExampleMediaUrl: required when headerType is {self.header_type} (the URL of an example file)"
            )
        _raise(problems)
        return self


class TemplateFooter(WireModel):
    """``content.footer`` of a WhatsApp template."""

    text: str | None = None


class TemplateButton(WireModel):
    """One WhatsApp button: PHONE needs ``phone``, URL needs ``url`` and ``urlTextExample``,
    QUICK_REPLY needs ``payload``."""

    text: str | None = None
    button_type: str
    url: str | None = None
    url_postfix: str | None = None
    phone: str | None = None
    payload: str | None = None
    url_text_example: str | None = None

    @field_validator("button_type")
    @classmethod
    def _button_type(cls, v: str, info: ValidationInfo) -> str:
        return _check_enum(v, BUTTON_TYPES, info, "WhatsApp button type")

    @model_validator(mode="after")
    def _required_by_type(self) -> TemplateButton:
        problems: list[str] = []
        if self.button_type == "URL":
            if not _filled(self.url):
                problems.append("url: required for a URL button (the address the button opens)")
            if not _filled(self.url_text_example):
                problems.append(
                    "urlTextExample: required for a URL button, an example of the full link "
                    "(without it the platform answers message-matcher.saving.bad-request)"
                )
            elif _filled(self.url) and "{{" in self.url:
                fixed = self.url.split("{{", 1)[0]
                if not self.url_text_example.startswith(fixed):
                    problems.append(
                        f"urlTextExample: the example link must start with the url's fixed part {fixed!r}, "
                        f"got {self.url_text_example!r}"
                    )
        elif self.button_type == "PHONE" and not _filled(self.phone):
            problems.append("phone: required for a PHONE button (the number the button dials)")
        elif self.button_type == "QUICK_REPLY" and not _filled(self.payload):
            problems.append("payload: required for a QUICK_REPLY button (the quick-reply text)")
        _raise(problems)
        return self


class TemplateKeyboardRow(WireModel):
    """One row of ``content.keyboard.rows``: ``{"buttons": [...]}``."""

    buttons: list[TemplateButton]


class TemplateKeyboard(WireModel):
    """``content.keyboard``: ``{"rows": [{"buttons": [...]}, ...]}``."""

    rows: list[TemplateKeyboardRow]


def _text_required(v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        raise ValueError("required, the template's message text must not be empty")
    return v


class WhatsAppTemplateContent(WireModel):
    """``content`` of a WhatsApp template. ``textExampleParams``: one example per distinct
    variable ``{{n}}`` in ``text``, required when the text has variables."""

    header: TemplateHeader | None = None
    text: str = Field(default=None, validate_default=True)
    text_example_params: list[str] | None = None
    keyboard: TemplateKeyboard | None = None
    footer: TemplateFooter | None = None
    attachment: TemplateAttachment | None = None

    _text = field_validator("text", mode="before")(_text_required)

    @model_validator(mode="after")
    def _examples(self) -> WhatsAppTemplateContent:
        variables = whatsapp_variables(self.text)
        params = self.text_example_params
        listed = ", ".join(f"{{{{{n}}}}}" for n in variables)
        problems: list[str] = []
        if variables and params is None:
            problems.append(
                f"textExampleParams: required because text has {len(variables)} variable(s) "
                f"{listed}: give one example for each"
            )
        elif params is not None and len(params) != len(variables):
            if variables:
                problems.append(
                    f"textExampleParams: text has {len(variables)} variable(s) {listed}, "
                    f"so exactly {len(variables)} example(s) are needed, got {len(params)}"
                )
            else:
                problems.append(
                    f"textExampleParams: text has no variables {{{{n}}}}, so no examples are "
                    f"expected, got {len(params)}"
                )
        for i, param in enumerate(params or ()):
            if not param.strip():
                problems.append(f"textExampleParams.{i}: an example must not be empty")
        _raise(problems)
        return self


class ViberTemplateContent(WireModel):
    """``content`` of a Viber template: text, optionally a button (``action`` URL, ``caption`` name)."""

    text: str = Field(default=None, validate_default=True)
    action: str | None = None
    caption: str | None = None

    _text = field_validator("text", mode="before")(_text_required)


class SmsTemplateContent(WireModel):
    """``content`` of an SMS template: its text."""

    text: str = Field(default=None, validate_default=True)

    _text = field_validator("text", mode="before")(_text_required)


# --- messageMatcher -----------------------------------------------------------------------------
class _MatcherBase(WireModel):
    """Fields every channel shares: ``name`` and ``type``."""

    channel: ClassVar[TemplateChannel]

    name: str = Field(default=None, validate_default=True)
    type: str = SUPPORTED_TEMPLATE_TYPE

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        if v is None or (isinstance(v, str) and not v):
            raise ValueError("required, the template's name (Latin letters, digits and _)")
        if not isinstance(v, str):
            raise ValueError(f"must be a string of Latin letters, digits and _, got {v!r}")
        if not _NAME.match(v):
            raise ValueError(f"only Latin letters, digits and _ are allowed, got {v!r}")
        if len(v) > limits.TEMPLATE_NAME_MAX:
            raise ValueError(f"at most {limits.TEMPLATE_NAME_MAX} characters, got {len(v)}")
        return v

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        if v == SUPPORTED_TEMPLATE_TYPE:
            return v
        if v == "CUSTOM" and cls.channel is TemplateChannel.WHATSAPP:
            raise ValueError("CUSTOM templates do not exist for WhatsApp, and the platform supports OPERATOR only")
        if v in TEMPLATE_TYPES:
            raise ValueError(f"{v} templates are documented, but the platform supports OPERATOR only")
        raise ValueError(f"must be OPERATOR (the platform supports OPERATOR only), got {v!r}")


def _language(v: Any, pattern: re.Pattern[str], what: str) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        raise ValueError(f"required, {what}")
    if not isinstance(v, str) or not pattern.match(v):
        raise ValueError(f"must be {what} (either case), got {v!r}")
    return v


class WhatsAppMatcher(_MatcherBase):
    """``messageMatcher`` of a WhatsApp template."""

    channel: ClassVar[TemplateChannel] = TemplateChannel.WHATSAPP

    channel_type: Literal["WHATSAPP"] = "WHATSAPP"
    language: str = Field(default=None, validate_default=True)
    content: WhatsAppTemplateContent
    content_type: str | None = None
    category: str = Field(default=None, validate_default=True)

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, v: Any) -> Any:
        return _language(v, _WHATSAPP_LANGUAGE, "a WhatsApp Business Platform language code such as ru, en_US or pt_BR")

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            raise ValueError(
                f"required, one of {', '.join(WHATSAPP_CATEGORIES)} "
                "(without it the platform answers 'must not be null')"
            )
        return _check_enum(v, WHATSAPP_CATEGORIES, info, "WhatsApp category", is_category=True)

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _check_enum(v, WHATSAPP_CONTENT_TYPES, info, "WhatsApp content type")


class ViberMatcher(_MatcherBase):
    """``messageMatcher`` of a Viber template."""

    channel: ClassVar[TemplateChannel] = TemplateChannel.VIBER

    channel_type: Literal["VIBER"] = "VIBER"
    language: str = Field(default=None, validate_default=True)
    content: ViberTemplateContent
    content_type: str | None = None
    category: str = Field(default=None, validate_default=True)

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, v: Any) -> Any:
        return _language(v, _ISO_639_1, "an ISO 639-1 language code of two letters such as ru or en")

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None:
            raise ValueError(f"required, one of {', '.join(VIBER_CATEGORIES)}")
        return _check_enum(v, VIBER_CATEGORIES, info, "Viber category", is_category=True)

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _check_enum(v, VIBER_CONTENT_TYPES, info, "Viber content type")


class SmsMatcher(_MatcherBase):
    """``messageMatcher`` of an SMS template.

    [decided] ``language`` and ``category`` are optional and ``createdAt`` / ``updatedAt`` pass
    through as given: seed 002's SMS example carries them, its SMS table documents none of them.
    """

    channel: ClassVar[TemplateChannel] = TemplateChannel.SMS

    channel_type: Literal["SMS"] = "SMS"
    language: str | None = None
    content: SmsTemplateContent
    content_type: str | None = None
    category: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, v: Any) -> Any:
        return None if v is None else _language(v, _WHATSAPP_LANGUAGE, "a language code such as ru or en_US")

    @field_validator("category")
    @classmethod
    def _category(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("if present, must not be empty")
        return v

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else _check_enum(v, SMS_CONTENT_TYPES, info, "SMS content type")


MessageMatcher = Annotated[WhatsAppMatcher | ViberMatcher | SmsMatcher, Field(discriminator="channel_type")]

_CHANNEL_TAG = re.compile(r"^messageMatcher\.(WHATSAPP|VIBER|SMS)(?=\.|$)")


_ASCII_DIGITS = re.compile(r"[0-9]+\Z")


def _int_ids(v: Any, what: str) -> list[int]:
    if not isinstance(v, (list, tuple)) or not v:
        raise ValueError(f"required, a non-empty list of {what}")
    out = []
    for i, item in enumerate(v):
        # ASCII digits only: str.isdigit() also takes "²" (int() refuses it) and "١٢" (int() reads 12)
        if isinstance(item, bool) or not (
            (isinstance(item, int) and item >= 0) or (isinstance(item, str) and _ASCII_DIGITS.match(item.strip()))
        ):
            raise ValueError(f"item {i} must be a whole number ({what}), got {item!r}")
        out.append(int(item))
    return out


class TemplateRequest(WireModel):
    """The ``message-matchers`` body: ``{"messageMatcher": {...}, "subjectIds": [...],
    "smsProviderIds": [...]}`` (``smsProviderIds`` for SMS templates only).

    Build one with ``TemplateRequest.parse(wire_dict)`` (or ``TemplateRequest(message_matcher=
    WhatsAppMatcher(...), subject_ids=[...])``); ``to_wire()`` gives the body.
    """

    message_matcher: MessageMatcher
    subject_ids: list[int]
    sms_provider_ids: list[int] | None = None

    @model_validator(mode="before")
    @classmethod
    def _wrapped(cls, data: Any) -> Any:
        if isinstance(data, _MatcherBase):
            raise ValueError(
                f"subjectIds: required, a {type(data).__name__} alone is not a request: pass "
                "TemplateRequest(message_matcher=<it>, subject_ids=[...]) (plus sms_provider_ids for SMS)"
            )
        if (
            isinstance(data, Mapping)
            and "messageMatcher" not in data
            and "message_matcher" not in data
            and ("name" in data or "channelType" in data)
        ):
            raise ValueError(
                "messageMatcher: required, the template goes inside "
                '{"messageMatcher": {name, channelType, language, content, category, type}, '
                '"subjectIds": [...]} as in the platform\'s examples'
            )
        if isinstance(data, Mapping) and "subjectIds" not in data and "subject_ids" not in data:
            data = {**data, "subjectIds": None}  # the field's own rule explains what is missing
        return data

    @field_validator("message_matcher", mode="before")
    @classmethod
    def _channel(cls, v: Any) -> Any:
        if isinstance(v, _MatcherBase):
            return v
        if not isinstance(v, Mapping):
            raise ValueError(
                "must be an object with the template's name, channelType, language, content, category and type"
            )
        channel = v.get("channelType", v.get("channel_type"))
        if isinstance(channel, TemplateChannel):
            channel = channel.value
        if channel is None:
            raise ValueError(f"channelType: required, one of {', '.join(TEMPLATE_CHANNELS)}")
        if channel not in TEMPLATE_CHANNELS:
            raise ValueError(f"channelType: must be one of {', '.join(TEMPLATE_CHANNELS)}, got {channel!r}")
        if "channelType" in v or "channel_type" not in v:
            return {**v, "channelType": channel}
        return v

    @field_validator("subject_ids", mode="before")
    @classmethod
    def _subjects(cls, v: Any) -> list[int]:
        return _int_ids(v, "sender signature ids (subjects) the template is for")

    @field_validator("sms_provider_ids", mode="before")
    @classmethod
    def _providers(cls, v: Any) -> list[int] | None:
        if v is None:
            return None
        ids = _int_ids(v, f"SMS operator ids: {_SMS_PROVIDERS_TEXT}")
        for i, n in enumerate(ids):
            if n not in SMS_PROVIDERS:
                raise ValueError(f"item {i} must be one of {_SMS_PROVIDERS_TEXT}, got {n}")
        if len(set(ids)) != len(ids):
            raise ValueError(f"each SMS operator may be listed once, got {ids}")
        return ids

    @model_validator(mode="after")
    def _sms_providers(self) -> TemplateRequest:
        if self.channel is TemplateChannel.SMS and self.sms_provider_ids is None:
            raise ValueError(
                f"smsProviderIds: required for an SMS template, the SMS operators to register "
                f"it with ({_SMS_PROVIDERS_TEXT})"
            )
        if self.channel is not TemplateChannel.SMS and self.sms_provider_ids is not None:
            raise ValueError(f"smsProviderIds: only for SMS templates, not {self.channel.value}")
        return self

    @property
    def channel(self) -> TemplateChannel:
        """The template's channel."""
        return self.message_matcher.channel

    @property
    def name(self) -> str:
        """The template's name."""
        return self.message_matcher.name

    @classmethod
    def parse(
        cls,
        data: Any,
        what: str | None = None,
        context: dict[str, Any] | None = None,
        *,
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
    ) -> TemplateRequest:
        """Validate a ``TemplateRequest`` or a wire-shaped dict, or raise ``InvalidMessageError``.

        :param strict_enums: False lets any non-empty value through for category, contentType,
            headerType and buttonType (for a value the platform accepts that is not documented).
        :param extra_categories: category values accepted besides the documented ones, e.g.
            ``("TRANSACTIONAL",)``; the other enumerations stay strict.
        """
        if isinstance(extra_categories, str):
            extra_categories = (extra_categories,)
        ctx = {"strict_enums": strict_enums, "extra_categories": tuple(extra_categories), **(context or {})}
        try:
            return super().parse(data, what or "template", ctx)
        except InvalidMessageError as exc:
            problems = [(_CHANNEL_TAG.sub("messageMatcher", f), rule) for f, rule in exc.problems]
            raise InvalidMessageError(problems, what or "template") from None


@dataclass(frozen=True)
class TemplateResult:
    """What creating a template gave.

    ``created`` is False when the platform said a template with that name (or content) already
    exists and the caller chose to treat that as done (``if_exists="skip"``).
    ``answer`` is the platform's JSON answer as received (it holds no secret).
    """

    name: str
    channel: str
    code: str
    created: bool
    answer: dict[str, Any] = field(default_factory=dict)
