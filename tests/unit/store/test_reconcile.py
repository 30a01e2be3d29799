"""Unconfirmed (in flight) sends resolved by pushed delivery reports echoing their partner id."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_messaging.store import ACCEPTED, FAILED, IN_FLIGHT, LedgerRecord
from airflow_provider_messaging.store.reconcile import RESOLVED_REASON, aresolve_unconfirmed, resolve_unconfirmed


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_reports_echoing_an_in_flight_id_resolve_it_and_nothing_else(store, mode):
    ledger = store.ledger("campaign-1")
    ledger.mark_in_flight_many(["p1", "p2", "p3"])
    ledger.mark_results_many([LedgerRecord("p3", ACCEPTED, "m3")])
    store.ledger("campaign-2").mark_in_flight_many(["p4"])
    store.record_reports(
        [
            {"mtNum": "m1", "id": "p1", "status": 2},  # p1 was accepted after all
            {"mtNum": "m3x", "id": "p3", "status": 2},  # p3 is accepted already, with its own mtNum
            {"mtNum": "m4", "id": "p4", "status": 6},  # another campaign's id
            {"mtNum": "m9", "status": 2},  # no id echoed
        ]
    )

    def run():
        if mode == "sync":
            return resolve_unconfirmed(store, "campaign-1")
        return asyncio.run(aresolve_unconfirmed(store, "campaign-1"))

    assert run() == {"p1": "m1"}
    got = ledger.get_many(["p1", "p2", "p3"])
    assert (got["p1"].state, got["p1"].mt_num, got["p1"].reason) == (ACCEPTED, "m1", RESOLVED_REASON)
    assert got["p2"].state == IN_FLIGHT
    assert (got["p3"].state, got["p3"].mt_num) == (ACCEPTED, "m3")
    assert store.ledger("campaign-2").get("p4").state == IN_FLIGHT
    assert run() == {}  # nothing left to resolve: a second call changes nothing


def test_a_failed_id_is_not_touched(store):
    ledger = store.ledger("c")
    ledger.mark_failed("p1", error_code=8, reason="destAddr is not correct")
    store.record_reports([{"mtNum": "m1", "id": "p1", "status": 2}])
    assert resolve_unconfirmed(store, "c") == {}
    assert ledger.get("p1").state == FAILED


def test_tracking_a_campaign_resolves_its_unconfirmed_sends_from_pushed_reports(store):
    """A campaign's unanswered send (in flight) whose pushed report echoes its partner id is accepted
    with that mtNum by the next tracking cycle, and counted with the campaign's delivered messages."""
    from airflow_provider_messaging.campaign.tracking import atrack_cycle

    ledger = store.ledger("campaign:spring")
    ledger.mark_in_flight_many(["p1", "p2"])
    ledger.mark_results_many([LedgerRecord("p2", ACCEPTED, "m2")])
    store.record_reports([{"mtNum": "m1", "id": "p1", "status": 2}, {"mtNum": "m2", "id": "p2", "status": 2}])

    # every report is final in the store: the cycle asks the platform nothing (no client needed)
    cycle = asyncio.run(atrack_cycle(store, "campaign:spring", client=None))

    assert cycle.resolved == 1
    assert (cycle.total, cycle.final, cycle.requests) == (2, 2, 0)
    assert (ledger.get("p1").state, ledger.get("p1").mt_num) == (ACCEPTED, "m1")


def test_tracking_a_campaign_from_pushed_reports_only_never_asks_the_platform(store):
    """source="receiver" for a campaign: the reports the receiver stored count, the rest stays pending,
    and no status request is made (there is no client at all)."""
    from airflow_provider_messaging.campaign.tracking import atrack_cycle

    ledger = store.ledger("campaign:autumn")
    ledger.mark_results_many([LedgerRecord("p1", ACCEPTED, "m1"), LedgerRecord("p2", ACCEPTED, "m2")])
    store.record_reports([{"mtNum": "m1", "id": "p1", "status": 2}])

    cycle = asyncio.run(atrack_cycle(store, "campaign:autumn", None, ask_platform=False))

    assert (cycle.total, cycle.final, cycle.pending, cycle.requests) == (2, 1, 1, 0)
