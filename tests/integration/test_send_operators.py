"""Send operators in real DAG runs (dag.test() on a real Airflow with a SQLite DB)."""

from __future__ import annotations

import json
import re

from airflow_provider_messaging.operators.send import default_message_id
from tests.helpers.airflow import task_states, xcom_values
from tests.helpers.peers import dropping_server

DAGS = "tests/integration/dags/send_dags.py"


def test_viber_and_whatsapp_send_with_templating_and_xcom(load_dag, httpserver, set_conn, capfd):
    httpserver.expect_request("/send").respond_with_json({"mtNum": "555"})
    set_conn(httpserver.url_for("/"), default_service_number="DEFAULT")
    dr = load_dag(DAGS, "send_basic").test()
    assert task_states(dr) == {"viber": "success", "whatsapp": "success"}
    bodies = {json.loads(r.data)["message"]["type"]: json.loads(r.data) for r, _ in httpserver.log}
    viber, whatsapp = bodies["VIBER"], bodies["WHATSAPP"]
    assert viber["message"]["data"]["instantContent"] == {"type": "TEXT", "data": {"text": "Hello Ann"}}
    assert viber["extraParam"] == f"run={dr.run_id}"
    assert viber["destAddr"] == "79001234567"
    assert whatsapp["message"]["data"]["serviceNumber"] == "DEFAULT"  # from the connection
    assert whatsapp["message"]["data"]["instantContent"]["type"] == "IMAGE_URL"
    expected_id = default_message_id(dag_id="send_basic", task_id="viber", map_index=-1,
                                     run_key=dr.logical_date.isoformat(), channel="VIBER", dest_addr="79001234567")
    assert viber["id"] == expected_id
    assert xcom_values(dr, "viber") == {-1: {"mt_num": "555", "id": expected_id, "dest_addr": "79001234567",
                                             "channel": "VIBER", "duplicate": False}}
    assert "password" not in json.dumps(xcom_values(dr, "whatsapp"))
    out = "".join(capfd.readouterr())
    assert "to 7900*****67 accepted" in out and "79001234567" not in out  # the task log masks the recipient


def test_default_id_is_deterministic_and_distinguishes_what_identifies_a_send():
    base = dict(dag_id="d", task_id="t", map_index=-1, run_key="2026-01-01T00:00:00+00:00", channel="VIBER",
                dest_addr="+7 900 123-45-67")
    same = default_message_id(**{**base, "dest_addr": "79001234567"})
    assert default_message_id(**base) == same  # normalised recipient
    assert re.fullmatch(r"[0-9a-f]{32}", same)
    for change in ({"dag_id": "e"}, {"task_id": "u"}, {"map_index": 0}, {"run_key": "r2"},
                   {"channel": "WHATSAPP"}, {"dest_addr": "79001234568"}):
        assert default_message_id(**{**base, **change}) != same, change


def test_mapped_sends_one_message_per_recipient_with_distinct_ids(load_dag, httpserver, set_conn):
    counter = iter(range(100, 200))
    httpserver.expect_request("/send").respond_with_handler(
        lambda req: __import__("werkzeug").Response(json.dumps({"mtNum": str(next(counter))}),
                                                    content_type="application/json"))
    set_conn(httpserver.url_for("/"))
    dr = load_dag(DAGS, "send_mapped").test()
    assert set(task_states(dr).values()) == {"success"} and len(task_states(dr)) == 3
    sent = [json.loads(r.data) for r, _ in httpserver.log]
    assert sorted(b["destAddr"] for b in sent) == ["79000000001", "79000000002", "79000000003"]
    assert len({b["id"] for b in sent}) == 3
    values = xcom_values(dr, "viber")
    assert sorted(values) == [0, 1, 2]
    assert {v["dest_addr"] for v in values.values()} == {"79000000001", "79000000002", "79000000003"}


def test_invalid_input_fails_without_request_and_without_retries(load_dag, httpserver, set_conn, capfd):
    set_conn(httpserver.url_for("/"))
    dr = load_dag(DAGS, "send_invalid").test()
    assert task_states(dr) == {"viber": "failed"}
    assert httpserver.log == []
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1  # retries=2, but bad input is not retried
    out = "".join(capfd.readouterr())
    assert "message.data.instantContent.data.text: Viber text is at most 1000 characters" in out


def test_retry_after_an_unanswered_send_does_not_resend_without_platform_dedup(load_dag, set_conn, capfd):
    with dropping_server() as (url, received):
        set_conn(url)
        dr = load_dag(DAGS, "send_retry").test()
    assert task_states(dr) == {"viber": "failed"}
    assert len(received) == 1  # the second try refused to risk a second message
    assert "set resend_unconfirmed=True on this task and clear it" in "".join(capfd.readouterr())


def test_resend_unconfirmed_lets_the_retry_resend_with_the_same_id(load_dag, set_conn):
    with dropping_server() as (url, received):
        set_conn(url)
        dr = load_dag(DAGS, "send_retry_resend").test()
    assert task_states(dr) == {"viber": "failed"}  # the dropping server never answers
    assert len(received) == 2 and len({json.loads(body)["id"] for body in received}) == 1


