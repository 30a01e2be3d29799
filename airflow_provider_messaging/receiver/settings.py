"""The receiver's settings: tokens, allowed networks, limits; read from an Airflow connection.

The connection (default id ``messaging_receiver_default``, any connection type) holds:

- ``password``: a token the platform puts in the URL (``.../<token>/reports``) or in a header
  (``Authorization: Bearer <token>`` or ``X-Messaging-Token: <token>``);
- extra ``tokens``: more valid tokens, a list or a comma-separated string (rotation: add the new
  token, move the platform to it, then remove the old one);
- extra ``allowed_networks``: source networks allowed to push (CIDR list or comma-separated);
  absent or empty: any source;
- extra ``max_body_bytes`` (default 1 MiB) and ``max_items`` (default 1000): larger bodies and
  longer arrays are refused with 413.

Every token is registered with Airflow's secret masker as soon as it is read. No module-level
Airflow import: the standalone receiver can run with settings given in code.
"""

from __future__ import annotations

import importlib
import ipaddress
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Default connection id of the receiver's settings.
DEFAULT_CONN_ID = "messaging_receiver_default"
#: Default largest request body (1 MiB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Default largest number of items in one pushed array.
DEFAULT_MAX_ITEMS = 1000
#: Header names that may carry the token (besides ``Authorization: Bearer``).
TOKEN_HEADER = "x-messaging-token"
#: Shortest token accepted: a guessable token is no protection.
MIN_TOKEN_LENGTH = 16

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ReceiverConfigError(ValueError):
    """The receiver's settings break a rule; the message names the setting."""


def _as_list(value: Any, what: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise ReceiverConfigError(f"{what}: expected a list of strings or a comma-separated string")


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ReceiverConfigError(f"{what}: expected a positive integer, got {value!r}")
    return value


def mask_tokens(tokens: Iterable[str]) -> None:
    """Register tokens with Airflow's secret maskers: the Task SDK's and, in Airflow's own processes
    (the api-server), the core one its structlog pipeline and access log use (as Airflow's own
    configuration does for its secrets)."""
    from airflow_provider_messaging.compat import mask_secret

    try:
        core_mask = importlib.import_module("airflow._shared.secrets_masker").mask_secret
    except ImportError:
        core_mask = None
    for token in tokens:
        mask_secret(token)
        if core_mask is not None:
            core_mask(token)


@dataclass(frozen=True)
class ReceiverSettings:
    """What the receiver checks before storing anything. ``tokens`` are secrets: never logged."""

    tokens: tuple[str, ...]
    allowed_networks: tuple[Network, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_items: int = DEFAULT_MAX_ITEMS

    def __post_init__(self) -> None:
        if not self.tokens:
            raise ReceiverConfigError(
                "tokens: at least one token is required (the connection's password or its extra 'tokens')"
            )
        for token in self.tokens:
            if len(token) < MIN_TOKEN_LENGTH:
                raise ReceiverConfigError(f"tokens: every token needs at least {MIN_TOKEN_LENGTH} characters")
            if "/" in token or any(c.isspace() for c in token):
                raise ReceiverConfigError("tokens: a token may not contain '/' or whitespace")
        _positive_int(self.max_body_bytes, "max_body_bytes")
        _positive_int(self.max_items, "max_items")

    def __repr__(self) -> str:  # never show the tokens
        return (
            f"ReceiverSettings(tokens=<{len(self.tokens)} hidden>, allowed_networks="
            f"{[str(n) for n in self.allowed_networks]}, max_body_bytes={self.max_body_bytes}, "
            f"max_items={self.max_items})"
        )

    @classmethod
    def build(
        cls,
        tokens: Iterable[str],
        allowed_networks: Iterable[str] = (),
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_items: int = DEFAULT_MAX_ITEMS,
    ) -> ReceiverSettings:
        """Settings from plain values (CIDR strings are parsed; a bad one is named)."""
        networks = []
        for cidr in allowed_networks:
            try:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                raise ReceiverConfigError(f"allowed_networks: {cidr!r} is not an IP network (CIDR)") from None
        return cls(
            tuple(dict.fromkeys(tokens)),
            tuple(networks),
            _positive_int(max_body_bytes, "max_body_bytes"),
            _positive_int(max_items, "max_items"),
        )

    @classmethod
    def from_extra(cls, password: str | None, extra: Mapping[str, Any]) -> ReceiverSettings:
        """Settings from a connection's password and extra (see the module)."""
        tokens = ([password] if password else []) + _as_list(extra.get("tokens"), "tokens")
        return cls.build(
            tokens,
            _as_list(extra.get("allowed_networks"), "allowed_networks"),
            max_body_bytes=extra.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            max_items=extra.get("max_items", DEFAULT_MAX_ITEMS),
        )

    @classmethod
    def from_connection(cls, conn_id: str = DEFAULT_CONN_ID) -> ReceiverSettings:
        """Read the connection (any Airflow secrets backend) and mask its tokens in logs."""
        from airflow.sdk import BaseHook

        from airflow_provider_messaging.compat import get_connection

        conn = get_connection(BaseHook, conn_id)
        settings = cls.from_extra(conn.password, conn.extra_dejson)
        mask_tokens(settings.tokens)
        return settings

    def source_allowed(self, host: str | None) -> bool:
        """True when no allow-list is set or ``host`` is inside one of its networks."""
        if not self.allowed_networks:
            return True
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.allowed_networks)


@dataclass
class SettingsSource:
    """Settings given once, or read from a connection and re-read every ``ttl`` seconds (token
    rotation without a restart). A missing or bad connection is reported at each request."""

    fixed: ReceiverSettings | None = None
    conn_id: str = DEFAULT_CONN_ID
    ttl: float = 60.0
    _cached: ReceiverSettings | None = field(default=None, repr=False)
    _stamp: float = field(default=0.0, repr=False)

    def peek(self) -> ReceiverSettings | None:
        """The settings when no read is due (no I/O), else None: call :meth:`get` (in a thread)."""
        if self.fixed is not None:
            return self.fixed
        if self._cached is not None and time.monotonic() - self._stamp <= self.ttl:
            return self._cached
        return None

    def get(self) -> ReceiverSettings:
        """The current settings; raises ``ReceiverConfigError`` (or Airflow's not-found error)."""
        if self.fixed is not None:
            return self.fixed
        now = time.monotonic()
        if self._cached is None or now - self._stamp > self.ttl:
            self._cached = ReceiverSettings.from_connection(self.conn_id)
            self._stamp = now
        return self._cached
