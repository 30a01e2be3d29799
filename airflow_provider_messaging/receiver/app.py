"""The receiver's FastAPI app: delivery reports and MO messages pushed by the platform, stored.

Endpoints (relative to where the app is mounted; ``/messaging`` in Airflow's api-server):

- ``POST /<token>/reports`` or ``POST /reports`` with the token in a header: one delivery report
  (SPEC §2) or a JSON array of them;
- ``POST /<token>/mo`` or ``POST /mo`` with the token in a header: one MO message (SPEC §3) or an
  array of them;
- ``GET /health``: ``{"status": "ok"}``, no token (for load balancers and readiness checks).

Every request is checked in this order, and nothing is stored unless all checks pass:

1. the source address is in the allow-list (when one is set), else 403;
2. the token (path segment, ``Authorization: Bearer`` or ``X-Messaging-Token``) matches one of the
   configured tokens, compared in constant time, else 401 (a token elsewhere, e.g. in the query
   string, counts as missing);
3. the body is at most ``max_body_bytes`` (checked against Content-Length, and while reading), and an
   array has at most ``max_items`` items, else 413;
4. the body is JSON (else 400) and every item is valid (else 422, each bad field named with its
   index: ``[3].status: Field required``);
5. the items are stored in one transaction (an array is stored whole or not at all) and committed
   before the answer ``200 {"accepted": n}``. A failing store answers 503 so the platform retries.
   Requests arriving while a write runs share the next transaction (group commit, see
   :mod:`~airflow_provider_messaging.receiver.batching`): one commit for many concurrent pushes.

Nothing in an answer or in a log line echoes a token; all state lives in the store, so the app runs
in any number of api-server or uvicorn workers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from airflow_provider_messaging.receiver.batching import GroupCommit
from airflow_provider_messaging.receiver.settings import (
    DEFAULT_CONN_ID,
    TOKEN_HEADER,
    ReceiverSettings,
    SettingsSource,
)

log = logging.getLogger(__name__)

#: At most this many bad fields are listed in one 422 answer.
MAX_LISTED_PROBLEMS = 20


class ReceiverStore(Protocol):
    """What the receiver needs from the message store: each call is one transaction."""

    def record_reports(self, reports: list[dict[str, Any]]) -> Any: ...

    def record_mo(self, messages: list[dict[str, Any]]) -> Any: ...


class Refused(Exception):
    """A request refused with ``status`` and a ``detail`` that names the field and the rule."""

    def __init__(self, status: int, detail: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"detail": self.detail}
        if self.problems is not None:
            body["problems"] = self.problems
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


def token_matches(candidate: str | None, tokens: tuple[str, ...]) -> bool:
    """True when ``candidate`` equals one of ``tokens``; every token is compared in constant time."""
    if not candidate:
        return False
    given = candidate.encode()
    found = False
    for token in tokens:
        found |= hmac.compare_digest(given, token.encode())
    return found


def header_token(headers: Mapping[str, str]) -> str | None:
    """The token from ``Authorization: Bearer <token>`` or ``X-Messaging-Token``, or None."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return headers.get(TOKEN_HEADER) or None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Refused(413, f"body: larger than {limit} bytes")
        except ValueError:
            raise Refused(400, "Content-Length: not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body: larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_items(body: bytes, model: Any, what: str, max_items: int) -> list[dict[str, Any]]:
    """Validate one object or an array of objects with ``model``; return their wire dicts.

    Raises :class:`Refused`: 400 for a body that is not JSON, 413 for an array over ``max_items``,
    422 naming every bad field (up to :data:`MAX_LISTED_PROBLEMS`) when any item is invalid.
    """
    from pydantic import ValidationError

    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "body: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Refused(400, f"body: malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    items: list[Any]
    if isinstance(data, dict):
        items, prefix = [data], False
    elif isinstance(data, list):
        if len(data) > max_items:
            raise Refused(413, f"body: an array of {len(data)} items, more than the {max_items} allowed")
        items, prefix = data, True
    else:
        raise Refused(
            422,
            f"body: expected a JSON object (one {what}) or an array of them",
            [{"field": "body", "rule": "expected an object or an array"}],
        )
    out: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    for index, item in enumerate(items):
        head = f"[{index}]" if prefix else ""
        if not isinstance(item, dict):
            problems.append({"field": head or "body", "rule": "expected a JSON object"})
            continue
        try:
            out.append(model.model_validate(item).to_wire())
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_input=False):
                field = ".".join(str(part) for part in err["loc"])
                problems.append({"field": f"{head}.{field}" if head else field, "rule": err["msg"]})
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = f" (and {len(problems) - len(listed)} more)" if len(problems) > len(listed) else ""
        text = "; ".join(f"{p['field']}: {p['rule']}" for p in listed)
        raise Refused(422, f"invalid {what}: {text}{more}; nothing was stored", listed)
    return out


