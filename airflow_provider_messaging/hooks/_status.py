"""Delivery-status part of ``MessagingHook`` (SPEC §2: pull by batches of mtNums, sync and async).

Wire ([decided]): POST ``settings.url(settings.status_path)`` with
``{"login", "password", "mtNums": [...]}``, answered 200 ``{"reports": [...]}``. An mtNum the
platform does not know is simply absent from ``reports``. A non-200 answer has the send-error body
shape and becomes the same typed ``MessagingApiError``. Reading statuses is always safe to repeat,
so every transient failure is retried (same backoff and Retry-After rule as sends).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import tenacity

from airflow_provider_messaging.exceptions import MessagingApiError, TransportError, error_from_response
from airflow_provider_messaging.models.status import (
    DEFAULT_STATUS_BATCH,
    DeliveryReport,
    check_batch_size,
    parse_status_body,
)

if TYPE_CHECKING:
    import httpx

    from airflow_provider_messaging.hooks.messaging import MessagingSettings

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


def normalise_mt_nums(mt_nums: Iterable[str | int] | str | int) -> list[str]:
    """mtNums as strings, blanks dropped, duplicates dropped (first occurrence kept)."""
    if isinstance(mt_nums, (str, int)):
        mt_nums = [mt_nums]
    seen: dict[str, None] = {}
    for n in mt_nums:
        text = str(n).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


class StatusMixin:
    """Mixed into ``MessagingHook``; uses its ``settings``, ``credentials``, ``post_json``, ``_wait``,
    ``_scrub`` and ``log``."""

    if TYPE_CHECKING:
        settings: MessagingSettings
        messaging_conn_id: str
        log: Any

        def credentials(self) -> dict[str, str]: ...
        def post_json(self, url: str, payload: Any, **kwargs: Any) -> Any: ...
        def _wait(self, state: tenacity.RetryCallState) -> float: ...
        def _should_retry(self, exc: BaseException) -> bool: ...
        def _log_retry(self, state: tenacity.RetryCallState) -> None: ...
        def _scrub(self, exc: MessagingApiError) -> MessagingApiError: ...
        @staticmethod
        def _secrets_of(settings: MessagingSettings) -> tuple[str, ...]: ...

    #: status requests made by this hook instance (sync and async), for logs and benchmarks
    status_requests: int = 0

    # --- shared by both paths ---------------------------------------------------------------------
    def status_url(self) -> str:
        """Absolute URL of the status method."""
        return self.settings.url(self.settings.status_path)

    def status_payload(self, batch: Sequence[str]) -> dict[str, Any]:
        """The body of one status request (credentials + ``mtNums``)."""
        return {**self.credentials(), "mtNums": list(batch)}

    def parse_status_answer(self, status_code: int, body: bytes, batch: Sequence[str]) -> dict[str, DeliveryReport]:
        """Parse a 200 answer's body; an answer that is not ``{"reports": [...]}`` is a typed error
        (its body snippet scrubbed of the connection's secrets: a proxy may echo the request)."""
        try:
            return parse_status_body(body, batch)
        except ValueError:
            raise self._scrub(error_from_response(status_code, body)) from None

    # --- sync -------------------------------------------------------------------------------------
    def get_statuses(
        self, mt_nums: Iterable[str | int] | str, batch_size: int = DEFAULT_STATUS_BATCH
    ) -> dict[str, DeliveryReport]:
        """Current delivery reports of ``mt_nums``, one POST per batch of ``batch_size`` (1–1000).

        :return: ``{mtNum: DeliveryReport}`` for every mtNum the platform reported; an mtNum it does
            not know (yet) is absent. Transient errors are retried; others raise ``MessagingApiError``.
        """
        check_batch_size(batch_size)
        wanted = normalise_mt_nums(mt_nums)
        out: dict[str, DeliveryReport] = {}
        if not wanted:
            return out
        url = self.status_url()
        for batch in batches(wanted, batch_size):
            response = self.post_json(url, self.status_payload(batch), safe_to_repeat=True)
            self.status_requests += 1
            out.update(self.parse_status_answer(response.status_code, response.content, batch))
        self.log.debug("Status: %d of %d mtNums reported", len(out), len(wanted))
        return out

    # --- async ------------------------------------------------------------------------------------
    async def aget_settings(self) -> MessagingSettings:
        """``settings`` read through the async connection getter (for triggers: never blocks the
        event loop). The result is cached on the hook like ``settings``."""
        cached = self.__dict__.get("settings")
        if cached is not None:
            return cached
        aget_connection = getattr(self, "aget_connection", None)
        if aget_connection is not None:
            conn = await aget_connection(self.messaging_conn_id)
        else:  # a task SDK without the async getter: the sync one, off the event loop
            from asgiref.sync import sync_to_async

            conn = await sync_to_async(self.get_connection)(self.messaging_conn_id)  # type: ignore[attr-defined]
        settings = self._settings_from(conn)  # type: ignore[attr-defined]
        try:
            from airflow.sdk.log import amask_secret

            for secret in self._secrets_of(settings):  # the same secrets the sync ``settings`` masks
                await amask_secret(secret)
        except ImportError:  # pragma: no cover - older task SDKs
            pass
        self.__dict__["settings"] = settings
        return settings

    async def async_client(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` configured like the sync session (TLS, proxy, timeout, headers).
        The caller closes it (``async with await hook.async_client() as client``)."""
        import httpx

        s = await self.aget_settings()
        verify: bool | ssl.SSLContext = s.verify_ssl
        # the CA bundle the sync session trusts (requests reads these variables; httpx would not)
        ca_bundle = s.ca_bundle()
        if ca_bundle:
            where = {"capath": ca_bundle} if os.path.isdir(ca_bundle) else {"cafile": ca_bundle}
            verify = await asyncio.to_thread(ssl.create_default_context, **where)  # reads files: off the loop
        return httpx.AsyncClient(
            verify=verify,
            proxy=s.proxy or None,
            timeout=httpx.Timeout(s.timeout),
            headers=JSON_HEADERS,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=4),
        )

    async def _apost_once(self, client: httpx.AsyncClient, url: str, body: bytes) -> httpx.Response:
        import httpx

        try:
            response = await client.post(url, content=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__  # e.g. a TLS refusal
            raise TransportError(f"could not connect to {url}: {reason}", ambiguous=False, retryable=True) from exc
        except httpx.TimeoutException as exc:
            raise TransportError(f"no answer from {url} within {self.settings.timeout} s",
                                 ambiguous=True, retryable=True) from exc
        except httpx.TransportError as exc:
            raise TransportError(f"connection to {url} failed: {type(exc).__name__}",
                                 ambiguous=True, retryable=True) from exc
        if response.status_code != 200:  # scrubbed like the sync path: the answer may echo the password
            raise self._scrub(
                error_from_response(response.status_code, response.content, response.headers.get("Retry-After")))
        return response

    def _aretrying(self, sleep: Callable[[float], Awaitable[None]] | None) -> tenacity.AsyncRetrying:
        return tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(self._should_retry),
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            sleep=sleep or asyncio.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )

    async def aget_statuses(
        self,
        mt_nums: Iterable[str | int] | str,
        batch_size: int = DEFAULT_STATUS_BATCH,
        *,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> dict[str, DeliveryReport]:
        """Async twin of :meth:`get_statuses` (httpx), same request, parsing and retry rule.

        :param client: an open client to reuse across calls (see :meth:`async_client`); default:
            one is opened and closed for this call.
        :param sleep: how to wait between retries (default ``asyncio.sleep``).
        """
        check_batch_size(batch_size)
        wanted = normalise_mt_nums(mt_nums)
        out: dict[str, DeliveryReport] = {}
        if not wanted:
            return out
        await self.aget_settings()
        if client is None:
            async with await self.async_client() as own:
                return await self.aget_statuses(wanted, batch_size, client=own, sleep=sleep)
        url = self.status_url()
        for batch in batches(wanted, batch_size):
            body = json.dumps(self.status_payload(batch), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            response: httpx.Response | None = None
            async for attempt in self._aretrying(sleep):
                with attempt:
                    response = await self._apost_once(client, url, body)
            assert response is not None
            self.status_requests += 1
            out.update(self.parse_status_answer(response.status_code, response.content, batch))
        return out
