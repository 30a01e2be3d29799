"""The sandbox's send and status endpoints against SPEC §1/§2, over plain HTTP (``requests``)."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.sandbox import (
    LOGIN,
    PASSWORD,
    assert_error,
    post,
    viber,
    wait_until,
    whatsapp,
    with_content,
    with_data,
)


@pytest.fixture(scope="module")
def _shared_sandbox():
    with Sandbox(delivery_delay=0.05) as shared:
        yield shared


@pytest.fixture
def sandbox(_shared_sandbox: Sandbox) -> Sandbox:
    """One sandbox per module for tests that keep the default settings; reset before each test."""
    _shared_sandbox.reset()
    return _shared_sandbox


# --- success --------------------------------------------------------------------------------------

def test_valid_viber_send_answers_mtnum_and_records_the_message_without_password(messaging_sandbox):
    sandbox = messaging_sandbox
    response = post(sandbox, viber(id="order-1"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["mtNum"].isdigit() and answer["id"] == "order-1"
    [message] = sandbox.messages
    assert message.mt_num == answer["mtNum"] and message.id == "order-1" and message.channel == "VIBER"
    assert message.dest_addr == "79000000001"
    assert "password" not in message.body and message.body["login"] == LOGIN
    assert message.status == 6  # ACCEPTED right after acceptance


def test_success_without_id_has_no_id_in_answer(sandbox):
    answer = post(sandbox, viber()).json()
    assert set(answer) == {"mtNum"}


@pytest.mark.parametrize("dest", ["72101234567", "+72101234567", "8-210-123-45-67", "82101234567",
                                  "+7 (210) 123-45-67", "4915123456789", "(+7) 210 123 45 67"])
def test_documented_destaddr_forms_are_accepted(sandbox, dest):
    assert post(sandbox, viber(destAddr=dest)).status_code == 200


@pytest.mark.parametrize("ctype,content", [
    ("TEXT", {"text": "t" * 1000}),
    ("IMAGE_URL", {"imageURL": "https://example.com/a.png"}),
    ("BUTTON", {"text": "Hi", "caption": "Open", "action": "https://example.com"}),
    ("BUTTON", {"text": "Hi", "caption": "Open", "action": "https://example.com", "imageURL": "https://e.com/i.png"}),
])
def test_viber_content_variants_are_accepted(sandbox, ctype, content):
    assert post(sandbox, with_content(viber(), ctype, **content)).status_code == 200


@pytest.mark.parametrize("ttl,unit", [(1, None), (2880, "MINUTES"), (60, "SECONDS"), (90, "SECONDS"),
                                      (48, "HOURS"), (172800, "SECONDS"), ("60", None), (60.0, None)])
def test_viber_ttl_in_range_is_accepted(sandbox, ttl, unit):
    assert post(sandbox, with_data(viber(), ttl=ttl, ttlUnit=unit)).status_code == 200


@pytest.mark.parametrize("ttl,unit", [(None, None), (0, None), (1440, None), (10080, "MINUTES"),
                                      (24, "HOURS"), (86400, "SECONDS")])
def test_whatsapp_ttl_whole_days_or_default_is_accepted(sandbox, ttl, unit):
    assert post(sandbox, with_data(whatsapp(), ttl=ttl, ttlUnit=unit)).status_code == 200


def test_full_envelope_with_every_optional_field_is_accepted(sandbox):
    body = whatsapp({"imageURL": "https://example.com/i.jpg"}, "IMAGE_URL", id="x-1", useTimeDiff=True,
                    scheduleInfo={"timeBegin": "00:00", "timeEnd": "23:59", "weekdaysSchedule": "",
                                  "deadline": "2019-05-10T16:29:30+0300"},
                    extraParam="a=1,b=x,,y", registeredDelivery=2, notifyUrl="http://127.0.0.1:9/r",
                    cascadeChainLink={"anything": [1, 2]}, someUnknownField=42)
    response = post(sandbox, body)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "x-1"


# --- every send error code with its HTTP status ------------------------------------------------------

def test_code_4_body_not_json(sandbox):
    response = requests.post(sandbox.url + "/send", data=b"{not json",
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert_error(response, 4, "not valid JSON")


def test_code_4_body_not_an_object(sandbox):
    assert_error(post(sandbox, [viber()]), 4, "JSON object")


def test_code_2_ip_not_on_allow_list(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(allowed_ips=["10.0.0.0/8"])
    assert_error(post(sandbox, viber()), 2, "allow-list")
    assert sandbox.messages == []


def test_allow_list_containing_the_client_passes(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(allowed_ips=["127.0.0.1"])
    assert post(sandbox, viber()).status_code == 200


def test_code_5_wrong_login_and_code_6_wrong_password_never_echo_secrets(sandbox):
    response = post(sandbox, viber(login="intruder", password="guess-123"))
    payload = assert_error(response, 5)
    assert "intruder" not in response.text and "guess-123" not in response.text
    payload = assert_error(post(sandbox, viber(password="guess-123")), 6)
    assert "guess-123" not in str(payload) and PASSWORD not in str(payload)
    assert_error(post(sandbox, viber(login=None)), 5)
    assert_error(post(sandbox, viber(password=None)), 6)


def test_code_7_service_number_missing_or_empty(sandbox):
    assert_error(post(sandbox, with_data(viber(), serviceNumber=None)), 7, "serviceNumber")
    assert_error(post(sandbox, with_data(viber(), serviceNumber="  ")), 7, "serviceNumber")
    assert_error(post(sandbox, with_data(whatsapp(), serviceNumber=None)), 7)


@pytest.mark.parametrize("dest", [None, "", "12345", "7900000000123456", "79OOOOOOOO1", 79000000001,
                                  "7900+0000001", "٧٩٠٠٠٠٠٠٠٠١"])
def test_code_8_dest_addr_missing_or_invalid(sandbox, dest):
    body = viber()
    if dest is None:
        del body["destAddr"]
    else:
        body["destAddr"] = dest
    assert_error(post(sandbox, body), 8, "destAddr")


@pytest.mark.parametrize("mtype", ["Viber", "SMS", None, 1])
def test_code_9_message_type_not_correct(sandbox, mtype):
    body = viber()
    body["message"]["type"] = mtype
    assert_error(post(sandbox, body), 9, "message.type")


def test_code_9_unknown_instant_content_type(sandbox):
    assert_error(post(sandbox, with_content(viber(), "VIDEO", text="x")), 9, "instantContent.type")
    assert_error(post(sandbox, with_content(whatsapp(), "BUTTON", text="x", caption="c", action="a")),
                 9, "WHATSAPP")


def test_code_10_duplicate_in_reject_mode(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="reject")
    first = post(sandbox, viber(id="dup-1"))
    assert first.status_code == 200
    payload = assert_error(post(sandbox, viber(id="dup-1")), 10, "dup-1")
    assert first.json()["mtNum"] in payload["extendedDescription"]
    assert sandbox.sent_count("dup-1", "79000000001") == 1


@pytest.mark.parametrize("ttl,unit", [(0, None), (2881, None), (-1, None), (59, "SECONDS"), (49, "HOURS"),
                                      (True, None), ("sixty", None), (1.5, None)])
def test_code_11_viber_ttl_out_of_range(sandbox, ttl, unit):
    assert_error(post(sandbox, with_data(viber(), ttl=ttl, ttlUnit=unit)), 11, "ttl")


@pytest.mark.parametrize("ttl,unit", [(1, None), (1441, None), (11520, None), (23, "HOURS"), (86401, "SECONDS")])
def test_code_11_whatsapp_ttl_not_whole_days(sandbox, ttl, unit):
    assert_error(post(sandbox, with_data(whatsapp(), ttl=ttl, ttlUnit=unit)), 11, "TTL")


def test_code_4_ttl_unit_without_ttl_or_unknown(sandbox):
    assert_error(post(sandbox, with_data(viber(), ttl=None, ttlUnit="MINUTES")), 4, "ttlUnit")
    assert_error(post(sandbox, with_data(viber(), ttlUnit="DAYS")), 4, "ttlUnit")


def test_code_4_viber_message_too_long_in_the_seeds_words(sandbox):
    response = post(sandbox, viber(text="x" * 2618))
    payload = assert_error(response, 4)
    assert payload["extendedDescription"] == (
        "Message is too long (2618 symbols). Viber message max length is 2000 symbols.")


def test_code_4_viber_text_over_1000_and_button_total_over_2000(sandbox):
    assert_error(post(sandbox, viber(text="x" * 1001)), 4, "Viber text max length is 1000")
    body = with_content(viber(), "BUTTON", text="x" * 1000, caption="c" * 1001, action="https://e.com")
    assert_error(post(sandbox, body), 4, "Message is too long (2001 symbols)")


def test_code_4_whatsapp_text_too_long_in_the_seeds_words(sandbox):
    payload = assert_error(post(sandbox, whatsapp({"text": "y" * 2024})), 4)
    assert payload["extendedDescription"] == (
        "Message is too long (2024 symbols). WHATSAPP message max length is 1000 symbols.")


@pytest.mark.parametrize("ctype,content,field", [
    ("TEXT", {}, "text"),
    ("TEXT", {"text": ""}, "text"),
    ("TEXT", {"text": 5}, "text"),
    ("TEXT", {"text": "a", "imageURL": "https://e.com/i.png"}, "imageURL"),
    ("IMAGE_URL", {}, "imageURL"),
    ("IMAGE_URL", {"imageURL": "https://e.com/i.png", "text": "a"}, "text"),
    ("BUTTON", {"text": "a", "caption": "b"}, "action"),
    ("BUTTON", {"text": "a", "action": "https://e.com"}, "caption"),
    ("BUTTON", {"caption": "b", "action": "https://e.com"}, "text"),
    ("BUTTON", {"text": "a", "caption": "", "action": "https://e.com"}, "caption"),
])
def test_code_4_viber_instant_content_shape(sandbox, ctype, content, field):
    assert_error(post(sandbox, with_content(viber(), ctype, **content)), 4, field)


def test_code_4_instant_content_missing_or_not_object(sandbox):
    assert_error(post(sandbox, with_data(viber(), instantContent=None)), 4, "instantContent")
    assert_error(post(sandbox, with_data(viber(), instantContent="TEXT")), 4, "instantContent")
    body = with_data(viber(), instantContent={"type": "TEXT"})
    assert_error(post(sandbox, body), 4, "instantContent.data")


def test_code_4_viber_sessions_refuse_button_with_invalid_request(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(viber_sessions=True)
    body = with_content(viber(), "BUTTON", text="a", caption="b", action="https://e.com")
    assert_error(post(sandbox, body), 4, "Viber sessions")
    assert post(sandbox, viber()).status_code == 200
    assert post(sandbox, with_content(viber(), "IMAGE_URL", imageURL="https://e.com/i.png")).status_code == 200


@pytest.mark.parametrize("content,field", [
    ({"text": "a", "imageURL": "https://e.com/i.png"}, "both"),
    ({}, "text"),
    ({"text": "a", "caption": "b"}, "caption"),
])
def test_code_4_whatsapp_text_xor_image(sandbox, content, field):
    assert_error(post(sandbox, whatsapp(content)), 4, field)


def test_code_4_whatsapp_image_without_url(sandbox):
    assert_error(post(sandbox, whatsapp({}, "IMAGE_URL")), 4, "imageURL")


@pytest.mark.parametrize("schedule,field", [
    ("10:00", "scheduleInfo"),
    ({"timeBegin": "24:00"}, "timeBegin"),
    ({"timeEnd": "9:00"}, "timeEnd"),
    ({"timeEnd": "21:00\n"}, "timeEnd"),
    ({"weekdaysSchedule": "1238"}, "weekdaysSchedule"),
    ({"weekdaysSchedule": 12345}, "weekdaysSchedule"),
    ({"deadline": "2019-05-10 16:29:30"}, "deadline"),
    ({"deadline": "2019-02-30T16:29:30+0300"}, "deadline"),
])
def test_code_4_schedule_info(sandbox, schedule, field):
    assert_error(post(sandbox, viber(scheduleInfo=schedule)), 4, field)


@pytest.mark.parametrize("overrides,field", [
    ({"useTimeDiff": "false"}, "useTimeDiff"),
    ({"registeredDelivery": 3}, "registeredDelivery"),
    ({"registeredDelivery": True}, "registeredDelivery"),
    ({"registeredDelivery": "1"}, "registeredDelivery"),
    ({"notifyUrl": ""}, "notifyUrl must not be empty"),
    ({"notifyUrl": "http://e.com/" + "a" * 2040}, "notifyUrl is too long"),
    ({"extraParam": {"a": 1}}, "extraParam"),
    ({"id": 123}, "id must be a string"),
    ({"cascadeChainLink": "sms"}, "cascadeChainLink"),
])
def test_code_4_envelope_fields_name_the_field(sandbox, overrides, field):
    assert_error(post(sandbox, viber(**overrides)), 4, field)


def test_registered_delivery_as_integral_number_is_accepted(sandbox):
    assert post(sandbox, viber(registeredDelivery=1.0)).status_code == 200


def test_notify_url_of_exactly_2048_is_accepted(sandbox):
    url = "http://e.com/" + "a" * (2048 - len("http://e.com/"))
    assert post(sandbox, viber(notifyUrl=url, registeredDelivery=0)).status_code == 200


# --- faults, rate limit, latency -----------------------------------------------------------------------

@pytest.mark.parametrize("fault,code", [("unavailable", 1), ("throttled", 3), ("platform_error", 100)])
def test_injected_fault_answers_next_n_requests_then_recovers(sandbox, fault, code):
    sandbox.inject(fault, count=2, retry_after=7)
    for _ in range(2):
        response = post(sandbox, viber())
        assert_error(response, code)
        if fault == "throttled":
            assert response.headers["Retry-After"] == "7"
    assert post(sandbox, viber()).status_code == 200
    assert len(sandbox.messages) == 1


def test_fault_by_admin_endpoint_and_listed(sandbox):
    response = requests.post(sandbox.url + "/_sandbox/faults",
                             json={"fault": "throttled", "count": 2, "retry_after": 3}, timeout=5)
    assert response.status_code == 200
    assert requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()[0]["count"] == 2
    first = post(sandbox, viber())
    assert_error(first, 3)
    assert first.headers["Retry-After"] == "3"
    assert requests.post(sandbox.url + "/_sandbox/faults", json={"fault": "bogus"},
                         timeout=5).status_code == 400


def test_drop_after_accept_records_the_message_and_the_client_sees_a_connection_error(sandbox):
    sandbox.inject("drop_after_accept")
    session = requests.Session()
    with pytest.raises(requests.ConnectionError):
        session.post(sandbox.url + "/send", json=viber(id="amb-1"), timeout=5)
    [message] = sandbox.messages
    assert message.id == "amb-1"
    # the retry with the same id (dedup "on") gets the same mtNum and sends nothing new
    retry = session.post(sandbox.url + "/send", json=viber(id="amb-1"), timeout=5)
    assert retry.status_code == 200 and retry.json()["mtNum"] == message.mt_num
    assert sandbox.sent_count("amb-1", "79000000001") == 1


def test_drop_after_accept_is_not_consumed_by_a_rejected_request(sandbox):
    sandbox.inject("drop_after_accept")
    assert_error(post(sandbox, viber(destAddr="1")), 8)
    with pytest.raises(requests.ConnectionError):
        post(sandbox, viber())
    assert post(sandbox, viber()).status_code == 200


def test_faults_on_the_status_endpoint(sandbox):
    sandbox.inject("unavailable", endpoint="status")
    status_body = {"login": LOGIN, "password": PASSWORD, "mtNums": []}
    assert_error(post(sandbox, status_body, "/status"), 1)
    assert post(sandbox, viber()).status_code == 200  # send unaffected
    assert post(sandbox, status_body, "/status").status_code == 200


def test_rate_limit_answers_429_code_3_with_retry_after(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(rate_limit=2)
    session = requests.Session()
    answers = [session.post(sandbox.url + "/send", json=viber(), timeout=5) for _ in range(8)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, "8 quick requests at 2/s must hit the limit"
    assert_error(limited[0], 3, "Rate limit")
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert sum(r.status_code == 200 for r in answers) == len(sandbox.messages) >= 2
    time.sleep(0.6)  # one token back at 2/s
    assert session.post(sandbox.url + "/send", json=viber(), timeout=5).status_code == 200


def test_latency_is_added_to_answers(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(latency=0.4)
    started = time.monotonic()
    assert post(sandbox, viber()).status_code == 200
    assert time.monotonic() - started >= 0.4
    sandbox.latency = 0
    started = time.monotonic()
    post(sandbox, viber())
    assert time.monotonic() - started < 0.4


# --- dedup ------------------------------------------------------------------------------------------

def test_dedup_on_same_id_same_mtnum_sent_once(sandbox):
    first = post(sandbox, viber(id="same")).json()
    second = post(sandbox, viber(id="same")).json()
    assert first == second
    assert sandbox.sent_count("same", "+7 900 000-00-01") == 1
    assert len(sandbox.messages) == 1 and sandbox.messages[0].repeats == 1


def test_dedup_off_every_request_is_a_new_message(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="off")
    first = post(sandbox, viber(id="same")).json()["mtNum"]
    second = post(sandbox, viber(id="same")).json()["mtNum"]
    assert first != second
    assert sandbox.sent_count("same", "79000000001") == 2


def test_requests_without_id_are_always_new(sandbox):
    assert post(sandbox, viber()).json() != post(sandbox, viber()).json()
    assert sandbox.sent_count(None, "79000000001") == 2


def test_sent_count_admin_endpoint_normalises_the_number(sandbox):
    post(sandbox, viber(id="n-1", destAddr="8 (900) 000-00-01"))
    answer = requests.get(sandbox.url + "/_sandbox/sent_count",
                          params={"id": "n-1", "dest_addr": "+79000000001"}, timeout=5).json()
    assert answer["sent_count"] == 1


# --- delivery simulation and pull ------------------------------------------------------------------------

def test_status_moves_accepted_enroute_then_final_and_pull_reports_it(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=1.0)
    mt = post(sandbox, viber(id="s-1")).json()["mtNum"]
    pull = {"login": LOGIN, "password": PASSWORD, "mtNums": [mt, "000"]}
    [report] = post(sandbox, pull, "/status").json()["reports"]
    assert report == {"mtNum": mt, "id": "s-1", "status": 6, "errorCode": 0}
    assert wait_until(lambda: sandbox.message(mt).status == 1, 2)
    assert wait_until(lambda: sandbox.message(mt).status == 2, 2)
    [report] = post(sandbox, pull, "/status").json()["reports"]
    assert report["status"] == 2 and report["errorCode"] == 0
    assert len(report["doneDate"]) == 24 and report["doneDate"].endswith("+0300")


@pytest.mark.parametrize("outcome,status,error_code", [
    ("unknown", 5, 1), ("call-barred", 5, 3), ("memory-capacity-exceeded", 5, 5),
    ("teleservice-not-provisioned", 5, 6), ("timeout", 5, 7), ("duplicated", 5, 9), ("unrouted", 5, 11),
    ("expired", 3, 0), ("rejected", 8, 0), ("delivered", 2, 0),
])
def test_outcome_rules_give_the_final_state(messaging_sandbox_factory, outcome, status, error_code):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"79000000002": outcome})
    mt = post(sandbox, viber(destAddr="8-900-000-00-02")).json()["mtNum"]
    assert wait_until(lambda: sandbox.message(mt).is_final, 2)
    report = sandbox.report(mt)
    assert (report["status"], report["errorCode"]) == (status, error_code)


def test_glob_outcome_and_set_outcome_and_pending(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.05, outcomes={"7900000001*": "call-barred"})
    sandbox.set_outcome("79000000099", "pending")
    barred = post(sandbox, viber(destAddr="79000000015")).json()["mtNum"]
    pending = post(sandbox, viber(destAddr="79000000099")).json()["mtNum"]
    fine = post(sandbox, viber(destAddr="79000000020")).json()["mtNum"]
    assert wait_until(lambda: sandbox.message(fine).is_final, 2)
    time.sleep(0.05)
    assert sandbox.report(barred)["errorCode"] == 3
    assert sandbox.report(pending)["status"] == 1 and not sandbox.message(pending).is_final
    assert sandbox.report(fine)["status"] == 2


def test_unknown_outcome_name_fails_at_construction():
    with pytest.raises(ValueError, match="unknown outcome 'lost'.*call-barred"):
        Sandbox(outcomes={"7900*": "lost"})
    with pytest.raises(ValueError, match="dedup"):
        Sandbox(dedup="maybe")


def test_outcomes_admin_endpoint(sandbox):
    url = sandbox.url + "/_sandbox/outcomes"
    assert requests.post(url, json={"pattern": "7911*", "outcome": "expired"}, timeout=5).status_code == 200
    assert requests.get(url, timeout=5).json() == {"7911*": "expired"}
    assert requests.post(url, json={"pattern": "7911*", "outcome": "lost"}, timeout=5).status_code == 400


def test_status_pull_checks_credentials_and_batch_size(sandbox):
    assert_error(post(sandbox, {"login": "x", "password": PASSWORD, "mtNums": []}, "/status"), 5)
    assert_error(post(sandbox, {"login": LOGIN, "password": "x", "mtNums": []}, "/status"), 6)
    too_many = {"login": LOGIN, "password": PASSWORD, "mtNums": [str(n) for n in range(1001)]}
    assert_error(post(sandbox, too_many, "/status"), 4, "at most 1000")
    assert_error(post(sandbox, {"login": LOGIN, "password": PASSWORD, "mtNums": "1"}, "/status"),
                 4, "mtNums")
    exactly = {"login": LOGIN, "password": PASSWORD, "mtNums": [str(n) for n in range(1000)]}
    assert post(sandbox, exactly, "/status").json() == {"reports": []}


def test_custom_paths(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(send_path="/api/v1/send", status_path="/api/v1/status")
    mt = post(sandbox, viber(), "/api/v1/send").json()["mtNum"]
    reports = post(sandbox, {"login": LOGIN, "password": PASSWORD, "mtNums": [mt]}, "/api/v1/status").json()
    assert reports["reports"][0]["mtNum"] == mt
    assert post(sandbox, viber(), "/send").status_code == 404
    assert '"send_path": "/api/v1/send"' in sandbox.connection_json()


# --- inspection and reset -----------------------------------------------------------------------------

def test_messages_admin_endpoint_and_reset(sandbox):
    post(sandbox, viber(id="r-1"))
    sandbox.inject("unavailable")
    listed = requests.get(sandbox.url + "/_sandbox/messages", timeout=5).json()
    assert [m["id"] for m in listed] == ["r-1"] and "password" not in listed[0]["body"]
    assert requests.post(sandbox.url + "/_sandbox/reset", timeout=5).json() == {"ok": True}
    assert sandbox.messages == [] and sandbox.faults == []
    assert sandbox.sent_count("r-1", "79000000001") == 0
    # after a reset the same id is new again
    assert post(sandbox, viber(id="r-1")).status_code == 200
    assert sandbox.sent_count("r-1", "79000000001") == 1


def test_send_path_is_fast_enough_not_to_be_a_benchmark_bottleneck(sandbox):
    """A generous floor (the measured rate is in the README): 300 sends over one session at > 100/s."""
    session = requests.Session()
    started = time.perf_counter()
    for i in range(300):
        assert session.post(sandbox.url + "/send", json=viber(id=f"perf-{i}"), timeout=5).status_code == 200
    assert 300 / (time.perf_counter() - started) > 100
    assert len(sandbox.messages) == 300


def test_latency_and_dedup_by_the_config_admin_endpoint(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="on")
    config = requests.post(sandbox.url + "/_sandbox/config", json={"latency": 0.3, "dedup": "reject"}, timeout=5)
    assert config.status_code == 200 and config.json()["latency"] == 0.3
    started = time.monotonic()
    assert post(sandbox, viber(id="cfg-1")).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert_error(post(sandbox, viber(id="cfg-1")), 10, "cfg-1")  # dedup switched to reject
    assert requests.post(sandbox.url + "/_sandbox/config", json={"dedup": "sometimes"}, timeout=5).status_code == 400
    assert requests.post(sandbox.url + "/_sandbox/config", json={"latency": -1}, timeout=5).status_code == 422
    requests.post(sandbox.url + "/_sandbox/config", json={"latency": 0}, timeout=5)
    started = time.monotonic()
    post(sandbox, viber())
    assert time.monotonic() - started < 0.3


def test_drop_after_accept_by_the_admin_endpoint(sandbox):
    response = requests.post(sandbox.url + "/_sandbox/faults", json={"fault": "drop_after_accept"}, timeout=5)
    assert response.status_code == 200
    with pytest.raises(requests.ConnectionError):
        post(sandbox, viber(id="adm-1"))
    assert [m.id for m in sandbox.messages] == ["adm-1"]
    bad = requests.post(sandbox.url + "/_sandbox/faults", json={"fault": "drop_after_accept", "endpoint": "status"},
                        timeout=5)
    assert bad.status_code == 400 and "send endpoint only" in bad.json()["detail"]
