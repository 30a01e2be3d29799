"""One message per recipient: the message fields compiled once as Jinja templates, rendered with
the recipient's fields (``{{ recipient.first_name }}``) besides a shared context, then validated by
the wire models (``compose_message``: the platform's rules live there, once).

A string field is compiled only when it holds Jinja syntax; a field that never mentions
``recipient`` is rendered once, up front. When no field depends on the recipient at all, the
message is validated once and each recipient only gets its number checked (the same
``normalize_dest_addr`` rule) and its partner id set.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import meta

from airflow_provider_messaging.campaign.fields import MESSAGE_FIELDS
from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.models.send import SendRequest, compose_message, normalize_dest_addr

#: the name the recipient's fields have in templates
RECIPIENT = "recipient"
_JINJA_MARKS = ("{{", "{%", "{#")


class RowUndefined(jinja2.StrictUndefined):
    """Undefined that fails on use (as ``StrictUndefined``) and names the recipient's missing field;
    ``| default(...)`` still works."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if isinstance(self._undefined_obj, Mapping) and isinstance(self._undefined_name, str):
            return f"the template needs the recipient field {self._undefined_name!r}, which this row does not have"
        return super()._undefined_message


class Rejected(Exception):
    """A row that cannot become a valid message: ``field`` and ``rule`` say why."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    @classmethod
    def from_invalid(cls, exc: InvalidMessageError) -> Rejected:
        field, rule = exc.problems[0] if exc.problems else ("message", str(exc))
        rest = "; ".join(f"{f}: {r}" for f, r in exc.problems[1:])
        return cls(field or "message", f"{rule}; {rest}" if rest else rule)


Renderer = Callable[[Mapping[str, Any]], Any]


class MessageTemplate:
    """The campaign's message, compiled once.

    :param env: the Jinja environment to compile with (the task's, so DAG macros and filters work);
        its ``undefined`` is replaced by ``RowUndefined``.
    :param context: what templates see besides ``recipient`` (the task context).
    :param fields: the ``compose_message`` arguments of ``MESSAGE_FIELDS`` (strings, possibly nested in
        ``schedule`` / ``extra_params`` / ``cascade``, are templates).
    """

    def __init__(
        self,
        env: jinja2.Environment,
        *,
        channel: str,
        fields: Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        viber_sessions: bool = False,
    ) -> None:
        unknown = set(fields) - set(MESSAGE_FIELDS)
        if unknown:
            raise ValueError(f"unknown message field(s): {', '.join(sorted(unknown))}")
        self.env = env.overlay(undefined=RowUndefined)
        self.channel = channel.upper()  # VIBER / WHATSAPP, as on the wire and in partner ids
        self.viber_sessions = viber_sessions
        self._base: ChainMap[str, Any] = ChainMap(dict(context or {}), dict(self.env.globals))
        self.per_recipient: dict[str, Renderer] = {}
        self.fixed: dict[str, Any] = {}
        for name, value in fields.items():
            renderer, depends = self._compile(value, name)
            if depends:
                self.per_recipient[name] = renderer
            else:
                try:
                    self.fixed[name] = renderer(self._base)
                except jinja2.TemplateError as exc:
                    raise InvalidMessageError([(name, f"template: {exc}")]) from None
        self._prototype: SendRequest | None = None
        if not self.per_recipient:
            # nothing depends on the recipient: validate the message once (with a placeholder
            # recipient and id); per row only the number is checked
            self._prototype = compose_message(
                channel=channel, dest_addr="0000000000", message_id="-", viber_sessions=viber_sessions, **self.fixed
            )

    # --- compiling --------------------------------------------------------------------------------
    def _compile(self, value: Any, where: str) -> tuple[Renderer, bool]:
        """A renderer for ``value`` and whether it mentions ``recipient``."""
        if isinstance(value, str):
            if not any(mark in value for mark in _JINJA_MARKS):
                return (lambda _vars, v=value: v), False
            try:
                names = meta.find_undeclared_variables(self.env.parse(value))
                template = self.env.from_string(value)
            except jinja2.TemplateSyntaxError as exc:
                raise InvalidMessageError([(where, f"template syntax: {exc.message} (line {exc.lineno})")]) from None

            def render(variables: Mapping[str, Any], t: jinja2.Template = template) -> str:
                return "".join(t.root_render_func(t.new_context(variables, shared=True)))  # type: ignore[arg-type]

            return render, RECIPIENT in names
        if isinstance(value, Mapping):
            parts = {k: self._compile(v, f"{where}.{k}") for k, v in value.items()}
            depends = any(d for _, d in parts.values())
            return (lambda variables: {k: r(variables) for k, (r, _) in parts.items()}), depends
        if isinstance(value, (list, tuple)):
            items = [self._compile(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return (lambda variables: [r(variables) for r, _ in items]), any(d for _, d in items)
        return (lambda _vars, v=value: v), False

    # --- per recipient ----------------------------------------------------------------------------
    def render(self, recipient: Mapping[str, Any], dest_addr: str, message_id: str) -> SendRequest:
        """The validated request for one recipient, or ``Rejected(field, rule)``."""
        if self._prototype is not None:
            try:
                dest = normalize_dest_addr(dest_addr)
            except ValueError as exc:
                raise Rejected("destAddr", str(exc)) from None
            return self._prototype.model_copy(update={"dest_addr": dest, "id": message_id})
        variables = self._base.new_child({RECIPIENT: recipient})
        values = dict(self.fixed)
        for name, renderer in self.per_recipient.items():
            try:
                values[name] = renderer(variables)
            except jinja2.TemplateError as exc:
                raise Rejected(name, exc.message or str(exc)) from None
            except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
                raise Rejected(name, f"template failed: {type(exc).__name__}: {exc}") from None
        try:
            return compose_message(
                channel=self.channel,
                dest_addr=dest_addr,
                message_id=message_id,
                viber_sessions=self.viber_sessions,
                **values,
            )
        except InvalidMessageError as exc:
            raise Rejected.from_invalid(exc) from None
