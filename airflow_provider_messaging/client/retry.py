"""The one retry policy of both clients (sync and async): what is retried, the ambiguity rule,
backoff with full jitter, ``Retry-After``, and the ceiling ``max_retry_after``. No Airflow imports.

- Retried: answers whose error is ``retryable`` (codes 1, 3 and 100, any other 5xx, 429) and
  transport failures; never the fail-fast codes (2, 4-11) or an answer outside the table below 500.
- Ambiguity: a request that may have reached the platform (sent, then no answer) is resent only
  when it is *repeatable*: reads and templates always are, a send only with ``platform_dedup``
  (the platform drops a second request with the same partner id). Otherwise it ends with
  ``AmbiguousSendError`` and is not resent.
- Wait before the n-th retry: full jitter, drawn from ``[0, min(backoff_max, backoff_initial *
  2**(n-1))]`` (tenacity's ``wait_random_exponential``), never shorter than the platform's
  ``Retry-After``.
- A ``Retry-After`` longer than ``max_retry_after`` is not waited out in-process: the error is
  raised at once (in Airflow, the task's own retries take over).
- At most ``max_retries`` retries after the first attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import tenacity

from airflow_provider_messaging.exceptions import AmbiguousSendError, MessagingApiError, TransportError

T = TypeVar("T")
log = logging.getLogger(__name__)


class RetryPolicy:
    """One object, used by :class:`MessagingClient` and :class:`AsyncMessagingClient` alike."""

    def __init__(
        self,
        *,
        max_retries: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        max_retry_after: float = 300.0,
        logger: logging.Logger | logging.LoggerAdapter[Any] | Any = None,
    ) -> None:
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.log = logger or log
        self.jitter = tenacity.wait_random_exponential(multiplier=backoff_initial, max=backoff_max)

    # --- the decisions -----------------------------------------------------------------------------
    def should_retry(self, exc: BaseException) -> bool:
        """Retry a transient error, unless the platform asks for a longer pause than ``max_retry_after``."""
        if not (isinstance(exc, MessagingApiError) and exc.retryable):
            return False
        if (exc.retry_after or 0.0) > self.max_retry_after:
            self.log.warning(
                "The platform asks to retry after %.0f s, longer than max_retry_after (%.0f s): not waiting in-process",
                exc.retry_after,
                self.max_retry_after,
            )
            return False
        return True

    def wait(self, failed_attempt: int, exc: BaseException | None) -> float:
        """Seconds to wait after the n-th failed attempt: full jitter, at least ``Retry-After``."""
        backoff = self.jitter(SimpleNamespace(attempt_number=failed_attempt))  # type: ignore[arg-type]
        return max(backoff, getattr(exc, "retry_after", None) or 0.0)

    @staticmethod
    def no_answer(what_happened: str, *, reached: bool, repeatable: bool) -> TransportError:
        """The error of a request that got no answer. ``reached``: it may have reached the platform;
        ``repeatable``: resending it cannot do anything twice. The ambiguity rule lives here."""
        if reached and not repeatable:
            return AmbiguousSendError.not_resent(what_happened)
        return TransportError(what_happened, ambiguous=reached, retryable=True)

    # --- the loops (tenacity) ----------------------------------------------------------------------
    def options(self, sleep: Callable[[float], Any]) -> dict[str, Any]:
        """tenacity options for the attempts after the first (counted from 2, the first one runs
        without retry machinery: the common case builds no retry state)."""
        return dict(
            retry=tenacity.retry_if_exception(self.should_retry),
            stop=tenacity.stop_after_attempt(self.max_retries),
            wait=lambda state: self.wait(state.attempt_number + 1, state.outcome.exception()),
            sleep=sleep,
            before_sleep=lambda state: self.warn(
                state.attempt_number + 1, state.outcome.exception(), state.next_action.sleep
            ),
            reraise=True,
        )

    def warn(self, attempt: int, exc: BaseException | None, wait: float) -> None:
        self.log.warning("Attempt %d failed (%s); retrying in %.2f s", attempt, exc, wait)

    def first_wait(self, exc: MessagingApiError) -> float | None:
        """After a failed first attempt: the wait before the second, or None (raise it)."""
        if self.max_retries == 0 or not self.should_retry(exc):
            return None
        wait = self.wait(1, exc)
        self.warn(1, exc, wait)
        return wait

    def call(self, attempt: Callable[[], T], *, sleep: Callable[[float], None]) -> T:
        """Run ``attempt`` under the policy (sync)."""
        tracked = Unanswered()
        try:
            return tracked.run(attempt)
        except MessagingApiError as exc:
            wait = self.first_wait(exc)
            if wait is None:
                raise
        sleep(wait)
        result: T = tenacity.Retrying(**self.options(sleep))(tracked.run, attempt)
        return result

    async def acall(self, attempt: Callable[[], Awaitable[T]], *, sleep: Callable[[float], Awaitable[None]]) -> T:
        """Run ``attempt`` under the policy (async): the same decisions as :meth:`call`."""
        tracked = Unanswered()
        try:
            return await tracked.arun(attempt)
        except MessagingApiError as exc:
            wait = self.first_wait(exc)
            if wait is None:
                raise
        await sleep(wait)
        result: T = await tenacity.AsyncRetrying(**self.options(sleep))(tracked.arun, attempt)
        return result


class Unanswered:
    """Marks each error with whether an earlier attempt of the same request got no answer (it may
    have been carried out: e.g. "already exists" may then be that attempt's own result)."""

    def __init__(self) -> None:
        self.seen = False

    def note(self, exc: MessagingApiError) -> None:
        exc.after_unanswered_attempt = self.seen
        self.seen = self.seen or bool(getattr(exc, "ambiguous", False))

    def run(self, attempt: Callable[[], T]) -> T:
        try:
            return attempt()
        except MessagingApiError as exc:
            self.note(exc)
            raise

    async def arun(self, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            return await attempt()
        except MessagingApiError as exc:
            self.note(exc)
            raise
