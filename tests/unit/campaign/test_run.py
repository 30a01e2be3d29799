"""A campaign run end to end without Airflow: the engine, the real client, a real store and the sandbox."""

from __future__ import annotations

import json
import logging

import jinja2
import pytest

from airflow_provider_messaging.campaign.keys import CampaignKey
from airflow_provider_messaging.campaign.render import MessageTemplate
from airflow_provider_messaging.campaign.run import CampaignRun
from airflow_provider_messaging.client.aio import AsyncMessagingClient
from airflow_provider_messaging.client.settings import ClientSettings
from airflow_provider_messaging.store import MessageStore


def make_run(sandbox, tmp_path, recipients, *, password=None, campaign_id="unit",
             **kwargs) -> tuple[CampaignRun, MessageStore]:
    settings = ClientSettings(base_url=sandbox.url, login=sandbox.login, password=password or sandbox.password,
                              max_retries=0)
    store = MessageStore(f"sqlite:///{tmp_path / 'store.db'}")
    key = CampaignKey.of(campaign_id=campaign_id)
    template = MessageTemplate(jinja2.Environment(), channel="viber",
                               fields={"service_number": "S", "text": "Hi {{ recipient.name | default('there') }}"})

    async def client() -> AsyncMessagingClient:
        return AsyncMessagingClient(settings)

    run = CampaignRun(recipients=recipients, template=template, key=key, ledger=store.ledger(key.scope),
                      client_factory=client, results_path=tmp_path / campaign_id / "results.jsonl",
                      platform_dedup=False, log=logging.getLogger("test"), **kwargs)
    return run, store


def test_refused_credentials_stop_the_campaign_and_leave_nothing_in_flight(messaging_sandbox, tmp_path):
    numbers = [f"7904{i:07d}" for i in range(300)]
    run, store = make_run(messaging_sandbox, tmp_path, numbers, password="wrong", concurrency=4)
    summary = run.execute()
    assert run.stopped and "code 6" in run.stopped
    assert summary["outcomes"]["accepted"] == 0 and summary["error_codes"] == {"6": summary["outcomes"]["failed"]}
    assert summary["sent"] < 50  # it stopped at once, it did not try 300 times
    assert messaging_sandbox.messages == []
    states = {e.state for e in store.ledger("campaign:unit").iterate()}
    assert states == {"failed"}  # ids recorded in flight but never sent were recorded failed too
    assert "stopped" in summary


def test_a_generator_of_recipients_and_a_results_file_per_row(messaging_sandbox, tmp_path):
    run, _ = make_run(messaging_sandbox, tmp_path, (f"7904{i:07d}" for i in range(20)), campaign_id="gen")
    summary = run.execute()
    assert summary["outcomes"]["accepted"] == 20
    lines = [json.loads(line) for line in (tmp_path / "gen" / "results.jsonl").read_text().splitlines()]
    assert sorted(line["row"] for line in lines) == list(range(1, 21))
    assert (tmp_path / "gen" / "report.html").exists()
    texts = {m.body["message"]["data"]["instantContent"]["data"]["text"] for m in messaging_sandbox.messages}
    assert texts == {"Hi there"}


def test_a_file_without_the_number_column_is_refused_naming_it(messaging_sandbox, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("phone,name\n79001234567,Ann\n")
    run, _ = make_run(messaging_sandbox, tmp_path, path, campaign_id="nocol")
    with pytest.raises(ValueError, match="no column 'dest_addr'"):
        run.execute()
    assert messaging_sandbox.messages == []


def test_the_clients_advice_on_single_messages_is_logged_once_per_campaign(messaging_sandbox, tmp_path, caplog):
    from airflow_provider_messaging.campaign.run import AdviceOnce

    settings = ClientSettings(base_url=messaging_sandbox.url, login=messaging_sandbox.login,
                              password=messaging_sandbox.password)
    store = MessageStore(f"sqlite:///{tmp_path / 'store.db'}")
    key = CampaignKey.of(campaign_id="advice")
    template = MessageTemplate(jinja2.Environment(), channel="viber",
                               fields={"service_number": "S", "image_url": "https://cdn.example/card.gif"})
    log = logging.getLogger("advice-test")

    async def client() -> AsyncMessagingClient:
        return AsyncMessagingClient(settings, logger=AdviceOnce(log))

    run = CampaignRun(recipients=[f"7904{i:07d}" for i in range(30)], template=template, key=key,
                      ledger=store.ledger(key.scope), client_factory=client,
                      results_path=tmp_path / "advice" / "results.jsonl", platform_dedup=False, log=log)
    with caplog.at_level(logging.WARNING, logger="advice-test"):
        assert run.execute()["outcomes"]["accepted"] == 30
    advice = [r for r in caplog.records if "JPG or PNG" in r.getMessage()]
    assert len(advice) == 1 and "logged once" in advice[0].getMessage()