def hide_path_token(scope: MutableMapping[str, Any], token: str) -> None:
    """Replace the token segment in the request's ``path`` and ``raw_path`` with ``***``.

    Done once the route matched: the access logs that run after the app (uvicorn's, Airflow's
    api-server's) read the path from this same scope, so they log ``/messaging/***/reports``.
    """
    for key in ("path", "raw_path"):
        value = scope.get(key)
        if isinstance(value, str):
            scope[key] = value.replace(f"/{token}/", "/***/")
        elif isinstance(value, bytes):
            scope[key] = value.replace(f"/{token}/".encode(), b"/***/")


def _default_store() -> ReceiverStore:
    from airflow_provider_messaging.store.airflow import get_store

    return get_store()


def create_app(
    *,
    settings: ReceiverSettings | None = None,
    conn_id: str = DEFAULT_CONN_ID,
    store: ReceiverStore | None = None,
    store_factory: Callable[[], ReceiverStore] | None = None,
    settings_ttl: float = 60.0,
) -> FastAPI:
    """The receiver app.

    :param settings: tokens, allowed networks and limits; when None they are read from the Airflow
        connection ``conn_id`` at the first request and re-read every ``settings_ttl`` seconds.
    :param store: the store to write to; or ``store_factory``, called once at the first request;
        default: the provider's message store (connection ``messaging_store_default``).
    """
    source = SettingsSource(fixed=settings, conn_id=conn_id, ttl=settings_ttl)
    if settings is not None:
        from airflow_provider_messaging.receiver.settings import mask_tokens

        mask_tokens(settings.tokens)
    writers: dict[tuple[Any, str], GroupCommit] = {}
    resolved: list[ReceiverStore] = [store] if store is not None else []

    def writer(kind: str) -> GroupCommit:
        """The group-commit writer of ``kind`` for the running event loop (created on first use)."""
        from airflow_provider_messaging.store.errors import InvalidRecordError

        key = (asyncio.get_running_loop(), kind)
        if key not in writers:
            if not resolved:
                resolved.append((store_factory or _default_store)())
            target = resolved[0]
            write = target.record_reports if kind == "reports" else target.record_mo
            writers[key] = GroupCommit(write, is_refusal=lambda exc: isinstance(exc, InvalidRecordError))
        return writers[key]

    app = FastAPI(title="Messaging receiver", docs_url=None, redoc_url=None, openapi_url=None)

    async def handle(request: Request, path_token: str | None, kind: str) -> JSONResponse:
        from airflow_provider_messaging.models.push import IncomingMessage, PushedReport

        client = request.client.host if request.client else None
        if path_token is not None:
            hide_path_token(request.scope, path_token)
        try:
            try:
                current = source.peek()
                if current is None:  # a connection read is I/O: in a thread
                    current = await run_in_threadpool(source.get)
            except Exception as exc:
                log.error("Messaging receiver is not configured (connection %r): %s", conn_id, exc)
                raise Refused(503, "receiver not configured") from None
            if not current.source_allowed(client):
                raise Refused(403, "source address not allowed")
            token = path_token if path_token is not None else header_token(request.headers)
            if not token_matches(token, current.tokens):
                raise Refused(401, "missing or wrong token")
            body = await read_body(request, current.max_body_bytes)
            if kind == "reports":
                items = parse_items(body, PushedReport, "delivery report", current.max_items)
            else:
                items = parse_items(body, IncomingMessage, "MO message", current.max_items)
        except Refused as refused:
            log.warning(
                "Messaging receiver refused a push of %s from %s: %d %s", kind, client, refused.status, refused.detail
            )
            return refused.response()
        if items:
            from airflow_provider_messaging.store.errors import InvalidRecordError

            try:
                await writer(kind).store(items)
            except InvalidRecordError as exc:  # a rule of the store's columns (e.g. a length)
                log.warning("Messaging receiver refused a push of %s from %s: 422 %s", kind, client, exc)
                return Refused(422, f"{exc}; nothing was stored").response()
            except Exception:
                log.exception("Messaging receiver could not store %d %s", len(items), kind)
                return Refused(503, "the store is unavailable; nothing was stored, retry later").response()
        return JSONResponse({"accepted": len(items)})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/reports")
    async def reports(request: Request) -> JSONResponse:
        return await handle(request, None, "reports")

    @app.post("/mo")
    async def mo(request: Request) -> JSONResponse:
        return await handle(request, None, "mo")

    @app.post("/{token}/reports")
    async def reports_with_token(token: str, request: Request) -> JSONResponse:
        return await handle(request, token, "reports")

    @app.post("/{token}/mo")
    async def mo_with_token(token: str, request: Request) -> JSONResponse:
        return await handle(request, token, "mo")

    return app
