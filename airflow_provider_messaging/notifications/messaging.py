"""``MessagingNotifier``: a Viber or WhatsApp message as an Airflow notification.

Use it as a task's or a DAG's ``on_failure_callback`` / ``on_success_callback`` (``notify``, on the
worker or in the dag-processor) or in a deadline alert (``AsyncCallback``: ``async_notify`` in the
triggerer). Each recipient's message gets a partner id derived from the DAG run, the task (and its
try), the callback and the recipient, and goes through the message store's send ledger: a callback
that fires twice sends once. Several recipients are sent together through
``AsyncMessagingClient.send_many``.

Importing this module loads no HTTP library, pydantic or SQLAlchemy: DAG files stay quick to parse.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:
    from airflow_provider_messaging.client.aio import SendOutcome
    from airflow_provider_messaging.client.settings import ClientSettings
    from airflow_provider_messaging.hooks.messaging import MessagingHook
    from airflow_provider_messaging.ledger import LedgerRecord
    from airflow_provider_messaging.models.results import SendResult
    from airflow_provider_messaging.models.send import SendRequest

__all__ = ["MessagingNotifier", "notification_id", "send_messaging_notification"]

CHANNELS = ("VIBER", "WHATSAPP")
#: the message store's default connection and the send ledger's scope (``store.airflow.DEFAULT_CONN_ID``,
#: ``store.SEND_SCOPE``: not imported here, so that parsing a DAG file does not load SQLAlchemy)
DEFAULT_STORE_CONN_ID = "messaging_store_default"
SEND_SCOPE = "send"
_SEPARATORS = re.compile(r"[,;\n]+")


def rendered_list(item: Any) -> list[Any]:
    """``item``, or its elements when it is the text of a list (JSON or Python literal): a templated
    argument renders a list to its text unless the DAG renders templates as native objects."""
    from airflow_provider_messaging.xcom import is_rendered_structure, parse_rendered

    if not (is_rendered_structure(item, "[") and item.strip().endswith("]")):
        return [item]
    try:
        value = parse_rendered(item, "recipients", "a list")
    except ValueError:  # not a list after all: refused as a number, masked, like any other bad one
        return [item]
    return value if isinstance(value, list) else [item]


def notification_id(*, dag_id: str, run_id: str, task: str, callback: str, recipient: str) -> str:
    """[decided] The partner id of one notification message: a digest of the DAG run, the task (with
    map index and try; empty for a DAG-level callback or a deadline), the callback and the recipient.
    The same callback firing again for the same event gives the same id, which the send ledger (and
    the platform's dedup, if on) sends once."""
    raw = "\x1f".join(["notify", dag_id, run_id, task, callback, recipient])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass
class Plan:
    """Each recipient's fate before any request: send it, an earlier answer, or refused (bad input,
    or an unanswered earlier send that must not be repeated); refusals as (recipient, error)."""

    to_send: list[SendRequest] = field(default_factory=list)
    earlier: list[tuple[SendRequest, SendResult]] = field(default_factory=list)
    refused: list[tuple[str, BaseException]] = field(default_factory=list)


class MessagingNotifier(BaseNotifier):
    """Send a Viber or WhatsApp message when a task or DAG run succeeds or fails, or a deadline passes.

    :param recipients: one number or several (a list, or one string separated by commas); templated.
    :param text: the message text (Jinja-templated with the callback's context: ``{{ dag_run.dag_id }}``,
        ``{{ ti.task_id }}``, ``{{ reason }}``, ...).
    :param channel: ``VIBER`` (default) or ``WHATSAPP``.
    :param image_url: an image (Viber: with ``text`` only together with a button; WhatsApp: instead of
        text); templated.
    :param button_caption: Viber only: the button's name (with ``button_url`` and ``text``); templated.
    :param button_url: Viber only: where the button leads; templated.
    :param service_number: the sender; default the connection extra ``default_service_number``.
    :param messaging_conn_id: the platform's connection (default ``messaging_default``).
    :param store_conn_id: the message store whose send ledger makes each message go once (default
        ``messaging_store_default``, see docs/store.md).
    :param callback_id: names this notification in its partner ids; default: the kind of callback
        (task, DAG and its reason, deadline) and a digest of this notifier's message. Set it when one
        DAG uses two notifiers with the same message for different purposes.
    :param resend_unconfirmed: resend a message whose earlier send got no answer even when the
        platform's dedup is off (risking a second message).
    :param concurrency: at most this many requests at a time for several recipients.
    :param kwargs: passed to ``BaseNotifier`` (Airflow's deadline alerts pass ``context``).
    """

    template_fields: Sequence[str] = (
        "recipients",
        "text",
        "image_url",
        "button_caption",
        "button_url",
        "service_number",
    )

    def __init__(
        self,
        *,
        recipients: str | Sequence[str],
        text: str | None = None,
        channel: str = "VIBER",
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        service_number: str | None = None,
        messaging_conn_id: str = "messaging_default",
        store_conn_id: str = DEFAULT_STORE_CONN_ID,
        callback_id: str | None = None,
        resend_unconfirmed: bool = False,
        concurrency: int = 8,
        **kwargs: Any,
    ) -> None:
        channel = str(channel).upper()
        if channel not in CHANNELS:
            raise ValueError(f"MessagingNotifier: channel must be VIBER or WHATSAPP, got {channel!r}")
        if text is None and image_url is None:
            raise ValueError("MessagingNotifier: give text, image_url or both")
        if concurrency < 1:
            raise ValueError(f"MessagingNotifier: concurrency must be at least 1, got {concurrency}")
        self.recipients = recipients
        self.text = text
        self.channel = channel
        self.image_url = image_url
        self.button_caption = button_caption
        self.button_url = button_url
        self.service_number = service_number
        self.messaging_conn_id = messaging_conn_id
        self.store_conn_id = store_conn_id
        self.resend_unconfirmed = resend_unconfirmed
        self.concurrency = concurrency
        # what this notifier sends, before templating: part of the default callback id
        shape = "\x1f".join(str(v) for v in (channel, text, image_url, button_caption, button_url, service_number))
        self.callback_id = callback_id or hashlib.sha256(shape.encode("utf-8")).hexdigest()[:12]
        super().__init__(**kwargs)

    @cached_property
    def hook(self) -> MessagingHook:
        from airflow_provider_messaging.hooks.messaging import MessagingHook

        return MessagingHook(messaging_conn_id=self.messaging_conn_id)

    def get_template_env(self, dag: Any = None) -> Any:
        """Jinja environment of the DAG; a DAG object without one (``dag.test()`` hands DAG callbacks
        the scheduler's serialized DAG) renders with Airflow's default environment."""
        return super().get_template_env(dag=dag if hasattr(dag, "get_template_env") else None)

    # --- what is sent ----------------------------------------------------------------------------------
    def recipient_list(self) -> list[str]:
        """The rendered recipients, each once (a string may list several, separated by commas, or be
        a rendered list such as ``{{ var.json.on_call }}`` gives: ``['7900...', '7901...']``)."""
        given = self.recipients
        items: Iterable[Any] = [given] if isinstance(given, str) else (given or [])
        items = [part for item in items for part in rendered_list(item)]
        seen: dict[str, None] = {}
        for item in items:
            for number in _SEPARATORS.split(str(item).strip()):
                if number:
                    seen.setdefault(number, None)
        if not seen:
            raise ValueError("MessagingNotifier: no recipient")
        return list(seen)

    def event_key(self, context: Mapping[str, Any]) -> tuple[str, str, str, str]:
        """``(dag_id, run_id, task, callback)`` of the event this call notifies about."""
        dag_run = context.get("dag_run")
        if isinstance(dag_run, Mapping):  # a deadline alert's context (JSON from the scheduler)
            dag_id = str(dag_run.get("dag_id") or "")
            run_id = str(dag_run.get("dag_run_id") or dag_run.get("run_id") or "")
        else:
            dag_id = str(getattr(dag_run, "dag_id", "") or "")
            run_id = str(getattr(dag_run, "run_id", "") or "")
        dag = context.get("dag")
        dag_id = dag_id or str(getattr(dag, "dag_id", "") or "")
        run_id = run_id or str(context.get("run_id") or "")
        deadline = context.get("deadline")
        ti = context.get("ti")
        if isinstance(deadline, Mapping):
            return dag_id, run_id, "", f"deadline:{deadline.get('id')}:{self.callback_id}"
        if "reason" in context or ti is None:  # a DAG's callback (the dag-processor adds the reason)
            return dag_id, run_id, "", f"dag:{context.get('reason')}:{self.callback_id}"
        dag_id = dag_id or str(getattr(ti, "dag_id", ""))
        run_id = run_id or str(getattr(ti, "run_id", ""))
        map_index = getattr(ti, "map_index", -1)
        task = f"{ti.task_id}[{-1 if map_index is None else map_index}]#{getattr(ti, 'try_number', 0)}"
        return dag_id, run_id, task, f"task:{self.callback_id}"

    def build_requests(self, context: Mapping[str, Any], settings: ClientSettings) -> Plan:
        """One validated request per recipient (after templating), each with its partner id, in
        ``to_send``; a recipient whose message breaks a platform rule in ``refused``."""
        from airflow_provider_messaging.exceptions import InvalidMessageError
        from airflow_provider_messaging.models.send import compose_message, normalize_dest_addr

        dag_id, run_id, task, callback = self.event_key(context)
        plan = Plan()
        for recipient in self.recipient_list():
            try:
                normalised = normalize_dest_addr(recipient)
            except ValueError:
                normalised = recipient
            pid = notification_id(dag_id=dag_id, run_id=run_id, task=task, callback=callback, recipient=normalised)
            try:
                request = compose_message(
                    channel=self.channel,
                    dest_addr=recipient,
                    service_number=self.service_number or settings.default_service_number,
                    text=self.text,
                    image_url=self.image_url,
                    button_caption=self.button_caption,
                    button_url=self.button_url,
                    message_id=pid,
                    viber_sessions=settings.viber_sessions,
                )
            except InvalidMessageError as exc:
                plan.refused.append((recipient, exc))
            else:
                plan.to_send.append(request)
        return plan

    # --- the ledger's rules, for a batch (those of ledger.ExactlyOnceSend) -----------------------------
    def apply_ledger(self, plan: Plan, prior: Mapping[str, LedgerRecord], platform_dedup: bool) -> Plan:
        """Split ``plan.to_send`` by what the ledger knows of each partner id."""
        from airflow_provider_messaging.exceptions import UnconfirmedSendError
        from airflow_provider_messaging.ledger import ACCEPTED, IN_FLIGHT
        from airflow_provider_messaging.models.results import SendResult

        out = Plan(refused=list(plan.refused))
        for request in plan.to_send:
            record = prior.get(str(request.id))
            if record is not None and record.state == ACCEPTED:
                out.earlier.append((request, SendResult(mt_num=record.mt_num, id=request.id, duplicate=True)))
            elif record is not None and record.state == IN_FLIGHT and not (platform_dedup or self.resend_unconfirmed):
                out.refused.append((request.dest_addr, UnconfirmedSendError(str(request.id))))
            else:
                out.to_send.append(request)
        return out

    @staticmethod
    def ledger_results(outcomes: list[tuple[SendRequest, SendOutcome]]) -> list[LedgerRecord]:
        """What the ledger records of each answer: accepted, or failed when nothing can have been
        accepted; an ambiguous failure (the request may have arrived) stays in flight."""
        from airflow_provider_messaging.exceptions import MessagingApiError
        from airflow_provider_messaging.ledger import ACCEPTED, FAILED, LedgerRecord

        records = []
        for request, outcome in outcomes:
            pid = str(request.id)
            if isinstance(outcome, BaseException):
                if isinstance(outcome, MessagingApiError) and getattr(outcome, "ambiguous", False):
                    continue
                code = getattr(outcome, "code", None)
                records.append(
                    LedgerRecord(
                        pid, FAILED, error_code=code if isinstance(code, int) else None, reason=str(outcome)[:500]
                    )
                )
            else:
                records.append(LedgerRecord(pid, ACCEPTED, mt_num=outcome.mt_num, duplicate=outcome.duplicate))
        return records

    async def send_all(
        self, settings: ClientSettings, requests: list[SendRequest]
    ) -> list[tuple[SendRequest, SendOutcome]]:
        """Send ``requests`` through ``AsyncMessagingClient.send_many``; every outcome, in input order."""
        from airflow_provider_messaging.client.aio import AsyncMessagingClient

        if not requests:
            return []
        outcomes: dict[str, SendOutcome] = {}
        async with AsyncMessagingClient(settings, logger=self.log) as client:
            async for request, outcome in client.send_many(requests, concurrency=self.concurrency):
                outcomes[str(request.id)] = outcome
        return [(request, outcomes[str(request.id)]) for request in requests]

    def report(self, plan: Plan, outcomes: list[tuple[SendRequest, SendOutcome]]) -> None:
        """Log each recipient's outcome (masked); raise ``NotificationError`` if any was not sent."""
        from airflow_provider_messaging.client.redact import mask_number
        from airflow_provider_messaging.exceptions import NotificationError

        failures = [(mask_number(who), masked_text(str(exc), who)) for who, exc in plan.refused]
        for request, result in plan.earlier:
            self.log.info(
                "Notification id=%s to %s was sent earlier (mtNum=%s): not sent again",
                request.id,
                mask_number(request.dest_addr),
                result.mt_num,
            )
        for request, outcome in outcomes:
            if isinstance(outcome, BaseException):
                failures.append((mask_number(request.dest_addr), masked_text(str(outcome), request.dest_addr)))
            else:
                self.log.info(
                    "Notification id=%s to %s accepted: mtNum=%s%s",
                    request.id,
                    mask_number(request.dest_addr),
                    outcome.mt_num,
                    " (already accepted earlier)" if outcome.duplicate else "",
                )
        if failures:
            raise NotificationError(failures, len(plan.earlier) + len(plan.refused) + len(outcomes))

    # --- the two entry points ---------------------------------------------------------------------------
    def notify(self, context: Mapping[str, Any]) -> None:
        """Send (sync): task callbacks on the worker, DAG callbacks in the dag-processor."""
        from airflow_provider_messaging.store import InFlight
        from airflow_provider_messaging.store.airflow import get_ledger

        settings = self.hook.settings
        plan = self.build_requests(context, settings)
        ledger = get_ledger(SEND_SCOPE, self.store_conn_id)
        plan = self.apply_ledger(plan, ledger.get_many([str(r.id) for r in plan.to_send]), settings.platform_dedup)
        ledger.mark_in_flight_many([InFlight(str(r.id), recipient=r.dest_addr) for r in plan.to_send])
        outcomes = run_coroutine(self.send_all(settings, plan.to_send))
        ledger.mark_results_many(self.ledger_results(outcomes))
        self.report(plan, outcomes)

    async def async_notify(self, context: Mapping[str, Any]) -> None:
        """Send (async): deadline alerts in the triggerer; the connection and the store are read
        without blocking the event loop."""
        from airflow_provider_messaging.store import InFlight
        from airflow_provider_messaging.store.airflow import aget_store

        settings = await self.hook.aget_settings()
        plan = self.build_requests(context, settings)
        ledger = (await aget_store(self.store_conn_id)).ledger(SEND_SCOPE)
        prior = await ledger.aget_many([str(r.id) for r in plan.to_send])
        plan = self.apply_ledger(plan, prior, settings.platform_dedup)
        await ledger.amark_in_flight_many([InFlight(str(r.id), recipient=r.dest_addr) for r in plan.to_send])
        outcomes = await self.send_all(settings, plan.to_send)
        await ledger.amark_results_many(self.ledger_results(outcomes))
        self.report(plan, outcomes)


def masked_text(text: str, recipient: str) -> str:
    """``text`` (an error's message) with the recipient, as given and as digits, masked."""
    from airflow_provider_messaging.client.redact import mask_number

    for form in {recipient.strip(), re.sub(r"\D", "", recipient)}:
        if len(form) >= 3:
            text = text.replace(form, mask_number(form))
    return text


def run_coroutine(coro: Any) -> Any:
    """``asyncio.run(coro)``, also when the calling thread already runs an event loop (then in a
    thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner, name="messaging-notifier")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


#: Airflow's naming convention for notifiers (``send_smtp_notification``, ...)
send_messaging_notification = MessagingNotifier
