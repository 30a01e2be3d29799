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
    MAX_STATUS_BATCH,
    check_batch_size,
    check_outcomes,
)
from airflow_provider_messaging.sources import (
    BOTH,
    DEFAULT_POLL_AFTER,
    POLL,
    check_source,
    polls_platform,
    stored_reports,
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
    :param campaign: (templated) track a whole campaign instead: ``SendCampaignOperator``'s result
        (``campaign.output``, or a mapped campaign's list of shard results), or a campaign id. Its
        accepted mtNums are read from the message store, never put in XCom or in trigger kwargs;
        1,000 per status request, only the pending ones after the first cycle. Returns counts:
        ``{"campaign", "total", "final", "outcomes": {<outcome>: count}, "statuses_path"}``, and
        writes one JSON line per message (row, masked recipient, partner id, mtNum, outcome,
        status, error code, done date) to ``statuses_path``.
    :param statuses_path: (templated) where a campaign's per-message statuses go; default
        ``statuses.jsonl`` beside the campaign's results (for a campaign id: under this task's folder).
    :param messaging_conn_id: the ``messaging`` connection.
    :param fail_on: outcomes that fail the task once every message is final, e.g.
        ``("call-barred", "unrouted")`` (any of ``FINAL_OUTCOMES``). With ``soft_fail`` the task is
        skipped instead.
    :param deferrable: wait in the triggerer (``DeliveryStatusTrigger``) instead of a worker slot;
        default: ``[operators] default_deferrable``.
    :param batch_size: mtNums per status request (1–1000; default 100, for a campaign 1000).
    :param poke_interval: seconds between polls (also the trigger's interval).
    :param timeout: seconds before the sensor gives up (fails, or skips with ``soft_fail``).
    :param source: where reports come from: ``"poll"`` (default) asks the platform's status method;
        ``"receiver"`` reads the message store, where the receiver keeps the reports the platform
        pushed to ``notifyUrl`` (the platform is never asked; in the triggerer the store is read
        asynchronously); ``"both"`` reads the store and polls the platform only for the messages still
        not final ``poll_after`` seconds after the sensor started (a pushed report can be lost).
    :param poll_after: seconds before ``source="both"`` starts polling (default 300).
    :param store_conn_id: the message store's connection (pushed reports, campaigns; default
        ``messaging_store_default``).

    Returns (XCom) ``{<mtNum>: {"status", "status_name", "error_code", "failure", "final",
    "done_date", "outcome", "id"}}`` in the order given; ``outcome`` is what
    ``DeliveryBranchOperator`` (or your own ``@task.branch``) keys on.
    """

    template_fields: Sequence[str] = ("mt_nums", "campaign", "statuses_path")
    ui_color = "#c9b8ff"

    def __init__(
        self,
        *,
        mt_nums: Any = None,
        campaign: Any = None,
        messaging_conn_id: str = MessagingHook.default_conn_name,
        fail_on: Iterable[str] | str = (),
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        batch_size: int | None = None,
        source: str = POLL,
        poll_after: float = DEFAULT_POLL_AFTER,
        store_conn_id: str | None = None,
        statuses_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (mt_nums is None) == (campaign is None):
            raise ValueError(f"{self.task_id}: give either mt_nums (messages) or campaign (a whole campaign)")
        try:
            self.source, self.poll_after = check_source(source, poll_after)
        except ValueError as exc:
            raise ValueError(f"{self.task_id}: {exc}") from None
        self.mt_nums = mt_nums
        self.campaign = campaign
        self.store_conn_id = store_conn_id
        self.statuses_path = statuses_path
        self.messaging_conn_id = messaging_conn_id
        if isinstance(fail_on, str):
            fail_on = [fail_on]
        self.fail_on = tuple(check_outcomes(fail_on, f"{self.task_id}: fail_on", allowed=FINAL_OUTCOMES))
        self.deferrable = deferrable
        if batch_size is None:
            batch_size = MAX_STATUS_BATCH if campaign is not None else DEFAULT_STATUS_BATCH
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

    def _poll_at(self, context: Context) -> float:
        """When ``source="both"`` starts polling (UNIX time): ``poll_after`` seconds after the sensor's
        first poke (in reschedule mode, the first reschedule's start)."""
        stamp: float | None = self.__dict__.get("_started_wall")
        if stamp is None:
            first = None
            if self.reschedule:
                first = context["ti"].get_first_reschedule_date(context)
            stamp = first.timestamp() if first is not None else time.time()
            self.__dict__["_started_wall"] = stamp
        return stamp + self.poll_after

    # --- poke mode -------------------------------------------------------------------------------
    def poke(self, context: Context) -> PokeReturnValue:
        """One check: read the messages not final yet (store and/or platform, see ``source``); done
        when none is left."""
        if self.campaign is not None:
            return self.poke_campaign(context)
        mt_nums = self.tracked_mt_nums()
        final: dict[str, DeliveryReport] = self.__dict__.setdefault("_final", {})
        pending = [n for n in mt_nums if n not in final]
        if self.source != POLL:
            try:
                stored = stored_reports(self.store_conn_id, pending)
            except Exception as exc:
                self.log.warning("Reading the message store failed (%s); trying again at the next poke", exc)
                return PokeReturnValue(is_done=False)
            final.update({n: r for n, r in stored.items() if r.is_final})
            pending = [n for n in pending if n not in final]
        poll_at = self._poll_at(context) if self.source == BOTH else None
        if pending and polls_platform(self.source, poll_at, time.time()):
            if self.source == BOTH:
                self.log.info("Polling the platform for %d messages without a final pushed report", len(pending))
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
                campaign_scope=self.campaign_scope(),
                store_conn_id=self.store_conn_id,
                source=self.source,
                poll_at=self._poll_at(context) if self.source == BOTH else None,
                messaging_conn_id=self.messaging_conn_id,
                poll_interval=self.poke_interval,
                end_time=time.time() + remaining,
                first_check_at=time.time() + self.poke_interval,  # this poke was the first check
                batch_size=self.batch_size,
            )
            if self.campaign is not None
            else DeliveryStatusTrigger(
                mt_nums=self.tracked_mt_nums(),
                messaging_conn_id=self.messaging_conn_id,
                poll_interval=self.poke_interval,
                end_time=time.time() + remaining,
                first_check_at=time.time() + self.poke_interval,  # this poke was the first check
                batch_size=self.batch_size,
                source=self.source,
                poll_at=self._poll_at(context) if self.source == BOTH else None,
                store_conn_id=self.store_conn_id,
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
            if event.get("campaign"):
                return self.finish_campaign(context, str(event["campaign"]))
            return self._finish(dict(reports))
        if self.soft_fail:
            self.log.warning("Skipping (soft_fail): delivery status %s: %s", status, message)
            raise AirflowSkipException(f"delivery status {status}: {message}")
        if status == EVENT_TIMEOUT:
            raise self._failure(AirflowSensorTimeout(f"delivery status sensor timed out: {message}"))
        if event.get("fatal"):  # refused by the platform (bad credentials...): no retries, as in poke mode
            raise self._failure(AirflowFailException(f"status request failed: {message}"))
        raise self._failure(AirflowException(f"delivery status trigger failed: {message}"))

    # --- a whole campaign ------------------------------------------------------------------------
    def campaign_scope(self) -> str:
        """The tracked campaign's ledger scope (from the rendered ``campaign``)."""
        from airflow_provider_messaging.campaign.tracking import scope_of
        from airflow_provider_messaging.xcom import is_rendered_structure, parse_rendered

        value = self.campaign
        try:
            if is_rendered_structure(value):
                value = parse_rendered(value, "campaign", "a campaign summary")
            return scope_of(
                list(value) if isinstance(value, Sequence) and not isinstance(value, (str, dict)) else value
            )
        except ValueError as exc:
            raise self._failure(AirflowFailException(str(exc))) from None

    def poke_campaign(self, context: Context) -> PokeReturnValue:
        """One cycle over the campaign's messages not final in the store."""
        import asyncio

        from airflow_provider_messaging.campaign.tracking import atrack_cycle
        from airflow_provider_messaging.store.airflow import get_store

        scope = self.campaign_scope()
        store = get_store(self.store_conn_id)

        ask = polls_platform(self.source, self._poll_at(context) if self.source == BOTH else None, time.time())

        async def cycle() -> Any:
            try:
                if not ask:  # reports pushed to the receiver only (or "both" before poll_after)
                    return await atrack_cycle(store, scope, None, batch_size=self.batch_size, ask_platform=False)
                async with await self.hook.get_async_conn() as client:
                    return await atrack_cycle(store, scope, client, batch_size=self.batch_size)
            finally:
                await store.aclose()

        try:
            done = asyncio.run(cycle())
        except MessagingApiError as exc:
            if exc.retryable:
                self.log.warning("Status poll failed (%s); trying again at the next poke", exc)
                return PokeReturnValue(is_done=False)
            raise self._failure(AirflowFailException(f"status request failed: {exc}")) from exc
        self.log.info(
            "Campaign %s delivery status: %d of %d messages final (%d status requests, %d unconfirmed "
            "resolved by pushed reports)",
            scope,
            done.final,
            done.total,
            done.requests,
            done.resolved,
        )
        if done.pending:
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=self.finish_campaign(context, scope))

    def default_statuses_path(self, context: Context) -> Any:
        """Beside the campaign's results (one part: its folder; shards: their task's folder), else
        under this task's own folder."""
        from airflow_provider_messaging.operators.campaign import storage_path, task_folder

        value = self.campaign
        parts = list(value) if isinstance(value, Sequence) and not isinstance(value, (str, dict)) else [value]
        results = [p.get("results_path") for p in parts if isinstance(p, Mapping) and p.get("results_path")]
        if len(results) == 1:
            return storage_path(results[0]).parent / "statuses.jsonl"
        if results:
            return storage_path(results[0]).parent.parent / "statuses.jsonl"
        return task_folder(context) / "statuses.jsonl"

    def finish_campaign(self, context: Context, scope: str) -> dict[str, Any]:
        """Write the per-message statuses (from the store), apply ``fail_on``; return the counts."""
        from airflow_provider_messaging.campaign.results import WRITE_BLOCK, block_size
        from airflow_provider_messaging.campaign.tracking import write_statuses
        from airflow_provider_messaging.operators.campaign import storage_path
        from airflow_provider_messaging.store.airflow import get_store

        path = storage_path(self.statuses_path) if self.statuses_path else self.default_statuses_path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", **block_size(path, WRITE_BLOCK)) as out:
            counts = write_statuses(get_store(self.store_conn_id), scope, out)
        outcomes = dict(counts.outcomes.most_common())
        self.log.info(
            "Campaign %s delivery outcomes: %s; statuses: %s",
            scope,
            ", ".join(f"{k}={n}" for k, n in outcomes.items()) or "(no accepted message)",
            path,
        )
        bad = {o: n for o, n in outcomes.items() if o in self.fail_on}
        if bad:
            raise self._failure(
                AirflowFailException(
                    f"campaign {scope}: {sum(bad.values())} of {counts.total} messages ended in an outcome listed in "
                    f"fail_on: {bad}; statuses: {path}"
                )
            )
        return {
            "campaign": scope,
            "total": counts.total,
            "final": counts.final,
            "outcomes": outcomes,
            "statuses_path": str(path),
        }
