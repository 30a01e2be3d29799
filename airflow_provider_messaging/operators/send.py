"""Operators that send one Viber or WhatsApp message (SPEC §1)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, Context

from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.operators.failures import fail_without_retries

if TYPE_CHECKING:
    from airflow_provider_messaging.models.send import SendRequest

#: the message store's default connection (``store.airflow.DEFAULT_CONN_ID``; not imported here, so
#: that parsing a DAG file does not load SQLAlchemy)
DEFAULT_STORE_CONN_ID = "messaging_store_default"
#: the send ledger's scope of single sends (``store.SEND_SCOPE``)
SEND_SCOPE = "send"


def default_message_id(
    *, dag_id: str, task_id: str, map_index: int | None, run_key: str, channel: str, dest_addr: str
) -> str:
    """[decided] the partner ``id`` when the task gives none: a digest of what identifies the send.

    The same DAG, task, map index, logical date (run_id when the run has none), channel and
    normalised recipient always give the same id, so a retry, a cleared task or a backfill of the
    same date reuses it, and the platform (dedup on) or this provider never sends it twice.
    """
    from airflow_provider_messaging.models.send import normalize_dest_addr

    try:
        dest = normalize_dest_addr(dest_addr)
    except ValueError:
        dest = str(dest_addr)
    index = -1 if map_index is None else int(map_index)
    raw = "\x1f".join([dag_id, task_id, str(index), run_key, channel, dest])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class BaseSendMessageOperator(BaseOperator):
    """Shared base of the send operators: validation after templating, the deterministic id, and
    exactly-once across retries.

    Before the request the task records the partner id as in flight in the send ledger of the
    provider's message store (connection ``store_conn_id``, docs/store.md); once accepted, the
    platform's answer. A retry or a cleared task (on any worker sharing the store, any Airflow 3.x)
    whose earlier try was accepted returns that answer without a request. A try whose earlier try may
    have reached the platform (no answer) is resent with the same id only when the connection says the
    platform's dedup is on (``platform_dedup``); otherwise it fails rather than risk a second
    message, unless ``resend_unconfirmed=True``.

    :param store_conn_id: the message store's connection (default ``messaging_store_default``; without
        it, a SQLite file under ``$AIRFLOW_HOME``, which only tasks on this machine share).

    :return: (XCom) ``{"mt_num", "id", "dest_addr", "channel", "duplicate"}``.
    """

    #: ``VIBER`` or ``WHATSAPP``
    channel: ClassVar[str]
    template_fields: Sequence[str] = (
        "dest_addr",
        "service_number",
        "text",
        "image_url",
        "message_id",
        "extra_params",
        "notify_url",
        "schedule",
        "cascade",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "extra_params": "json",
        "schedule": "json",
        "cascade": "json",
    }
    ui_color = "#7360f2"

    def __init__(
        self,
        *,
        dest_addr: str,
        text: str | None = None,
        image_url: str | None = None,
        messaging_conn_id: str = MessagingHook.default_conn_name,
        service_number: str | None = None,
        ttl: int | None = None,
        ttl_unit: str | None = None,
        schedule: Mapping[str, Any] | None = None,
        use_time_diff: bool | None = None,
        message_id: str | None = None,
        extra_params: Mapping[str, Any] | None = None,
        registered_delivery: int | None = None,
        notify_url: str | None = None,
        cascade: Mapping[str, Any] | None = None,
        resend_unconfirmed: bool = False,
        store_conn_id: str = DEFAULT_STORE_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.messaging_conn_id = messaging_conn_id
        self.store_conn_id = store_conn_id
        self.dest_addr = dest_addr
        self.text = text
        self.image_url = image_url
        self.service_number = service_number
        self.ttl = ttl
        self.ttl_unit = ttl_unit
        self.schedule = schedule
        self.use_time_diff = use_time_diff
        self.message_id = message_id
        self.extra_params = extra_params
        self.registered_delivery = registered_delivery
        self.notify_url = notify_url
        self.cascade = cascade
        self.resend_unconfirmed = resend_unconfirmed

    @cached_property
    def hook(self) -> MessagingHook:
        return MessagingHook(messaging_conn_id=self.messaging_conn_id)

    def _button(self) -> dict[str, Any]:
        return {}

    def build_request(self, context: Context) -> SendRequest:
        """The validated request, after templating and before any HTTP call."""
        from airflow_provider_messaging.models.send import compose_message

        settings = self.hook.settings
        message_id = self.message_id or self._default_id(context)
        return compose_message(
            channel=self.channel,
            dest_addr=self.dest_addr,
            service_number=self.service_number or settings.default_service_number,
            text=self.text,
            image_url=self.image_url,
            ttl=self.ttl,
            ttl_unit=self.ttl_unit,
            schedule=self.schedule,
            use_time_diff=self.use_time_diff,
            message_id=str(message_id),
            extra_params=self.extra_params,
            registered_delivery=self.registered_delivery,
            notify_url=self.notify_url,
            cascade=self.cascade,
            viber_sessions=settings.viber_sessions,
            **self._button(),
        )

    def _default_id(self, context: Context) -> str:
        ti = context["ti"]
        logical_date = context.get("logical_date")
        run_key = logical_date.isoformat() if logical_date is not None else context["run_id"]
        return default_message_id(
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            map_index=getattr(ti, "map_index", -1),
            run_key=run_key,
            channel=self.channel,
            dest_addr=str(self.dest_addr),
        )

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_messaging.client.redact import mask_number
        from airflow_provider_messaging.ledger import ExactlyOnceSend
        from airflow_provider_messaging.store.airflow import get_ledger
        from airflow_provider_messaging.xcom import send_xcom

        with fail_without_retries():
            request = self.build_request(context)
            guard = ExactlyOnceSend(
                get_ledger(SEND_SCOPE, self.store_conn_id),
                platform_dedup=self.hook.settings.platform_dedup,
                resend_unconfirmed=self.resend_unconfirmed,
            )
            result = guard.send(request, self.hook.send)
        self.log.info(
            "%s message id=%s to %s accepted: mtNum=%s%s",
            request.channel.value,
            request.id,
            mask_number(request.dest_addr),
            result.mt_num,
            " (already accepted earlier)" if result.duplicate else "",
        )
        return send_xcom(request, result)


class SendViberMessageOperator(BaseSendMessageOperator):
    """Send a Viber message: text, image, text + button, or text + image + button.

    :param dest_addr: recipient (``+7 (900) 123-45-67``, ``79001234567`` and ``8-900-...`` accepted).
    :param text: up to 1000 characters.
    :param image_url: image URL (400x400 JPG/PNG recommended).
    :param button_caption: the button's name (with ``button_url`` and ``text``: a BUTTON message).
    :param button_url: where the button leads.
    :param ttl: lifetime, 1 to 2880 minutes in whatever ``ttl_unit`` (SECONDS, MINUTES, HOURS).
    :param service_number: sender name; default: the connection extra ``default_service_number``.
    :param message_id: partner id; default: a deterministic digest (see ``default_message_id``).
    """

    channel = "VIBER"
    template_fields: Sequence[str] = (*BaseSendMessageOperator.template_fields, "button_caption", "button_url")

    def __init__(self, *, button_caption: str | None = None, button_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.button_caption = button_caption
        self.button_url = button_url

    def _button(self) -> dict[str, Any]:
        return {"button_caption": self.button_caption, "button_url": self.button_url}


class SendWhatsAppMessageOperator(BaseSendMessageOperator):
    """Send a WhatsApp message: text or image (not both).

    :param ttl: 0 (the account's default) or whole days: 1440, 2880, ..., 10080 minutes.
    See ``SendViberMessageOperator`` for the other arguments.
    """

    channel = "WHATSAPP"
    ui_color = "#25d366"
