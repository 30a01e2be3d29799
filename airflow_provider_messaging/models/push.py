"""What the platform pushes to the partner: delivery reports (SPEC §2) and MO messages (SPEC §3).

No Airflow imports. The receiver validates every pushed item with these models before anything is
stored; the rules on status and failure codes are the ones of :class:`DeliveryReport` (a pushed
report *is* a delivery report), only the types are checked more firmly, because a push is input
from outside, not an answer the provider asked for:

- a report needs ``mtNum`` (a non-empty string; a number is read as its digits) and ``status``
  (an integer; a digit string is read as its number; ``true``/``false`` and fractions are refused);
  ``errorCode`` is an integer when present; ``id`` and ``doneDate`` may be missing;
- an MO message needs ``transactionId``, ``sourceAddr`` (the subscriber) and ``destAddr`` (the
  service number written to), all non-empty strings; ``message``, ``mediaURL``, ``type``,
  ``partCount`` and ``receivedDate`` may be missing ([decided]: only the first three are needed to
  act on a message);
- fields the platform adds are kept as they came.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from airflow_provider_messaging.models.status import DeliveryReport


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    return value


class PushedReport(DeliveryReport):
    """One delivery report as pushed to ``notifyUrl`` (SPEC §2); see the module for the rules."""

    mt_num: str = Field(alias="mtNum", min_length=1)

    @field_validator("status", mode="before")
    @classmethod
    def _status_not_bool(cls, value: Any) -> Any:
        return _no_bool(value)

    @field_validator("error_code", mode="before")
    @classmethod
    def _code_not_bool(cls, value: Any) -> Any:  # besides DeliveryReport's rule (absent or "" is 0)
        return _no_bool(value)


class IncomingMessage(BaseModel):
    """One MO message (subscriber to partner, SPEC §3). snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True, coerce_numbers_to_str=True)

    transaction_id: str = Field(alias="transactionId", min_length=1)
    source_addr: str = Field(alias="sourceAddr", min_length=1)
    dest_addr: str = Field(alias="destAddr", min_length=1)
    type: str | None = None
    message: str | None = None
    part_count: int | None = Field(default=None, alias="partCount", ge=1)
    received_date: str | None = Field(default=None, alias="receivedDate")
    media_url: str | None = Field(default=None, alias="mediaURL")

    @field_validator("part_count", mode="before")
    @classmethod
    def _count_not_bool(cls, value: Any) -> Any:
        return _no_bool(value)

    def to_wire(self) -> dict[str, Any]:
        """The message in its wire shape (camelCase), extra fields included."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


__all__ = ["IncomingMessage", "PushedReport"]
