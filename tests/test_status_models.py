"""DeliveryReport parsing and the outcome names a DAG branches on (SPEC §2)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.models import DeliveryReport
from airflow_provider_messaging.models.codes import FAILURE_NAMES, DeliveryFailure, DeliveryStatus
from airflow_provider_messaging.models.status import (
    DELIVERY_OUTCOMES,
    FINAL_OUTCOMES,
    REPORT_XCOM_KEYS,
    check_batch_size,
    check_outcomes,
    outcome_from_xcom,
    outcome_of,
    parse_reports,
    statuses_to_xcom,
)


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


def test_xcom_value_shape_is_json():
    r = DeliveryReport.from_wire({"mtNum": "9", "id": "x", "status": 5, "errorCode": 3, "doneDate": "d"})
    value = r.to_xcom()
    assert tuple(value) == REPORT_XCOM_KEYS
    assert value == {"status": 5, "status_name": "UNDELIVERABLE", "error_code": 3, "failure": "call-barred",
                     "final": True, "done_date": "d", "outcome": "call-barred", "id": "x"}
    assert json.loads(json.dumps(value)) == value


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


def test_statuses_to_xcom_marks_unreported_mt_nums_pending():
    got = statuses_to_xcom(parse_reports([{"mtNum": "1", "status": 2}]), ["1", "2"])
    assert got["1"]["outcome"] == "delivered"
    assert got["2"] == {"status": None, "status_name": None, "error_code": None, "failure": None,
                        "final": False, "done_date": None, "outcome": "pending", "id": None}


def test_outcome_from_xcom_derives_it_when_absent():
    assert outcome_from_xcom({"status": 5, "error_code": 11}) == "unrouted"
    assert outcome_from_xcom({"status": 2, "error_code": 0, "outcome": "delivered"}) == "delivered"
    assert outcome_from_xcom({"status": "x"}) == "pending"


def test_outcome_lists():
    assert FINAL_OUTCOMES == ("delivered", "unknown", "call-barred", "memory-capacity-exceeded",
                              "teleservice-not-provisioned", "timeout", "duplicated", "unrouted",
                              "expired", "deleted", "rejected")
    assert DELIVERY_OUTCOMES == (*FINAL_OUTCOMES, "pending")


def test_check_outcomes_normalises_and_names_the_bad_one():
    assert check_outcomes(["Call_Barred", "delivered"], "x") == ["call-barred", "delivered"]
    with pytest.raises(ValueError, match=r"branches: unknown outcome 'deliverd'; expected one of: delivered"):
        check_outcomes(["deliverd"], "branches")


@pytest.mark.parametrize("bad", [0, 1001, "100", True, 1.5])
def test_batch_size_bounds(bad):
    with pytest.raises(ValueError, match="batch_size must be an integer from 1 to 1000"):
        check_batch_size(bad)
    assert check_batch_size(1000) == 1000


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
