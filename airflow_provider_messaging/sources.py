"""Where ``DeliveryStatusSensor`` and its trigger read delivery reports from (``source=``).

- ``"poll"`` (default): the platform's status method, as before;
- ``"receiver"``: the message store, where the receiver keeps the reports the platform pushed;
  the platform is never asked;
- ``"both"``: the store first; the platform is polled only for the messages still not final
  ``poll_after`` seconds after the sensor started (a pushed report can be lost on the way).

Light at import (the sensor's module imports it when a DAG file is parsed): the store, the models
and pydantic load when reports are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_messaging.models.status import DeliveryReport

POLL = "poll"
RECEIVER = "receiver"
BOTH = "both"
SOURCES: tuple[str, ...] = (POLL, RECEIVER, BOTH)
#: Default seconds after which ``"both"`` polls the platform for messages still not final.
DEFAULT_POLL_AFTER = 300.0


def check_source(source: str, poll_after: float) -> tuple[str, float]:
    """``(source, poll_after)`` checked, or ``ValueError`` naming the argument and the rule."""
    if source not in SOURCES:
        raise ValueError(f"source: expected one of {', '.join(map(repr, SOURCES))}, got {source!r}")
    if isinstance(poll_after, bool) or not isinstance(poll_after, (int, float)) or poll_after < 0:
        raise ValueError(f"poll_after: expected a number of seconds >= 0, got {poll_after!r}")
    return source, float(poll_after)


def polls_platform(source: str, poll_at: float | None, now: float) -> bool:
    """Whether this cycle asks the platform (``poll_at``: when ``"both"`` starts polling, UNIX time)."""
    if source == POLL:
        return True
    if source == RECEIVER:
        return False
    return poll_at is None or now >= poll_at


def reports_of(records: Mapping[str, Any]) -> dict[str, DeliveryReport]:
    """The store's records (``DeliveryRecord``) as delivery reports, keyed by mtNum."""
    from airflow_provider_messaging.models.status import DeliveryReport

    return {mt_num: DeliveryReport.from_wire(record.as_wire()) for mt_num, record in records.items()}


def stored_reports(store_conn_id: str | None, mt_nums: Iterable[str]) -> dict[str, DeliveryReport]:
    """Reports the receiver stored for ``mt_nums`` (those without one are absent)."""
    from airflow_provider_messaging.store.airflow import get_store

    return reports_of(get_store(store_conn_id).get_reports(list(mt_nums)))


async def astored_reports(store_conn_id: str | None, mt_nums: Iterable[str]) -> dict[str, DeliveryReport]:
    """:func:`stored_reports` for an event loop (the triggerer): the store is read asynchronously."""
    from airflow_provider_messaging.store.airflow import aget_store

    store = await aget_store(store_conn_id)
    return reports_of(await store.aget_reports(list(mt_nums)))
