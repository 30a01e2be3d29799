"""Delivery tracking of a whole campaign, from the message store: no mtNum goes to XCom or to a trigger.

The accepted messages of a campaign are its ledger rows in state ``accepted`` with an mtNum. A cycle
pages through them, leaves out those whose stored report is already final (so after the first cycle
only pending messages are asked for), asks the platform for the rest in batches of up to 1,000
mtNums per status request, and stores the answers (``record_reports``: one row per mtNum, a final
report never replaced). Counts and per-message statuses are then read back from the store.

Each cycle first resolves the campaign's ``unconfirmed`` sends (in flight, no answer) that a pushed
delivery report echoes by partner id: the platform did accept them, so they become ``accepted`` with
that report's mtNum and are tracked like the rest (``store.reconcile``).

No Airflow import. The async functions serve the triggerer (never blocking its event loop); the
sync ones the worker (writing the statuses file when the wait is over).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from airflow_provider_messaging.campaign.keys import scope_for_id
from airflow_provider_messaging.models.outcomes import MAX_STATUS_BATCH, PENDING, outcome_of
from airflow_provider_messaging.store.reconcile import aresolve_unconfirmed
from airflow_provider_messaging.store.records import ACCEPTED

#: ledger rows read (and their stored reports looked up) per page
PAGE = 1000


@dataclass
class TrackingCycle:
    """What one cycle saw: ``total`` accepted messages with an mtNum, how many are ``final``, the
    outcome counts, how many status requests it made, and how many unconfirmed sends pushed reports
    resolved."""

    total: int = 0
    final: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    resolved: int = 0

    @property
    def pending(self) -> int:
        return self.total - self.final


def scope_of(campaign: Any) -> str:
    """The ledger scope of a campaign: from its summary (``{"scope": ...}``, or a list of shard
    summaries), or from its name (``campaign_id``, or ``campaign:...`` as it is)."""
    if isinstance(campaign, dict):
        scope = campaign.get("scope")
        if isinstance(scope, str) and scope:
            return scope
        raise ValueError("campaign: a campaign summary must carry its 'scope' (the operator's return value)")
    if isinstance(campaign, (list, tuple)) and campaign:
        scopes = {scope_of(part) for part in campaign}
        if len(scopes) == 1:
            return scopes.pop()
        raise ValueError(f"campaign: the summaries belong to different campaigns: {sorted(scopes)}")
    if isinstance(campaign, str) and campaign.strip():
        text = campaign.strip()
        return text if text.startswith("campaign:") else scope_for_id(text)
    raise ValueError(
        "campaign: expected a campaign summary (the operator's XCom), a list of shard summaries, "
        f"or a campaign id; got {campaign!r}"
    )


def _outcome(record: Any) -> str:
    if record is None:
        return PENDING
    return outcome_of(record.status, record.error_code)


async def atrack_cycle(
    store: Any, scope: str, client: Any, *, batch_size: int = MAX_STATUS_BATCH, ask_platform: bool = True
) -> TrackingCycle:
    """One cycle: ask for every accepted message of ``scope`` not final in the store (full batches of
    ``batch_size`` mtNums), store the answers, count outcomes. ``client`` is an ``AsyncMessagingClient``.
    ``ask_platform`` False (the sensor's ``source="receiver"``, or ``"both"`` before ``poll_after``): only
    the reports the receiver stored count; the platform is not asked (``client`` may be None)."""
    cycle = TrackingCycle(resolved=len(await aresolve_unconfirmed(store, scope)))
    page: list[str] = []
    asking: list[str] = []

    async def ask(mt_nums: list[str]) -> None:
        reports: dict[str, Any] = {}
        if ask_platform:
            reports = await client.get_statuses(mt_nums, batch_size)
            cycle.requests += 1
        if reports:
            await store.arecord_reports([r.model_dump(by_alias=True, exclude_none=True) for r in reports.values()])
        for n in mt_nums:
            report = reports.get(n)
            cycle.total += 1
            if report is not None and report.is_final:
                cycle.final += 1
                cycle.outcomes[outcome_of(report.status, report.error_code)] += 1
            else:
                cycle.outcomes[PENDING] += 1

    async def look_up() -> None:
        stored = await store.aget_reports(page)
        for n in page:
            record = stored.get(n)
            if record is not None and record.final:
                cycle.total += 1
                cycle.final += 1
                cycle.outcomes[_outcome(record)] += 1
            else:
                asking.append(n)
        page.clear()
        while len(asking) >= batch_size:
            batch = asking[:batch_size]
            del asking[:batch_size]
            await ask(batch)

    async for entry in store.aiterate_ledger(scope, [ACCEPTED], batch_size=PAGE):
        if entry.mt_num:
            page.append(entry.mt_num)
            if len(page) >= PAGE:
                await look_up()
    if page:
        await look_up()
    if asking:
        await ask(asking)
    return cycle


def _accepted(store: Any, scope: str) -> Iterator[list[Any]]:
    page: list[Any] = []
    for entry in store.iterate_ledger(scope, [ACCEPTED], batch_size=PAGE):
        if entry.mt_num:
            page.append(entry)
            if len(page) >= PAGE:
                yield page
                page = []
    if page:
        yield page


def write_statuses(store: Any, scope: str, out: IO[str]) -> TrackingCycle:
    """One JSON line per accepted message of ``scope`` with its stored status; returns the counts."""
    cycle = TrackingCycle()
    for page in _accepted(store, scope):
        stored = store.get_reports([e.mt_num for e in page])
        for entry in page:
            record = stored.get(entry.mt_num)
            outcome = _outcome(record)
            cycle.total += 1
            cycle.final += bool(record is not None and record.final)
            cycle.outcomes[outcome] += 1
            out.write(
                json.dumps(
                    {
                        "row": entry.row_no,
                        "recipient": entry.recipient,
                        "partner_id": entry.partner_id,
                        "mt_num": entry.mt_num,
                        "outcome": outcome,
                        "status": None if record is None else record.status,
                        "error_code": None if record is None else record.error_code,
                        "done_date": None if record is None else record.done_date,
                    },
                    separators=(",", ":"),
                )
                + "\n"
            )
    return cycle
