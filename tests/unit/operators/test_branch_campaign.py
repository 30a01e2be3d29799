"""``DeliveryBranchOperator`` on a campaign's counts: an outcome occurred, or its share exceeds a threshold."""

from __future__ import annotations

from datetime import datetime

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_provider_messaging.campaign.tracking import scope_of
from airflow_provider_messaging.operators.branch import DeliveryBranchOperator

COUNTS = {"campaign": "x", "scope": "campaign:x", "total": 1000, "final": 1000,
          "outcomes": {"delivered": 950, "call-barred": 8, "expired": 42}, "statuses_path": "file:///s.jsonl"}


def branch(statuses, min_share=None, default_branch="review"):
    with DAG("branch_campaign_unit", schedule=None, start_date=datetime(2026, 1, 1)):
        op = DeliveryBranchOperator(task_id="branch", statuses=statuses, min_share=min_share,
                                    branches={"delivered": "sent", "call-barred": "clean", "expired": "retry"},
                                    default_branch=default_branch)
        for t in ("sent", "clean", "retry", "review"):
            op >> EmptyOperator(task_id=t)
    return op


def test_counts_follow_every_outcome_that_occurred():
    assert branch(COUNTS).choose_branch({}) == ["sent", "clean", "retry"]


def test_min_share_makes_an_outcome_count_only_above_its_share():
    assert branch(COUNTS, {"call-barred": 0.01, "expired": 0.05}).choose_branch({}) == ["sent"]
    assert branch(COUNTS, {"delivered": 0.96}).choose_branch({}) == ["clean", "retry"]
    # shard results (a list of counts) add up; a rendered JSON string is read too
    parts = [{**COUNTS, "outcomes": {"delivered": 10}}, {**COUNTS, "outcomes": {"rejected": 1}}]
    assert branch(parts).choose_branch({}) == ["sent", "review"]
    assert branch('{"total": 2, "outcomes": {"expired": 2}}').choose_branch({}) == ["retry"]


@pytest.mark.parametrize(("min_share", "message"), [
    ({"delivred": 0.5}, "min_share"),
    ({"delivered": 1.0}, "must be a share from 0 to below 1"),
    ({"delivered": "half"}, "must be a share from 0 to below 1"),
])
def test_bad_min_share_is_refused_when_the_dag_is_parsed(min_share, message):
    with pytest.raises(ValueError, match=message):
        branch(COUNTS, min_share)


def test_the_campaign_a_sensor_tracks():
    assert scope_of(COUNTS) == "campaign:x"
    assert scope_of([COUNTS, COUNTS]) == "campaign:x"
    assert scope_of("spring-sale") == "campaign:spring-sale" and scope_of("campaign:a/b") == "campaign:a/b"
    with pytest.raises(ValueError, match="different campaigns"):
        scope_of([COUNTS, {**COUNTS, "scope": "campaign:y"}])
    with pytest.raises(ValueError, match="must carry its 'scope'"):
        scope_of({"total": 1})
