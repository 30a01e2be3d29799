"""The receiver's settings: tokens (rotation), allowed networks, limits; errors name the setting."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.receiver.app import header_token, token_matches
from airflow_provider_messaging.receiver.settings import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ITEMS,
    ReceiverConfigError,
    ReceiverSettings,
    SettingsSource,
)

OLD = "old-token-0123456789abcdef"
NEW = "new-token-0123456789abcdef"


def test_password_and_extra_tokens_are_all_valid_for_rotation(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT",
        json.dumps(
            {
                "conn_type": "generic",
                "password": OLD,
                "extra": {"tokens": [NEW], "allowed_networks": "127.0.0.0/8, ::1", "max_items": "50"},
            }
        ),
    )
    settings = ReceiverSettings.from_connection()
    assert settings.tokens == (OLD, NEW)
    assert settings.max_items == 50
    assert settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    assert settings.source_allowed("127.0.0.1") and settings.source_allowed("::1")
    assert not settings.source_allowed("10.1.2.3") and not settings.source_allowed(None)
    assert OLD not in repr(settings) and NEW not in repr(settings)


def test_no_allow_list_lets_any_source_in():
    settings = ReceiverSettings.build([OLD])
    assert settings.source_allowed("203.0.113.9")
    assert settings.max_items == DEFAULT_MAX_ITEMS


@pytest.mark.parametrize(
    ("password", "extra", "named"),
    [
        (None, {}, "tokens: at least one token"),
        ("short", {}, "tokens: every token needs at least 16"),
        (OLD + "/x", {}, "may not contain '/'"),
        (OLD, {"tokens": 5}, "tokens: expected a list"),
        (OLD, {"allowed_networks": ["10.0.0.0/33"]}, "allowed_networks: '10.0.0.0/33'"),
        (OLD, {"max_body_bytes": 0}, "max_body_bytes: expected a positive integer"),
        (OLD, {"max_items": True}, "max_items: expected a positive integer"),
    ],
)
def test_bad_settings_name_the_setting(password, extra, named):
    with pytest.raises(ReceiverConfigError, match=named.replace("(", r"\(")):
        ReceiverSettings.from_extra(password, extra)


def test_connection_is_reread_after_the_ttl(monkeypatch):
    var = "AIRFLOW_CONN_RCV_TTL"
    monkeypatch.setenv(var, json.dumps({"conn_type": "generic", "password": OLD}))
    source = SettingsSource(conn_id="rcv_ttl", ttl=0.0)
    assert source.get().tokens == (OLD,)
    monkeypatch.setenv(var, json.dumps({"conn_type": "generic", "password": NEW}))
    assert source.get().tokens == (NEW,)


def test_token_compare_and_header_forms():
    tokens = (OLD, NEW)
    assert token_matches(NEW, tokens)
    assert not token_matches(NEW[:-1], tokens)
    assert not token_matches(None, tokens) and not token_matches("", tokens)
    assert header_token({"authorization": f"Bearer {OLD}"}) == OLD
    assert header_token({"x-messaging-token": NEW}) == NEW
    assert header_token({"authorization": f"Basic {OLD}"}) is None
    assert header_token({}) is None