def test_retry_after_an_unanswered_send_resends_same_id_with_platform_dedup(load_dag, set_conn):
    with dropping_server() as (url, received):
        set_conn(url, platform_dedup=True, max_retries=1)
        dr = load_dag(DAGS, "send_retry").test()
    assert task_states(dr) == {"viber": "failed"}
    ids = {json.loads(body)["id"] for body in received}
    assert len(received) == 4 and len(ids) == 1  # 2 tries x (1 + 1 retry), one partner id
    assert dr.get_task_instances()[0].try_number == 2


def test_secrets_are_masked_in_task_logs(load_dag, httpserver, set_conn, capfd):
    set_conn(httpserver.url_for("/"), login="login-visible-nowhere", password="pw-visible-nowhere",
             api_key="key-visible-nowhere")
    dr = load_dag(DAGS, "send_secret_log").test()
    assert task_states(dr) == {"leak_attempt": "success"}
    out = "".join(capfd.readouterr())
    assert "the password is" in out and "the login is ***" in out
    assert "pw-visible-nowhere" not in out and "key-visible-nowhere" not in out
    assert "login-visible-nowhere" not in out  # SPEC §1: the login is a secret too


# --- against the sandbox: exactly once, counted by the peer -------------------------------------------
def test_dropped_answer_with_dedup_on_is_retried_and_the_sandbox_sent_it_once(load_dag, messaging_sandbox):
    messaging_sandbox.inject("drop_after_accept")
    dr = load_dag(DAGS, "send_sandbox_once").test()
    assert task_states(dr) == {"viber": "success"}
    [message] = messaging_sandbox.messages
    assert messaging_sandbox.sent_count(message.id, "79000000001") == 1
    assert xcom_values(dr, "viber")[-1]["mt_num"] == message.mt_num


def test_dropped_answer_with_dedup_off_fails_rather_than_send_twice(load_dag, messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="off")
    sandbox.inject("drop_after_accept")
    dr = load_dag(DAGS, "send_sandbox_once").test()
    assert task_states(dr) == {"viber": "failed"}  # 3 tries allowed; the 2nd refused to risk a second message
    [message] = sandbox.messages
    assert sandbox.sent_count(message.id, "79000000001") == 1


def test_a_rerun_of_the_same_logical_date_reuses_the_id_and_sends_nothing_new(load_dag, messaging_sandbox):
    import datetime

    when = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    dag = load_dag(DAGS, "send_sandbox_once")
    first = xcom_values(dag.test(logical_date=when), "viber")[-1]
    second = xcom_values(dag.test(logical_date=when), "viber")[-1]
    assert first["id"] == second["id"] and first["mt_num"] == second["mt_num"]
    assert len(messaging_sandbox.messages) == 1
    assert messaging_sandbox.sent_count(first["id"], "79000000001") == 1


def test_a_malformed_host_fails_the_task_without_airflow_retries(load_dag, set_conn, capfd):
    set_conn("http://exa mple.com:99999")
    dr = load_dag(DAGS, "send_retry").test()
    assert task_states(dr) == {"viber": "failed"}
    assert dr.get_task_instances()[0].try_number == 1  # retries=1, but a bad URL does not get better
    assert "check the connection's host" in "".join(capfd.readouterr())


def test_every_operator_argument_reaches_the_wire_in_camel_case(load_dag, messaging_sandbox):
    dr = load_dag(DAGS, "send_every_argument").test()
    assert task_states(dr) == {"viber": "success", "whatsapp": "success"}
    bodies = {m.channel: m.body for m in messaging_sandbox.messages}
    assert {k: v for k, v in bodies["VIBER"].items() if k != "login"} == {
        "destAddr": "89000000007", "id": "order-A-1", "useTimeDiff": True,
        "message": {"type": "VIBER", "data": {
            "instantContent": {"type": "BUTTON", "data": {
                "text": "Order A-1 is ready", "imageURL": "https://cdn.example/A-1.png",
                "caption": "Track A-1", "action": "https://shop.example/t/A-1"}},
            "serviceNumber": "SANDBOX", "ttl": 2, "ttlUnit": "HOURS"}},  # the connection's default sender
        "scheduleInfo": {"timeBegin": "09:00", "timeEnd": "21:00", "weekdaysSchedule": "12345",
                         "deadline": "2030-05-10T16:29:30+0300"},
        "extraParam": "order=A-1,note=a,,b", "registeredDelivery": 2,
        "notifyUrl": "https://hooks.example/A-1", "cascadeChainLink": {"chain": [{"type": "SMS"}]},
    }
    assert bodies["WHATSAPP"]["message"]["data"] == {
        "instantContent": {"type": "TEXT", "data": {"text": "Hi"}}, "serviceNumber": "SHOP", "ttl": 0}
    assert xcom_values(dr, "viber")[-1]["id"] == "order-A-1"


def test_default_id_uses_the_run_id_when_the_run_has_no_logical_date():
    from types import SimpleNamespace

    from airflow_provider_messaging.operators.send import SendWhatsAppMessageOperator

    op = SendWhatsAppMessageOperator(task_id="wa", dest_addr="79001234567", text="x")
    ti = SimpleNamespace(dag_id="d", task_id="wa", map_index=2)
    got = op._default_id({"ti": ti, "logical_date": None, "run_id": "manual__2026-01-01"})
    assert got == default_message_id(dag_id="d", task_id="wa", map_index=2, run_key="manual__2026-01-01",
                                     channel="WHATSAPP", dest_addr="79001234567")
