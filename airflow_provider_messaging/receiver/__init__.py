"""Receiver of what the platform pushes: delivery reports (to ``notifyUrl``) and MO messages.

``create_app(...)`` builds the FastAPI app; it runs mounted in Airflow's api-server (the plugin in
:mod:`airflow_provider_messaging.receiver.plugin`, at ``/messaging``) or standalone
(``python -m airflow_provider_messaging.receiver --host 0.0.0.0 --port 8090``). Attributes load on
first use, so importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_messaging.receiver.app import create_app
    from airflow_provider_messaging.receiver.settings import ReceiverSettings

__all__ = ["ReceiverSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from airflow_provider_messaging.receiver.app import create_app

        return create_app
    if name == "ReceiverSettings":
        from airflow_provider_messaging.receiver.settings import ReceiverSettings

        return ReceiverSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
