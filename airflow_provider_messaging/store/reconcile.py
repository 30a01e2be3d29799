"""Unconfirmed sends resolved by pushed delivery reports. No Airflow imports.

A send whose request left but whose answer never came stays ``in_flight`` in the send ledger (a
campaign reports it ``unconfirmed``: it is not resent without the platform's duplicate control). When
the platform then pushes a delivery report that echoes the partner id (``"id"``), the platform did
accept that message: :func:`resolve_unconfirmed` marks such ids ``accepted`` with the report's mtNum
(the ledger's rules keep an id that is accepted already as it is). Called when a campaign's delivery is
tracked; safe to call any number of times, from several processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from airflow_provider_messaging.store.core import MessageStore
from airflow_provider_messaging.store.records import ACCEPTED, IN_FLIGHT, DeliveryRecord, LedgerRecord

#: ``reason`` written on an id resolved this way.
RESOLVED_REASON = "accepted: a delivery report echoed this partner id"
#: Partner ids looked up per query.
BATCH = 500


def _records(reports: Mapping[str, DeliveryRecord], ids: Iterable[str]) -> list[LedgerRecord]:
    return [LedgerRecord(pid, ACCEPTED, reports[pid].mt_num, reason=RESOLVED_REASON) for pid in ids if pid in reports]


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    return (ids[i : i + BATCH] for i in range(0, len(ids), BATCH))


def resolve_unconfirmed(store: MessageStore, scope: str) -> dict[str, str]:
    """Mark the ``in_flight`` ids of ``scope`` that a stored report echoes as accepted with its mtNum.

    Returns ``{partner_id: mt_num}`` of the ids resolved by this call.
    """
    ledger = store.ledger(scope)
    waiting = [entry.partner_id for entry in ledger.iterate([IN_FLIGHT])]
    resolved: dict[str, str] = {}
    for chunk in _chunks(waiting):
        records = _records(store.get_reports_by_partner_id(chunk), chunk)
        if records:
            ledger.mark_results_many(records)
            resolved.update({r.partner_id: r.mt_num for r in records if r.mt_num is not None})
    return resolved


async def aresolve_unconfirmed(store: MessageStore, scope: str) -> dict[str, str]:
    """:func:`resolve_unconfirmed` for an event loop (the triggerer)."""
    ledger = store.ledger(scope)
    waiting = [entry.partner_id async for entry in ledger.aiterate([IN_FLIGHT])]
    resolved: dict[str, str] = {}
    for chunk in _chunks(waiting):
        records = _records(await store.aget_reports_by_partner_id(chunk), chunk)
        if records:
            await ledger.amark_results_many(records)
            resolved.update({r.partner_id: r.mt_num for r in records if r.mt_num is not None})
    return resolved
