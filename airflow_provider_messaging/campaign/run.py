"""One run of a campaign, end to end: open the recipients, run the engine under an event loop with
the async client and the store's ledger, write the results, the summary and the report.

No Airflow import: the operator hands in what Airflow resolves (the connection's client factory, the
ledger of the campaign's scope, object storage paths; anything with ``open``/``parent``/``name``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sized
from contextlib import AbstractContextManager, ExitStack
from typing import IO, Any

from airflow_provider_messaging.campaign import results as r
from airflow_provider_messaging.campaign.engine import Campaign, CampaignLedger, CampaignStopped, ResendPolicy
from airflow_provider_messaging.campaign.keys import CampaignKey
from airflow_provider_messaging.campaign.recipients import InputRow, rows_from_items, rows_from_stream
from airflow_provider_messaging.campaign.render import MessageTemplate
from airflow_provider_messaging.campaign.report import render_report

RESULTS_NAME = "results.jsonl"
REPORT_NAME = "report.html"


def report_path_for(results_path: Any) -> Any:
    """The report beside the results: ``report.html`` for ``results.jsonl``, else ``<stem>.report.html``."""
    name = str(results_path.name)
    if name == RESULTS_NAME:
        return results_path.parent / REPORT_NAME
    stem = name.removesuffix(".gz").rsplit(".", 1)[0]
    return results_path.parent / f"{stem}.report.html"


class AdviceOnce:
    """A logger for the client of a campaign: the client's per-message advice (``Message id=...:
    <advice>``, e.g. the image recommendation) is logged once per distinct advice, at most
    ``limit`` of them, not once per message; everything else passes through."""

    def __init__(self, log: Any, limit: int = 5) -> None:
        self._log = log
        self._seen: set[str] = set()
        self._limit = limit

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if msg.startswith("Message id=") and len(args) == 2:
            advice = str(args[1])
            if advice in self._seen or len(self._seen) > self._limit:
                return
            self._seen.add(advice)
            if len(self._seen) > self._limit:
                self._log.warning("Further advice on single messages is not logged for this campaign")
                return
            msg = "Campaign message advice (logged once, first for id=%s): %s"
        self._log.warning(msg, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


class _Source:
    """The recipients as rows, and an estimate of how many there are (for progress and ETA)."""

    def __init__(self, recipients: Any, fmt: str | None, dest_field: str, stack: ExitStack) -> None:
        self.read = 0
        self.size: int | None = None
        self.stream: IO[bytes] | None = None
        self.count: int | None = None
        if hasattr(recipients, "open") and hasattr(recipients, "name"):
            try:
                self.size = int(recipients.stat().st_size)
            except (OSError, AttributeError, TypeError, ValueError):
                self.size = None
            self.stream = stack.enter_context(recipients.open("rb", **r.block_size(recipients, r.READ_BLOCK)))
            rows = rows_from_stream(self.stream, str(recipients.name), fmt, dest_field)
            self.description = f"file {recipients}"
        elif (
            isinstance(recipients, (str, bytes)) or not isinstance(recipients, Iterable) or isinstance(recipients, dict)
        ):
            raise ValueError(
                "recipients must be a list (of numbers, or of mappings with dest_addr), an XCom value "
                f"of one, or a file (path or URI); got {type(recipients).__name__}"
            )
        else:
            self.count = len(recipients) if isinstance(recipients, Sized) else None
            rows = rows_from_items(recipients, dest_field)
            self.description = f"list of {self.count:,} recipients" if self.count is not None else "recipients"
        self.rows = self._counted(rows)

    def _counted(self, rows: Iterator[InputRow]) -> Iterator[InputRow]:
        for row in rows:
            self.read += 1
            yield row

    def estimate(self) -> int | None:
        if self.count is not None:
            return self.count
        if self.stream is None or not self.size:
            return None
        try:
            position = self.stream.tell()
        except (OSError, ValueError):
            return None
        if position <= 0:
            return None
        return int(self.read * self.size / position) if position < self.size else self.read


class CampaignRun:
    """Everything one run of a campaign (or of one of its shards) needs; ``execute()`` returns the summary.

    :param client_factory: ``hook.get_async_conn``: an awaitable giving a new ``AsyncMessagingClient``.
    :param ledger: the campaign scope's ledger (``MessageStore.ledger(key.scope)``).
    :param results_path: where the results go (a path object: ``ObjectStoragePath`` or alike).
    """

    def __init__(
        self,
        *,
        recipients: Any,
        template: MessageTemplate,
        key: CampaignKey,
        ledger: CampaignLedger,
        client_factory: Callable[[], Awaitable[Any]],
        results_path: Any,
        platform_dedup: bool,
        recipients_format: str | None = None,
        dest_addr_field: str = "dest_addr",
        shard: tuple[int, int] | None = None,
        concurrency: int = 16,
        max_rate: float | None = None,
        resend_unconfirmed: bool = False,
        progress_interval: float = 5.0,
        log: logging.Logger | Any = None,
        campaign_name: str | None = None,
    ) -> None:
        self.recipients = recipients
        self.template = template
        self.key = key
        self.ledger = ledger
        self.client_factory = client_factory
        self.results_path = results_path
        self.report_path = report_path_for(results_path)
        self.policy = ResendPolicy(platform_dedup=platform_dedup, resend_unconfirmed=resend_unconfirmed)
        self.recipients_format = recipients_format
        self.dest_addr_field = dest_addr_field
        self.shard = shard
        self.concurrency = concurrency
        self.max_rate = max_rate
        self.progress_interval = progress_interval
        self.log = log or logging.getLogger(__name__)
        self.campaign_name = campaign_name or key.scope.removeprefix("campaign:")
        self.stopped: str | None = None

    def execute(self) -> dict[str, Any]:
        """Run it; the summary (counts only) is returned, also when the platform refused the account
        (then ``stopped`` says why)."""
        summary = r.Summary()
        self.results_path.parent.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            source = _Source(self.recipients, self.recipients_format, self.dest_addr_field, stack)
            out: IO[str] = stack.enter_context(self._open_text(self.results_path))
            writer = r.ResultWriter(out, summary)
            progress = r.Progress(self.log.info, source.estimate, interval=self.progress_interval)
            shard = f", shard {self.shard[0]} of {self.shard[1]}" if self.shard else ""
            self.log.info(
                "Campaign %s%s: %s, %s, at most %d in flight%s; results: %s",
                self.campaign_name,
                shard,
                source.description,
                self.template.channel,
                self.concurrency,
                f", at most {self.max_rate:g}/s" if self.max_rate else "",
                self.results_path,
            )
            try:
                asyncio.run(self._run(source.rows, writer, progress))
            except CampaignStopped as exc:
                self.stopped = str(exc)
        summary.finished = summary.finished or summary.started + summary.duration
        data = summary.as_dict(
            campaign=self.campaign_name,
            scope=self.key.scope,
            shard=list(self.shard) if self.shard else None,
            results_path=str(self.results_path),
            report_path=str(self.report_path),
            channel=self.template.channel.upper(),
        )
        if self.stopped:
            data["stopped"] = self.stopped
        self.report_path.write_text(render_report(data, title=f"Campaign {self.campaign_name}"), encoding="utf-8")
        self.log.info(
            "Campaign %s%s done in %.1f s (%s sent, %.1f/s):\n%s\nresults: %s\nreport: %s",
            self.campaign_name,
            f" (shard {self.shard[0]} of {self.shard[1]})" if self.shard else "",
            data["duration_s"],
            f"{data['sent']:,}",
            data["rate_per_s"],
            r.counts_table(data),
            data["results_path"],
            data["report_path"],
        )
        return data

    @staticmethod
    def _open_text(path: Any) -> AbstractContextManager[IO[str]]:
        return path.open("w", encoding="utf-8", **r.block_size(path, r.WRITE_BLOCK))  # type: ignore[no-any-return]

    async def _run(self, rows: Iterable[InputRow], writer: r.ResultWriter, progress: r.Progress) -> None:
        async with await self.client_factory() as client:
            campaign = Campaign(
                rows=rows,
                template=self.template,
                key=self.key,
                ledger=self.ledger,
                sender=client,
                writer=writer,
                policy=self.policy,
                concurrency=self.concurrency,
                max_rate=self.max_rate,
                shard=self.shard,
                progress=progress,
            )
            await campaign.run()
