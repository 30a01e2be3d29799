"""``SendCampaignOperator``: one message template, many recipients, each sent once (see docs/campaigns.md).

Import-light on purpose (DAG files import it when they are parsed): the engine, the client, the
store, Jinja and pydantic are loaded when the task runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator, BaseOperatorLink, Context

from airflow_provider_messaging.campaign.fields import MESSAGE_FIELDS
from airflow_provider_messaging.campaign.keys import campaign_shards
from airflow_provider_messaging.hooks.messaging import MessagingHook

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.types import TaskInstanceKey

#: default share of rows that may end ``rejected``, ``failed`` or ``unconfirmed`` without failing the task
DEFAULT_MAX_FAILURE_RATIO = 0.05
#: Airflow setting ``[messaging] campaign_results_folder`` (or the environment variable
#: ``AIRFLOW__MESSAGING__CAMPAIGN_RESULTS_FOLDER``): where results and reports go when the task gives no
#: ``results_path`` (an object storage URI or a local folder); default ``$AIRFLOW_HOME/messaging/campaigns``
RESULTS_FOLDER_SETTING = ("messaging", "campaign_results_folder")
CHANNELS = ("viber", "whatsapp")
SUMMARY_KEY = "campaign_summary"
__all__ = [
    "CampaignReportLink",
    "SendCampaignOperator",
    "campaign_shards",
    "storage_path",
    "summarize_campaign",
    "task_folder",
]


def summarize_campaign(summaries: Any, report_path: str | None = None) -> dict[str, Any]:
    """One summary over the shards of a campaign (the mapped task's XCom values, in any order):
    counts added, the longest duration, each part's results and report listed under ``parts``.
    With ``report_path`` (a path or object storage URI), an HTML report of the whole is written there.

    In a DAG: ``@task def total(parts): return summarize_campaign(parts)`` with
    ``total(notify.output)``.
    """
    from airflow_provider_messaging.campaign.report import render_report
    from airflow_provider_messaging.campaign.results import merge_summaries

    merged = merge_summaries(list(summaries))
    if report_path:
        path = storage_path(report_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(merged, title="Campaign report (all shards)"), encoding="utf-8")
        merged["report_path"] = str(path)
    return merged


def storage_path(value: Any) -> ObjectStoragePath:
    """``value`` as an ``ObjectStoragePath``: kept if it is one, a URI as it is, a local path as ``file://``."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(value, ObjectStoragePath):
        return value
    text = str(value)
    return ObjectStoragePath(text if "://" in text else "file://" + os.path.abspath(text))


def task_folder(context: Context) -> ObjectStoragePath:
    """A task's own folder for campaign files: ``<folder>/dag_id=../run_id=../task_id=..[/map_index=..]``,
    ``<folder>`` the setting ``[messaging] campaign_results_folder``, default ``$AIRFLOW_HOME/messaging/campaigns``."""
    from airflow_provider_messaging.compat import conf

    ti = context["ti"]
    folder = conf.get(*RESULTS_FOLDER_SETTING, fallback=None) or os.path.join(
        os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow"), "messaging", "campaigns"
    )
    path = storage_path(folder) / f"dag_id={ti.dag_id}" / f"run_id={context['run_id']}" / f"task_id={ti.task_id}"
    map_index = getattr(ti, "map_index", -1)
    if map_index is not None and map_index >= 0:
        path = path / f"map_index={map_index}"
    return path


class CampaignReportLink(BaseOperatorLink):
    """The campaign's HTML report, as an extra link of the task."""

    name = "Campaign report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "report_url", None) or ""


class SendCampaignOperator(BaseOperator):
    """Send one Viber or WhatsApp message template to many recipients, each exactly once.

    :param channel: ``"viber"`` or ``"whatsapp"``.
    :param recipients: a list (numbers, or mappings with ``dest_addr`` and personal fields), an XCom
        value of such a list, or a file: an ``ObjectStoragePath`` or URI (``file://``,
        ``s3://conn_id@bucket/key``, ... or a local path) of a CSV file with a header row or a JSON Lines
        file, optionally gzip-compressed. Files are read as a stream.
    :param text, image_url, button_caption, button_url, service_number, ttl, ttl_unit, schedule,
        use_time_diff, extra_params, registered_delivery, notify_url, cascade: the message, as for
        ``SendViberMessageOperator`` / ``SendWhatsAppMessageOperator``. Every string is a Jinja
        template rendered per recipient, with ``recipient`` (the row's fields) besides the task context.
    :param store_conn_id: the message store's connection (default ``messaging_store_default``, else a
        SQLite file under ``$AIRFLOW_HOME``): the campaign's send ledger lives there.
    :param campaign_id: names the campaign (its ledger and its partner ids); default: DAG, task and
        the run's logical date (its run id when it has none).
    :param max_concurrency: requests in flight at most (default 16); throttling lowers it for a while.
    :param max_rate: messages per second at most (default: no cap).
    :param max_failure_ratio: the share of rows that may end ``rejected``, ``failed`` or
        ``unconfirmed`` with the task still succeeding (default 0.05).
    :param resend_unconfirmed: resend messages an earlier run sent without getting an answer, even
        when the platform's duplicate control is not known to be on (may send them twice).
    :param results_path: where the results (JSON Lines) go; the report goes beside them. Default:
        ``$AIRFLOW_HOME/messaging/campaigns/dag_id=../run_id=../task_id=..[/map_index=..]/results.jsonl``
        (the folder can be set with ``AIRFLOW__MESSAGING__CAMPAIGN_RESULTS_FOLDER``).
    :param shard: ``(k, n)``: take only the k-th of n slices of the recipients (see ``campaign_shards``).
    :param recipients_format: ``"csv"`` or ``"jsonl"`` when the file name does not tell.
    :param dest_addr_field: the column / key holding the number (default ``dest_addr``).
    :param progress_interval: seconds between progress lines in the log (default 5).
    :return: (XCom) the summary: counts by outcome and by error code, total, duration, rate, the
        results and report locations. Nothing per recipient.
    """

    template_fields: Sequence[str] = ("recipients", "campaign_id", "results_path")
    operator_extra_links = (CampaignReportLink(),)
    ui_color = "#7360f2"
    message_fields: ClassVar[tuple[str, ...]] = MESSAGE_FIELDS

    def __init__(
        self,
        *,
        channel: str,
        recipients: Any,
        text: str | None = None,
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        service_number: str | None = None,
        ttl: int | str | None = None,
        ttl_unit: str | None = None,
        schedule: Mapping[str, Any] | None = None,
        use_time_diff: bool | None = None,
        extra_params: Mapping[str, Any] | None = None,
        registered_delivery: int | None = None,
        notify_url: str | None = None,
        cascade: Mapping[str, Any] | None = None,
        messaging_conn_id: str = MessagingHook.default_conn_name,
        store_conn_id: str | None = None,
        campaign_id: str | None = None,
        max_concurrency: int = 16,
        max_rate: float | None = None,
        max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO,
        resend_unconfirmed: bool = False,
        results_path: str | ObjectStoragePath | None = None,
        shard: tuple[int, int] | list[int] | None = None,
        recipients_format: str | None = None,
        dest_addr_field: str = "dest_addr",
        progress_interval: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(channel, str) or channel.lower() not in CHANNELS:
            raise ValueError(f"channel must be 'viber' or 'whatsapp', got {channel!r}")
        if channel.lower() == "whatsapp" and (button_caption is not None or button_url is not None):
            raise ValueError("button_caption/button_url: WhatsApp messages have no button")
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be a whole number >= 1, got {max_concurrency!r}")
        if max_rate is not None and (
            isinstance(max_rate, bool) or not isinstance(max_rate, (int, float)) or not max_rate > 0
        ):
            raise ValueError(f"max_rate must be a number of messages per second > 0, got {max_rate!r}")
        if (
            isinstance(max_failure_ratio, bool)
            or not isinstance(max_failure_ratio, (int, float))
            or not (0 <= max_failure_ratio <= 1)
        ):
            raise ValueError(f"max_failure_ratio must be between 0 and 1, got {max_failure_ratio!r}")
        self.channel = channel.lower()
        self.recipients = recipients
        self.text = text
        self.image_url = image_url
        self.button_caption = button_caption
        self.button_url = button_url
        self.service_number = service_number
        self.ttl = ttl
        self.ttl_unit = ttl_unit
        self.schedule = schedule
        self.use_time_diff = use_time_diff
        self.extra_params = extra_params
        self.registered_delivery = registered_delivery
        self.notify_url = notify_url
        self.cascade = cascade
        self.messaging_conn_id = messaging_conn_id
        self.store_conn_id = store_conn_id
        self.campaign_id = campaign_id
        self.max_concurrency = max_concurrency
        self.max_rate = max_rate
        self.max_failure_ratio = float(max_failure_ratio)
        self.resend_unconfirmed = resend_unconfirmed
        self.results_path = results_path
        self.shard = shard
        self.recipients_format = recipients_format
        self.dest_addr_field = dest_addr_field
        self.progress_interval = progress_interval
        self.report_url: str | None = None

    @cached_property
    def hook(self) -> MessagingHook:
        return MessagingHook(messaging_conn_id=self.messaging_conn_id)

    # --- what the run needs -------------------------------------------------------------------------
    def campaign_key(self, context: Context) -> Any:
        """The campaign key (see ``campaign.keys.CampaignKey``)."""
        from airflow_provider_messaging.campaign.keys import CampaignKey

        ti = context["ti"]
        logical_date = context.get("logical_date")
        run_key = logical_date.isoformat() if logical_date is not None else context["run_id"]
        map_index = getattr(ti, "map_index", -1)
        return CampaignKey.of(
            campaign_id=self.campaign_id,
            dag_id=ti.dag_id,
            task_id=ti.task_id,
            run_key=run_key,
            map_index=None if self.shard is not None else map_index,
        )

    def default_results_path(self, context: Context) -> ObjectStoragePath:
        """``results.jsonl`` in the task's own folder (see ``task_folder``)."""
        return task_folder(context) / "results.jsonl"

    def message_template(self, context: Context) -> Any:
        """The message compiled once (raises ``InvalidMessageError`` naming the field and rule)."""
        from airflow_provider_messaging.campaign.render import MessageTemplate

        settings = self.hook.settings
        fields: dict[str, Any] = {
            name: getattr(self, name) for name in self.message_fields if getattr(self, name) is not None
        }
        fields["service_number"] = self.service_number or settings.default_service_number
        dag = self.get_dag()
        env = dag.get_template_env(force_sandboxed=True) if dag is not None else self.get_template_env()
        return MessageTemplate(
            env, channel=self.channel, fields=fields, context=context, viber_sessions=settings.viber_sessions
        )

    # --- run -------------------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_messaging.campaign.keys import check_shard
        from airflow_provider_messaging.campaign.run import AdviceOnce, CampaignRun
        from airflow_provider_messaging.client.aio import AsyncMessagingClient
        from airflow_provider_messaging.compat import AirflowException, AirflowFailException
        from airflow_provider_messaging.exceptions import InvalidMessageError
        from airflow_provider_messaging.store.airflow import get_store

        try:
            shard = check_shard(self.shard)
            template = self.message_template(context)
            key = self.campaign_key(context)
            recipients = self.recipients
            if isinstance(recipients, str) or hasattr(recipients, "open"):
                recipients = storage_path(recipients)
            results_path = storage_path(self.results_path) if self.results_path else self.default_results_path(context)
        except (InvalidMessageError, ValueError) as exc:
            raise AirflowFailException(f"campaign not started: {exc}") from None
        settings = self.hook.settings  # read (and its secrets masked) through the hook
        client_log = AdviceOnce(self.log)

        async def client() -> AsyncMessagingClient:
            return AsyncMessagingClient(settings, logger=client_log)

        run = CampaignRun(
            recipients=recipients,
            recipients_format=self.recipients_format,
            dest_addr_field=self.dest_addr_field,
            template=template,
            key=key,
            shard=shard,
            results_path=results_path,
            ledger=get_store(self.store_conn_id).ledger(key.scope),
            client_factory=client,
            platform_dedup=settings.platform_dedup,
            concurrency=self.max_concurrency,
            max_rate=self.max_rate,
            resend_unconfirmed=self.resend_unconfirmed,
            progress_interval=self.progress_interval,
            log=self.log,
            campaign_name=self.campaign_id,
        )
        try:
            summary = run.execute()
        except ValueError as exc:  # the recipients cannot be read (e.g. a CSV header without dest_addr)
            raise AirflowFailException(f"campaign stopped: {exc}") from None
        self.report_url = summary.get("report_path")
        context["ti"].xcom_push(key=SUMMARY_KEY, value=summary)
        if run.stopped:
            raise AirflowFailException(f"campaign stopped: {run.stopped}; results: {summary['results_path']}")
        ratio = summary["failure_ratio"]
        if ratio > self.max_failure_ratio:
            raise AirflowException(
                f"campaign failed: {ratio:.2%} of the rows were rejected, failed or unconfirmed, more than "
                f"max_failure_ratio={self.max_failure_ratio:.2%}; results: {summary['results_path']}"
            )
        return summary
