"""The message fields a campaign takes from its task: light (no pydantic), so the operator's module,
imported when a DAG file is parsed, and the renderer share one list."""

from __future__ import annotations

#: ``compose_message`` arguments a campaign takes from the task (besides the recipient and the id)
MESSAGE_FIELDS = (
    "service_number",
    "text",
    "image_url",
    "button_caption",
    "button_url",
    "ttl",
    "ttl_unit",
    "schedule",
    "use_time_diff",
    "extra_params",
    "registered_delivery",
    "notify_url",
    "cascade",
)
