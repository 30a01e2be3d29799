"""A faithful local emulator of the messaging platform (send, status, MO, templates, faults).

``Sandbox`` runs it on 127.0.0.1 in a background thread; ``python -m
airflow_provider_messaging.sandbox`` runs it from the command line; the pytest plugin
(``messaging_sandbox`` fixture) gives tests a fresh one. No Airflow imports.
"""

from airflow_provider_messaging.sandbox.server import DEFAULT_SERVICE_NUMBER, Sandbox
from airflow_provider_messaging.sandbox.state import DEDUP_MODES, FAULTS, OUTCOMES, SandboxMessage

__all__ = ["DEDUP_MODES", "DEFAULT_SERVICE_NUMBER", "FAULTS", "OUTCOMES", "Sandbox", "SandboxMessage"]
