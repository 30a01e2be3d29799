"""``AsyncMessagingClient``: the same methods and semantics as ``MessagingClient``, over one
``httpx.AsyncClient``, plus ``send_many`` (bounded, adaptive concurrency). No Airflow imports.

    async with AsyncMessagingClient(settings) as client:
        async for message, outcome in client.send_many(messages, concurrency=32):
            ...
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeAlias, TypeVar

import httpx

from airflow_provider_messaging.client.core import JSON_HEADERS, ClientCore, Failure, IfExists
from airflow_provider_messaging.client.flow import AdaptiveLimit, TokenBucket
from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.exceptions import (
    DuplicateMessageError,
    InvalidMessageError,
    MessagingApiError,
    TemplateNameExistsError,
    error_from_response,
    is_throttle,
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
#: what ``send_many`` takes: a ``SendRequest`` or a wire dict, as ``send`` does
M = TypeVar("M", bound=SendRequest | Mapping[str, Any])
#: the per-message result ``send_many`` yields: the answer, or the error that message ended with
SendOutcome: TypeAlias = SendResult | MessagingApiError | InvalidMessageError
BAD_URL_ERRORS = (httpx.InvalidURL, httpx.UnsupportedProtocol)
NOT_CONNECTED_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def classify(exc: httpx.HTTPError | httpx.InvalidURL, *, answered: bool) -> tuple[Failure, str]:
    """How an ``httpx`` error got no answer (``answered``: while reading the answer's body)."""
    if isinstance(exc, NOT_CONNECTED_ERRORS) and not answered:
        return Failure.NOT_CONNECTED, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return Failure.NO_ANSWER, ""
    if isinstance(exc, BAD_URL_ERRORS):
        return Failure.BAD_URL, type(exc).__name__
    return (Failure.BROKE_OFF, type(exc).__name__) if answered else (Failure.DROPPED, "")


class AsyncMessagingClient(ClientCore):
    """Async twin of ``MessagingClient``: identical results for identical answers.

    :param settings: where and who (see :class:`ClientSettings`).
    :param sleep: how to wait between retries (default ``asyncio.sleep``; tests record the waits).
    :param logger: where the client logs (default the ``airflow_provider_messaging.client`` logger).
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        logger: logging.Logger | Any = None,
    ) -> None:
        super().__init__(settings, logger=logger)
        self.sleep = sleep or asyncio.sleep
        self._client: httpx.AsyncClient | None = None

    # --- the pool ----------------------------------------------------------------------------------
    async def http(self) -> httpx.AsyncClient:
        """The client's one ``httpx.AsyncClient`` (made on first use, configured like the sync
        session: TLS and the CA bundle requests would trust, proxy, timeout, headers)."""
        if self._client is None:
            s = self.settings
            verify: bool | ssl.SSLContext = s.verify_ssl
            ca_bundle = s.ca_bundle()
            if ca_bundle:  # reads files: off the event loop
                if os.path.isdir(ca_bundle):
                    verify = await asyncio.to_thread(ssl.create_default_context, capath=ca_bundle)
                else:
                    verify = await asyncio.to_thread(ssl.create_default_context, cafile=ca_bundle)
            if self._client is None:
                self._client = httpx.AsyncClient(
                    verify=verify,
                    proxy=s.proxy or None,
                    timeout=httpx.Timeout(s.timeout),
                    headers=JSON_HEADERS,
                    # send_many bounds what is in flight; the pool keeps every connection it opened
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
                )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> AsyncMessagingClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- HTTP ----------------------------------------------------------------------------------------
    async def post_once(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> httpx.Response:
        """One POST, with the sync client's classification of failures."""
        self.check_url(url)
        client = await self.http()
        try:
            response = await client.send(client.build_request("POST", url, content=body, headers=headers), stream=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            failure, detail = classify(exc, answered=False)
            raise self.transport_failure(url, failure, repeatable=repeatable, detail=detail) from exc
        try:
            await response.aread()
        except httpx.HTTPError as exc:
            failure, detail = classify(exc, answered=True)
            raise self.transport_failure(url, failure, repeatable=repeatable, detail=detail) from exc
        finally:
            await response.aclose()
        if response.status_code != 200:
            raise self.refused(response, error_parser, response.headers.get("Retry-After"))
        return response

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
        error_parser: ErrorParser = error_from_response,
    ) -> httpx.Response:
        """POST an already serialised body under the retry policy (the sync client's ``post``)."""
        return await self.policy.acall(
            lambda: self.post_once(url, body, headers=headers, repeatable=repeatable, error_parser=error_parser),
            sleep=self.sleep,
        )

    # --- the platform's methods (see MessagingClient for their contracts) ------------------------------
    async def send(self, message: SendRequest | Mapping[str, Any]) -> SendResult:
        """Send one message; see :meth:`MessagingClient.send`."""
        request, body = self.prepare_send(message)
        try:
            response = await self.post(self.settings.send_url, body, repeatable=self.settings.platform_dedup)
        except DuplicateMessageError:
            return self.duplicate_result(request)
        return self.send_result(request, response)

    async def get_statuses(
        self, mt_nums: Iterable[str | int] | str, batch_size: int = DEFAULT_STATUS_BATCH
    ) -> dict[str, DeliveryReport]:
        """Current delivery reports; see :meth:`MessagingClient.get_statuses`."""
        check_batch_size(batch_size)
        wanted = normalise_mt_nums(mt_nums)
        out: dict[str, DeliveryReport] = {}
        for batch in batches(wanted, batch_size):
            response = await self.post(self.settings.status_url, self.status_body(batch))
            out.update(self.status_reports(response, batch))
        return out

    async def create_template(
        self,
        template: TemplateRequest | Mapping[str, Any],
        *,
        if_exists: IfExists = "fail",
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
    ) -> TemplateResult:
        """Create an operator template; see :meth:`MessagingClient.create_template`."""
        request, body, headers = self.prepare_template(template, if_exists, strict_enums, extra_categories)
        try:
            response = await self.post(
                self.settings.template_url, body, headers=headers, error_parser=template_error_from_response
            )
            return self.template_result(request, response)
        except TemplateNameExistsError as exc:
            return self.template_exists(request, exc, if_exists)

    async def check_credentials(self) -> tuple[bool, str]:
        """Check the credentials without sending anything; see :meth:`MessagingClient.check_credentials`."""
        try:
            await self.post_once(self.settings.send_url, self.credentials_probe())
        except (MessagingApiError, ValueError) as exc:
            return self.credentials_verdict(exc)
        return self.credentials_verdict(None)

    # --- many messages ---------------------------------------------------------------------------------
    async def send_many(
        self,
        messages: Iterable[M] | AsyncIterable[M],
        *,
        concurrency: int,
        max_rate: float | None = None,
        recover_after: int = 10,
    ) -> AsyncIterator[tuple[M, SendOutcome]]:
        """Send every message, ``concurrency`` at a time at most; yield ``(message, outcome)`` as each
        one finishes (completion order, not input order).

        - ``outcome`` is the ``SendResult``, or the error that message ended with
          (``InvalidMessageError`` before any request, ``MessagingApiError`` after its retries):
          one message's failure never stops the others. Any other exception ends the iteration.
        - Each message gets :meth:`send`'s validation, default sender, retry policy and ambiguity rule.
        - ``messages`` is pulled lazily (a list, a generator, an async generator): the next message is
          taken only when a slot is free, so a campaign of millions is never held in memory.
        - Throttling (code 3 or HTTP 429) halves the concurrency in use (at least 1) and holds every new
          request until its ``Retry-After`` has passed; the throttled message is retried. After
          ``recover_after`` successes in a row the concurrency grows by one, up to ``concurrency``.
        - ``max_rate``: at most that many requests per second (a token bucket; retries count too).
        - One connection pool (this client's). Leaving the loop early cancels what is in flight;
          wrap the iterator in ``contextlib.aclosing`` to do that at once rather than at garbage collection.
        """
        limit = AdaptiveLimit(concurrency, recover_after=recover_after)
        bucket = TokenBucket(max_rate) if max_rate is not None else None
        source = aiter_of(messages)
        running: set[asyncio.Task[tuple[M, SendOutcome]]] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(running) < limit.limit:
                    try:
                        message = await anext(source)
                    except StopAsyncIteration:
                        exhausted = True
                        break
                    running.add(asyncio.ensure_future(self.send_one(message, limit, bucket)))
                if not running:
                    return
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def send_one(self, message: M, limit: AdaptiveLimit, bucket: TokenBucket | None) -> tuple[M, SendOutcome]:
        """One message of ``send_many``: each attempt takes a token and a slot, and reports back."""
        try:
            request, body = self.prepare_send(message)
        except InvalidMessageError as exc:
            return message, exc

        async def attempt() -> httpx.Response:
            if bucket is not None:
                await bucket.take()
            await limit.acquire()
            try:
                response = await self.post_once(self.settings.send_url, body, repeatable=self.settings.platform_dedup)
            except MessagingApiError as exc:
                # a pause longer than max_retry_after is not waited out in-process: that message ends
                # with the throttle (see RetryPolicy), the others go on at the lowered concurrency
                pause = exc.retry_after if (exc.retry_after or 0.0) <= self.policy.max_retry_after else None
                limit.release(throttled=is_throttle(exc), retry_after=pause)
                raise
            except BaseException:
                limit.release()
                raise
            limit.release(success=True)
            return response

        try:
            return message, self.send_result(request, await self.policy.acall(attempt, sleep=self.sleep))
        except DuplicateMessageError:
            return message, self.duplicate_result(request)
        except MessagingApiError as exc:
            return message, exc


async def aiter_of(items: Iterable[M] | AsyncIterable[M]) -> AsyncIterator[M]:
    """An async iterator over a sync or async iterable, pulling one item at a time."""
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
