"""Typed errors for every answer the platform can give (SPEC §1 send-error table). No Airflow imports.

Every error carries ``code``, ``http_status``, ``description``, ``extended_description`` and
``retryable``; its text says what to fix and never carries a secret (bodies are not echoed back
except as a short snippet of the *answer*, which holds none).
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_messaging.models.base import PicklableError
from airflow_provider_messaging.models.codes import SEND_ERRORS


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


_BY_CODE: dict[int, type[MessagingApiError]] = {
    cls.code: cls  # type: ignore[misc]
    for cls in (
        ServiceUnavailableError, InvalidIpAddressError, ThrottledError, InvalidRequestError,
        InvalidLoginError, InvalidPasswordError, ServiceNumberNotDefinedError, InvalidDestAddrError,
        InvalidMessageTypeError, DuplicateMessageError, InvalidTtlError, PlatformError,
    )
}

# whether a code is retried is read from the one table of SPEC §1 (models.codes.SEND_ERRORS)
for _cls in _BY_CODE.values():
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
    from email.utils import parsedate_to_datetime
    from datetime import datetime, timezone

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
    cls = _BY_CODE.get(code) if isinstance(code, int) else None
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
