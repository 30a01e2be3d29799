"""What both clients share: request bodies, the reading of answers, the settings-derived policy,
secret scrubbing and recipient masking. Only the transport differs (``requests`` in
:mod:`.sync`, ``httpx`` in :mod:`.aio`). No Airflow imports.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic_core import from_json

from airflow_provider_messaging.client.redact import Scrubber, mask_number
from airflow_provider_messaging.client.retry import RetryPolicy
from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.exceptions import (
    InvalidDestAddrError,
    InvalidIpAddressError,
    InvalidLoginError,
    InvalidPasswordError,
    MessagingApiError,
    TemplateNameExistsError,
    TransportError,
    error_from_response,
    template_error_from_answer,
)
from airflow_provider_messaging.models.codes import TEMPLATE_OK, check_if_exists
from airflow_provider_messaging.models.results import SendResult
from airflow_provider_messaging.models.send import SendRequest
from airflow_provider_messaging.models.status import DeliveryReport, parse_status_body
from airflow_provider_messaging.models.templates import TemplateRequest, TemplateResult

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
API_KEY_HEADER = "X-API-KEY"
IfExists = Literal["fail", "skip"]
#: codes of a request the platform read and refused for its content: the credentials were accepted
CREDENTIALS_ACCEPTED_CODES = (4, 7, 9, 11)


class Answer(Protocol):
    """The parts of an HTTP response the clients read (``requests`` and ``httpx`` both have them)."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...


