"""What the provider's tasks put in XCom, and how they read what other tasks rendered into them.

One place for: the per-message status value (sensor and trigger), a send's result, a template's
result, and the parsing of rendered ``mt_nums`` / ``statuses`` (a JSON or Python-literal string is
what Jinja gives back). Light on purpose: imported when a DAG file is parsed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_messaging.models.outcomes import PENDING, outcome_of

if TYPE_CHECKING:
    from airflow_provider_messaging.models.results import SendResult
    from airflow_provider_messaging.models.send import SendRequest
    from airflow_provider_messaging.models.status import DeliveryReport
    from airflow_provider_messaging.models.templates import TemplateResult

#: Keys of each per-message value in the sensor's XCom (and in the trigger's event).
REPORT_XCOM_KEYS: tuple[str, ...] = (
    "status",
    "status_name",
    "error_code",
    "failure",
    "final",
    "done_date",
    "outcome",
    "id",
)
_SEPARATORS = re.compile(r"[\s,;]+")


# --- writing ------------------------------------------------------------------------------------------
def report_xcom(report: DeliveryReport) -> dict[str, Any]:
    """The JSON-ready per-message value of a delivery report (keys: ``REPORT_XCOM_KEYS``)."""
    return {
        "status": report.status,
        "status_name": report.status_name,
        "error_code": report.error_code,
        "failure": report.failure,
        "final": report.is_final,
        "done_date": report.done_date,
        "outcome": report.outcome,
        "id": report.id,
    }


def pending_xcom() -> dict[str, Any]:
    """The per-message value for an mtNum the platform has not reported yet."""
    return {
        "status": None,
        "status_name": None,
        "error_code": None,
        "failure": None,
        "final": False,
        "done_date": None,
        "outcome": PENDING,
        "id": None,
    }


def statuses_to_xcom(reports: Mapping[str, DeliveryReport], mt_nums: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{mtNum: per-message value}`` for every mtNum asked, in the order asked (pending when unreported)."""
    return {n: (report_xcom(reports[n]) if n in reports else pending_xcom()) for n in mt_nums}


def send_xcom(request: SendRequest, result: SendResult) -> dict[str, Any]:
    """A send operator's result: ``{"mt_num", "id", "dest_addr", "channel", "duplicate"}``."""
    return {
        "mt_num": result.mt_num,
        "id": request.id,
        "dest_addr": request.dest_addr,
        "channel": request.channel.value,
        "duplicate": result.duplicate,
    }


def template_xcom(result: TemplateResult) -> dict[str, Any]:
    """``{"name", "channel", "code", "created", "answer"}``: JSON-ready, nothing secret."""
    return {
        "name": result.name,
        "channel": result.channel,
        "code": result.code,
        "created": result.created,
        "answer": result.answer,
    }


# --- reading --------------------------------------------------------------------------------------------
def outcome_from_xcom(entry: Mapping[str, Any]) -> str:
    """The outcome of one per-message value: its ``outcome`` key, else derived from ``status`` and
    ``error_code``."""
    outcome = entry.get("outcome")
    if isinstance(outcome, str) and outcome:
        return outcome
    status = entry.get("status")
    code = entry.get("error_code", entry.get("errorCode"))
    try:
        status = int(status) if status is not None else None
        code = int(code) if code not in (None, "") else 0
    except (TypeError, ValueError):
        return PENDING
    return outcome_of(status, code)


def is_rendered_structure(value: Any, openers: str = "[{") -> bool:
    """Whether ``value`` is a string that starts like a rendered list or dict (not an empty one)."""
    head = value.strip()[:1] if isinstance(value, str) else ""
    return bool(head) and head in openers


def parse_rendered(text: str, what: str, expected: str) -> Any:
    """A value Jinja rendered into a string: JSON, else a Python literal, else ``ValueError``."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        try:
            return ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"{what}: cannot read {text[:80]!r} as {expected}") from None


def indexed(items: Sequence[Any]) -> Iterable[Any]:
    """Items by index: a mapped task's lazy XCom sequence knows its length, iterating past it is noisy."""
    return (items[i] for i in range(len(items)))


def resolve_mt_nums(value: Any) -> tuple[list[str], list[str]]:
    """Flatten what ``mt_nums`` may be into mtNums (order kept, duplicates dropped).

    Accepted: an mtNum (str or int); a comma/space separated string; a JSON (or Python literal)
    list rendered into a string; a send operator's XCom ``{"mt_num", "id", ...}``; and any list
    or sequence of these (a mapped send task's output).

    :return: ``(mt_nums, untracked)`` where ``untracked`` describes send results without an mtNum
        (a duplicate of a message the platform had already accepted: there is nothing to track).
    """
    found: dict[str, None] = {}
    untracked: list[str] = []

    def walk(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, bool):
            raise ValueError(f"mt_nums: {item!r} is not an mtNum")
        if isinstance(item, int):
            found.setdefault(str(item), None)
        elif isinstance(item, str):
            text = item.strip()
            if is_rendered_structure(text, "[{("):
                walk(parse_rendered(text, "mt_nums", "a list of mtNums"))
            else:
                for part in _SEPARATORS.split(text):
                    if part:
                        found.setdefault(part, None)
        elif isinstance(item, Mapping):
            if "mt_num" not in item and "mtNum" not in item:
                raise ValueError(
                    "mt_nums: a dict must be a send task's result with an 'mt_num' key, got keys "
                    f"{sorted(map(str, item))[:8]}"
                )
            mt_num = item.get("mt_num", item.get("mtNum"))
            if mt_num in (None, ""):
                untracked.append(f"id={item.get('id')!r}" + (" (duplicate)" if item.get("duplicate") else ""))
            else:
                walk(str(mt_num))
        elif isinstance(item, Sequence):
            for sub in indexed(item):
                walk(sub)
        elif isinstance(item, Iterable):
            for sub in item:
                walk(sub)
        else:
            raise ValueError(f"mt_nums: cannot read mtNums from a {type(item).__name__}")

    walk(value)
    return list(found), untracked


def read_statuses(value: Any) -> dict[str, Mapping[str, Any]]:
    """The sensor's XCom (``{mtNum: {...}}``) from what ``statuses`` rendered to.

    Also accepts the trigger's event (``{"status", "reports": {...}}``), a list of results (a
    mapped sensor's output: merged) and the same shapes rendered to a JSON or Python-literal string.
    """
    if isinstance(value, str):
        value = parse_rendered(value, "statuses", "the sensor's result")
    if value is None:
        return {}
    if (
        isinstance(value, Sequence)
        and not isinstance(value, (str, bytes))
        and len(value)
        and all(isinstance(v, Mapping) for v in indexed(value))
    ):
        # a mapped sensor's results (one dict per map index): every message of every one of them
        merged: dict[str, Mapping[str, Any]] = {}
        for one in indexed(value):
            merged.update(read_statuses(one))
        return merged
    if isinstance(value, Mapping) and isinstance(value.get("reports"), Mapping):
        value = value["reports"]
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ValueError(
            "statuses: expected the DeliveryStatusSensor's result {mtNum: {status, error_code, outcome, ...}}, "
            f"got {type(value).__name__}"
        )
    return {str(k): v for k, v in value.items()}
