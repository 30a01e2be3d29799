"""``MessagingRetryPolicy``: Airflow's task ``retry_policy`` (Airflow 3.3+) for the platform's errors.

    from airflow_provider_messaging.retry_policy import MessagingRetryPolicy

    @task(retries=5, retry_policy=MessagingRetryPolicy())
    def send_report(): ...

What it decides from the exception a try ended with (its ``__cause__`` / ``__context__`` chain
searched for the provider's errors):

- **fail now**: codes 2 (IP address not allowed), 4-9 and 11 (refused request, login, password,
  sender, recipient, message type, TTL), a template refusal, invalid input (``InvalidMessageError``),
  an earlier send left unconfirmed (``UnconfirmedSendError``), any other error the client marks as
  not retryable;
- **retry no sooner than the platform asks**: throttling (code 3 or HTTP 429): the delay is the
  platform's ``Retry-After``, or the backoff if that is longer;
- **retry with exponential backoff** (``base_delay`` doubled per try, at most ``max_delay``):
  transient faults: code 1, code 100, HTTP 5xx, a transport error before the request left (connection
  refused, DNS), and an unanswered send when the platform's dedup makes a resend safe;
- **an ambiguous send is never retried blindly**: a send that may have reached the platform and got no
  answer, with the platform's dedup off, fails now, unless the task says ``resend_unconfirmed=True``
  or the policy has ``retry_ambiguous=True`` (then the next try asks the send ledger, which resends
  with the same partner id only under those same settings);
- anything else (not the provider's): Airflow's usual handling (the task's ``retries`` and
  ``retry_delay``).

The policy cannot add tries beyond the task's ``retries``. The send operators turn refusals into
``AirflowFailException`` themselves (never retried, the policy is not asked); the policy matters for
what they re-raise (throttling, transient, ambiguous) and for tasks that call the hook or the client.

Airflow 3.1 and 3.2 have no retry policies: importing this module there raises an ``ImportError``
that says so. Nothing else in the provider imports it, so other DAGs are unaffected.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

try:
    from airflow.sdk import RetryDecision, RetryPolicy
except ImportError as exc:  # Airflow < 3.3
    try:
        from airflow import __version__ as _airflow_version
    except ImportError:  # pragma: no cover - no Airflow at all
        _airflow_version = "unknown"
    raise ImportError(
        "airflow_provider_messaging.retry_policy.MessagingRetryPolicy needs Airflow 3.3 or later (the task "
        f"retry_policy argument and airflow.sdk.RetryPolicy); this is Airflow {_airflow_version}. Remove "
        "retry_policy=MessagingRetryPolicy() from the DAG, or upgrade Airflow: the provider's operators "
        "already fail at once on errors that retrying cannot fix, and retry the others with the task's retries."
    ) from exc

from airflow_provider_messaging.exceptions import (
    DuplicateMessageError,
    InvalidMessageError,
    MessagingApiError,
    TemplateError,
    TransportError,
    UnconfirmedSendError,
    is_throttle,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["MessagingRetryPolicy"]


def provider_error(exception: BaseException) -> BaseException | None:
    """The first of the provider's errors in the exception and its causes (a task may wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (MessagingApiError, InvalidMessageError, UnconfirmedSendError)):
            return current
        current = current.__cause__ or current.__context__
    return None


class MessagingRetryPolicy(RetryPolicy):
    """Retry what can get better, fail at once on what cannot (see the module's docstring).

    :param base_delay: the first retry's backoff; doubled for each further try.
    :param max_delay: the longest backoff (a longer ``Retry-After`` is still honoured).
    :param retry_ambiguous: retry a send that may have reached the platform although its dedup is
        off (the next try's send ledger then decides; see ``resend_unconfirmed``).
    """

    def __init__(
        self,
        *,
        base_delay: timedelta = timedelta(seconds=30),
        max_delay: timedelta = timedelta(minutes=10),
        retry_ambiguous: bool = False,
    ) -> None:
        if base_delay < timedelta(0) or max_delay < base_delay:
            raise ValueError("MessagingRetryPolicy: need 0 <= base_delay <= max_delay")
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.retry_ambiguous = retry_ambiguous

    def backoff(self, try_number: int) -> timedelta:
        """``base_delay * 2 ** (try_number - 1)``, at most ``max_delay``."""
        factor = 2 ** max(0, min(try_number - 1, 30))
        delay: timedelta = min(self.max_delay, self.base_delay * factor)
        return delay

    def evaluate(
        self,
        exception: BaseException,
        try_number: int,
        max_tries: int,
        context: Context | None = None,
    ) -> RetryDecision:
        error = provider_error(exception)
        if error is None:
            return RetryDecision.default()
        name = type(error).__name__
        if isinstance(error, InvalidMessageError):
            return RetryDecision.fail(f"invalid input ({name}): retrying cannot fix it")
        if isinstance(error, UnconfirmedSendError):
            return RetryDecision.fail("an earlier send got no answer and is not resent blindly (UnconfirmedSendError)")
        assert isinstance(error, MessagingApiError)
        # what is retryable is the error's own verdict: the code tables (SEND_ERRORS, the template
        # answers) and the client's rules for undocumented answers and transport failures
        if isinstance(error, DuplicateMessageError):
            return RetryDecision.fail("code 10: the platform already accepted this partner id; nothing to retry")
        if isinstance(error, TemplateError) and not error.retryable:
            return RetryDecision.fail(f"the platform refused the template ({name}): retrying cannot fix it")
        if is_throttle(error):
            wait = max(self.backoff(try_number), timedelta(seconds=error.retry_after or 0.0))
            after = f"Retry-After {error.retry_after:g} s" if error.retry_after else "no Retry-After"
            return RetryDecision.retry(
                delay=wait, reason=f"throttled by the platform ({after}): retry in {wait.total_seconds():g} s"
            )
        if getattr(error, "ambiguous", False) and not error.retryable:
            task = context.get("task") if context else None
            if self.retry_ambiguous or getattr(task, "resend_unconfirmed", False):
                wait = self.backoff(try_number)
                return RetryDecision.retry(
                    delay=wait,
                    reason="the send may have reached the platform; retried as configured (the send ledger "
                    f"decides whether to resend): retry in {wait.total_seconds():g} s",
                )
            return RetryDecision.fail(
                "the send may have reached the platform and its duplicate control is not known to be on: "
                "not retried blindly (check the delivery status; see resend_unconfirmed)"
            )
        # a transport error is retryable when the request never left (refused, DNS) or dedup is on;
        # a malformed URL is not
        if error.retryable:
            wait = self.backoff(try_number)
            what = "transport error" if isinstance(error, TransportError) else f"transient fault ({name})"
            return RetryDecision.retry(delay=wait, reason=f"{what}: retry in {wait.total_seconds():g} s")
        if isinstance(error.code, int):
            return RetryDecision.fail(f"code {error.code} ({name}): retrying cannot fix it")
        return RetryDecision.fail(f"{name}: not retryable")

    # --- DAG serialization (Airflow stores only that a policy is set; kept for completeness) ---------
    def serialize(self) -> dict[str, Any]:
        return {
            "__type": "MessagingRetryPolicy",
            "base_delay": self.base_delay.total_seconds(),
            "max_delay": self.max_delay.total_seconds(),
            "retry_ambiguous": self.retry_ambiguous,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> MessagingRetryPolicy:
        return cls(
            base_delay=timedelta(seconds=data.get("base_delay", 30)),
            max_delay=timedelta(seconds=data.get("max_delay", 600)),
            retry_ambiguous=bool(data.get("retry_ambiguous", False)),
        )
