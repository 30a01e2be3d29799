"""The sandbox's HTTP face: a FastAPI app over a :class:`SandboxState`.

Platform endpoints (paths configurable): send (SPEC §1), status pull (SPEC §2), templates
(SPEC §4). Admin endpoints live under ``/_sandbox/`` for scripting from outside Python.

The send path is kept lean: the body is parsed with ``json.loads`` (no pydantic model on the hot
path), validation is plain code over the dict, and the state lock is held only briefly.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.routing import Route

from airflow_provider_messaging.models import limits
from airflow_provider_messaging.models.codes import (
    SEND_ERRORS,
    TEMPLATE_ANSWER_CODES,
    TEMPLATE_NAME_EXISTS,
    TEMPLATE_OK,
)
from airflow_provider_messaging.sandbox.state import (
    FAULT_ENDPOINTS,
    FAULTS,
    DuplicateError,
    SandboxState,
)
from airflow_provider_messaging.sandbox.validation import (
    BAD_REQUEST,
    SendRejection,
    TemplateRejection,
    validate_send,
    validate_template,
)

#: Scope key under which the outer ASGI wrapper exposes "drop this connection now".
DROP_KEY = "messaging_sandbox.drop_connection"
#: Largest batch of mtNums one status request may ask for.
STATUS_BATCH_MAX = limits.STATUS_BATCH_MAX

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def send_error(code: int, extended: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """A send/status error in the documented shape, HTTP status from the shared table."""
    row = SEND_ERRORS[code]
    payload: dict[str, Any] = {"error": {"code": row.code, "description": row.description}}
    if extended:
        payload["extendedDescription"] = extended
    return _json(row.http_status, payload, headers)


def template_answer(code: str, description: str, extra: dict[str, Any] | None = None) -> Response:
    """A templates answer ``{"code": ..., "description": ...}``, HTTP status from the shared table."""
    status, _meaning = TEMPLATE_ANSWER_CODES[code]
    payload: dict[str, Any] = {"code": code, "description": description}
    if extra:
        payload.update(extra)
    return _json(status, payload)


def _abort_connection(send: Send) -> bool:
    """Close the client's TCP connection without an answer (uvicorn's protocol objects).

    The ``send`` callable uvicorn hands to the app is a bound method of its request cycle, which
    holds the transport. Marking the cycle disconnected stops uvicorn from writing any answer.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None or not hasattr(cycle, "disconnected"):
        return False
    cycle.disconnected = True
    transport.abort()
    return True


