"""What the platform answers (SPEC §1 "Answer"). No Airflow imports."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SendResult(BaseModel):
    """A send's outcome: the platform's ``mtNum``, the partner ``id`` sent, and whether the platform
    said the id had already been accepted (code 10 or a dedup answer), i.e. nothing new was sent."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    mt_num: str | None = Field(default=None, alias="mtNum")
    id: str | None = None
    duplicate: bool = False
