"""Every error of the provider, in one place. No Airflow imports.

- ``InvalidMessageError``: input breaks a platform rule (raised before any request).
- ``MessagingApiError`` and its subclasses: what the platform (or the way to it) answered, one class
  per send-error code of SPEC §1 and per template answer code of SPEC §4; ``TransportError`` when
  there was no answer, ``AmbiguousSendError`` when a send may have been accepted and is not resent.
- ``UnconfirmedSendError``: the exactly-once guard refuses to resend a send left unanswered.

Every platform error carries ``code``, ``http_status``, ``description``, ``extended_description``
and ``retryable``; its text says what to fix and never carries a secret (the client scrubs the
connection's secrets from anything built from an answer).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_messaging.models.codes import (
    SEND_ERRORS,
    TEMPLATE_ANSWER_CODES,
    TEMPLATE_BAD_REQUEST,
    TEMPLATE_CATEGORY_INVALID,
    TEMPLATE_CATEGORY_MISSING,
    TEMPLATE_INVALID_LANGUAGE,
    TEMPLATE_NAME_EXISTS,
    TEMPLATE_OK,
)

if TYPE_CHECKING:
    from pydantic import ValidationError

_SUBFIELD = re.compile(r"^[A-Za-z_][\w.]*: ")


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an error without calling its ``__init__`` (whose arguments are not its ``args``)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class PicklableError(Exception):
    """Errors whose ``__init__`` takes other arguments than their ``args`` still pickle (process
    pools, multiprocessing): they are rebuilt from ``args`` and their attributes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class InvalidMessageError(PicklableError, ValueError):
    """Input breaks a platform rule. Raised before any request; names each field and its rule.

    ``problems`` is a list of ``(field, rule)`` pairs, the field in the wire's camelCase path.
    """

    def __init__(self, problems: list[tuple[str, str]], what: str = "message") -> None:
        self.problems = problems
        self.what = what
        lines = "; ".join(f"{field}: {rule}" if field else rule for field, rule in problems)
        super().__init__(f"invalid {what}: {lines}")

    @classmethod
    def from_validation_error(cls, exc: ValidationError, what: str = "message") -> InvalidMessageError:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            # a model-level rule reports "sub.path: rule; other.path: rule": flatten onto the loc
            parts = msg.split("; ")
            if all(_SUBFIELD.match(part) for part in parts):
                for part in parts:
                    sub, rule = part.split(": ", 1)
                    problems.append((f"{field}.{sub}" if field else sub, rule))
            else:
                problems.append((field, msg))
        return cls(problems, what)


