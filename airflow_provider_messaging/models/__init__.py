"""Wire models and the platform's code tables. Pydantic v2, no Airflow imports.

Names are loaded on first use (PEP 562), so ``import airflow_provider_messaging.models.codes``
(what a DAG file needs) does not load pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_messaging.lazy import lazy_exports

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ("FAILURE_NAMES", "SEND_ERRORS", "DeliveryFailure", "DeliveryStatus", "failure_name", "status_name"), "codes"
    ),
    **dict.fromkeys(("DELIVERY_OUTCOMES", "FINAL_OUTCOMES", "outcome_of"), "outcomes"),
    **dict.fromkeys(
        (
            "Channel",
            "ContentType",
            "InstantContent",
            "InstantContentData",
            "Message",
            "MessageData",
            "ScheduleInfo",
            "SendRequest",
            "build_extra_param",
            "compose_message",
            "normalize_dest_addr",
        ),
        "send",
    ),
    "SendResult": "results",
    "InvalidMessageError": "airflow_provider_messaging.exceptions",  # the error every model rule raises
    "WireModel": "base",
    **dict.fromkeys(("DeliveryReport", "parse_reports"), "status"),
    **dict.fromkeys(
        ("SmsMatcher", "TemplateChannel", "TemplateRequest", "TemplateResult", "ViberMatcher", "WhatsAppMatcher"),
        "templates",
    ),
}

__all__ = [
    "DELIVERY_OUTCOMES",
    "FAILURE_NAMES",
    "FINAL_OUTCOMES",
    "SEND_ERRORS",
    "Channel",
    "ContentType",
    "DeliveryFailure",
    "DeliveryReport",
    "DeliveryStatus",
    "InstantContent",
    "InstantContentData",
    "InvalidMessageError",
    "Message",
    "MessageData",
    "ScheduleInfo",
    "SendRequest",
    "SendResult",
    "SmsMatcher",
    "TemplateChannel",
    "TemplateRequest",
    "TemplateResult",
    "ViberMatcher",
    "WhatsAppMatcher",
    "WireModel",
    "build_extra_param",
    "compose_message",
    "failure_name",
    "normalize_dest_addr",
    "outcome_of",
    "parse_reports",
    "status_name",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from airflow_provider_messaging.exceptions import InvalidMessageError
    from airflow_provider_messaging.models.base import WireModel
    from airflow_provider_messaging.models.codes import (
        FAILURE_NAMES,
        SEND_ERRORS,
        DeliveryFailure,
        DeliveryStatus,
        failure_name,
        status_name,
    )
    from airflow_provider_messaging.models.outcomes import DELIVERY_OUTCOMES, FINAL_OUTCOMES, outcome_of
    from airflow_provider_messaging.models.results import SendResult
    from airflow_provider_messaging.models.send import (
        Channel,
        ContentType,
        InstantContent,
        InstantContentData,
        Message,
        MessageData,
        ScheduleInfo,
        SendRequest,
        build_extra_param,
        compose_message,
        normalize_dest_addr,
    )
    from airflow_provider_messaging.models.status import DeliveryReport, parse_reports
    from airflow_provider_messaging.models.templates import (
        SmsMatcher,
        TemplateChannel,
        TemplateRequest,
        TemplateResult,
        ViberMatcher,
        WhatsAppMatcher,
    )
