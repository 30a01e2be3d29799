"""The platform's REST API without Airflow: ``MessagingClient`` (requests) and
``AsyncMessagingClient`` (httpx) with the same methods and semantics, one ``RetryPolicy``, and
``ClientSettings``. Nothing under this package imports Airflow.

Names are loaded on first use (PEP 562): importing ``client.settings`` does not load the HTTP libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_messaging.lazy import lazy_exports

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


__getattr__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from airflow_provider_messaging.client.aio import AsyncMessagingClient, SendOutcome
    from airflow_provider_messaging.client.redact import mask_number
    from airflow_provider_messaging.client.retry import RetryPolicy
    from airflow_provider_messaging.client.settings import KNOWN_EXTRAS, ClientSettings
    from airflow_provider_messaging.client.sync import MessagingClient
