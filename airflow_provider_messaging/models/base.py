"""Shared base of the wire models. No Airflow imports; every model rule raises ``InvalidMessageError``."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from airflow_provider_messaging.exceptions import InvalidMessageError

W = TypeVar("W", bound="WireModel")


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields refused; absent, never null."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=False,
        validate_assignment=True,
        loc_by_alias=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict the platform expects (camelCase, optional fields absent)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def parse(cls: type[W], data: Any, what: str | None = None, context: dict[str, Any] | None = None) -> W:
        """Validate ``data`` (a model instance or a wire-shaped dict) or raise InvalidMessageError."""
        if isinstance(data, cls):
            data = data.to_wire()
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise InvalidMessageError.from_validation_error(exc, what or cls.__name__) from None
