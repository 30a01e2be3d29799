"""pytest plugin (entry point ``pytest11``): ``messaging_sandbox`` and ``messaging_sandbox_factory``.

Import-light on purpose: the sandbox itself is imported only when a fixture is used, and Airflow
is never imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_messaging.sandbox.server import Sandbox


@pytest.fixture
def messaging_sandbox_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Sandbox]]:
    """Build started sandboxes with custom arguments: ``messaging_sandbox_factory(dedup="reject")``.

    Pass ``conn_id="..."`` to also set ``AIRFLOW_CONN_<CONN_ID>`` to that sandbox's connection
    (default ``messaging_default``; ``conn_id=None`` sets nothing). All are stopped afterwards.
    """
    from airflow_provider_messaging.sandbox.server import Sandbox

    started: list[Sandbox] = []

    def make(*, conn_id: str | None = "messaging_default", **kwargs: Any) -> Sandbox:
        sandbox = Sandbox(**kwargs).start()
        started.append(sandbox)
        if conn_id is not None:
            name, value = sandbox.env_var(conn_id)
            monkeypatch.setenv(name, value)
        return sandbox

    yield make
    for sandbox in reversed(started):
        sandbox.stop()


@pytest.fixture
def messaging_sandbox(messaging_sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A fresh, started sandbox with default settings; ``AIRFLOW_CONN_MESSAGING_DEFAULT`` points at it."""
    return messaging_sandbox_factory()
