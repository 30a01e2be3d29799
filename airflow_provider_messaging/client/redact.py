"""What the client keeps out of text: the connection's secrets in errors, recipients in logs.

No Airflow imports. (The Airflow hook also registers the secrets with Airflow's masker, which
redacts task logs; this module covers what the client builds itself: error text.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from airflow_provider_messaging.exceptions import MessagingApiError

#: the login is often a plain word: like Airflow's masker, leave very short ones alone
MIN_LOGIN_CHARS = 5


def mask_number(number: str) -> str:
    """A recipient for logs: enough to recognise it, not the whole number (``7900*****67``)."""
    return number[:4] + "*" * max(0, len(number) - 6) + number[-2:] if len(number) > 6 else "***"


class Scrubber:
    """Removes secrets from errors built from the platform's answers (a platform or proxy that
    echoes the request must not put the password in exception text).

    Each secret is removed as sent and as an echo of the JSON body may spell it (escaped quotes,
    ``\\u`` escapes), also quoted inside a JSON string once more (a raw body snippet of such an answer).
    """

    def __init__(self, secrets: Iterable[str], login: str | None = None) -> None:
        candidates = {s for s in secrets if s}
        if login and len(login) >= MIN_LOGIN_CHARS:
            candidates.add(login)
        variants = set(candidates)
        for _ in range(2):
            variants |= {
                form for v in variants for form in (json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1])
            }
        self.secrets = sorted(variants, key=len, reverse=True)

    def text(self, value: Any) -> Any:
        """``value`` with every secret replaced by ``***`` (non-strings unchanged)."""
        if not isinstance(value, str):
            return value
        for secret in self.secrets:
            value = value.replace(secret, "***")
        return value

    def error(self, exc: MessagingApiError) -> MessagingApiError:
        """The same error, its description, snippet and message scrubbed (in place)."""
        texts = [exc.description, exc.extended_description, exc.body_snippet, *map(str, exc.args)]
        if not any(secret in text for text in texts if isinstance(text, str) for secret in self.secrets):
            return exc
        exc.description = self.text(exc.description)
        exc.extended_description = self.text(exc.extended_description)
        exc.body_snippet = self.text(exc.body_snippet)
        exc.args = tuple(self.text(a) for a in exc.args)
        return exc
