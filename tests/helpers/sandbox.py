"""Talking to the sandbox directly: valid bodies to vary, posting, waiting."""

from __future__ import annotations

import copy
import time
from typing import Any

import requests

from airflow_provider_messaging.models.codes import SEND_ERRORS
from airflow_provider_messaging.sandbox import Sandbox

LOGIN, PASSWORD = "sandbox", "sandbox-secret"

def viber(text: str = "Hello", **overrides: Any) -> dict[str, Any]:
    """A valid Viber send body; ``overrides`` replace top-level fields (None removes one)."""
    body: dict[str, Any] = {
        "login": LOGIN, "password": PASSWORD, "destAddr": "79000000001",
        "message": {"type": "VIBER", "data": {
            "serviceNumber": "SANDBOX", "ttl": 60,
            "instantContent": {"type": "TEXT", "data": {"text": text}}}},
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def whatsapp(content: dict[str, Any] | None = None, ctype: str = "TEXT", **overrides: Any) -> dict[str, Any]:
    """A valid WhatsApp send body."""
    body = viber(**overrides)
    body["message"] = {"type": "WHATSAPP", "data": {
        "serviceNumber": "SANDBOX", "ttl": 1440,
        "instantContent": {"type": ctype, "data": content if content is not None else {"text": "Hi"}}}}
    return body


def with_data(body: dict[str, Any], **data: Any) -> dict[str, Any]:
    """Copy of ``body`` with ``message.data`` fields replaced (None removes one)."""
    body = copy.deepcopy(body)
    for key, value in data.items():
        if value is None:
            body["message"]["data"].pop(key, None)
        else:
            body["message"]["data"][key] = value
    return body


def with_content(body: dict[str, Any], ctype: str, **content: Any) -> dict[str, Any]:
    """Copy of ``body`` with ``instantContent`` replaced."""
    body = copy.deepcopy(body)
    body["message"]["data"]["instantContent"] = {"type": ctype, "data": content}
    return body


def post(sandbox: Sandbox, body: Any, path: str = "/send") -> requests.Response:
    return requests.post(sandbox.url + path, json=body, timeout=5)


def assert_error(response: requests.Response, code: int, contains: str | None = None) -> dict[str, Any]:
    row = SEND_ERRORS[code]
    assert response.status_code == row.http_status, response.text
    payload = response.json()
    assert payload["error"] == {"code": code, "description": row.description}
    if contains is not None:
        assert contains in payload.get("extendedDescription", ""), payload
    return payload


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
