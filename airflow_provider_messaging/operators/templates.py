"""Operator that creates an operator template on the platform (SPEC §4, ``message-matchers``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.sdk import BaseOperator, Context

from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.hooks.messaging import MessagingHook
from airflow_provider_messaging.models.codes import WHATSAPP_VARIABLE, check_if_exists
from airflow_provider_messaging.operators.failures import fail_without_retries

if TYPE_CHECKING:
    import jinja2

    from airflow_provider_messaging.models.templates import TemplateRequest


def protect_placeholders(text: str) -> str:
    """Keep WhatsApp variables ``{{1}}`` literal through Jinja: ``{{1}}`` becomes
    ``{% raw %}{{1}}{% endraw %}``. A string that already uses ``{% raw %}`` is left as written."""
    if "{% raw" in text or "{%- raw" in text:
        return text
    return WHATSAPP_VARIABLE.sub(lambda m: "{% raw %}" + m.group(0) + "{% endraw %}", text)


class CreateTemplateOperator(BaseOperator):
    """Create a WhatsApp, Viber or SMS operator template, and learn at once if it is wrong.

    The template is validated after templating and before any request: a broken rule fails the
    task at once (``AirflowFailException``, no retries) with a message naming the field and the rule.

    :param template: the body in the platform's wire shape, ``{"messageMatcher": {...},
        "subjectIds": [...], "smsProviderIds": [...]}`` (Jinja works in any string inside it; the
        WhatsApp variables ``{{1}}``, ``{{2}}``... stay literal), a JSON string of it, or a
        ``TemplateRequest`` (used as validated when it was built; not templated).
    :param messaging_conn_id: the ``messaging`` connection; its extra ``api_key`` is the X-API-KEY.
    :param if_exists: ``"fail"`` (default): a template with that name or content already existing
        fails the task. ``"skip"``: that answer is success (logged, ``created: False``), so a re-run
        or a backfill is harmless.
    :param strict_enums: False lets a category / contentType / headerType / buttonType the
        documentation does not list through (for a value the platform accepts).
    :param extra_categories: categories accepted besides the documented ones, e.g. ``("TRANSACTIONAL",)``.
    :return: (XCom) ``{"name", "channel", "code", "created", "answer"}``: ``answer`` is what the
        platform answered; nothing secret.
    """

    template_fields: Sequence[str] = ("template",)
    template_fields_renderers: ClassVar[dict[str, str]] = {"template": "json"}
    ui_color = "#f0c040"

    def __init__(
        self,
        *,
        template: Mapping[str, Any] | TemplateRequest | str,
        messaging_conn_id: str = MessagingHook.default_conn_name,
        if_exists: Literal["fail", "skip"] = "fail",
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_if_exists(if_exists)
        self.template = template
        self.messaging_conn_id = messaging_conn_id
        self.if_exists = if_exists
        self.strict_enums = strict_enums
        self.extra_categories = (extra_categories,) if isinstance(extra_categories, str) else tuple(extra_categories)

    @cached_property
    def hook(self) -> MessagingHook:
        return MessagingHook(messaging_conn_id=self.messaging_conn_id)

    def render_template(
        self,
        content: Any,
        context: Context,
        jinja_env: jinja2.Environment | None = None,
        seen_oids: set[int] | None = None,
    ) -> Any:
        """Jinja as usual, except that WhatsApp variables ``{{n}}`` are kept as written."""
        if isinstance(content, str):
            content = protect_placeholders(content)
        return super().render_template(content, context, jinja_env, seen_oids)

    def build_request(self) -> TemplateRequest:
        """The validated template (after templating), or ``InvalidMessageError``."""
        from airflow_provider_messaging.models.templates import TemplateRequest

        template: Any = self.template
        if isinstance(template, TemplateRequest):
            return template
        if isinstance(template, str):
            try:
                template = json.loads(template)
            except ValueError:
                raise InvalidMessageError(
                    [("template", "must be a dict in the platform's wire shape, or a JSON string of one")]
                ) from None
        return TemplateRequest.parse(template, strict_enums=self.strict_enums, extra_categories=self.extra_categories)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_messaging.xcom import template_xcom

        with fail_without_retries():
            request = self.build_request()
            try:
                result = self.hook.create_template(request, if_exists=self.if_exists)
            except ValueError as exc:  # the connection has no api_key
                raise AirflowFailException(str(exc)) from None
        return template_xcom(result)
