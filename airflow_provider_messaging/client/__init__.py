"""The platform's REST API without Airflow: ``MessagingClient`` (requests) and
``AsyncMessagingClient`` (httpx) with the same methods and semantics, one ``RetryPolicy``, and
``ClientSettings``. Nothing under this package imports Airflow.

Names are loaded on first use (PEP 562): importing ``client.settings`` does not load the HTTP libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "ClientSettings": "settings",
    "KNOWN_EXTRAS": "settings",
    "RetryPolicy": "retry",
    "MessagingClient": "sync",
    "AsyncMessagingClient": "aio",
    "SendOutcome": "aio",
    "mask_number": "redact",
}

__all__ = [
    "KNOWN_EXTRAS",
    "AsyncMessagingClient",
    "ClientSettings",
    "MessagingClient",
    "RetryPolicy",
    "SendOutcome",
    "mask_number",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from airflow_provider_messaging.client.aio import AsyncMessagingClient, SendOutcome
    from airflow_provider_messaging.client.redact import mask_number
    from airflow_provider_messaging.client.retry import RetryPolicy
    from airflow_provider_messaging.client.settings import KNOWN_EXTRAS, ClientSettings
    from airflow_provider_messaging.client.sync import MessagingClient
