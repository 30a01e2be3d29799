"""``DeliveryBranchOperator``: outcome → branch rules, validation at construction."""

from __future__ import annotations

from datetime import datetime

import pytest
from airflow.providers.standard.operators.branch import BaseBranchOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.operators.branch import DeliveryBranchOperator
from airflow_provider_messaging.xcom import read_statuses


def _entry(status: int, code: int = 0, outcome: str | None = None) -> dict:
    entry = {"status": status, "error_code": code, "final": status in (2, 3, 4, 5, 8)}
    if outcome is not None:
        entry["outcome"] = outcome
    return entry


def _branch(statuses, branches=None, default_branch=None, extra_tasks=()):
    branches = branches if branches is not None else {
        "delivered": "done", "teleservice-not-provisioned": "fallback",
        "memory-capacity-exceeded": "retry", "timeout": "retry", "call-barred": ["flag", "notify"],
    }
    with DAG("branch_unit", schedule=None, start_date=datetime(2026, 1, 1)):
        op = DeliveryBranchOperator(task_id="branch", statuses=statuses, branches=branches,
                                    default_branch=default_branch)
        for t in ("done", "fallback", "retry", "flag", "notify", "other", *extra_tasks):
            op >> EmptyOperator(task_id=t)
    return op


def test_is_a_standard_branch_operator_with_templated_statuses():
    assert issubclass(DeliveryBranchOperator, BaseBranchOperator)
    assert "statuses" in DeliveryBranchOperator.template_fields


def test_one_message_follows_its_outcome():
    assert _branch({"1": _entry(5, 6, "teleservice-not-provisioned")}).choose_branch({}) == ["fallback"]
    assert _branch({"1": _entry(2, 0, "delivered")}).choose_branch({}) == ["done"]


def test_outcome_is_derived_when_the_entry_has_none():
    assert _branch({"1": _entry(5, 7)}).choose_branch({}) == ["retry"]


def test_many_messages_follow_every_branch_whose_outcome_occurred():
    statuses = {"1": _entry(2), "2": _entry(5, 3), "3": _entry(5, 5), "4": _entry(5, 7), "5": _entry(2)}
    assert _branch(statuses).choose_branch({}) == ["done", "flag", "notify", "retry"]


def test_outcome_without_an_entry_follows_default_branch():
    statuses = {"1": _entry(2), "2": _entry(8), "3": _entry(5, 42)}  # rejected, unrecognised code 42
    assert _branch(statuses, default_branch="other").choose_branch({}) == ["done", "other"]


def test_without_default_branch_unmatched_outcomes_lead_nowhere():
    assert _branch({"1": _entry(3)}).choose_branch({}) is None


def test_no_messages_follow_default_branch():
    assert _branch({}, default_branch="other").choose_branch({}) == ["other"]


def test_branch_keys_are_validated_at_construction():
    with pytest.raises(ValueError, match=r"branch: branches: unknown outcome 'teleservice'; expected one of: delivered"):
        _branch({}, branches={"teleservice": "fallback"})
    with pytest.raises(ValueError, match=r"branches\['delivered'\]: expected a task id"):
        _branch({}, branches={"delivered": 3})
    with pytest.raises(ValueError, match="default_branch"):
        _branch({}, default_branch=[])


def test_branch_keys_accept_underscores_and_case():
    op = _branch({"1": _entry(5, 11)}, branches={"UNROUTED": "flag", "call_barred": "notify"})
    assert op.branches == {"unrouted": ["flag"], "call-barred": ["notify"]}
    assert op.choose_branch({}) == ["flag"]


def test_a_branch_that_is_not_downstream_fails_clearly():
    op = _branch({"1": _entry(2)}, branches={"delivered": "nowhere"})
    with pytest.raises(AirflowFailException, match=r"\['nowhere'\] are not directly downstream of 'branch'"):
        op.choose_branch({})


def test_read_statuses_refuses_other_shapes():
    with pytest.raises(ValueError, match="expected the DeliveryStatusSensor's result"):
        read_statuses(["1", "2"])
    op = _branch("not a dict")
    with pytest.raises(AirflowFailException, match="statuses"):
        op.choose_branch({})


def test_a_mapped_sensors_list_of_results_is_merged():
    results = [{"1": _entry(2, 0, "delivered")}, {"2": _entry(5, 3, "call-barred"), "3": _entry(2, 0, "delivered")}]
    assert read_statuses(results) == {**results[0], **results[1]}
    assert read_statuses(str(results)) == {**results[0], **results[1]}
    assert _branch(results).choose_branch({}) == ["done", "flag", "notify"]
    with pytest.raises(ValueError, match="expected the DeliveryStatusSensor's result"):
        read_statuses([{"1": "not an entry"}])
