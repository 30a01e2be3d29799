"""The Airflow layer's XCom shapes (reports, send and template results) and the reading of what
Jinja rendered into ``mt_nums`` / ``statuses``."""

from __future__ import annotations

import json

import pytest

from airflow_provider_messaging.models import DeliveryReport
from airflow_provider_messaging.models.status import parse_reports
from airflow_provider_messaging.xcom import (
    REPORT_XCOM_KEYS,
    outcome_from_xcom,
    read_statuses,
    report_xcom,
    resolve_mt_nums,
    statuses_to_xcom,
)
from tests.helpers.airflow import send_result


def test_xcom_value_shape_is_json():
    r = DeliveryReport.from_wire({"mtNum": "9", "id": "x", "status": 5, "errorCode": 3, "doneDate": "d"})
    value = report_xcom(r)
    assert tuple(value) == REPORT_XCOM_KEYS
    assert value == {"status": 5, "status_name": "UNDELIVERABLE", "error_code": 3, "failure": "call-barred",
                     "final": True, "done_date": "d", "outcome": "call-barred", "id": "x"}
    assert json.loads(json.dumps(value)) == value


def test_statuses_to_xcom_marks_unreported_mt_nums_pending():
    got = statuses_to_xcom(parse_reports([{"mtNum": "1", "status": 2}]), ["1", "2"])
    assert got["1"]["outcome"] == "delivered"
    assert got["2"] == {"status": None, "status_name": None, "error_code": None, "failure": None,
                        "final": False, "done_date": None, "outcome": "pending", "id": None}


def test_outcome_from_xcom_derives_it_when_absent():
    assert outcome_from_xcom({"status": 5, "error_code": 11}) == "unrouted"
    assert outcome_from_xcom({"status": 2, "error_code": 0, "outcome": "delivered"}) == "delivered"
    assert outcome_from_xcom({"status": "x"}) == "pending"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7390612217", ["7390612217"]),
        (7390612217, ["7390612217"]),
        ("7390612217, 7390612218 7390612217", ["7390612217", "7390612218"]),
        (["7390612217", "7390612218"], ["7390612217", "7390612218"]),
        ('["7390612217", "7390612218"]', ["7390612217", "7390612218"]),
        ("['7390612217']", ["7390612217"]),
        (send_result("7390612217"), ["7390612217"]),
        ([send_result("1"), send_result("2"), send_result("1")], ["1", "2"]),
        ((x for x in ["5", "6"]), ["5", "6"]),
        ({"mtNum": "9"}, ["9"]),
        (None, []),
    ],
)
def test_resolve_mt_nums_shapes(value, expected):
    assert resolve_mt_nums(value) == (expected, [])


def test_send_results_without_mt_num_are_reported_untracked():
    mt_nums, untracked = resolve_mt_nums([send_result("1"), send_result(None, duplicate=True)])
    assert mt_nums == ["1"]
    assert untracked == ["id='id-None' (duplicate)"]


@pytest.mark.parametrize("bad", [{"foo": 1}, 1.5, True, "[not json"])
def test_resolve_mt_nums_refuses_what_it_cannot_read(bad):
    with pytest.raises(ValueError, match="mt_nums"):
        resolve_mt_nums(bad)


@pytest.mark.parametrize(
    "value",
    ['{"1": {"status": 2, "error_code": 0}}', "{'1': {'status': 2, 'error_code': 0}}",
     {"status": "success", "reports": {"1": {"status": 2, "error_code": 0}}}],
)
def test_read_statuses_accepts_rendered_strings_and_the_trigger_event(value):
    assert read_statuses(value) == {"1": {"status": 2, "error_code": 0}}
