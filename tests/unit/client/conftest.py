"""Fixtures of the client tests: each test that asks for ``make_client`` runs against both clients."""

from __future__ import annotations

import pytest

from tests.helpers.clients import KINDS, Client, settings_from_env


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    """``"sync"`` (``MessagingClient``) or ``"async"`` (``AsyncMessagingClient``)."""
    return request.param


@pytest.fixture
def make_client(kind):
    """``make_client(sleeps, **overrides)``: a client of this test's kind for ``messaging_default``,
    recording its retry waits in ``sleeps``; closed after the test."""
    made: list[Client] = []

    def make(sleeps: list | None = None, **overrides) -> Client:
        made.append(Client(kind, settings_from_env(**overrides), sleeps))
        return made[-1]

    yield make
    for client in made:
        client.close()