def dumps(payload: Any) -> bytes:
    """The one JSON serialisation of request bodies (compact, UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def with_default_service_number(message: Mapping[str, Any], service_number: str | None) -> Mapping[str, Any]:
    """The wire dict with ``message.data.serviceNumber`` filled from the connection's default when
    it is absent (a copy; the caller's dict is not changed)."""
    if not service_number:
        return message
    inner = message.get("message")
    data = inner.get("data") if isinstance(inner, Mapping) else None
    if not isinstance(data, Mapping):
        return message
    if any(data.get(key) not in (None, "") for key in ("serviceNumber", "service_number")):
        return message
    data = {k: v for k, v in data.items() if k != "service_number"} | {"serviceNumber": service_number}
    return {**message, "message": {**inner, "data": data}}  # type: ignore[dict-item]


class Failure(enum.Enum):
    """How a request got no answer (each client maps its HTTP library's errors onto these)."""

    NOT_CONNECTED = "the request never left: safe to resend"
    NO_ANSWER = "sent, then no answer in time"
    DROPPED = "sent, then the connection broke"
    BROKE_OFF = "the answer started and broke off"
    BAD_URL = "the URL cannot be sent to"


def url_problem(url: str) -> str | None:
    """What makes ``url`` unusable (no http(s) scheme, no host, a space in the host, a bad port), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port out of range
    except ValueError as exc:
        return f"InvalidURL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"InvalidSchema: {parts.scheme or 'no'} scheme"
    host = parts.hostname or ""
    if not host or any(ch.isspace() for ch in host) or (port is not None and not 0 < port < 65536):
        return f"InvalidURL: host {host!r}"
    return None


class ClientCore:
    """Everything of a client except the transport. Subclasses add ``send``, ``get_statuses``,
    ``create_template`` and ``check_credentials`` over their HTTP library."""

    def __init__(self, settings: ClientSettings, *, logger: logging.Logger | Any = None) -> None:
        self.settings = settings
        self.log = logger or logging.getLogger("airflow_provider_messaging.client")
        self.policy = RetryPolicy(
            max_retries=settings.max_retries,
            backoff_initial=settings.backoff_initial,
            backoff_max=settings.backoff_max,
            max_retry_after=settings.max_retry_after,
            logger=self.log,
        )
        self.scrubber = Scrubber((settings.password, settings.api_key or ""), login=settings.login)
        #: status requests made by this client, for logs and benchmarks
        self.status_requests = 0
        credentials = {"login": settings.login, "password": settings.password}
        # ``{"login":...,"password":...`` without the closing brace, serialised once
        self.credentials_json = dumps(credentials)[:-1]
        self.credentials = credentials
        self.good_urls: set[str] = set()

    # --- errors ------------------------------------------------------------------------------------
    def check_url(self, url: str) -> None:
        """Refuse a URL neither HTTP library could send to (both clients, before any request), with
        the same non-retryable error: a malformed host never gets better by retrying."""
        if url in self.good_urls:
            return
        problem = url_problem(url)
        if problem:
            raise self.transport_failure(url, Failure.BAD_URL, repeatable=True, detail=problem)
        self.good_urls.add(url)

    def transport_failure(self, url: str, failure: Failure, *, repeatable: bool, detail: str = "") -> TransportError:
        """The error of a request that got no answer, worded the same by both clients; whether it may
        be retried is the retry policy's ambiguity rule."""
        if failure is Failure.BAD_URL:
            return TransportError(
                f"cannot send to {url!r}: {detail} (check the connection's host and paths)",
                ambiguous=False,
                retryable=False,
            )
        text = {
            Failure.NOT_CONNECTED: f"could not connect to {url}: {detail}",
            Failure.NO_ANSWER: f"no answer from {url} within {self.settings.timeout} s",
            Failure.DROPPED: f"the connection to {url} broke after the request was sent",
            Failure.BROKE_OFF: f"the answer from {url} broke off ({detail})",
        }[failure]
        return self.policy.no_answer(text, reached=failure is not Failure.NOT_CONNECTED, repeatable=repeatable)

    def refused(
        self, answer: Answer, parser: Any = error_from_response, retry_after: str | None = None
    ) -> MessagingApiError:
        """The typed error of an answer, scrubbed of the connection's secrets."""
        return self.scrubber.error(parser(answer.status_code, answer.content, retry_after))

    def json_object(self, answer: Answer) -> dict[str, Any]:
        """A 200 answer's JSON object; anything else is an unexpected answer (not retried)."""
        try:
            data = from_json(answer.content) if answer.content else {}
        except ValueError:
            raise self.refused(answer) from None
        if not isinstance(data, dict):
            raise self.refused(answer)
        return data

    # --- send (SPEC §1) -----------------------------------------------------------------------------
    def prepare_send(self, message: SendRequest | Mapping[str, Any]) -> tuple[SendRequest, bytes]:
        """Validate (before any request), fill the connection's default sender, and serialise:
        credentials first, then the request as pydantic writes it (camelCase, optional fields absent)."""
        if isinstance(message, SendRequest):
            request = message
        else:
            request = SendRequest.parse(
                with_default_service_number(message, self.settings.default_service_number), "message"
            )
        request.check_account(viber_sessions=self.settings.viber_sessions)
        for advice in request.advisories():
            self.log.warning("Message id=%s: %s", request.id, advice)
        if self.log.isEnabledFor(logging.DEBUG):  # masking costs more than the check
            self.log.debug(
                "Sending %s message id=%s to %s", request.channel.value, request.id, mask_number(request.dest_addr)
            )
        body = self.credentials_json + b"," + request.model_dump_json(by_alias=True, exclude_none=True).encode()[1:]
        return request, body

    def send_result(self, request: SendRequest, answer: Answer) -> SendResult:
        data = self.json_object(answer)
        mt_num = data.get("mtNum")
        if mt_num in (None, ""):
            raise self.refused(answer)
        result = SendResult(mt_num=str(mt_num), id=data.get("id", request.id))
        self.log.debug("Accepted: mtNum=%s id=%s", result.mt_num, result.id)
        return result

    def duplicate_result(self, request: SendRequest) -> SendResult:
        """Code 10: the platform already accepted this partner id. Not an error, and never resent."""
        self.log.warning("The platform already accepted message id=%s: not sent again", request.id)
        return SendResult(id=request.id, duplicate=True)

    # --- status (SPEC §2) ---------------------------------------------------------------------------
    def status_body(self, batch: Sequence[str]) -> bytes:
        return dumps({**self.credentials, "mtNums": list(batch)})

    def status_reports(self, answer: Answer, batch: Sequence[str]) -> dict[str, DeliveryReport]:
        """Parse a 200 answer's body; one that is not ``{"reports": [...]}`` is a typed error."""
        self.status_requests += 1
        try:
            return parse_status_body(answer.content, batch)
        except ValueError:
            raise self.refused(answer) from None

    # --- templates (SPEC §4) ------------------------------------------------------------------------
    def prepare_template(
        self,
        template: TemplateRequest | Mapping[str, Any],
        if_exists: str,
        strict_enums: bool,
        extra_categories: Iterable[str],
    ) -> tuple[TemplateRequest, bytes, dict[str, str]]:
        """Validate (before any request): the template, ``if_exists`` and the connection's api_key."""
        check_if_exists(if_exists)
        if isinstance(template, TemplateRequest):
            request = template
        else:
            request = TemplateRequest.parse(template, strict_enums=strict_enums, extra_categories=extra_categories)
        if not self.settings.api_key:
            raise ValueError(
                f"{self.settings.where()}the extra 'api_key' (the X-API-KEY of the templates method) "
                "is required to create templates"
            )
        self.log.info("Creating %s template %r at %s", request.channel.value, request.name, self.settings.template_url)
        return request, dumps(request.to_wire()), {API_KEY_HEADER: self.settings.api_key}

    def template_result(self, request: TemplateRequest, answer: Answer) -> TemplateResult:
        """A 200 answer: created, unless its body carries another answer code."""
        data = self.json_object(answer)
        code = data.get("code", TEMPLATE_OK)
        if code != TEMPLATE_OK:
            raise self.scrubber.error(template_error_from_answer(str(code), answer.status_code, data))
        self.log.info("Created %s template %r", request.channel.value, request.name)
        return TemplateResult(
            name=request.name, channel=request.channel.value, code=TEMPLATE_OK, created=True, answer=data
        )

    def template_exists(self, request: TemplateRequest, exc: TemplateNameExistsError, if_exists: str) -> TemplateResult:
        """ "already exists": our own earlier attempt (its answer lost), done (``skip``), or raised."""
        channel = request.channel.value
        note = None
        if exc.after_unanswered_attempt:  # our own earlier attempt most likely created it
            self.log.warning(
                "%s template %r: an earlier attempt got no answer and the retry was told the name "
                "already exists: the earlier attempt created it",
                channel,
                request.name,
            )
            note = "created by an earlier attempt whose answer was lost"
        elif if_exists == "fail":
            raise exc
        else:
            self.log.info(
                "%s template %r already exists on the platform (%s): nothing created, treated as done "
                "(if_exists='skip')",
                channel,
                request.name,
                exc.description or exc.code,
            )
        answer = {"code": exc.code, "description": exc.description, "note": note}
        return TemplateResult(
            name=request.name,
            channel=channel,
            code=str(exc.code),
            created=note is not None,
            answer={k: v for k, v in answer.items() if v is not None},
        )

    # --- credentials check ----------------------------------------------------------------------------
    def credentials_probe(self) -> bytes:
        """A deliberately incomplete send (no message): nothing that could be delivered."""
        return dumps({**self.credentials, "destAddr": ""})

    @staticmethod
    def credentials_verdict(exc: BaseException | None) -> tuple[bool, str]:
        """What the probe's answer says: codes 5/6 bad credentials, 2 a blocked IP; a validation code
        (4, 7, 8, 9, 11) means the credentials were accepted."""
        if exc is None:
            return False, (
                "the platform accepted an empty request: check that host and send_path point at the send method"
            )
        if isinstance(exc, (InvalidLoginError, InvalidPasswordError)):
            return False, f"the platform refused the credentials: {exc}"
        if isinstance(exc, InvalidIpAddressError):
            return False, f"the platform refused this machine's IP address: {exc}"
        if isinstance(exc, InvalidDestAddrError):
            return True, "credentials accepted"
        if isinstance(exc, TransportError):
            return False, f"could not reach the platform: {exc}"
        if isinstance(exc, MessagingApiError) and exc.code in CREDENTIALS_ACCEPTED_CODES:
            return True, "credentials accepted"
        return False, str(exc)
