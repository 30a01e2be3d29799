"""``DeliveryStatusSensor``: wait until messages reach a final delivery status (SPEC §2)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, Context, PokeReturnValue

from airflow_provider_messaging.compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    conf,
)
from airflow_provider_messaging.exceptions import MessagingApiError
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.models.outcomes import (
    DEFAULT_STATUS_BATCH,
    FINAL_OUTCOMES,
    check_batch_size,
    check_outcomes,
)
from airflow_provider_messaging.triggers.events import EVENT_SUCCESS, EVENT_TIMEOUT
from airflow_provider_messaging.xcom import outcome_from_xcom, resolve_mt_nums, statuses_to_xcom

if TYPE_CHECKING:
    from airflow_provider_messaging.models.status import DeliveryReport


class DeliveryStatusSensor(BaseSensorOperator):
    """Wait until every message is final (delivered, undeliverable, expired, deleted, rejected).

    :param mt_nums: (templated) what to track: an mtNum, a list of them, a send operator's
        result (``send.output``) or a mapped send task's list of results. Results without an
        mtNum (a duplicate the platform had already accepted) are logged and left out; with
        nothing left to track the task is skipped.
    :param messaging_conn_id: the ``messaging`` connection.
    :param fail_on: outcomes that fail the task once every message is final, e.g.
        ``("call-barred", "unrouted")`` (any of ``FINAL_OUTCOMES``). With ``soft_fail`` the task is
        skipped instead.
    :param deferrable: wait in the triggerer (``DeliveryStatusTrigger``) instead of a worker slot;
        default: ``[operators] default_deferrable``.
    :param batch_size: mtNums per status request (1–1000, default 100).
    :param poke_interval: seconds between polls (also the trigger's interval).
    :param timeout: seconds before the sensor gives up (fails, or skips with ``soft_fail``).

    Returns (XCom) ``{<mtNum>: {"status", "status_name", "error_code", "failure", "final",
    "done_date", "outcome", "id"}}`` in the order given; ``outcome`` is what
    ``DeliveryBranchOperator`` (or your own ``@task.branch``) keys on.
    """

    template_fields: Sequence[str] = ("mt_nums",)
    ui_color = "#c9b8ff"

    def __init__(
        self,
        *,
        mt_nums: Any,
        messaging_conn_id: str = MessagingHook.default_conn_name,
        fail_on: Iterable[str] | str = (),
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        batch_size: int = DEFAULT_STATUS_BATCH,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mt_nums = mt_nums
        self.messaging_conn_id = messaging_conn_id
        if isinstance(fail_on, str):
            fail_on = [fail_on]
        self.fail_on = tuple(check_outcomes(fail_on, f"{self.task_id}: fail_on", allowed=FINAL_OUTCOMES))
        self.deferrable = deferrable
        self.batch_size = check_batch_size(batch_size)

    @cached_property
    def hook(self) -> MessagingHook:
        return MessagingHook(messaging_conn_id=self.messaging_conn_id)

    # --- helpers ---------------------------------------------------------------------------------
    def tracked_mt_nums(self) -> list[str]:
        """The rendered ``mt_nums`` as a flat list (read once per task run)."""
        cached: list[str] | None = self.__dict__.get("_tracked")
        if cached is not None:
            return cached
        try:
            mt_nums, untracked = resolve_mt_nums(self.mt_nums)
        except ValueError as exc:
            raise self._failure(AirflowFailException(str(exc))) from None
        if untracked:
            self.log.warning(
                "%d send results carry no mtNum and are not tracked: %s", len(untracked), ", ".join(untracked[:20])
            )
        if not mt_nums:
            raise AirflowSkipException("no mtNum to track (mt_nums is empty or holds only duplicates)")
        self.log.info("Tracking the delivery status of %d messages", len(mt_nums))
        self.__dict__["_tracked"] = mt_nums
        return mt_nums

    def _finish(self, statuses: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Log the outcome counts and apply ``fail_on``; return the XCom value."""
        counts = Counter(outcome_from_xcom(v) for v in statuses.values())
        self.log.info("Delivery outcomes: %s", ", ".join(f"{k}={n}" for k, n in counts.most_common()))
        if self.fail_on:
            bad = [(n, outcome_from_xcom(v)) for n, v in statuses.items() if outcome_from_xcom(v) in self.fail_on]
            if bad:
                shown = ", ".join(f"{n} {o}" for n, o in bad[:20]) + (" ..." if len(bad) > 20 else "")
                raise self._failure(
                    AirflowFailException(
                        f"{len(bad)} of {len(statuses)} messages ended in an "
                        f"outcome listed in fail_on {list(self.fail_on)}: {shown}"
                    )
                )
        return statuses

    def _failure(self, exc: Exception) -> Exception:
        """``exc``, logged first when soft_fail / never_fail will turn it into a skip: Airflow then
        replaces the message with "Skipping due to soft_fail is set to True.", and the log would
        not say which messages (or which timeout) caused it."""
        if self.soft_fail or getattr(self, "never_fail", False):
            self.log.warning("Skipping instead of failing (soft_fail): %s", exc)
        return exc

    # --- poke mode -------------------------------------------------------------------------------
    def poke(self, context: Context) -> PokeReturnValue:
        """One poll: ask for the messages not final yet; done when none is left."""
        mt_nums = self.tracked_mt_nums()
        final: dict[str, DeliveryReport] = self.__dict__.setdefault("_final", {})
        pending = [n for n in mt_nums if n not in final]
        try:
            reports = self.hook.get_statuses(pending, self.batch_size)
        except MessagingApiError as exc:
            if exc.retryable:
                self.log.warning("Status poll failed (%s); trying again at the next poke", exc)
                return PokeReturnValue(is_done=False)
            raise self._failure(AirflowFailException(f"status request failed: {exc}")) from exc
        final.update({n: r for n, r in reports.items() if r.is_final})
        left = len(mt_nums) - len(final)
        self.log.info("Delivery status: %d of %d messages final", len(final), len(mt_nums))
        if left:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self._finish(statuses_to_xcom(final, mt_nums)))

    # --- deferrable mode -------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        started = time.monotonic()
        try:
            first = self.poke(context)
        except AirflowSkipException:
            raise
        except (AirflowFailException, AirflowSensorTimeout) as exc:  # as BaseSensorOperator.execute does
            if self.soft_fail or getattr(self, "never_fail", False):
                raise AirflowSkipException(f"skipped (soft_fail): {exc}") from exc
            raise
        except Exception as exc:
            if getattr(self, "never_fail", False):
                raise AirflowSkipException(f"skipped (never_fail): {exc}") from exc
            raise
        if first.is_done:
            return first.xcom_value
        from airflow_provider_messaging.triggers.delivery import DeliveryStatusTrigger

        remaining = max(0.0, self.timeout - (time.monotonic() - started))
        self.defer(
            trigger=DeliveryStatusTrigger(
                mt_nums=self.tracked_mt_nums(),
                messaging_conn_id=self.messaging_conn_id,
                poll_interval=self.poke_interval,
                end_time=time.time() + remaining,
                batch_size=self.batch_size,
            ),
            method_name="execute_complete",
            # a backstop only: the trigger yields its own timeout event first
            timeout=timedelta(seconds=remaining + max(60.0, 2 * self.poke_interval)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Resume after the trigger: return the statuses, or fail / skip on timeout and errors."""
        if not isinstance(event, Mapping):
            raise AirflowException(f"the delivery status trigger returned no event ({event!r})")
        status = event.get("status")
        message = str(event.get("message") or "")
        reports = event.get("reports") or {}
        if status == EVENT_SUCCESS:
            return self._finish(dict(reports))
        if self.soft_fail:
            self.log.warning("Skipping (soft_fail): delivery status %s: %s", status, message)
            raise AirflowSkipException(f"delivery status {status}: {message}")
        if status == EVENT_TIMEOUT:
            raise self._failure(AirflowSensorTimeout(f"delivery status sensor timed out: {message}"))
        if event.get("fatal"):  # refused by the platform (bad credentials...): no retries, as in poke mode
            raise self._failure(AirflowFailException(f"status request failed: {message}"))
        raise self._failure(AirflowException(f"delivery status trigger failed: {message}"))
