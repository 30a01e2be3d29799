"""Shared base of the wire models and the error every model rule raises. No Airflow imports."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel


_SUBFIELD = re.compile(r"^[A-Za-z_][\w.]*: ")


class PicklableError(Exception):
    """Errors whose ``__init__`` takes other arguments than their ``args`` still pickle (process
    pools, multiprocessing): they are rebuilt from ``args`` and their attributes."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class InvalidMessageError(PicklableError, ValueError):
    """Input breaks a platform rule. Raised before any request; names each field and its rule.

    ``problems`` is a list of ``(field, rule)`` pairs, the field in the wire's camelCase path.
    """

    def __init__(self, problems: list[tuple[str, str]], what: str = "message") -> None:
        self.problems = problems
        self.what = what
        lines = "; ".join(f"{field}: {rule}" if field else rule for field, rule in problems)
        super().__init__(f"invalid {what}: {lines}")

    @classmethod
    def from_validation_error(cls, exc: ValidationError, what: str = "message") -> InvalidMessageError:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(p) for p in err["loc"])
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            # a model-level rule reports "sub.path: rule; other.path: rule": flatten onto the loc
            parts = msg.split("; ")
            if all(_SUBFIELD.match(part) for part in parts):
                for part in parts:
                    sub, rule = part.split(": ", 1)
                    problems.append((f"{field}.{sub}" if field else sub, rule))
            else:
                problems.append((field, msg))
        return cls(problems, what)


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an error without calling its ``__init__`` (whose arguments are not its ``args``)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


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
    def parse(cls, data: Any, what: str | None = None, context: dict[str, Any] | None = None):
        """Validate ``data`` (a model instance or a wire-shaped dict) or raise InvalidMessageError."""
        if isinstance(data, cls):
            data = data.to_wire()
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise InvalidMessageError.from_validation_error(exc, what or cls.__name__) from None
