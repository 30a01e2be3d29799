"""``ClientSettings``: where the platform is, who we are, and the [decided] knobs with their defaults.

No Airflow imports. The Airflow hook reads a connection into these settings
(:meth:`ClientSettings.from_connection` takes any object with the connection's attributes); code
outside Airflow builds them directly: ``ClientSettings(base_url=..., login=..., password=...)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urlsplit


class ConnectionLike(Protocol):
    """What :meth:`ClientSettings.from_connection` reads (an Airflow ``Connection`` has all of it)."""

    conn_id: str | None
    host: str | None
    port: int | None
    schema: str | None
    login: str | None
    password: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


def truthy(value: Any) -> bool:
    """A connection extra read as a boolean (``"true"``, ``"1"``, ``"yes"``, ``"on"``, or a bool)."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@dataclass(frozen=True)
class ClientSettings:
    """The platform's base URL, the partner's credentials and the [decided] extras with defaults."""

    base_url: str
    login: str
    password: str
    send_path: str = "/send"
    status_path: str = "/status"
    templates_url: str = "/api/message-matchers"
    api_key: str | None = None
    default_service_number: str | None = None
    viber_sessions: bool = False
    timeout: float = 30.0
    max_retries: int = 5
    verify_ssl: bool = True
    proxy: str | None = None
    platform_dedup: bool = False
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    max_retry_after: float = 300.0
    #: the Airflow connection these settings were read from (named in error messages), if any
    conn_id: str | None = None

    def __post_init__(self) -> None:
        if not self.base_url:
            raise ValueError("base_url (the platform's base URL) is required")
        if not self.login or not self.password:
            raise ValueError("login and password (the partner's credentials) are required")
        if self.max_retries < 0:
            raise ValueError("'max_retries' must be >= 0")
        if self.timeout <= 0:
            raise ValueError("'timeout' must be > 0 seconds")
        for key in ("backoff_initial", "backoff_max", "max_retry_after"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key!r} must be >= 0 seconds")

    def __repr__(self) -> str:  # the credentials never reach a log line through a repr
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.name not in SECRET_FIELDS
        )
        return f"ClientSettings({shown}, login=***, password=***, api_key=***)"

    # --- derived ---------------------------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        """A path is joined to the base URL (keeping its path prefix); an absolute URL is kept."""
        if urlsplit(path_or_url).scheme:
            return path_or_url
        return f"{self.base_url.rstrip('/')}/{path_or_url.lstrip('/')}"

    @cached_property
    def send_url(self) -> str:
        return self.url(self.send_path)

    @cached_property
    def status_url(self) -> str:
        return self.url(self.status_path)

    @cached_property
    def template_url(self) -> str:
        return self.url(self.templates_url)

    def ca_bundle(self) -> str | None:
        """The CA bundle to trust, from ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` (both clients use
        it); None: the default store, or no verification."""
        if not self.verify_ssl:
            return None
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None

    def where(self) -> str:
        """``connection 'id': `` when read from a connection (the start of a configuration error)."""
        return f"connection {self.conn_id!r}: " if self.conn_id else ""

    def secrets(self) -> tuple[str, ...]:
        """Every secret of these settings (SPEC §1: login and password are both secrets)."""
        return tuple(v for v in (self.password, self.api_key, self.login) if v)

    def with_overrides(self, **changes: Any) -> ClientSettings:
        """A copy with some fields changed (validated again); None values are ignored."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes) if changes else self

    # --- from a connection ---------------------------------------------------------------------
    @classmethod
    def from_connection(cls, conn: ConnectionLike) -> ClientSettings:
        """Read an Airflow-style connection: host (with scheme, port and path prefix), login,
        password, and the extras named in :data:`KNOWN_EXTRAS`. Errors name the connection and field."""
        name = conn.conn_id
        extra: dict[str, Any] = dict(conn.extra_dejson or {})
        host = (conn.host or "").strip()
        if not host:
            raise ValueError(f"connection {name!r}: host (the platform's base URL) is required")
        if "://" not in host:
            scheme = extra.get("scheme") or conn.schema or "https"
            host = f"{scheme}://{host}"
        if conn.port and urlsplit(host).port is None:
            parts = urlsplit(host)  # keep IPv6 brackets and the path prefix as given
            host = parts._replace(netloc=f"{parts.netloc}:{conn.port}").geturl()
        if not conn.login or not conn.password:
            raise ValueError(f"connection {name!r}: login and password (the partner's credentials) are required")
        try:
            return cls(base_url=host, login=conn.login, password=conn.password, conn_id=name, **extras_from(extra))
        except ValueError as exc:
            raise ValueError(f"connection {name!r}: {exc}") from None


def extras_from(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The known extras of a connection, converted to their types (``ValueError`` naming a bad one)."""
    kwargs: dict[str, Any] = {}
    for key in ("send_path", "status_path", "templates_url", "api_key", "default_service_number", "proxy"):
        if extra.get(key) not in (None, ""):
            kwargs[key] = str(extra[key])
    for key in ("viber_sessions", "verify_ssl", "platform_dedup"):
        if extra.get(key) not in (None, ""):
            kwargs[key] = truthy(extra[key])
    for key, conv in NUMERIC_EXTRAS.items():
        if extra.get(key) not in (None, ""):
            try:
                kwargs[key] = conv(extra[key])
            except (TypeError, ValueError):
                raise ValueError(f"extra {key!r} must be a number, got {extra[key]!r}") from None
    for key in NUMERIC_EXTRAS:  # name the extra in the range errors of __post_init__
        if key in kwargs:
            try:
                dataclasses.replace(DEFAULTS, **{key: kwargs[key]})
            except ValueError as exc:
                raise ValueError(f"extra {exc}") from None
    return kwargs


NUMERIC_EXTRAS: dict[str, type] = {
    "timeout": float,
    "max_retries": int,
    "backoff_initial": float,
    "backoff_max": float,
    "max_retry_after": float,
}
SECRET_FIELDS = frozenset({"login", "password", "api_key"})
#: Every connection extra the settings read (``scheme`` only for a host without one).
KNOWN_EXTRAS = frozenset(
    f.name for f in dataclasses.fields(ClientSettings) if f.name not in ("base_url", "login", "password", "conn_id")
) | {"scheme"}
DEFAULTS = ClientSettings(base_url="http://defaults.invalid", login="-", password="-")
