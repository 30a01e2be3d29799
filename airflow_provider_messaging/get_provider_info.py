"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

PACKAGE_NAME = "airflow-provider-messaging"
INTEGRATION = "Messaging (Viber / WhatsApp)"


def _version() -> str:
    try:
        return version(PACKAGE_NAME)
    except PackageNotFoundError:  # running from a source tree
        return "0.1.0"


def _str(label: str, description: str, default: str | None = None, **schema: object) -> dict[str, Any]:
    sch: dict[str, Any] = {"type": ["string", "null"], **schema}
    if default is not None:
        sch["default"] = default
    return {"label": label, "description": description, "schema": sch}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": PACKAGE_NAME,
        "name": "Messaging",
        "description": "Send Viber and WhatsApp messages, create operator templates and act on "
        "delivery status through the messaging platform's REST API.",
        "versions": [_version()],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://pypi.org/project/airflow-provider-messaging/",
                "tags": ["service"],
            }
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": ["airflow_provider_messaging.hooks.messaging"]}],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_messaging.operators.send",
                    "airflow_provider_messaging.operators.templates",
                    "airflow_provider_messaging.operators.branch",
                    "airflow_provider_messaging.operators.campaign",
                ],
            }
        ],
        "extra-links": ["airflow_provider_messaging.operators.campaign.CampaignReportLink"],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_messaging.sensors.delivery"]}
        ],
        "triggers": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_messaging.triggers.delivery"]}
        ],
        "notifications": ["airflow_provider_messaging.notifications.messaging.MessagingNotifier"],
        "plugins": [
            {
                "name": "messaging_receiver",
                "plugin-class": "airflow_provider_messaging.receiver.plugin.MessagingReceiverPlugin",
            }
        ],
        "connection-types": [
            {
                "connection-type": "messaging",
                "hook-class-name": "airflow_provider_messaging.hooks.messaging.MessagingHook",
                "hook-name": INTEGRATION,
                "conn-fields": {
                    "send_path": _str("Send path", "Path of the send method, relative to the base URL.", "/send"),
                    "status_path": _str("Status path", "Path of the delivery-status method.", "/status"),
                    "templates_url": _str(
                        "Templates URL",
                        "message-matchers method: a path relative to the base URL, or an absolute URL.",
                        "/api/message-matchers",
                    ),
                    "api_key": {
                        "label": "API key",
                        "description": "X-API-KEY for the templates method (secret).",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "default_service_number": _str(
                        "Default service number", "Sender name used when a task gives none."
                    ),
                    "viber_sessions": {
                        "label": "Viber sessions",
                        "description": "The account has Viber sessions on: only TEXT and IMAGE_URL are accepted.",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                    "platform_dedup": {
                        "label": "Platform duplicate control on",
                        "description": "The platform's dedup by partner id is switched on for this account: a "
                        "send that may have reached the platform can then be retried safely.",
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Seconds to wait for an answer.",
                        "schema": {"type": ["number", "null"], "default": 30},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries after the first attempt for transient errors (codes 1, 3, 100, 5xx).",
                        "schema": {"type": ["integer", "null"], "default": 5},
                    },
                    "backoff_initial": {
                        "label": "Backoff: first wait (s)",
                        "description": "Exponential backoff with full jitter: the first retry waits up to this.",
                        "schema": {"type": ["number", "null"], "default": 1},
                    },
                    "backoff_max": {
                        "label": "Backoff: longest wait (s)",
                        "description": "Upper bound of one backoff wait (a longer Retry-After is still honoured).",
                        "schema": {"type": ["number", "null"], "default": 60},
                    },
                    "max_retry_after": {
                        "label": "Longest Retry-After to wait (s)",
                        "description": "A Retry-After longer than this is not waited out in the task: the "
                        "error is raised and Airflow's task retries take over (same partner id).",
                        "schema": {"type": ["number", "null"], "default": 300},
                    },
                    "verify_ssl": {
                        "label": "Verify TLS certificates",
                        "schema": {"type": ["boolean", "null"], "default": True},
                    },
                    "proxy": _str("Proxy", "HTTP(S) proxy URL, e.g. http://proxy:3128."),
                    "scheme": _str("Scheme", "Only when the base URL has no scheme (URI form).", "https"),
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "extra"],
                    "relabeling": {"host": "Base URL", "login": "Partner login", "password": "Partner password"},
                    "placeholders": {
                        "host": "https://api.example.com/prefix",
                        "port": "(optional, or part of the base URL)",
                        "login": "partner name",
                        "password": "sending password",
                        "send_path": "/send",
                        "status_path": "/status",
                        "templates_url": "/api/message-matchers or https://other.host/api/message-matchers",
                        "default_service_number": "sender name, e.g. MyShop",
                        "proxy": "http://proxy:3128",
                    },
                },
            }
        ],
    }
