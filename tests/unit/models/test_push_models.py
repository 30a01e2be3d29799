"""The pushed wire formats: delivery reports (SPEC §2) and MO messages (SPEC §3)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from airflow_provider_messaging.models.push import IncomingMessage, PushedReport


def _fields(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}


def test_report_keeps_extra_fields_and_reads_the_outcome_from_the_code_table():
    report = PushedReport.model_validate(
        {
            "mtNum": 7390612217,
            "id": "order-1",
            "status": "5",
            "errorCode": 6,
            "doneDate": "2022-06-22T10:22:45+0300",
            "channel": "VIBER",
        }
    )
    assert report.to_wire() == {
        "mtNum": "7390612217",
        "id": "order-1",
        "status": 5,
        "errorCode": 6,
        "doneDate": "2022-06-22T10:22:45+0300",
        "channel": "VIBER",
    }
    assert report.outcome == "teleservice-not-provisioned"
    assert report.is_final


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"status": 2}, "mtNum", "Field required"),
        ({"mtNum": "1"}, "status", "Field required"),
        ({"mtNum": "", "status": 2}, "mtNum", "at least 1 character"),
        ({"mtNum": True, "status": 2}, "mtNum", "valid string"),
        ({"mtNum": "1", "status": True}, "status", "boolean"),
        ({"mtNum": "1", "status": "delivered"}, "status", "valid integer"),
        ({"mtNum": "1", "status": 2.5}, "status", "fractional"),
        ({"mtNum": "1", "status": 5, "errorCode": False}, "errorCode", "boolean"),
        ({"mtNum": "1", "status": 5, "errorCode": "x"}, "errorCode", "valid integer"),
    ],
)
def test_report_refusals_name_the_field_and_the_rule(body, field, rule):
    with pytest.raises(ValidationError) as caught:
        PushedReport.model_validate(body)
    fields = _fields(caught.value)
    assert field in fields
    assert rule in fields[field]


def test_unknown_status_and_code_are_kept_as_sent():
    report = PushedReport.model_validate({"mtNum": "1", "status": 42, "errorCode": None})
    assert report.to_wire() == {"mtNum": "1", "status": 42, "errorCode": 0}
    assert report.outcome == "pending"


def test_mo_message_keeps_extra_fields_and_needs_transaction_and_addresses():
    wire = {
        "transactionId": "2022062210224500001",
        "destAddr": "MyShop",
        "sourceAddr": "79001234567",
        "type": "Viber",
        "message": "STOP",
        "partCount": 1,
        "receivedDate": "2022-06-22T10:22:45+0300",
        "mediaURL": "https://example.com/a.jpg",
        "operator": "X",
    }
    assert IncomingMessage.model_validate(wire).to_wire() == wire
    no_text = IncomingMessage.model_validate({"transactionId": 5, "destAddr": "S", "sourceAddr": "7"})
    assert no_text.to_wire() == {"transactionId": "5", "destAddr": "S", "sourceAddr": "7"}
    for missing in ("transactionId", "destAddr", "sourceAddr"):
        body = {k: v for k, v in wire.items() if k != missing}
        with pytest.raises(ValidationError) as caught:
            IncomingMessage.model_validate(body)
        assert _fields(caught.value) == {missing: "Field required"}
    with pytest.raises(ValidationError) as caught:
        IncomingMessage.model_validate({**wire, "partCount": True})
    assert "partCount" in _fields(caught.value)
