"""Templates part of ``MessagingHook`` (SPEC §4, the ``message-matchers`` method)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_messaging.exceptions import MessagingApiError, error_from_response
from airflow_provider_messaging.models.codes import TEMPLATE_OK
from airflow_provider_messaging.models.templates import TemplateRequest, TemplateResult
from airflow_provider_messaging.template_errors import (
    TemplateNameExistsError,
    template_error_from_answer,
    template_error_from_response,
)

if TYPE_CHECKING:
    import logging

    import requests

    from airflow_provider_messaging.hooks.messaging import MessagingSettings

IF_EXISTS_CHOICES = ("fail", "skip")
API_KEY_HEADER = "X-API-KEY"


class TemplatesMixin:
    """Mixed into ``MessagingHook``; uses its ``settings``, ``post_json``, ``_scrub`` and ``log``."""

    if TYPE_CHECKING:
        messaging_conn_id: str
        settings: MessagingSettings
        log: logging.Logger

        def post_json(self, url: str, payload: Mapping[str, Any], **kwargs: Any) -> requests.Response: ...
        def _scrub(self, exc: MessagingApiError) -> MessagingApiError: ...

    def create_template(
        self,
        template: TemplateRequest | Mapping[str, Any],
        *,
        if_exists: Literal["fail", "skip"] = "fail",
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
    ) -> TemplateResult:
        """Create an operator template (``message-matchers``); the body is validated before any request.

        :param template: a ``TemplateRequest`` (used as validated when it was built) or a dict in
            the platform's wire shape ``{"messageMatcher": {...}, "subjectIds": [...]}``.
        :param if_exists: ``"fail"`` raises ``TemplateNameExistsError`` when a template with that
            name or content exists; ``"skip"`` returns ``TemplateResult(created=False)`` instead.
        :param strict_enums: False lets an undocumented category / contentType / headerType /
            buttonType through (a dict template only).
        :param extra_categories: categories accepted besides the documented ones (a dict template only).
        :raises InvalidMessageError: the template breaks a documented rule (no request is made).
        :raises ValueError: the connection has no ``api_key`` extra, or ``if_exists`` is unknown.
        :raises TemplateError: the platform refused the template (a subclass per answer code).
        """
        if if_exists not in IF_EXISTS_CHOICES:
            raise ValueError(f"if_exists must be 'fail' or 'skip', got {if_exists!r}")
        if isinstance(template, TemplateRequest):
            request = template
        else:
            request = TemplateRequest.parse(template, strict_enums=strict_enums, extra_categories=extra_categories)
        settings = self.settings
        if not settings.api_key:
            raise ValueError(
                f"connection {self.messaging_conn_id!r}: the extra 'api_key' (the X-API-KEY of the templates "
                "method) is required to create templates"
            )
        url = settings.url(settings.templates_url)
        channel = request.channel.value
        self.log.info("Creating %s template %r at %s", channel, request.name, url)
        try:
            response = self.post_json(
                url, request.to_wire(), headers={API_KEY_HEADER: settings.api_key},
                safe_to_repeat=True, error_parser=template_error_from_response,
            )
            try:
                answer = _answer_json(response)
                code = answer.get("code", TEMPLATE_OK)
                if code != TEMPLATE_OK:
                    raise template_error_from_answer(str(code), response.status_code, answer)
            except MessagingApiError as exc:  # built from the answer: scrubbed like every other error
                raise self._scrub(exc) from None
        except TemplateNameExistsError as exc:
            if exc.after_unanswered_attempt:
                # our own earlier attempt most likely created it and its answer was lost
                self.log.warning(
                    "%s template %r: an earlier attempt got no answer and the retry was told the name "
                    "already exists: the earlier attempt created it", channel, request.name)
                answer = {"code": exc.code, "description": exc.description,
                          "note": "created by an earlier attempt whose answer was lost"}
                return TemplateResult(name=request.name, channel=channel, code=str(exc.code), created=True,
                                      answer={k: v for k, v in answer.items() if v is not None})
            if if_exists == "fail":
                raise
            self.log.info(
                "%s template %r already exists on the platform (%s): nothing created, treated as done "
                "(if_exists='skip')", channel, request.name, exc.description or exc.code,
            )
            refused = {"code": exc.code, "description": exc.description}
            return TemplateResult(name=request.name, channel=channel, code=str(exc.code), created=False,
                                  answer={k: v for k, v in refused.items() if v is not None})
        self.log.info("Created %s template %r", channel, request.name)
        return TemplateResult(name=request.name, channel=channel, code=TEMPLATE_OK, created=True, answer=answer)


def _answer_json(response: requests.Response) -> dict[str, Any]:
    """The 200 answer as a dict; anything else is an unexpected answer (not retried)."""
    try:
        data = json.loads(response.content) if response.content else {}
    except ValueError:
        raise error_from_response(response.status_code, response.content) from None
    if not isinstance(data, dict):
        raise error_from_response(response.status_code, response.content)
    return data
