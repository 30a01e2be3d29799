"""``DeliveryStatusTrigger``: polls delivery statuses in the triggerer until every message is final.

The trigger only reads (status requests); it never sends. Run twice (a triggerer restart, a second
triggerer picking it up) it gives the same result and changes nothing on the platform. Its
serialised kwargs are JSON only and carry no secret: the connection is read in the triggerer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_messaging.exceptions import MessagingApiError
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.models.outcomes import DEFAULT_STATUS_BATCH, check_batch_size, normalise_mt_nums
from airflow_provider_messaging.sources import POLL, astored_reports, check_source, polls_platform
from airflow_provider_messaging.triggers.events import EVENT_ERROR, EVENT_SUCCESS, EVENT_TIMEOUT
from airflow_provider_messaging.xcom import statuses_to_xcom

if TYPE_CHECKING:
    from airflow_provider_messaging.models.status import DeliveryReport

__all__ = ["EVENT_ERROR", "EVENT_SUCCESS", "EVENT_TIMEOUT", "DeliveryStatusTrigger"]


class DeliveryStatusTrigger(BaseTrigger):
    """Poll the status method for ``mt_nums`` (in batches) until all are final or time runs out.

    Each cycle asks only for the messages not final yet. Transient errors (after the hook's own
    retries) are logged and polling goes on; any other error ends the trigger with an error event.

    :param mt_nums: the platform's mtNums to track.
    :param messaging_conn_id: the ``messaging`` connection, read in the triggerer.
    :param poll_interval: seconds between cycles.
    :param timeout: seconds from now after which a ``timeout`` event is yielded (None: no limit).
    :param end_time: absolute deadline (UNIX seconds); wins over ``timeout``. The serialised form
        carries it, so a restarted trigger keeps the original deadline.
    :param batch_size: mtNums per status request (1–1000).
    :param source: ``"poll"`` (the platform's status method), ``"receiver"`` (the message store,
        read asynchronously; the platform is never asked) or ``"both"`` (the store, and the platform
        for messages still not final from ``poll_at`` on). See :mod:`airflow_provider_messaging.sources`.
    :param poll_at: with ``"both"``: UNIX time from which the platform is polled too (absolute, so a
        restarted trigger keeps it).
    :param first_check_at: UNIX time of the first check (absolute, so a restarted trigger keeps it;
        the sensor sets it one ``poke_interval`` after the check it made before deferring).
    :param campaign_scope: track a whole campaign instead of ``mt_nums``: its accepted messages are
        read from the message store (``store_conn_id``), never carried in the trigger's kwargs; each
        cycle asks only for those without a final report in the store (full batches), and stores the
        answers. The event then carries counts only (see below).
    :param store_conn_id: the message store's connection (default ``messaging_store_default``).

    Event payload (JSON)::

        {"status": "success" | "timeout" | "error",
         "reports": {<mtNum>: {"status", "status_name", "error_code", "failure", "final",
                               "done_date", "outcome", "id"}},   # every mtNum, pending ones too
         "pending": [<mtNum not final yet>, ...],
         "message": "<what happened>",
         "fatal": true | false}   # error events only: true when the platform refused the request
                                  # (not transient), so the task fails without its retries

    For a campaign: ``{"status", "campaign": <scope>, "total", "final", "outcomes": {<outcome>: count},
    "message"}`` (and ``fatal`` on errors).
    """

    def __init__(
        self,
        mt_nums: Iterable[str] = (),
        messaging_conn_id: str = MessagingHook.default_conn_name,
        poll_interval: float = 60.0,
        timeout: float | None = None,
        end_time: float | None = None,
        batch_size: int = DEFAULT_STATUS_BATCH,
        source: str = POLL,
        poll_at: float | None = None,
        campaign_scope: str | None = None,
        store_conn_id: str | None = None,
        first_check_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Airflow: untyped
        self.mt_nums = normalise_mt_nums(mt_nums) if mt_nums else []
        self.campaign_scope = campaign_scope
        self.store_conn_id = store_conn_id
        self.messaging_conn_id = messaging_conn_id
        self.poll_interval = max(0.0, float(poll_interval))
        if end_time is None and timeout is not None:
            end_time = time.time() + float(timeout)
        self.end_time = None if end_time is None else float(end_time)
        self.batch_size = check_batch_size(batch_size)
        self.source, _ = check_source(source, 0)
        self.poll_at = None if poll_at is None else float(poll_at)
        self.first_check_at = None if first_check_at is None else float(first_check_at)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Classpath and JSON-only kwargs (no credentials)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "mt_nums": list(self.mt_nums),
                "messaging_conn_id": self.messaging_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "batch_size": self.batch_size,
                "source": self.source,
                "poll_at": self.poll_at,
                "campaign_scope": self.campaign_scope,
                "store_conn_id": self.store_conn_id,
                "first_check_at": self.first_check_at,
            },
        )

    async def wait_for_first_check(self) -> None:
        """Until ``first_check_at`` (the sensor checked just before deferring: the trigger does not
        repeat that check at once), never past the deadline; at once when it has passed (a restart)."""
        if self.first_check_at is None:
            return
        until = self.first_check_at if self.end_time is None else min(self.first_check_at, self.end_time)
        await asyncio.sleep(max(0.0, until - time.time()))

    def _event(
        self, status: str, reports: dict[str, DeliveryReport], message: str, *, fatal: bool = False
    ) -> TriggerEvent:
        pending = [n for n in self.mt_nums if not (n in reports and reports[n].is_final)]
        payload: dict[str, Any] = {
            "status": status,
            "reports": statuses_to_xcom(reports, self.mt_nums),
            "pending": pending,
            "message": message,
        }
        if status == EVENT_ERROR:
            payload["fatal"] = fatal
        return TriggerEvent(payload)  # type: ignore[no-untyped-call]  # Airflow: untyped

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Check until every message is final, the deadline passes, or a non-transient error."""
        await self.wait_for_first_check()
        if self.campaign_scope:
            async for event in self.run_campaign(self.campaign_scope):
                yield event
            return
        reports: dict[str, DeliveryReport] = {}
        pending = list(self.mt_nums)
        total = len(pending)
        last_error: str | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = None  # opened when the platform is first asked (never with source="receiver")
                while True:
                    if self.source != POLL:
                        try:
                            reports.update(await astored_reports(self.store_conn_id, pending))
                        except Exception as exc:
                            last_error = f"reading the message store: {type(exc).__name__}: {exc}"
                            self.log.warning(
                                "Reading the message store failed (%s); again in %.1f s", exc, self.poll_interval
                            )
                        pending = [n for n in pending if not (n in reports and reports[n].is_final)]
                    if pending and polls_platform(self.source, self.poll_at, time.time()):
                        if client is None:
                            hook = MessagingHook(messaging_conn_id=self.messaging_conn_id)
                            client = await stack.enter_async_context(await hook.get_async_conn())
                        try:
                            reports.update(await client.get_statuses(pending, self.batch_size))
                            last_error = None
                        except MessagingApiError as exc:
                            if not exc.retryable:
                                raise
                            last_error = str(exc)
                            self.log.warning(
                                "Status poll failed (%s); polling again in %.1f s", exc, self.poll_interval
                            )
                        pending = [n for n in pending if not (n in reports and reports[n].is_final)]
                    self.log.info("Delivery status: %d of %d messages final", total - len(pending), total)
                    if not pending:
                        yield self._event(EVENT_SUCCESS, reports, f"all {total} messages reached a final status")
                        return
                    now = time.time()
                    if self.end_time is not None and now >= self.end_time:
                        message = f"{len(pending)} of {total} messages not final when the sensor timed out"
                        if last_error:
                            message += f" (last check failed: {last_error})"
                        yield self._event(EVENT_TIMEOUT, reports, message)
                        return
                    wait = self.poll_interval
                    if self.end_time is not None:
                        wait = min(wait, max(0.0, self.end_time - now))
                    await asyncio.sleep(wait)
        except asyncio.CancelledError:
            raise
        except MessagingApiError as exc:  # not transient (bad credentials, a refused IP): retrying cannot help
            self.log.error("Delivery status trigger failed: %s", exc)
            yield self._event(EVENT_ERROR, reports, f"{type(exc).__name__}: {exc}", fatal=True)
        except Exception as exc:  # any other failure becomes a clear event, never a hang
            self.log.error("Delivery status trigger failed: %s", exc)
            yield self._event(EVENT_ERROR, reports, f"{type(exc).__name__}: {exc}")

    # --- a whole campaign -------------------------------------------------------------------------------
    def _campaign_event(
        self, status: str, scope: str, cycle: Any, message: str, *, fatal: bool = False
    ) -> TriggerEvent:
        payload: dict[str, Any] = {"status": status, "campaign": scope, "message": message}
        if cycle is not None:
            payload.update(total=cycle.total, final=cycle.final, outcomes=dict(cycle.outcomes))
        if status == EVENT_ERROR:
            payload["fatal"] = fatal
        return TriggerEvent(payload)  # type: ignore[no-untyped-call]  # Airflow: untyped

    async def run_campaign(self, scope: str) -> AsyncIterator[TriggerEvent]:
        """Track a campaign's accepted messages, read from the store, until every one is final."""
        from airflow_provider_messaging.campaign.tracking import atrack_cycle
        from airflow_provider_messaging.store.airflow import aget_store

        cycle = None
        last_error: str | None = None
        try:
            store = await aget_store(self.store_conn_id)
            async with contextlib.AsyncExitStack() as stack:
                client = None  # opened when the platform is first asked (never with source="receiver")
                while True:
                    try:
                        ask = polls_platform(self.source, self.poll_at, time.time())
                        if ask and client is None:
                            hook = MessagingHook(messaging_conn_id=self.messaging_conn_id)
                            client = await stack.enter_async_context(await hook.get_async_conn())
                        cycle = await atrack_cycle(store, scope, client, batch_size=self.batch_size, ask_platform=ask)
                        last_error = None
                        self.log.info(
                            "Campaign %s delivery status: %d of %d messages final (%d status requests, %d unconfirmed "
                            "resolved by pushed reports)",
                            scope,
                            cycle.final,
                            cycle.total,
                            cycle.requests,
                            cycle.resolved,
                        )
                        if not cycle.pending:
                            yield self._campaign_event(
                                EVENT_SUCCESS, scope, cycle, f"all {cycle.total} messages reached a final status"
                            )
                            return
                    except MessagingApiError as exc:
                        if not exc.retryable:
                            raise
                        last_error = str(exc)
                        self.log.warning("Status poll failed (%s); polling again in %.1f s", exc, self.poll_interval)
                    now = time.time()
                    if self.end_time is not None and now >= self.end_time:
                        pending = "some" if cycle is None else str(cycle.pending)
                        message = f"{pending} messages of campaign {scope} not final when the sensor timed out"
                        if last_error:
                            message += f" (last poll failed: {last_error})"
                        yield self._campaign_event(EVENT_TIMEOUT, scope, cycle, message)
                        return
                    wait = self.poll_interval
                    if self.end_time is not None:
                        wait = min(wait, max(0.0, self.end_time - now))
                    await asyncio.sleep(wait)
        except asyncio.CancelledError:
            raise
        except MessagingApiError as exc:
            self.log.error("Delivery status trigger failed: %s", exc)
            yield self._campaign_event(EVENT_ERROR, scope, cycle, f"{type(exc).__name__}: {exc}", fatal=True)
        except Exception as exc:
            self.log.error("Delivery status trigger failed: %s", exc)
            yield self._campaign_event(EVENT_ERROR, scope, cycle, f"{type(exc).__name__}: {exc}")
