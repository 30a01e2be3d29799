"""``MessagingHook``: the Airflow connection -> ``ClientSettings`` -> the clients, with the
connection's secrets registered with Airflow's masker. The transport is in
:mod:`airflow_provider_messaging.client` (loaded when a task runs, not when a DAG file is parsed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseHook

__all__ = ["MessagingHook", "mask_number"]

if TYPE_CHECKING:
    from airflow_provider_messaging.client.aio import AsyncMessagingClient
    from airflow_provider_messaging.client.settings import ClientSettings
    from airflow_provider_messaging.client.sync import MessagingClient
    from airflow_provider_messaging.models.results import SendResult
    from airflow_provider_messaging.models.send import SendRequest
    from airflow_provider_messaging.models.status import DeliveryReport
    from airflow_provider_messaging.models.templates import TemplateRequest, TemplateResult


class MessagingHook(BaseHook):
    """Talks to the messaging platform's REST API (SPEC §1-§4) through the connection ``messaging_conn_id``.

    :param messaging_conn_id: the ``messaging`` connection (default ``messaging_default``).
    :param timeout: overrides the connection extra ``timeout`` (seconds, default 30).
    :param max_retries: overrides the connection extra ``max_retries`` (retries after the first try).
    :param sleep: how the sync client waits between retries (tests inject a recorder; default ``time.sleep``).
    """

    conn_name_attr = "messaging_conn_id"
    default_conn_name = "messaging_default"
    conn_type = "messaging"
    hook_name = "Messaging (Viber / WhatsApp)"

    def __init__(
        self,
        messaging_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.messaging_conn_id = messaging_conn_id
        self.overrides: dict[str, Any] = {
            "timeout": None if timeout is None else float(timeout),
            "max_retries": None if max_retries is None else int(max_retries),
        }
        self.sleep = sleep
        self.client: MessagingClient | None = None
        #: status requests made through this hook's async clients (the sync client counts its own)
        self.async_status_requests = 0

    # --- connection -> settings ----------------------------------------------------------------------
    def settings_from(self, conn: Any) -> ClientSettings:
        """The connection read into settings, with this hook's overrides; an unknown extra is named."""
        from airflow_provider_messaging.client.settings import KNOWN_EXTRAS, ClientSettings

        unknown = sorted(set(conn.extra_dejson or {}) - KNOWN_EXTRAS)
        if unknown:  # a typo (e.g. "platform_dedupe") would otherwise be ignored without a word
            self.log.warning(
                "Connection %r: unknown extra(s) %s ignored; known extras: %s",
                conn.conn_id,
                ", ".join(unknown),
                ", ".join(sorted(KNOWN_EXTRAS)),
            )
        try:
            return ClientSettings.from_connection(conn).with_overrides(**self.overrides)
        except ValueError as exc:
            message = str(exc)
            prefix = f"connection {conn.conn_id!r}: "
            raise ValueError(message if message.startswith(prefix) else prefix + message) from None

    @cached_property
    def settings(self) -> ClientSettings:
        """The connection's settings; its secrets (login, password, api key) are masked in logs."""
        from airflow_provider_messaging.compat import get_connection, mask_secret

        settings = self.settings_from(get_connection(self, self.messaging_conn_id))
        for secret in settings.secrets():  # SPEC §1: login and password are both secrets
            mask_secret(secret)
        return settings

    async def aget_settings(self) -> ClientSettings:
        """``settings`` read through the async connection getter (triggers: never blocks the event
        loop), masked the same way; cached like ``settings``."""
        if "settings" in self.__dict__:
            return self.settings
        from airflow_provider_messaging.compat import aget_connection, amask_secret

        # Airflow 3.1.0 (or a task SDK without the async getter): the sync getter, off the event loop
        settings = self.settings_from(await aget_connection(self, self.messaging_conn_id))
        for secret in settings.secrets():
            await amask_secret(secret)
        self.__dict__["settings"] = settings  # what cached_property reads back
        return settings

    # --- the clients -----------------------------------------------------------------------------------
    def get_conn(self) -> MessagingClient:
        """The hook's sync client (one ``requests.Session``, kept until :meth:`close`)."""
        if self.client is None:
            from airflow_provider_messaging.client.sync import MessagingClient

            self.client = MessagingClient(self.settings, sleep=self.sleep, logger=self.log)
        return self.client

    async def get_async_conn(self, *, sleep: Callable[[float], Awaitable[None]] | None = None) -> AsyncMessagingClient:
        """A new async client; the caller closes it: ``async with await hook.get_async_conn() as client``."""
        from airflow_provider_messaging.client.aio import AsyncMessagingClient

        return AsyncMessagingClient(await self.aget_settings(), sleep=sleep, logger=self.log)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def __enter__(self) -> MessagingHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def status_requests(self) -> int:
        """Status requests made by this hook (sync and async), for logs and benchmarks."""
        return (self.client.status_requests if self.client else 0) + self.async_status_requests

    # --- the platform's methods (delegated; their contracts are the client's) ------------------------------
    def send(self, message: SendRequest | Mapping[str, Any]) -> SendResult:
        """Send one message: see ``MessagingClient.send``."""
        return self.get_conn().send(message)

    def get_statuses(self, mt_nums: Iterable[str | int] | str, batch_size: int = 100) -> dict[str, DeliveryReport]:
        """Delivery reports of ``mt_nums``: see ``MessagingClient.get_statuses``."""
        return self.get_conn().get_statuses(mt_nums, batch_size)

    async def aget_statuses(
        self,
        mt_nums: Iterable[str | int] | str,
        batch_size: int = 100,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> dict[str, DeliveryReport]:
        """Async twin of :meth:`get_statuses` (one async client, opened and closed for this call)."""
        async with await self.get_async_conn(sleep=sleep) as client:
            try:
                return await client.get_statuses(mt_nums, batch_size)
            finally:
                self.async_status_requests += client.status_requests

    def create_template(
        self,
        template: TemplateRequest | Mapping[str, Any],
        *,
        if_exists: Literal["fail", "skip"] = "fail",
        strict_enums: bool = True,
        extra_categories: Iterable[str] = (),
    ) -> TemplateResult:
        """Create an operator template: see ``MessagingClient.create_template``."""
        return self.get_conn().create_template(
            template, if_exists=if_exists, strict_enums=strict_enums, extra_categories=extra_categories
        )

    def test_connection(self) -> tuple[bool, str]:
        """Check the credentials without sending anything (the UI's "Test" button)."""
        try:
            return self.get_conn().check_credentials()
        except ValueError as exc:  # the connection itself is incomplete
            return False, str(exc)


def mask_number(number: str) -> str:
    """A recipient for logs, as the hook and the operators show it (``7900*****67``): for DAG code that
    prints recipients. (The client's ``redact.mask_number``, loaded when first called.)"""
    from airflow_provider_messaging.client.redact import mask_number as client_mask_number

    return client_mask_number(number)
