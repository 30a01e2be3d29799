"""Numeric limits of the platform (SPEC §1). Numbers only: each check that uses them lives once
in the wire models (client side) and, independently, in the sandbox (server side)."""

from __future__ import annotations

VIBER_TEXT_MAX = 1000  # [doc] instantContent.data.text
VIBER_MESSAGE_MAX = 2000  # [doc] whole Viber message
VIBER_TTL_MIN_MINUTES = 1  # [doc]
VIBER_TTL_MAX_MINUTES = 2880  # [doc]
WHATSAPP_TEXT_MAX = 1000  # [doc]
WHATSAPP_TTL_MINUTES = frozenset({1440, 2880, 4320, 5760, 7200, 8640, 10080})  # [doc]
NOTIFY_URL_MAX = 2048  # [doc]
REGISTERED_DELIVERY_VALUES = (0, 1, 2)  # [doc]
TTL_UNIT_SECONDS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600}  # [doc] units; MINUTES is the default
DEFAULT_TTL_UNIT = "MINUTES"
TEMPLATE_NAME_MAX = 60  # [doc]
STATUS_BATCH_MAX = 1000  # [decided] mtNums in one status request
