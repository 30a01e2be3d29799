"""SendCampaignOperator at DAG-parse time: arguments checked up front, nothing heavy imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from airflow_provider_messaging.operators.campaign import SendCampaignOperator, campaign_shards


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"channel": "sms"}, "channel must be 'viber' or 'whatsapp'"),
    ({"channel": "whatsapp", "button_caption": "Go"}, "WhatsApp messages have no button"),
    ({"max_concurrency": 0}, "max_concurrency must be a whole number >= 1"),
    ({"max_rate": 0}, "max_rate must be a number of messages per second > 0"),
    ({"max_failure_ratio": 1.5}, "max_failure_ratio must be between 0 and 1"),
])
def test_bad_arguments_are_refused_when_the_dag_is_parsed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SendCampaignOperator(**{"task_id": "t", "channel": "viber", "recipients": ["79001234567"], **kwargs})


def test_campaign_shards_is_what_expand_takes():
    assert campaign_shards(2) == [(0, 2), (1, 2)]


def test_importing_the_operator_loads_no_engine_store_client_or_models():
    code = (
        "import sys, airflow.sdk; before = set(sys.modules);"
        "import airflow_provider_messaging.operators.campaign;"
        "heavy = ('airflow_provider_messaging.campaign.engine', 'airflow_provider_messaging.campaign.render',"
        " 'airflow_provider_messaging.campaign.run', 'airflow_provider_messaging.store',"
        " 'airflow_provider_messaging.client.sync', 'airflow_provider_messaging.client.aio',"
        " 'airflow_provider_messaging.client.retry', 'requests', 'httpx',"
        " 'pydantic', 'sqlalchemy');"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith(heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
