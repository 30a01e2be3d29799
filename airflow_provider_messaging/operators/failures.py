"""How the provider's errors end an Airflow task: what cannot get better by retrying fails the task
at once (``AirflowFailException``, no retries); the rest is raised for Airflow's task retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.exceptions import InvalidMessageError, MessagingApiError, UnconfirmedSendError


@contextmanager
def fail_without_retries() -> Iterator[None]:
    """Bad input, a refusal by the platform and a send that must not be repeated fail the task
    without retries. A transient error, and an unanswered send
    (ambiguous: the next try asks the send ledger what to do), keep Airflow's retries."""
    try:
        yield
    except (InvalidMessageError, UnconfirmedSendError) as exc:
        raise AirflowFailException(str(exc)) from None
    except MessagingApiError as exc:
        if exc.retryable or getattr(exc, "ambiguous", False):
            raise
        raise AirflowFailException(str(exc)) from exc