class MessagingApiError(PicklableError):
    """Base of every error the platform (or the way to it) gives."""

    code: int | str | None = None
    retryable: bool = False
    #: set by the hook: an earlier attempt of the same request got no answer (it may have been
    #: carried out), so e.g. "already exists" may be the result of that attempt
    after_unanswered_attempt: bool = False

    def __init__(
        self,
        message: str | None = None,
        *,
        code: int | str | None = None,
        http_status: int | None = None,
        description: str | None = None,
        extended_description: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        body_snippet: str | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.http_status = http_status
        self.description = description
        self.extended_description = extended_description
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        self.body_snippet = body_snippet
        super().__init__(message or self._default_message())

    #: how the message starts (subclasses for other methods say what was refused)
    subject: str = "platform error"

    def _head(self) -> str:
        """``<subject> (code C, HTTP S)``: the start of every default message."""
        parts = []
        if self.code is not None:
            parts.append(f"code {self.code!r}" if isinstance(self.code, str) else f"code {self.code}")
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        return f"{self.subject} ({', '.join(parts)})" if parts else self.subject

    def _default_message(self) -> str:
        head = self._head()
        text = self.description or ""
        if self.extended_description:
            text = f"{text}: {self.extended_description}" if text else self.extended_description
        if self.body_snippet and self.code is None:
            text = f"{text or 'unexpected answer'}; body: {self.body_snippet!r}"
        known = SEND_ERRORS.get(self.code) if isinstance(self.code, int) else None
        hint = f" ({known.hint})" if known else ""
        return f"{head}: {text}{hint}" if text else f"{head}{hint}"


class ServiceUnavailableError(MessagingApiError):
    code = 1


class InvalidIpAddressError(MessagingApiError):
    code = 2


class ThrottledError(MessagingApiError):
    code = 3


def is_throttle(error: MessagingApiError) -> bool:
    """Code 3 or HTTP 429: the platform asks for fewer requests at a time (the client lowers its
    concurrency, the retry policy waits its Retry-After)."""
    return isinstance(error, ThrottledError) or error.code == 3 or error.http_status == 429


class InvalidRequestError(MessagingApiError):
    code = 4


class AuthenticationError(MessagingApiError):
    """Codes 5 and 6: the connection's credentials are wrong."""


class InvalidLoginError(AuthenticationError):
    code = 5


class InvalidPasswordError(AuthenticationError):
    code = 6


class ServiceNumberNotDefinedError(MessagingApiError):
    code = 7


class InvalidDestAddrError(MessagingApiError):
    code = 8


class InvalidMessageTypeError(MessagingApiError):
    code = 9


class DuplicateMessageError(MessagingApiError):
    """Code 10: the partner id was already accepted. Never resend."""

    code = 10


class InvalidTtlError(MessagingApiError):
    code = 11


class PlatformError(MessagingApiError):
    code = 100


class UnexpectedResponseError(MessagingApiError):
    """An answer outside the documented table (another status, a non-JSON body)."""

    def _default_message(self) -> str:
        base = super()._default_message()
        hint = _status_hint(self.http_status)
        return f"{base} ({hint})" if hint else base


def _status_hint(status: int | None) -> str | None:
    """What to fix for an answer without a documented code, judged by its HTTP status."""
    if status is None:
        return None
    if status in (404, 405):
        return "no send method at this URL: check the connection's host and send path"
    if status in (401, 403, 407):
        return "access refused (by the platform or a proxy): check the credentials, proxy and allow-list"
    if status == 429:
        return "throttled; retried after backing off"
    if 400 <= status < 500:
        return "the request was refused: check the input and the connection's settings"
    if status >= 500:
        return "the platform or a proxy failed; retried with backoff"
    return "an answer the platform does not document"


class TransportError(MessagingApiError):
    """No answer: connection refused or dropped, or a timeout.

    ``ambiguous`` is True when the request may have reached the platform (sent, then no answer):
    a resend is safe only with the same partner id *and* the platform's dedup switched on.
    """

    def __init__(self, message: str, *, ambiguous: bool, retryable: bool) -> None:
        self.ambiguous = ambiguous
        super().__init__(message, retryable=retryable)


class AmbiguousSendError(TransportError):
    """The send may have been accepted, and it is not resent (dedup is not known to be on)."""

    @classmethod
    def not_resent(cls, what_happened: str) -> AmbiguousSendError:
        """The error for a send that may have reached the platform and is therefore not sent again."""
        return cls(
            f"{what_happened}; the platform may have accepted the request, so it is not resent (set the "
            "connection extra platform_dedup=true if the platform's duplicate control is on for this account)",
            ambiguous=True,
            retryable=False,
        )


class UnconfirmedSendError(PicklableError):
    """An earlier attempt sent this partner id and got no answer; it is not resent because the
    platform's duplicate control is not known to be on (see ``ledger.ExactlyOnceSend``)."""

    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id
        super().__init__(
            f"an earlier try sent message id={partner_id} and got no answer: the platform may have "
            "accepted it. It is not resent, because the platform's duplicate control is not known to "
            "be on (connection extra platform_dedup). Check the delivery status; if it must go out, set "
            "resend_unconfirmed=True on this task and clear it."
        )


class NotificationError(PicklableError):
    """A ``MessagingNotifier`` could not send to some recipients: each one's reason, recipients masked."""

    def __init__(self, failures: list[tuple[str, str]], total: int) -> None:
        self.failures = failures  # (masked recipient, reason)
        self.total = total
        detail = "; ".join(f"{who}: {why}" for who, why in failures)
        super().__init__(f"{len(failures)} of {total} notification message(s) not sent: {detail}")


SEND_ERROR_CLASSES: dict[int, type[MessagingApiError]] = {
    cls.code: cls
    for cls in (
        ServiceUnavailableError,
        InvalidIpAddressError,
        ThrottledError,
        InvalidRequestError,
        InvalidLoginError,
        InvalidPasswordError,
        ServiceNumberNotDefinedError,
        InvalidDestAddrError,
        InvalidMessageTypeError,
        DuplicateMessageError,
        InvalidTtlError,
        PlatformError,
    )
}

# whether a code is retried is read from the one table of SPEC §1 (models.codes.SEND_ERRORS)
for _cls in SEND_ERROR_CLASSES.values():
    _cls.retryable = SEND_ERRORS[_cls.code].retryable  # type: ignore[index]

SNIPPET_CHARS = 200


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def error_from_response(http_status: int, body: bytes | str, retry_after: str | None = None) -> MessagingApiError:
    """Turn a non-200 answer into the typed error of SPEC §1's table.

    The documented body is ``{"error": {"code", "description"}, "extendedDescription"}``; anything
    else (an HTML 502 page, an empty body) still gives a typed error with the status and a snippet.
    5xx without a documented code is retryable; any other 4xx is not.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    snippet = " ".join(text.split())[:SNIPPET_CHARS]
    code = description = extended = None
    try:
        data: Any = json.loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            code = err.get("code")
            description = err.get("description")
        extended = data.get("extendedDescription")
    wait = parse_retry_after(retry_after)
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    cls = SEND_ERROR_CLASSES.get(code) if isinstance(code, int) else None
    if cls is None:
        retryable = http_status >= 500 or http_status == 429
        return UnexpectedResponseError(
            code=code,
            http_status=http_status,
            description=description or (None if data is not None else "unexpected answer"),
            extended_description=extended if isinstance(extended, str) else None,
            retryable=retryable,
            retry_after=wait,
            body_snippet=snippet or "(empty body)",
        )
    return cls(
        http_status=http_status,
        description=description,
        extended_description=extended if isinstance(extended, str) else None,
        retry_after=wait,
        body_snippet=snippet,
    )


# --- templates (SPEC §4, the message-matchers method) ----------------------------------------------
#: [decided] the code of a refused X-API-KEY (HTTP 401)
UNAUTHORIZED = "unauthorized"


class TemplateError(MessagingApiError):
    """The platform refused a template. ``code`` is the answer code (a string)."""

    #: what the user should do, appended to the message
    fix: str = "fix the template and try again"
    subject = "the platform refused the template"

    def _default_message(self) -> str:
        head = self._head()
        meaning = TEMPLATE_ANSWER_CODES.get(self.code, (None, None))[1] if isinstance(self.code, str) else None
        said = self.description or meaning
        text = f"{head}: {said}" if said else head
        if meaning and self.description and meaning != self.description:
            text += f" ({meaning})"
        return f"{text}. To fix: {self.fix}"


class TemplateCategoryError(TemplateError):
    """``must not be null`` (no WhatsApp category) or ``message-matcher-category-invalid``."""

    fix = "set messageMatcher.category (for WhatsApp: MARKETING, AUTHENTICATION or UTILITY)"


class TemplateBadRequestError(TemplateError):
    """``message-matcher.saving.bad-request``: a WhatsApp URL button's dynamic-link example is
    missing or wrong (the sandbox and some platforms also use it for other malformed bodies)."""

    fix = (
        "give every URL button a urlTextExample: a full example link that starts with the url's "
        "fixed part (and check the field named in the description)"
    )


class TemplateNameExistsError(TemplateError):
    """``message-matcher-name-already-exists``: a template with this name or content exists."""

    code = TEMPLATE_NAME_EXISTS
    fix = "choose another name (or other content), or pass if_exists='skip' to treat it as already done"


class TemplateLanguageError(TemplateError):
    """``Invalid language``."""

    code = TEMPLATE_INVALID_LANGUAGE
    fix = (
        "use a WhatsApp Business Platform language code (ru, en_US, pt_BR) for WhatsApp, an ISO 639-1 "
        "code (ru, en) for Viber"
    )


class TemplateAuthError(TemplateError):
    """HTTP 401/403: the X-API-KEY was refused."""

    code = UNAUTHORIZED
    fix = "check the connection extra api_key (the X-API-KEY of the templates method)"

    def _default_message(self) -> str:
        return f"the platform refused the API key (HTTP {self.http_status}). To fix: {self.fix}"


class UnrecognisedTemplateAnswerError(TemplateError):
    """An answer code outside the documented table."""

    fix = "read the platform's description above; this answer code is not documented"


TEMPLATE_ERROR_CLASSES: dict[str, type[TemplateError]] = {
    TEMPLATE_CATEGORY_MISSING: TemplateCategoryError,
    TEMPLATE_CATEGORY_INVALID: TemplateCategoryError,
    TEMPLATE_BAD_REQUEST: TemplateBadRequestError,
    TEMPLATE_NAME_EXISTS: TemplateNameExistsError,
    TEMPLATE_INVALID_LANGUAGE: TemplateLanguageError,
}


def _answer(body: bytes | str) -> tuple[Any, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    snippet = " ".join(text.split())[:SNIPPET_CHARS]
    try:
        return (json.loads(text) if text else None), snippet
    except ValueError:
        return None, snippet


def template_error_from_answer(code: str, http_status: int, data: dict[str, Any], snippet: str = "") -> TemplateError:
    """The typed error of a template answer code (never ``ok``)."""
    description = data.get("description")
    description = description if isinstance(description, str) and description else None
    cls = TEMPLATE_ERROR_CLASSES.get(code)
    if cls is None:
        cls = TemplateAuthError if code == UNAUTHORIZED else UnrecognisedTemplateAnswerError
    return cls(
        code=code, http_status=http_status, description=description, retryable=False, body_snippet=snippet or None
    )


def template_error_from_response(
    http_status: int, body: bytes | str, retry_after: str | None = None
) -> MessagingApiError:
    """Turn a non-200 answer of ``message-matchers`` into a typed error.

    A JSON body with a documented answer code gives its ``TemplateError`` subclass (never
    retried: the same body would be refused again); 401/403 give ``TemplateAuthError``; anything
    else (5xx, 429, an HTML page, a send-style error body) falls back to ``error_from_response``,
    which keeps 5xx and 429 retryable and honours ``Retry-After``.
    """
    data, snippet = _answer(body)
    code = data.get("code") if isinstance(data, dict) else None
    if isinstance(code, str) and code != TEMPLATE_OK and (code in TEMPLATE_ERROR_CLASSES or code == UNAUTHORIZED):
        return template_error_from_answer(code, http_status, data, snippet)
    if http_status in (401, 403):
        return TemplateAuthError(
            code=UNAUTHORIZED,
            http_status=http_status,
            retryable=False,
            retry_after=parse_retry_after(retry_after),
            body_snippet=snippet or None,
        )
    if isinstance(code, str) and code and 400 <= http_status < 500 and http_status != 429:
        return template_error_from_answer(code, http_status, data, snippet)
    return error_from_response(http_status, body, retry_after)
