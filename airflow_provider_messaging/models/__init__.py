"""Wire models and the platform's code tables. Pydantic v2, no Airflow imports."""

from airflow_provider_messaging.models.base import InvalidMessageError, WireModel
from airflow_provider_messaging.models.codes import (
    FAILURE_NAMES,
    SEND_ERRORS,
    DeliveryFailure,
    DeliveryStatus,
    failure_name,
    status_name,
)
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
from airflow_provider_messaging.models.results import SendResult

__all__ = [
    "FAILURE_NAMES", "SEND_ERRORS", "Channel", "ContentType", "DeliveryFailure", "DeliveryStatus",
    "InstantContent", "InstantContentData", "InvalidMessageError", "Message", "MessageData",
    "ScheduleInfo", "SendRequest", "SendResult", "WireModel", "build_extra_param", "compose_message",
    "failure_name", "normalize_dest_addr", "status_name",
]

# --- delivery status (SPEC §2) ---
from airflow_provider_messaging.models.status import (  # noqa: E402
    DELIVERY_OUTCOMES,
    FINAL_OUTCOMES,
    DeliveryReport,
    outcome_of,
    parse_reports,
)

__all__ += ["DELIVERY_OUTCOMES", "FINAL_OUTCOMES", "DeliveryReport", "outcome_of", "parse_reports"]

# --- operator templates (SPEC §4) ---
from airflow_provider_messaging.models.templates import (  # noqa: E402
    TemplateChannel,
    TemplateRequest,
    TemplateResult,
    SmsMatcher,
    ViberMatcher,
    WhatsAppMatcher,
)

__all__ += ["SmsMatcher", "TemplateChannel", "TemplateRequest", "TemplateResult", "ViberMatcher", "WhatsAppMatcher"]
