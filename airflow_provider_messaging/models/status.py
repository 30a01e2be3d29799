"""Delivery reports (SPEC §2) as the platform sends them. No Airflow imports.

A report on the wire (pushed to ``notifyUrl`` or pulled from the status path) is
``{"mtNum": "...", "id": "...", "status": 5, "errorCode": 6, "doneDate": "2022-06-22T10:22:45+0300"}``.
Parsing is tolerant: unknown fields are kept, ``id``/``doneDate`` may be missing, and an unknown
status or failure code never raises (it reads ``unrecognised code N``). The outcome names a DAG
branches on are in :mod:`airflow_provider_messaging.models.outcomes`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from airflow_provider_messaging.models.codes import DeliveryFailure, DeliveryStatus, failure_name, status_name
from airflow_provider_messaging.models.outcomes import is_final_status, outcome_of

log = logging.getLogger(__name__)


class DeliveryReport(BaseModel):
    """One delivery report (SPEC §2). snake_case in Python, camelCase on the wire.

    ``status`` and ``error_code`` stay plain ints so an undocumented value is kept as sent;
    ``status_name``, ``failure`` and ``outcome`` name them (``unrecognised code N`` when unknown).
    Fields the platform adds are kept (``model_extra``).
    """

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True, coerce_numbers_to_str=True)

    mt_num: str = Field(alias="mtNum")
    id: str | None = None
    status: int
    error_code: int = Field(default=0, alias="errorCode")
    done_date: str | None = Field(default=None, alias="doneDate")

    @field_validator("error_code", mode="before")
    @classmethod
    def _code_or_zero(cls, value: Any) -> Any:
        return 0 if value is None or value == "" else value

    # --- names --------------------------------------------------------------------------------
    @property
    def delivery_status(self) -> DeliveryStatus | None:
        """The status as an enum member, or None when it is not in the table."""
        try:
            return DeliveryStatus(self.status)
        except ValueError:
            return None

    @property
    def status_name(self) -> str:
        """``DELIVERED``, ``UNDELIVERABLE``, ... or ``unrecognised code N``."""
        return status_name(self.status)

    @property
    def is_final(self) -> bool:
        """True once the message reached a final status (an unknown status is not final)."""
        return is_final_status(self.status)

    @property
    def failure(self) -> str | None:
        """For status 5: the failure name (``call-barred``, ..., ``unrecognised code N``;
        ``unknown`` when errorCode is 0 or absent). None for any other status."""
        if self.status != DeliveryStatus.UNDELIVERABLE:
            return None
        return failure_name(self.error_code) or DeliveryFailure.UNKNOWN.failure_name

    @property
    def outcome(self) -> str:
        """The outcome a branch keys on (see the module's table)."""
        return outcome_of(self.status, self.error_code)

    # --- wire --------------------------------------------------------------------------
    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeliveryReport:
        """Validate one report in the wire shape (raises ``pydantic.ValidationError``)."""
        return cls.model_validate(data)

    def to_wire(self) -> dict[str, Any]:
        """The report in its wire shape (camelCase), extra fields included."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_reports(data: Any, asked: Iterable[str] | None = None) -> dict[str, DeliveryReport]:
    """Parse a status answer ``{"reports": [...]}`` (or a bare list, or one pushed report object).

    Keys are mtNums. Reports for mtNums not in ``asked`` (when given) are ignored; a report that
    cannot be read (no mtNum, a status that is not a number) is logged and skipped, so that mtNum
    simply stays not final. A final report is never replaced by a later non-final one in the same
    answer. Raises ``ValueError`` when the answer has no list of reports at all.
    """
    if isinstance(data, Mapping) and "reports" in data:
        items = data["reports"]
    elif isinstance(data, Mapping) and "mtNum" in data:
        items = [data]
    else:
        items = data
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ValueError("the status answer has no list of reports")
    wanted = None if asked is None else {str(n) for n in asked}
    try:  # fast path: the whole list in one call into pydantic-core
        reports: list[DeliveryReport] = _REPORT_LIST.validate_python(items)
    except ValidationError:  # some item is unreadable: item by item, skipping the bad ones
        reports = []
        for item in items:
            if not isinstance(item, Mapping):
                log.warning("Ignoring a delivery report that is not an object: %.100r", item)
                continue
            try:
                reports.append(DeliveryReport.from_wire(item))
            except ValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors(include_url=False))
                log.warning("Ignoring an unreadable delivery report for mtNum %r (bad %s)", item.get("mtNum"), fields)
    return _select(reports, wanted)


def parse_status_body(body: bytes | str, asked: Iterable[str] | None = None) -> dict[str, DeliveryReport]:
    """Parse the raw body of a status answer, like :func:`parse_reports` (same result and rules).

    A well-formed ``{"reports": [...]}`` is read straight from the bytes in one call into
    pydantic-core; anything else takes the tolerant path. Raises ``ValueError`` when the body is not
    JSON or has no list of reports.
    """
    try:
        answer = _ANSWER.validate_json(body)
    except ValidationError:
        data = json.loads(body) if body else None
        if not isinstance(data, Mapping):
            raise ValueError("the status answer is not a JSON object") from None
        return parse_reports(data, asked)
    return _select(answer.reports, None if asked is None else {str(n) for n in asked})


def _select(reports: Iterable[DeliveryReport], wanted: set[str] | None) -> dict[str, DeliveryReport]:
    """Keyed by mtNum, only those asked for; a final report is never replaced by a non-final one."""
    out: dict[str, DeliveryReport] = {}
    for report in reports:
        if wanted is not None and report.mt_num not in wanted:
            continue
        previous = out.get(report.mt_num)
        if previous is not None and previous.is_final and not report.is_final:
            continue
        out[report.mt_num] = report
    return out


class _StatusAnswer(BaseModel):
    """The pull answer's envelope (other top-level fields are ignored)."""

    reports: list[DeliveryReport]


_REPORT_LIST: TypeAdapter[list[DeliveryReport]] = TypeAdapter(list[DeliveryReport])
_ANSWER: TypeAdapter[_StatusAnswer] = TypeAdapter(_StatusAnswer)
