"""Airflow plugin that mounts the receiver in the api-server at ``/messaging``.

Registered with the ``airflow.plugins`` entry point (loaded by every deployment) and in the
provider info's ``plugins`` (loaded when ``[core] lazy_discover_providers = False``). Airflow does not
authenticate a plugin's app: the receiver checks its own tokens (connection
``messaging_receiver_default``). The app is built the first time Airflow reads ``fastapi_apps``
(only the api-server does), so other processes that load plugins do not import FastAPI for it.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

#: Where the receiver is mounted in the api-server.
URL_PREFIX = "/messaging"


class _LazyApps:
    """``fastapi_apps`` built on first access, on the class or an instance (Airflow reads both)."""

    def __init__(self) -> None:
        self._apps: list[dict[str, Any]] | None = None

    def __get__(self, instance: object, owner: type | None = None) -> list[dict[str, Any]]:
        if self._apps is None:
            from airflow_provider_messaging.receiver.app import create_app

            self._apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Messaging receiver"}]
        return self._apps


class MessagingReceiverPlugin(AirflowPlugin):
    """Mounts the messaging receiver (delivery reports and MO messages) at ``/messaging``."""

    name = "messaging_receiver"
    fastapi_apps = _LazyApps()
