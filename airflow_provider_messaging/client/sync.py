"""``MessagingClient``: the platform's REST API over one ``requests.Session``. No Airflow imports.

with MessagingClient(ClientSettings(base_url=..., login=..., password=...)) as client:
    result = client.send({"destAddr": "79001234567", "message": {...}})
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from airflow_provider_messaging.client.core import JSON_HEADERS, ClientCore, Failure, IfExists
from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.exceptions import (
    DuplicateMessageError,
    MessagingApiError,
    TemplateNameExistsError,
    error_from_response,
    template_error_from_response,
)
from airflow_provider_messaging.models.outcomes import (
    DEFAULT_STATUS_BATCH,
    batches,
    check_batch_size,
    normalise_mt_nums,
)
from airflow_provider_messaging.models.results import SendResult
from airflow_provider_messaging.models.send import SendRequest
from airflow_provider_messaging.models.status import DeliveryReport
from airflow_provider_messaging.models.templates import TemplateRequest, TemplateResult

ErrorParser = Callable[[int, bytes, "str | None"], MessagingApiError]
BAD_URL_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
)


class MessagingClient(ClientCore):
    """Send messages, read delivery statuses, create templates; one connection pool, closed on exit.

    :param settings: where and who (see :class:`ClientSettings`).
    :param sleep: how to wait between retries (default ``time.sleep``; tests record the waits).
    :param logger: where the client logs (default the ``airflow_provider_messaging.client`` logger).
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        sleep: Callable[[float], None] | None = None,
        logger: logging.Logger | Any = None,
    ) -> None:
        super().__init__(settings, logger=logger)
        self.sleep = sleep or time.sleep
        self._session: requests.Session | None = None
        # one prepared POST per (URL, extra headers), copied for each request (see ``prepare``)
        self._prepared: dict[tuple[str, tuple[tuple[str, str], ...]], requests.PreparedRequest] = {}
        self._prepared_headers: Mapping[str, str | bytes] = {}

    # --- the pool ----------------------------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        """The client's one ``requests.Session`` (keep-alive, connection pool), made on first use."""
        if self._session is None:
            s = self.settings
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Proxy and CA settings from the environment are read once here, not on every request
            # (requests re-scans os.environ per request when trust_env is on; Airflow's environment is
            # large, and that scan alone costs about half a millisecond a send).
            env = requests.utils.get_environ_proxies(s.base_url)
            session.trust_env = False
            session.proxies = {"http": s.proxy, "https": s.proxy} if s.proxy else env
            session.verify = (s.ca_bundle() or True) if s.verify_ssl else False
            session.headers.update(JSON_HEADERS)
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
            self._prepared.clear()

    def __enter__(self) -> MessagingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- HTTP ----------------------------------------------------------------------------------------
    def prepare(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> requests.PreparedRequest:
        """The POST of ``body`` to ``url``, ready for ``Session.send``.

        Every request of a client goes to one of three URLs with the same headers, so the request is
        prepared by the session once per URL (URL parsing, header and setting merges: about a quarter
        of ``Session.post``'s time) and copied with the new body. Headers set on the session later
        are picked up (the requests are prepared anew); once the platform has set a cookie, or when
        the session has auth, params or hooks, each request is prepared in full as ``Session.post``
        would."""
        session = self.session
        if session.cookies or session.auth or session.params or any(session.hooks.values()):
            # what the session adds per request (cookies the platform set; auth, which may sign the
            # body; parameters and hooks set by the caller): prepared as Session.post would
            return session.prepare_request(requests.Request("POST", url, data=body, headers=headers))
        if session.headers != self._prepared_headers:  # headers set on the session since: prepare anew
            self._prepared.clear()
            self._prepared_headers = requests.structures.CaseInsensitiveDict(session.headers)
        key = (url, tuple(sorted(headers.items())) if headers else ())
        template = self._prepared.get(key)
        if template is None:
            template = session.prepare_request(requests.Request("POST", url, data=b"", headers=headers))
            self._prepared[key] = template
        request = template.copy()  # its own headers; hooks are shared by copy(): none are set here
        request.body = body
        request.headers["Content-Length"] = str(len(body))
        return request

    def post_once(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> requests.Response:
        """One POST. No answer becomes ``TransportError`` (see ``RetryPolicy.no_answer``); an answer
        other than 200 the typed error ``error_parser`` makes of it."""
        self.check_url(url)
        try:
            response = self.session.send(self.prepare(url, body, headers), timeout=self.settings.timeout)
        except requests.RequestException as exc:
            failure, detail = classify(exc)
            raise self.transport_failure(url, failure, repeatable=repeatable, detail=detail) from exc
        if response.status_code != 200:
            raise self.refused(response, error_parser, response.headers.get("Retry-After"))
        return response

    def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> requests.Response:
        """POST an already serialised body (every retry sends it byte for byte) under the retry policy."""
        return self.policy.call(
            lambda: self.post_once(url, body, headers=headers, repeatable=repeatable, error_parser=error_parser),
            sleep=self.sleep,
        )

    # --- the platform's methods ------------------------------------------------------------------------
    def send(self, message: SendRequest | Mapping[str, Any]) -> SendResult:
        """Send one message (SPEC §1); the body is validated before any request.

        :param message: a ``SendRequest`` or a dict in its wire shape (camelCase, no credentials);
            a missing ``serviceNumber`` is the connection's ``default_service_number``.
        :return: ``SendResult(mt_num, id, duplicate)``. An id the platform already accepted (code 10)
            is not an error: nothing is resent and ``duplicate`` is True.
        :raises InvalidMessageError: the message breaks a platform rule (no request is made).
        :raises MessagingApiError: the platform refused it, or retries ran out (``AmbiguousSendError``:
            it may have been accepted and is not resent without ``platform_dedup``).
        """
        request, body = self.prepare_send(message)
        try:
            response = self.post(self.settings.send_url, body, repeatable=self.settings.platform_dedup)
        except DuplicateMessageError:
            return self.duplicate_result(request)
        return self.send_result(request, response)

    def get_statuses(
        self, mt_nums: Iterable[str | int] | str, batch_size: int = DEFAULT_STATUS_BATCH
    ) -> dict[str, DeliveryReport]:
        """Current delivery reports of ``mt_nums``, one POST per batch of ``batch_size`` (1-1000).

        :return: ``{mtNum: DeliveryReport}`` for every mtNum the platform reported; an mtNum it does
            not know (yet) is absent. Transient errors are retried; others raise ``MessagingApiError``.
        """
        check_batch_size(batch_size)
        wanted = normalise_mt_nums(mt_nums)
        out: dict[str, DeliveryReport] = {}
        for batch in batches(wanted, batch_size):
            response = self.post(self.settings.status_url, self.status_body(batch))
            out.update(self.status_reports(response, batch))
        return out

    def create_template(
        self,
        template: TemplateRequest | Mapping[str, Any],
        *,
        if_exists: IfExists = "fail",
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
    ) -> TemplateResult:
        """Create an operator template (``message-matchers``, SPEC §4); validated before any request.

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
        request, body, headers = self.prepare_template(template, if_exists, strict_enums, extra_categories)
        try:
            response = self.post(
                self.settings.template_url, body, headers=headers, error_parser=template_error_from_response
            )
            return self.template_result(request, response)
        except TemplateNameExistsError as exc:
            return self.template_exists(request, exc, if_exists)

    def check_credentials(self) -> tuple[bool, str]:
        """Check the credentials without sending anything: one deliberately incomplete request, no
        retries (a "Test" button must not wait through a backoff). ``(ok, what the platform said)``."""
        try:
            self.post_once(self.settings.send_url, self.credentials_probe())
        except (MessagingApiError, ValueError) as exc:
            return self.credentials_verdict(exc)
        return self.credentials_verdict(None)


def classify(exc: requests.RequestException) -> tuple[Failure, str]:
    """How a ``requests`` error got no answer, and the detail its message names."""
    if isinstance(exc, requests.ConnectTimeout):
        return Failure.NOT_CONNECTED, "timed out"
    if isinstance(exc, requests.ConnectionError):
        return (Failure.NOT_CONNECTED, reason(exc)) if never_sent(exc) else (Failure.DROPPED, "")
    if isinstance(exc, requests.Timeout):
        return Failure.NO_ANSWER, ""
    if isinstance(exc, BAD_URL_ERRORS):
        return Failure.BAD_URL, type(exc).__name__
    return Failure.BROKE_OFF, type(exc).__name__  # the answer broke off after the request was sent


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the chain of errors under it (``reason``, an error in ``args``, the cause)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        inner = getattr(cause, "reason", None)
        nxt = (
            inner
            if isinstance(inner, BaseException)
            else next((a for a in getattr(cause, "args", ()) if isinstance(a, BaseException)), None)
        )
        cause = nxt or cause.__cause__ or cause.__context__


def reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure, e.g. ``ConnectionRefusedError: ...``."""
    *_, last = causes(exc)
    return f"{type(last).__name__}: {last}" if str(last) else type(last).__name__


def never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before the request left (refused, DNS, TLS): safe to resend."""
    return any(
        isinstance(c, (NewConnectionError, NameResolutionError, ConnectionRefusedError, ssl.SSLError))
        for c in causes(exc)
    )
