"""``MessagingHook``: authentication, the HTTP session, retries and the platform's error codes."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_messaging.exceptions import (
    AmbiguousSendError,
    DuplicateMessageError,
    InvalidDestAddrError,
    InvalidIpAddressError,
    InvalidLoginError,
    InvalidPasswordError,
    MessagingApiError,
    TransportError,
    error_from_response,
)
from airflow_provider_messaging.hooks._status import StatusMixin
from airflow_provider_messaging.hooks._templates import TemplatesMixin
from airflow_provider_messaging.models.results import SendResult
from airflow_provider_messaging.models.send import SendRequest

ErrorParser = Callable[[int, bytes, "str | None"], MessagingApiError]
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@dataclass(frozen=True)
class MessagingSettings:
    """The connection, read once: base URL, credentials and the [decided] extras with defaults."""

    base_url: str
    login: str
    password: str
    send_path: str = "/send"
    status_path: str = "/status"
    templates_url: str = "/api/message-matchers"
    api_key: str | None = None
    default_service_number: str | None = None
    viber_sessions: bool = False
    timeout: float = 30.0
    max_retries: int = 5
    verify_ssl: bool = True
    proxy: str | None = None
    platform_dedup: bool = False
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0

    def ca_bundle(self) -> str | None:
        """The CA bundle to trust, from ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` (the sync session
        and the triggerer's async client both use it); None: the default store, or no verification."""
        if not self.verify_ssl:
            return None
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None

    def url(self, path_or_url: str) -> str:
        """A path is joined to the base URL (keeping its path prefix); an absolute URL is kept."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        return f"{self.base_url.rstrip('/')}/{path_or_url.lstrip('/')}"

    @classmethod
    def from_connection(cls, conn: Any) -> MessagingSettings:
        extra: dict[str, Any] = dict(conn.extra_dejson or {})
        host = (conn.host or "").strip()
        if not host:
            raise ValueError(f"connection {conn.conn_id!r}: host (the platform's base URL) is required")
        if "://" not in host:
            scheme = extra.get("scheme") or conn.schema or "https"
            host = f"{scheme}://{host}"
        if conn.port and urlsplit(host).port is None:
            parts = urlsplit(host)  # keep IPv6 brackets and the path prefix as given
            host = parts._replace(netloc=f"{parts.netloc}:{conn.port}").geturl()
        if not conn.login or not conn.password:
            raise ValueError(f"connection {conn.conn_id!r}: login and password (the partner's credentials) are required")
        kwargs: dict[str, Any] = {}
        for key in ("send_path", "status_path", "templates_url", "api_key", "default_service_number", "proxy"):
            if extra.get(key) not in (None, ""):
                kwargs[key] = str(extra[key])
        for key in ("viber_sessions", "verify_ssl", "platform_dedup"):
            if key in extra and extra[key] not in (None, ""):
                kwargs[key] = _truthy(extra[key])
        for key, conv in (("timeout", float), ("max_retries", int), ("backoff_initial", float), ("backoff_max", float),
                          ("max_retry_after", float)):
            if extra.get(key) not in (None, ""):
                try:
                    kwargs[key] = conv(extra[key])
                except (TypeError, ValueError):
                    raise ValueError(f"connection {conn.conn_id!r}: extra {key!r} must be a number, got {extra[key]!r}") from None
        if kwargs.get("max_retries", 0) < 0:
            raise ValueError(f"connection {conn.conn_id!r}: extra 'max_retries' must be >= 0")
        if kwargs.get("timeout", 1) <= 0:
            raise ValueError(f"connection {conn.conn_id!r}: extra 'timeout' must be > 0 seconds")
        for key in ("backoff_initial", "backoff_max", "max_retry_after"):
            if kwargs.get(key, 0) < 0:
                raise ValueError(f"connection {conn.conn_id!r}: extra {key!r} must be >= 0 seconds")
        return cls(base_url=host, login=conn.login, password=conn.password, **kwargs)


#: Every connection extra the hook reads (``scheme`` only for a host without one).
KNOWN_EXTRAS = frozenset(f.name for f in dataclasses.fields(MessagingSettings)
                         if f.name not in ("base_url", "login", "password")) | {"scheme"}


class MessagingHook(TemplatesMixin, StatusMixin, BaseHook):
    """Talks to the messaging platform's REST API (SPEC §1–§4).

    :param messaging_conn_id: the ``messaging`` connection (default ``messaging_default``).
    :param timeout: overrides the connection extra ``timeout`` (seconds, default 30).
    :param max_retries: overrides the connection extra ``max_retries`` (retries after the first try).
    :param sleep: how to wait between retries (tests inject a recorder; default ``time.sleep``).
    """

    conn_name_attr = "messaging_conn_id"
    default_conn_name = "messaging_default"
    conn_type = "messaging"
    hook_name = "Messaging (Viber / WhatsApp)"

    def __init__(
        self,
        messaging_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.messaging_conn_id = messaging_conn_id
        self._timeout_override = timeout
        self._max_retries_override = max_retries
        self._sleep = sleep or time.sleep
        self._session: requests.Session | None = None

    # --- connection -----------------------------------------------------------------------------
    @cached_property
    def settings(self) -> MessagingSettings:
        settings = self._settings_from(self.get_connection(self.messaging_conn_id))
        for secret in self._secrets_of(settings):  # SPEC §1: login and password are both secrets
            mask_secret(secret)
        return settings

    @staticmethod
    def _secrets_of(settings: MessagingSettings) -> tuple[str, ...]:
        return tuple(v for v in (settings.password, settings.api_key, settings.login) if v)

    def _scrub(self, exc: MessagingApiError) -> MessagingApiError:
        """Remove the connection's secrets from an error built from the platform's answer (a
        platform or proxy that echoes the request must not put the password in exception text)."""
        s = self.settings
        # the login is often a plain word: like Airflow's masker, leave very short ones alone
        candidates = [v for v in (s.password, s.api_key) if v] + ([s.login] if len(s.login) >= 5 else [])
        # as sent, and as an echo of the JSON body may spell them (escaped quotes, \\u escapes), also
        # an echo quoted inside a JSON string once more (a raw body snippet of such an answer)
        variants = set(candidates)
        for _ in range(2):
            variants |= {form for v in variants for form in
                         (json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1])}
        secrets = sorted(variants, key=len, reverse=True)
        texts = [exc.description, exc.extended_description, exc.body_snippet, *map(str, exc.args)]
        if not any(secret in text for text in texts if isinstance(text, str) for secret in secrets):
            return exc

        def clean(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            for secret in secrets:
                value = value.replace(secret, "***")
            return value

        exc.description = clean(exc.description)
        exc.extended_description = clean(exc.extended_description)
        exc.body_snippet = clean(exc.body_snippet)
        exc.args = tuple(clean(a) for a in exc.args)
        return exc

    def _settings_from(self, conn: Any) -> MessagingSettings:
        """The connection read into settings, with this hook's ``timeout``/``max_retries`` overrides."""
        settings = MessagingSettings.from_connection(conn)
        unknown = sorted(set(conn.extra_dejson or {}) - KNOWN_EXTRAS)
        if unknown:  # a typo (e.g. "platform_dedupe") would otherwise be ignored without a word
            self.log.warning("Connection %r: unknown extra(s) %s ignored; known extras: %s", conn.conn_id,
                             ", ".join(unknown), ", ".join(sorted(KNOWN_EXTRAS)))
        overrides: dict[str, Any] = {}
        if self._timeout_override is not None:
            overrides["timeout"] = float(self._timeout_override)
        if self._max_retries_override is not None:
            overrides["max_retries"] = int(self._max_retries_override)
        return dataclasses.replace(settings, **overrides) if overrides else settings

    def get_conn(self) -> requests.Session:
        """The hook's one ``requests.Session`` (keep-alive, connection pool)."""
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

    def __enter__(self) -> MessagingHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------------
    @cached_property
    def _jitter(self) -> tenacity.wait_random_exponential:
        s = self.settings
        return tenacity.wait_random_exponential(multiplier=s.backoff_initial, max=s.backoff_max)

    def _wait_after(self, failed_attempt: int, exc: BaseException | None) -> float:
        """Exponential backoff with full jitter after the n-th failed attempt, never shorter than
        the platform's Retry-After."""
        backoff = self._jitter(SimpleNamespace(attempt_number=failed_attempt))
        return max(backoff, getattr(exc, "retry_after", None) or 0.0)

    @cached_property
    def _retrying(self) -> tenacity.Retrying:
        """Attempts 2 .. max_retries + 1 (the first one runs without retry machinery)."""
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(self._should_retry),
            stop=tenacity.stop_after_attempt(self.settings.max_retries),
            wait=lambda state: self._wait_after(state.attempt_number + 1, state.outcome.exception()),
            sleep=self._sleep,
            before_sleep=lambda state: self._warn_retry(
                state.attempt_number + 1, state.outcome.exception(), state.next_action.sleep),
            reraise=True,
        )

    def _should_retry(self, exc: BaseException) -> bool:
        """Retry a transient error in the task, unless the platform asks for a longer pause than
        ``max_retry_after``: then the error is raised and Airflow's task retries take over."""
        if not (isinstance(exc, MessagingApiError) and exc.retryable):
            return False
        if (exc.retry_after or 0.0) > self.settings.max_retry_after:
            self.log.warning("The platform asks to retry after %.0f s, longer than max_retry_after (%.0f s): "
                             "not waiting in the task", exc.retry_after, self.settings.max_retry_after)
            return False
        return True

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """tenacity ``wait`` for a loop that counts every attempt (the async status path)."""
        return self._wait_after(state.attempt_number, state.outcome.exception() if state.outcome else None)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        """tenacity ``before_sleep`` for a loop that counts every attempt."""
        self._warn_retry(state.attempt_number, state.outcome.exception() if state.outcome else None,
                         state.next_action.sleep if state.next_action else 0.0)

    def _warn_retry(self, attempt: int, exc: BaseException | None, wait: float) -> None:
        self.log.warning("Attempt %d failed (%s); retrying in %.2f s", attempt, exc, wait)

    def _post_once(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None,
        *,
        safe_to_repeat: bool,
        error_parser: ErrorParser = error_from_response,
    ) -> requests.Response:
        """One POST. Transport failures become ``TransportError``; non-200 answers typed errors."""
        try:
            response = self.get_conn().post(url, data=body, headers=headers, timeout=self.settings.timeout)
        except (requests.ConnectTimeout,) as exc:
            raise TransportError(f"could not connect to {url}: timed out", ambiguous=False, retryable=True) from exc
        except requests.ConnectionError as exc:
            never_sent = _never_sent(exc)
            ambiguous = not never_sent
            if ambiguous and not safe_to_repeat:
                raise _not_resent(f"the connection to {url} broke after the request was sent") from exc
            raise TransportError(f"connection to {url} failed: {type(exc).__name__}", ambiguous=ambiguous, retryable=True) from exc
        except requests.Timeout as exc:
            if not safe_to_repeat:
                raise _not_resent(f"no answer from {url} within {self.settings.timeout} s") from exc
            raise TransportError(f"no answer from {url} within {self.settings.timeout} s", ambiguous=True, retryable=True) from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                requests.exceptions.InvalidHeader) as exc:
            raise TransportError(f"cannot send to {url!r}: {type(exc).__name__} (check the connection's host and "
                                 "paths)", ambiguous=False, retryable=False) from exc
        except requests.RequestException as exc:
            # the answer broke off after the request was sent (e.g. a truncated chunked body)
            if not safe_to_repeat:
                raise _not_resent(f"the answer from {url} broke off ({type(exc).__name__})") from exc
            raise TransportError(f"the answer from {url} broke off: {type(exc).__name__}", ambiguous=True,
                                 retryable=True) from exc
        if response.status_code != 200:
            raise self._scrub(error_parser(response.status_code, response.content, response.headers.get("Retry-After")))
        return response

    def post_json(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        safe_to_repeat: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> requests.Response:
        """POST ``payload`` (serialised once: every retry sends the byte-identical body) with retries.

        ``safe_to_repeat`` False (a send when the platform's dedup is not known to be on) means a
        request that may have reached the platform is never sent again. ``error_parser`` turns a
        non-200 answer into a typed ``MessagingApiError`` (default: the send-error table).
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.post_body(url, body, headers=headers, safe_to_repeat=safe_to_repeat, error_parser=error_parser)

    def post_body(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        safe_to_repeat: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> requests.Response:
        """POST an already serialised JSON body, with the retry rules of ``post_json``."""
        unanswered = False  # did an earlier attempt get no answer (it may have been carried out)?

        def post() -> requests.Response:
            nonlocal unanswered
            try:
                return self._post_once(url, body, headers, safe_to_repeat=safe_to_repeat, error_parser=error_parser)
            except MessagingApiError as exc:
                exc.after_unanswered_attempt = unanswered
                unanswered = unanswered or bool(getattr(exc, "ambiguous", False))
                raise

        try:
            return post()  # the common case: one attempt, no retry state to build
        except MessagingApiError as exc:
            if self.settings.max_retries == 0 or not self._should_retry(exc):
                raise
            wait = self._wait_after(1, exc)
            self._warn_retry(1, exc, wait)
            self._sleep(wait)
        return self._retrying(post)

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise self._scrub(error_from_response(response.status_code, response.content)) from None
        if not isinstance(data, dict):
            raise self._scrub(error_from_response(response.status_code, response.content))
        return data

    def credentials(self) -> dict[str, str]:
        s = self.settings
        return {"login": s.login, "password": s.password}

    @cached_property
    def _credentials_json(self) -> bytes:
        """``{"login":...,"password":...`` without the closing brace, serialised once."""
        return json.dumps(self.credentials(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")[:-1]

    def _send_body(self, request: SendRequest) -> bytes:
        """The send body: credentials first, then the request as pydantic serialises it (camelCase,
        optional fields absent). ``destAddr`` is required, so the request's JSON is never ``{}``."""
        return self._credentials_json + b"," + request.model_dump_json(by_alias=True, exclude_none=True).encode()[1:]

    # --- sending --------------------------------------------------------------------------------
    def send(self, message: SendRequest | Mapping[str, Any]) -> SendResult:
        """Send one message (SPEC §1); the body is validated before any request.

        :param message: a ``SendRequest`` or a dict in its wire shape (camelCase, no credentials).
        :return: ``SendResult(mt_num, id, duplicate)``. An id the platform already accepted (code 10)
            is not an error: nothing is resent and ``duplicate`` is True.
        """
        request = message if isinstance(message, SendRequest) else SendRequest.parse(message, "message")
        request.check_account(viber_sessions=self.settings.viber_sessions)
        body = self._send_body(request)
        for advice in request.advisories():
            self.log.warning("Message id=%s: %s", request.id, advice)
        self.log.debug("Sending %s message id=%s to %s", request.channel.value, request.id, _mask_number(request.dest_addr))
        try:
            response = self.post_body(
                self.settings.url(self.settings.send_path), body,
                safe_to_repeat=self.settings.platform_dedup,
            )
        except DuplicateMessageError:
            self.log.warning("The platform already accepted message id=%s: not sent again", request.id)
            return SendResult(id=request.id, duplicate=True)
        data = self._json(response)
        mt_num = data.get("mtNum")
        if mt_num in (None, ""):
            raise self._scrub(error_from_response(response.status_code, response.content))
        result = SendResult(mt_num=str(mt_num), id=data.get("id", request.id))
        self.log.debug("Accepted: mtNum=%s id=%s", result.mt_num, result.id)
        return result

    def test_connection(self) -> tuple[bool, str]:
        """Check the credentials without sending anything.

        Sends one deliberately incomplete request (no message), without retries (the UI's "Test"
        button must not wait through a backoff): codes 5/6 mean bad credentials, 2 a blocked IP; a
        validation code (4, 7, 8, 9, 11) means the credentials were accepted.
        """
        try:
            s = self.settings
            body = json.dumps({**self.credentials(), "destAddr": ""}, ensure_ascii=False,
                              separators=(",", ":")).encode("utf-8")
            self._post_once(s.url(s.send_path), body, None, safe_to_repeat=True)
        except (InvalidLoginError, InvalidPasswordError) as exc:
            return False, f"the platform refused the credentials: {exc}"
        except InvalidIpAddressError as exc:
            return False, f"the platform refused this machine's IP address: {exc}"
        except InvalidDestAddrError:
            return True, "credentials accepted"
        except TransportError as exc:
            return False, f"could not reach the platform: {exc}"
        except MessagingApiError as exc:
            if exc.code in (4, 7, 9, 11):
                return True, "credentials accepted"
            return False, str(exc)
        except ValueError as exc:
            return False, str(exc)
        return False, "the platform accepted an empty request: check that host and send_path point at the send method"

def _not_resent(what_happened: str) -> AmbiguousSendError:
    """The error for a send that may have reached the platform and is therefore not sent again."""
    return AmbiguousSendError(
        f"{what_happened}; the platform may have accepted the request, so it is not resent (set the "
        "connection extra platform_dedup=true if the platform's duplicate control is on for this account)",
        ambiguous=True, retryable=False,
    )


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before the request left (refused, DNS): safe to resend."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return True
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException):
            cause = reason
            continue
        args = getattr(cause, "args", ())
        nxt = next((a for a in args if isinstance(a, BaseException)), None)
        cause = nxt or cause.__cause__ or cause.__context__
    return False


def _mask_number(number: str) -> str:
    """Recipient for logs: enough to recognise it, not the whole number."""
    return number[:4] + "*" * max(0, len(number) - 6) + number[-2:] if len(number) > 6 else "***"


#: Public name of the recipient masking the hook and operators use in logs (``7900*****67``), for
#: DAG code that prints recipients.
mask_number = _mask_number