class _ConnectionDropper:
    """Outermost ASGI layer: lets an endpoint drop the connection after it accepted a message."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[DROP_KEY] = lambda: _abort_connection(send)
        await self.app(scope, receive, send)


async def _parse_body(request: Request) -> tuple[dict[str, Any] | None, str | None]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "Request body is not valid JSON"
    if not isinstance(body, dict):
        return None, "Request body must be a JSON object"
    return body, None


def _check_access(state: SandboxState, request: Request, body: dict[str, Any]) -> Response | None:
    """IP allow-list (2), login (5), password (6); never echoes the credentials."""
    host = request.client.host if request.client else None
    if not state.ip_allowed(host):
        return send_error(2, f"IP address {host} is not on the partner's allow-list")
    login = body.get("login")
    if not isinstance(login, str) or not hmac.compare_digest(login.encode(), state.login.encode()):
        return send_error(5, "login is missing or not known")
    password = body.get("password")
    if not isinstance(password, str) or not hmac.compare_digest(password.encode(), state.password.encode()):
        return send_error(6, "password is missing or wrong for this login")
    return None


def _fault_response(fault: str, retry_after: int) -> Response:
    if fault == "unavailable":
        return send_error(1, "Service is temporarily unavailable (injected fault)")
    if fault == "throttled":
        return send_error(3, "Too many connections (injected fault)", {"Retry-After": str(retry_after)})
    return send_error(100, "Internal platform error (injected fault)")


class FaultIn(BaseModel):
    """Body of ``POST /_sandbox/faults``."""

    fault: str
    count: int = Field(default=1, ge=1)
    retry_after: int = Field(default=1, ge=0)
    endpoint: str = "send"


class OutcomesIn(BaseModel):
    """Body of ``POST /_sandbox/outcomes``: one rule, or several in ``outcomes``."""

    pattern: str | None = None
    outcome: str | None = None
    outcomes: dict[str, str] | None = None


class MoIn(BaseModel):
    """Body of ``POST /_sandbox/mo``."""

    source_addr: str
    text: str | None = None
    media_url: str | None = None
    dest_addr: str = "SANDBOX"
    type: str = "Viber"
    part_count: int = 1
    transaction_id: str | None = None
    mo_url: str | None = None


class ConfigIn(BaseModel):
    """Body of ``POST /_sandbox/config``: change settings of the running sandbox."""

    latency: float | None = Field(default=None, ge=0)
    delivery_delay: float | None = Field(default=None, ge=0)
    dedup: str | None = None


def create_app(state: SandboxState) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Build the ASGI app serving ``state`` (FastAPI wrapped in the connection dropper)."""
    app = FastAPI(
        title="Messaging platform sandbox",
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )

    async def authenticated_body(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        """What the send and status methods check first, in order: the configured latency, a JSON
        object body (code 4), then IP allow-list and credentials. ``(body, None)`` or ``(None, answer)``."""
        if state.latency:
            await asyncio.sleep(state.latency)
        body, problem = await _parse_body(request)
        if body is None:
            return None, send_error(4, problem)
        denied = _check_access(state, request, body)
        return (None, denied) if denied is not None else (body, None)

    async def send_endpoint(request: Request) -> Response:
        body, refused = await authenticated_body(request)
        if body is None:
            assert refused is not None
            return refused
        retry_after = state.throttle()
        if retry_after is not None:
            return send_error(
                3,
                f"Rate limit of {state.rate_limiter.rate:g} requests per second exceeded",  # type: ignore[union-attr]
                {"Retry-After": str(retry_after)},
            )
        fault = state.take_fault("send")
        if fault is not None:
            return _fault_response(fault.fault, fault.retry_after)
        result = validate_send(body, viber_sessions=state.viber_sessions)
        if isinstance(result, SendRejection):
            return send_error(result.code, result.extended)
        try:
            mt_num, _message = state.accept(
                body,
                dest_addr=result.dest_addr,
                channel=result.channel,
                partner_id=result.partner_id,
                notify_url=result.notify_url,
                registered_delivery=result.registered_delivery,
            )
        except DuplicateError as dup:
            return send_error(
                10,
                f"A message with id {result.partner_id} was already accepted "
                f"(mtNum {dup.mt_num}); it is not sent again",
            )
        if state.take_fault("send", accepted=True) is not None:
            drop = request.scope.get(DROP_KEY)
            if drop is not None and drop():
                return Response(status_code=204)  # never written: the connection is gone
            raise RuntimeError("drop_after_accept: the server could not drop the connection")
        answer: dict[str, Any] = {"mtNum": mt_num}
        if result.partner_id is not None:
            answer["id"] = result.partner_id
        return _json(200, answer)

    async def status_endpoint(request: Request) -> Response:
        body, refused = await authenticated_body(request)
        if body is None:
            assert refused is not None
            return refused
        fault = state.take_fault("status")
        if fault is not None:
            return _fault_response(fault.fault, fault.retry_after)
        mt_nums = body.get("mtNums")
        if not isinstance(mt_nums, list) or not all(
            isinstance(n, (str, int)) and not isinstance(n, bool) for n in mt_nums
        ):
            return send_error(4, "mtNums must be a list of mtNum strings")
        if len(mt_nums) > STATUS_BATCH_MAX:
            return send_error(4, f"mtNums has {len(mt_nums)} items; at most {STATUS_BATCH_MAX} per request")
        return _json(200, {"reports": state.reports(mt_nums)})

    async def templates_endpoint(request: Request) -> Response:
        if state.latency:
            await asyncio.sleep(state.latency)
        key = request.headers.get("x-api-key")
        if key is None or not hmac.compare_digest(key.encode(), state.api_key.encode()):
            return _json(401, {"code": "unauthorized", "description": "X-API-KEY header is missing or wrong"})
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return template_answer(BAD_REQUEST, "body: not valid JSON")
        result = validate_template(body)
        if isinstance(result, TemplateRejection):
            return template_answer(result.code, result.description)
        created = state.add_template(result, body)
        if created is None:
            return template_answer(
                TEMPLATE_NAME_EXISTS, f"name: a template named {result['name']!r} or with the same content exists"
            )
        return _json(200, {"code": TEMPLATE_OK, "messageMatcher": created})

    # Plain Starlette routes: the endpoints read the raw body themselves, which skips FastAPI's
    # per-request dependency solving on the hot path (about a third faster).
    for path, endpoint in (
        (state.send_path, send_endpoint),
        (state.status_path, status_endpoint),
        (state.templates_path, templates_endpoint),
    ):
        app.router.routes.append(Route(path, endpoint, methods=["POST"]))

    # --- admin ------------------------------------------------------------------------------
    @app.get("/_sandbox/health")
    async def health() -> dict[str, Any]:
        """Liveness and the current settings (no secrets)."""
        return {
            "ok": True,
            "dedup": state.dedup,
            "delivery_delay": state.delivery_delay,
            "latency": state.latency,
            "viber_sessions": state.viber_sessions,
            "send_path": state.send_path,
            "status_path": state.status_path,
            "templates_path": state.templates_path,
        }

    @app.get("/_sandbox/messages")
    async def list_messages() -> list[dict[str, Any]]:
        """Accepted messages in order, with their current status."""
        with state.lock:
            messages = list(state.messages)
        return [m.as_dict() for m in messages]

    @app.get("/_sandbox/sent_count")
    async def sent_count(dest_addr: str, id: str | None = None) -> dict[str, Any]:
        """How many times a message with this partner id and recipient was sent."""
        return {"id": id, "dest_addr": dest_addr, "sent_count": state.sent_count(id, dest_addr)}

    @app.get("/_sandbox/faults")
    async def list_faults() -> list[dict[str, Any]]:
        """Faults still queued."""
        with state.lock:
            return [f.as_dict() for f in state.faults]

    @app.post("/_sandbox/faults")
    async def add_fault(fault: FaultIn) -> Response:
        """Queue a fault for the next ``count`` requests."""
        if fault.fault not in FAULTS or fault.endpoint not in FAULT_ENDPOINTS:
            return _json(
                400,
                {
                    "detail": f"fault must be one of {', '.join(FAULTS)} and endpoint one of "
                    f"{', '.join(FAULT_ENDPOINTS)}"
                },
            )
        try:
            queued = state.inject(fault.fault, fault.count, fault.retry_after, fault.endpoint)
        except ValueError as exc:
            return _json(400, {"detail": str(exc)})
        return _json(200, {"queued": queued.as_dict()})

    @app.get("/_sandbox/outcomes")
    async def list_outcomes() -> dict[str, str]:
        """The outcome rules."""
        return state.outcomes.as_dict()

    @app.post("/_sandbox/outcomes")
    async def set_outcomes(rules: OutcomesIn) -> Response:
        """Add or replace outcome rules."""
        pairs = dict(rules.outcomes or {})
        if rules.pattern is not None:
            pairs[rules.pattern] = rules.outcome or "delivered"
        try:
            for pattern, outcome in pairs.items():
                state.set_outcome(pattern, outcome)
        except ValueError as exc:
            return _json(400, {"detail": str(exc)})
        return _json(200, state.outcomes.as_dict())

    @app.post("/_sandbox/mo")
    def push_mo(mo: MoIn) -> Response:
        """Push an MO message to ``mo_url`` (the body's, else the sandbox's)."""
        url = mo.mo_url or state.mo_url
        if not url:
            return _json(400, {"detail": "no mo_url: give one here or start the sandbox with mo_url"})
        payload = state.build_mo(
            mo.source_addr, mo.text, mo.media_url, mo.dest_addr, mo.type, mo.part_count, mo.transaction_id
        )
        record = state.dispatcher.push_now(url, payload, "mo")
        return _json(200 if record.ok else 502, record.as_dict())

    @app.get("/_sandbox/pushes")
    async def list_pushes(kind: str | None = None) -> list[dict[str, Any]]:
        """What the sandbox POSTed to partner URLs (``kind``: report or mo)."""
        with state.lock:
            pushes = list(state.pushes)
        return [p.as_dict() for p in pushes if kind is None or p.kind == kind]

    @app.get("/_sandbox/templates")
    async def list_templates() -> list[dict[str, Any]]:
        """Templates created so far."""
        with state.lock:
            return list(state.templates)

    @app.post("/_sandbox/config")
    async def set_config(config: ConfigIn) -> Response:
        """Change latency, delivery_delay or dedup of the running sandbox."""
        if config.dedup is not None and config.dedup not in ("on", "off", "reject"):
            return _json(400, {"detail": "dedup must be one of on, off, reject"})
        if config.latency is not None:
            state.latency = config.latency
        if config.delivery_delay is not None:
            state.delivery_delay = config.delivery_delay
        if config.dedup is not None:
            state.dedup = config.dedup
        return _json(200, {"latency": state.latency, "delivery_delay": state.delivery_delay, "dedup": state.dedup})

    @app.post("/_sandbox/reset")
    async def reset() -> dict[str, bool]:
        """Forget messages, faults, templates and pushes; restore the initial outcome rules."""
        state.reset()
        return {"ok": True}

    return _ConnectionDropper(app)
