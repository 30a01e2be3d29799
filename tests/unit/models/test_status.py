"""DeliveryReport parsing and each report's outcome name (SPEC §2)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.models import DeliveryReport
from airflow_provider_messaging.models.codes import FAILURE_NAMES, DeliveryFailure, DeliveryStatus
from airflow_provider_messaging.models.outcomes import outcome_of
from airflow_provider_messaging.models.status import parse_reports


def test_report_from_the_documented_wire_shape():
    r = DeliveryReport.from_wire(
        {"mtNum": "7390612217", "id": "order-1", "status": 5, "errorCode": 6, "doneDate": "2022-06-22T10:22:45+0300"}
    )
    assert (r.mt_num, r.id, r.status, r.error_code, r.done_date) == (
        "7390612217", "order-1", 5, 6, "2022-06-22T10:22:45+0300")
    assert r.status_name == "UNDELIVERABLE"
    assert r.delivery_status is DeliveryStatus.UNDELIVERABLE
    assert r.is_final is True
    assert r.failure == "teleservice-not-provisioned"
    assert r.outcome == "teleservice-not-provisioned"
    assert r.to_wire() == {"mtNum": "7390612217", "id": "order-1", "status": 5, "errorCode": 6,
                           "doneDate": "2022-06-22T10:22:45+0300"}


def test_missing_id_and_done_date_are_fine_and_extra_fields_are_kept():
    r = DeliveryReport.from_wire({"mtNum": 7390612217, "status": 1, "errorCode": 0, "channel": "VIBER",
                                  "parts": 2})
    assert r.mt_num == "7390612217"  # an integer mtNum is read as text
    assert r.id is None and r.done_date is None
    assert r.model_extra == {"channel": "VIBER", "parts": 2}
    assert r.to_wire()["channel"] == "VIBER"
    assert r.is_final is False and r.outcome == "pending" and r.failure is None


def test_missing_error_code_reads_zero():
    assert DeliveryReport.from_wire({"mtNum": "1", "status": 2}).error_code == 0
    assert DeliveryReport.from_wire({"mtNum": "1", "status": 2, "errorCode": None}).error_code == 0


@pytest.mark.parametrize("failure", list(DeliveryFailure))
def test_each_documented_failure_code_has_its_name(failure):
    r = DeliveryReport.from_wire({"mtNum": "1", "status": 5, "errorCode": int(failure)})
    assert r.failure == failure.failure_name
    assert r.outcome == failure.failure_name
    assert r.outcome in FAILURE_NAMES


@pytest.mark.parametrize(
    ("status", "outcome", "final"),
    [(1, "pending", False), (2, "delivered", True), (3, "expired", True), (4, "deleted", True),
     (6, "pending", False), (7, "pending", False), (8, "rejected", True)],
)
def test_status_outcomes(status, outcome, final):
    r = DeliveryReport.from_wire({"mtNum": "1", "status": status, "errorCode": 0})
    assert (r.outcome, r.is_final, r.failure) == (outcome, final, None)


def test_unknown_status_never_crashes_and_is_not_final():
    r = DeliveryReport.from_wire({"mtNum": "1", "status": 42, "errorCode": 0})
    assert r.status_name == "unrecognised code 42"
    assert r.delivery_status is None
    assert r.is_final is False
    assert r.outcome == "pending"


def test_unknown_failure_code_reads_unrecognised():
    r = DeliveryReport.from_wire({"mtNum": "1", "status": 5, "errorCode": 99})
    assert r.failure == "unrecognised code 99"
    assert r.outcome == "unrecognised code 99"
    assert r.is_final is True


def test_undeliverable_without_a_code_is_unknown():
    assert DeliveryReport.from_wire({"mtNum": "1", "status": 5}).outcome == "unknown"
    assert outcome_of(5, 0) == "unknown"


def test_parse_reports_is_tolerant():
    data = {"reports": [
        {"mtNum": "1", "status": 2, "errorCode": 0},
        {"mtNum": "2", "status": "not a number"},          # unreadable: skipped
        {"status": 2},                                      # no mtNum: skipped
        "garbage",                                          # not an object: skipped
        {"mtNum": "3", "status": 5, "errorCode": 7},
        {"mtNum": "3", "status": 1, "errorCode": 0},        # a later non-final never hides a final
        {"mtNum": "99", "status": 2, "errorCode": 0},       # not asked for: ignored
    ], "total": 6}
    got = parse_reports(data, asked=["1", "2", "3"])
    assert sorted(got) == ["1", "3"]
    assert got["3"].outcome == "timeout"


def test_parse_reports_accepts_a_pushed_object_or_array():
    assert list(parse_reports({"mtNum": "5", "status": 2})) == ["5"]
    assert list(parse_reports([{"mtNum": "5", "status": 2}, {"mtNum": "6", "status": 3}])) == ["5", "6"]


def test_parse_reports_refuses_an_answer_without_reports():
    with pytest.raises(ValueError, match="no list of reports"):
        parse_reports({"something": "else"})


@pytest.mark.parametrize(
    "body",
    [
        b'{"reports": [{"mtNum": "1", "status": 2, "errorCode": 0, "x": 1}, {"mtNum": 99, "status": 5}]}',
        b'{"reports": [{"mtNum": "1", "status": 2}, {"mtNum": "2", "status": "bad"}], "more": true}',
        b'{"reports": [{"mtNum": "1", "status": 5, "errorCode": 7}, {"mtNum": "1", "status": 1}]}',
    ],
)
def test_parse_status_body_matches_parse_reports(body):
    from airflow_provider_messaging.models.status import parse_status_body

    assert parse_status_body(body, ["1", "2", "99"]) == parse_reports(json.loads(body), ["1", "2", "99"])


@pytest.mark.parametrize("body", [b"", b"<html>", b"[1, 2]", b'{"no": "reports"}'])
def test_parse_status_body_refuses_what_is_not_an_answer(body):
    from airflow_provider_messaging.models.status import parse_status_body

    with pytest.raises(ValueError):
        parse_status_body(body)
