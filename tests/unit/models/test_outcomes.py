"""Outcome names a DAG branches on, and the status-batch rule (SPEC §2): the light module a DAG
file reads when it is parsed."""

from __future__ import annotations

import pytest

from airflow_provider_messaging.models.outcomes import (
    DELIVERY_OUTCOMES,
    FINAL_OUTCOMES,
    check_batch_size,
    check_outcomes,
)


def test_outcome_lists():
    assert FINAL_OUTCOMES == ("delivered", "unknown", "call-barred", "memory-capacity-exceeded",
                              "teleservice-not-provisioned", "timeout", "duplicated", "unrouted",
                              "expired", "deleted", "rejected")
    assert (*FINAL_OUTCOMES, "pending") == DELIVERY_OUTCOMES


def test_check_outcomes_normalises_and_names_the_bad_one():
    assert check_outcomes(["Call_Barred", "delivered"], "x") == ["call-barred", "delivered"]
    with pytest.raises(ValueError, match=r"branches: unknown outcome 'deliverd'; expected one of: delivered"):
        check_outcomes(["deliverd"], "branches")


@pytest.mark.parametrize("bad", [0, 1001, "100", True, 1.5])
def test_batch_size_bounds(bad):
    with pytest.raises(ValueError, match="batch_size must be an integer from 1 to 1000"):
        check_batch_size(bad)
    assert check_batch_size(1000) == 1000
