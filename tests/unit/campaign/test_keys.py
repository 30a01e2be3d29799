"""Campaign keys, partner ids and shards: deterministic and stable."""

from __future__ import annotations

import pytest

from airflow_provider_messaging.campaign.keys import CampaignKey, campaign_shards, check_shard, shard_of


def test_partner_ids_follow_the_campaign_key_channel_and_recipient():
    key = CampaignKey.of(dag_id="d", task_id="t", run_key="2026-01-01T00:00:00+00:00")
    same = CampaignKey.of(dag_id="d", task_id="t", run_key="2026-01-01T00:00:00+00:00")
    pid = key.partner_id("VIBER", "79000000001")
    assert pid == same.partner_id("VIBER", "79000000001") and len(pid) == 32
    assert pid != key.partner_id("WHATSAPP", "79000000001")
    assert pid != key.partner_id("VIBER", "79000000002")
    assert pid != CampaignKey.of(dag_id="d", task_id="t", run_key="2026-01-02T00:00:00+00:00").partner_id(
        "VIBER", "79000000001")
    assert pid != CampaignKey.of(dag_id="d", task_id="t", run_key="2026-01-01T00:00:00+00:00", map_index=2
                                 ).partner_id("VIBER", "79000000001")
    named = CampaignKey.of(campaign_id="spring-sale", dag_id="d", task_id="t", run_key="x")
    assert named.scope == "campaign:spring-sale"
    assert named.partner_id("VIBER", "1") == CampaignKey.of(campaign_id="spring-sale").partner_id("VIBER", "1")


def test_shards_split_recipients_disjointly_and_stably():
    numbers = [f"7900{i:07d}" for i in range(4000)]
    slices = [{n for n in numbers if shard_of(n, 8) == k} for k in range(8)]
    assert sum(len(s) for s in slices) == 4000 and set().union(*slices) == set(numbers)
    assert all(350 < len(s) < 650 for s in slices)  # roughly even
    assert shard_of("79000000001", 8) == shard_of("79000000001", 8)
    assert shard_of("79000000001", 1) == 0


def test_campaign_shards_and_the_shard_argument():
    assert campaign_shards(3) == [(0, 3), (1, 3), (2, 3)]
    assert check_shard([1, 3]) == (1, 3) and check_shard(None) is None
    for bad in ((3, 3), (-1, 2), (0, 0), "0/2", (0.0, 2), (True, 2)):
        with pytest.raises(ValueError, match="0 <= k < n"):
            check_shard(bad)
    with pytest.raises(ValueError, match="n must be a whole number"):
        campaign_shards(0)


def test_a_long_campaign_name_gets_a_scope_the_store_takes():
    key = CampaignKey.of(campaign_id="x" * 300)
    assert len(key.scope) == 200 and key.scope.startswith("campaign:xxx")
    assert key.scope != CampaignKey.of(campaign_id="x" * 301).scope


def test_a_long_campaign_id_names_the_same_scope_for_the_operator_and_the_sensor():
    from airflow_provider_messaging.campaign.keys import CampaignKey
    from airflow_provider_messaging.campaign.tracking import scope_of
    from airflow_provider_messaging.ledger import SCOPE_MAX

    campaign_id = "spring-sale-" + "x" * 300
    scope = CampaignKey.of(campaign_id=campaign_id).scope
    assert len(scope) <= SCOPE_MAX
    assert scope_of(campaign_id) == scope == scope_of({"scope": scope})
    assert scope_of("short-id") == CampaignKey.of(campaign_id="short-id").scope == "campaign:short-id"
