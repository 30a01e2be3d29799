"""docs/troubleshooting.md quotes the provider's error messages: every line of its ``text`` blocks is
a message the code produces today (built here from the real classes), and every message built here
is quoted there."""

from __future__ import annotations

import json
import re

import pytest

from airflow_provider_messaging import exceptions as exc
from airflow_provider_messaging.client import ClientSettings, MessagingClient
from airflow_provider_messaging.client.core import Failure
from airflow_provider_messaging.models import TemplateRequest
from airflow_provider_messaging.models.codes import SEND_ERRORS
from airflow_provider_messaging.models.send import compose_message
from tests.docs.snippets import ROOT

PAGE = ROOT / "docs" / "troubleshooting.md"
SEND_URL = "https://api.example.com/send"


def raised(call, *args, **kwargs) -> str:
    with pytest.raises(Exception) as info:  # any error: its text is what is compared
        call(*args, **kwargs)
    return str(info.value)


def messages() -> list[str]:
    out = []
    for code, row in SEND_ERRORS.items():
        out.append(str(exc.error_from_response(row.http_status, json.dumps(
            {"error": {"code": code, "description": row.description}}))))
    out.append(str(exc.error_from_response(400, json.dumps(
        {"error": {"code": 4, "description": "Invalid request"},
         "extendedDescription": "notifyUrl must not be empty"}))))
    out += [str(exc.error_from_response(404, "<html>Not Found</html>")),
            str(exc.error_from_response(502, "<html>Bad gateway</html>")),
            str(exc.error_from_response(403, ""))]
    for code, status in [("must not be null", 400), ("message-matcher-category-invalid", 400),
                         ("message-matcher.saving.bad-request", 400), ("message-matcher-name-already-exists", 409),
                         ("Invalid language", 400), ("unauthorized", 401)]:
        out.append(str(exc.template_error_from_response(status, json.dumps({"code": code}))))

    client = MessagingClient(ClientSettings(base_url="https://api.example.com", login="partner", password="pw"))
    out.append(str(client.transport_failure(SEND_URL, Failure.NO_ANSWER, repeatable=False)))
    out.append(str(client.transport_failure(SEND_URL, Failure.DROPPED, repeatable=False)))
    out.append(raised(client.check_url, "https://api.exa mple.com/send"))
    out.append(raised(client.create_template, {"messageMatcher": {"name": "welcome", "channelType": "SMS",
                                                                  "content": {"text": "Hi"}},
                                               "subjectIds": [1], "smsProviderIds": [0]},
                      if_exists="fail", strict_enums=True, extra_categories=()))
    out.append(str(exc.UnconfirmedSendError("c7597979864b27e01acbd984328e3b0a")))

    out.append(raised(compose_message, channel="VIBER", dest_addr="79001234567", service_number="MyShop",
                      text="x", ttl=3000, ttl_unit="MINUTES"))
    out.append(raised(compose_message, channel="VIBER", dest_addr="123", service_number="MyShop", text="x"))
    out.append(raised(compose_message, channel="VIBER", dest_addr="79001234567", service_number=None, text="x"))
    matcher = {"name": "w", "channelType": "WHATSAPP", "language": "ru", "category": "MARKETING",
               "type": "OPERATOR", "content": {"text": "Hi {{1}}, {{2}}"}}
    out.append(raised(TemplateRequest.parse, {"messageMatcher": matcher, "subjectIds": [1]}))
    viber = {"name": "v", "channelType": "VIBER", "language": "ru", "category": "TRANSACTIONAL",
             "type": "OPERATOR", "content": {"text": "Hi"}}
    out.append(raised(TemplateRequest.parse, {"messageMatcher": viber, "subjectIds": [1]}))

    class Conn:
        conn_id, port, schema, login, password, extra_dejson = "messaging_default", None, None, "p", "pw", {}
        host = ""

    out.append(raised(ClientSettings.from_connection, Conn()))
    Conn.host, Conn.password = "https://api.example.com", ""
    out.append(raised(ClientSettings.from_connection, Conn()))
    Conn.password, Conn.extra_dejson = "pw", {"timeout": 0}
    out.append(raised(ClientSettings.from_connection, Conn()))
    return out


@pytest.fixture
def produced(messaging_sandbox_factory, monkeypatch, tmp_path) -> list[str]:
    """``messages()`` and what a notifier with one bad recipient out of two raises (against the sandbox)."""
    from airflow_provider_messaging.notifications.messaging import MessagingNotifier

    messaging_sandbox_factory(dedup="off")
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps(
        {"conn_type": "generic", "extra": {"url": f"sqlite:///{tmp_path / 'store.db'}"}}))
    context = {"dag_run": {"dag_id": "nightly_report", "dag_run_id": "manual__1"}}
    notifier = MessagingNotifier(recipients="79000000031, 12", text="{{ dag_run.dag_id }} failed",
                                 service_number="ALERTS")
    return [*messages(), raised(notifier, context)]


def quoted() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [line for block in re.findall(r"^```text\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
            for line in block.splitlines() if line.strip()]


def test_every_message_the_page_quotes_is_produced_by_the_code(produced):
    assert [line for line in quoted() if line not in set(produced)] == []


def test_every_message_built_here_is_quoted_on_the_page(produced):
    shown = set(quoted())
    assert [m for m in produced if m not in shown] == []
