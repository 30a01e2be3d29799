"""Typed errors of the ``message-matchers`` method (SPEC §4 answer codes). No Airflow imports.

The platform answers ``{"code": "<answer code>", "description": "..."}``; each documented code
becomes a subclass of ``TemplateError`` (itself a ``MessagingApiError``) whose text says what to
fix. Answers that are not template answers (an HTML 502, a 429, a send-style error body) go
through ``error_from_response``, so 5xx and 429 stay retryable exactly like sending.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_messaging.exceptions import (
    SNIPPET_CHARS,
    MessagingApiError,
    error_from_response,
    parse_retry_after,
)
from airflow_provider_messaging.models.codes import (
    TEMPLATE_ANSWER_CODES,
    TEMPLATE_BAD_REQUEST,
    TEMPLATE_CATEGORY_INVALID,
    TEMPLATE_CATEGORY_MISSING,
    TEMPLATE_INVALID_LANGUAGE,
    TEMPLATE_NAME_EXISTS,
    TEMPLATE_OK,
)

CATEGORY_MISSING = TEMPLATE_CATEGORY_MISSING
CATEGORY_INVALID = TEMPLATE_CATEGORY_INVALID
BAD_REQUEST = TEMPLATE_BAD_REQUEST
INVALID_LANGUAGE = TEMPLATE_INVALID_LANGUAGE
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

    fix = ("give every URL button a urlTextExample: a full example link that starts with the url's "
           "fixed part (and check the field named in the description)")


class TemplateNameExistsError(TemplateError):
    """``message-matcher-name-already-exists``: a template with this name or content exists."""

    code = TEMPLATE_NAME_EXISTS
    fix = "choose another name (or other content), or pass if_exists='skip' to treat it as already done"


class TemplateLanguageError(TemplateError):
    """``Invalid language``."""

    code = INVALID_LANGUAGE
    fix = ("use a WhatsApp Business Platform language code (ru, en_US, pt_BR) for WhatsApp, an ISO 639-1 "
           "code (ru, en) for Viber")


class TemplateAuthError(TemplateError):
    """HTTP 401/403: the X-API-KEY was refused."""

    code = UNAUTHORIZED
    fix = "check the connection extra api_key (the X-API-KEY of the templates method)"

    def _default_message(self) -> str:
        return (f"the platform refused the API key (HTTP {self.http_status}). To fix: {self.fix}")


class UnrecognisedTemplateAnswerError(TemplateError):
    """An answer code outside the documented table."""

    fix = "read the platform's description above; this answer code is not documented"


_BY_CODE: dict[str, type[TemplateError]] = {
    CATEGORY_MISSING: TemplateCategoryError,
    CATEGORY_INVALID: TemplateCategoryError,
    BAD_REQUEST: TemplateBadRequestError,
    TEMPLATE_NAME_EXISTS: TemplateNameExistsError,
    INVALID_LANGUAGE: TemplateLanguageError,
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
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = TemplateAuthError if code == UNAUTHORIZED else UnrecognisedTemplateAnswerError
    return cls(code=code, http_status=http_status, description=description, retryable=False,
               body_snippet=snippet or None)


def template_error_from_response(http_status: int, body: bytes | str, retry_after: str | None = None) -> MessagingApiError:
    """Turn a non-200 answer of ``message-matchers`` into a typed error.

    A JSON body with a documented answer code gives its ``TemplateError`` subclass (never
    retried: the same body would be refused again); 401/403 give ``TemplateAuthError``; anything
    else (5xx, 429, an HTML page, a send-style error body) falls back to ``error_from_response``,
    which keeps 5xx and 429 retryable and honours ``Retry-After``.
    """
    data, snippet = _answer(body)
    code = data.get("code") if isinstance(data, dict) else None
    if isinstance(code, str) and code != TEMPLATE_OK and (code in _BY_CODE or code == UNAUTHORIZED):
        return template_error_from_answer(code, http_status, data, snippet)
    if http_status in (401, 403):
        return TemplateAuthError(code=UNAUTHORIZED, http_status=http_status, retryable=False,
                                 retry_after=parse_retry_after(retry_after), body_snippet=snippet or None)
    if isinstance(code, str) and code and 400 <= http_status < 500 and http_status != 429:
        return template_error_from_answer(code, http_status, data, snippet)
    return error_from_response(http_status, body, retry_after)


__all__ = [
    "BAD_REQUEST", "CATEGORY_INVALID", "CATEGORY_MISSING", "INVALID_LANGUAGE", "UNAUTHORIZED",
    "TemplateAuthError", "TemplateBadRequestError", "TemplateCategoryError", "TemplateError",
    "TemplateLanguageError", "TemplateNameExistsError", "UnrecognisedTemplateAnswerError",
    "template_error_from_answer", "template_error_from_response",
]
