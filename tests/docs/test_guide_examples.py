"""The code the guide (docs/) shows, run: each ``# [START tag]`` region below, and in
``dags/guide_dags.py``, is copied into a page and checked by ``test_snippets.py``."""

from __future__ import annotations

import asyncio

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.airflow import task_states, xcom_values

GUIDE_DAGS = "tests/docs/dags/guide_dags.py"


def body(message) -> dict:
    return message.body["message"]["data"]


def test_send_operators_with_the_options_the_guide_shows(load_dag, messaging_sandbox):
    run = load_dag(GUIDE_DAGS, "guide_sending").test()
    assert set(task_states(run).values()) == {"success"}, task_states(run)
    by_task = {m.body["id"]: m for m in messaging_sandbox.messages}
    assert len(by_task) == 4
    viber = xcom_values(run, "send_viber")[-1]
    sent = by_task[viber["id"]]
    assert sent.body["destAddr"] == "79001234567" and body(sent)["instantContent"]["type"] == "BUTTON"
    assert body(sent)["instantContent"]["data"]["text"] == "Hello Anna!"
    assert body(sent)["instantContent"]["data"]["action"].startswith("https://shop.example/o/20")
    assert (body(sent)["ttl"], body(sent)["ttlUnit"]) == (2, "HOURS")
    assert sent.body["extraParam"] == "campaign=spring,, 2026"
    assert sent.body["scheduleInfo"] == {"timeBegin": "10:00", "timeEnd": "21:00", "weekdaysSchedule": "12345"}
    whatsapp = by_task[xcom_values(run, "send_whatsapp")[-1]["id"]]
    assert whatsapp.channel == "WHATSAPP" and body(whatsapp)["instantContent"]["type"] == "IMAGE_URL"
    assert sorted(xcom_values(run, "notify")) == [0, 1]


def test_hook_send_and_statuses(messaging_sandbox):
    # [START hook_send]
    from airflow_provider_messaging.hooks.messaging import MessagingHook
    from airflow_provider_messaging.models.send import compose_message

    hook = MessagingHook()  # the connection messaging_default
    message = compose_message(channel="VIBER", dest_addr="+7 900 000-00-01", service_number="MyShop",
                              text="Your code is 4321", message_id="login-code-42")
    result = hook.send(message)          # SendResult(mt_num="...", id="login-code-42", duplicate=False)
    # the wire shape works too: the platform's camelCase body without login/password
    again = hook.send({"destAddr": "79000000001", "id": "login-code-42",
                       "message": {"type": "VIBER", "data": {"instantContent": {
                           "type": "TEXT", "data": {"text": "Your code is 4321"}}}}})
    ok, why = hook.test_connection()     # checks the credentials, sends nothing
    reports = hook.get_statuses([result.mt_num])   # {mtNum: DeliveryReport}, pending ones absent
    # [END hook_send]
    assert result.id == "login-code-42" and result.mt_num
    assert again.mt_num == result.mt_num  # the sandbox's duplicate control: the same message
    assert messaging_sandbox.sent_count("login-code-42", "79000000001") == 1
    assert ok is True, why
    assert messaging_sandbox.wait_for(lambda: hook.get_statuses([result.mt_num]).get(result.mt_num, None) is not None
                                      and hook.get_statuses([result.mt_num])[result.mt_num].status == 2)
    assert set(reports) <= {result.mt_num}


def test_client_without_airflow(messaging_sandbox):
    sandbox = messaging_sandbox
    # [START client_sync]
    from airflow_provider_messaging.client import ClientSettings, MessagingClient

    settings = ClientSettings(base_url=sandbox.url, login="sandbox", password="sandbox-secret",
                              default_service_number="SANDBOX", platform_dedup=True)
    with MessagingClient(settings) as client:
        result = client.send({"destAddr": "79000000001", "id": "welcome-79000000001",
                              "message": {"type": "WHATSAPP", "data": {"instantContent": {
                                  "type": "TEXT", "data": {"text": "Welcome!"}}}}})
        reports = client.get_statuses([result.mt_num])
    # [END client_sync]
    assert result.mt_num and sandbox.sent_count("welcome-79000000001", "79000000001") == 1
    assert set(reports) <= {result.mt_num}


def test_async_client_send_many(messaging_sandbox):
    sandbox = messaging_sandbox
    settings_kwargs = {"base_url": sandbox.url, "login": "sandbox", "password": "sandbox-secret",
                       "default_service_number": "SANDBOX"}

    # [START client_send_many]
    from airflow_provider_messaging.client import AsyncMessagingClient, ClientSettings
    from airflow_provider_messaging.models.send import compose_message

    async def send_all(numbers: list[str]) -> dict[str, str]:
        messages = (compose_message(channel="VIBER", dest_addr=n, service_number="MyShop", text="Sale!",
                                    message_id=f"sale-{n}") for n in numbers)
        outcomes = {}
        async with AsyncMessagingClient(ClientSettings(**settings_kwargs)) as client:
            async for message, outcome in client.send_many(messages, concurrency=16, max_rate=100):
                # a SendResult, or the error this one message ended with: the others go on
                outcomes[message.dest_addr] = getattr(outcome, "mt_num", None) or repr(outcome)
        return outcomes

    outcomes = asyncio.run(send_all([f"790000000{i:02d}" for i in range(40)]))
    # [END client_send_many]
    assert len(outcomes) == 40 and len(sandbox.messages) == 40
    assert all(v.isdigit() for v in outcomes.values())


def test_the_sensor_result_the_guide_shows(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000009": "teleservice-not-provisioned"})
    from airflow_provider_messaging.hooks.messaging import MessagingHook
    from airflow_provider_messaging.models.send import compose_message
    from airflow_provider_messaging.xcom import statuses_to_xcom

    hook = MessagingHook()
    sent = hook.send(compose_message(channel="VIBER", dest_addr="79000000009", service_number="MyShop", text="x",
                                     message_id="c7597979864b27e01acbd984328e3b0a"))
    assert sandbox.wait_for(lambda: sandbox.message(sent.mt_num).status == 5)
    [(mt_num, entry)] = statuses_to_xcom(hook.get_statuses([sent.mt_num]), [sent.mt_num]).items()

    documented = (
        # [START sensor_result]
        {
            "7390612217": {
                "status": 5,                        # SMPP numbering (below); None: no report yet
                "status_name": "UNDELIVERABLE",     # or "unrecognised code N"
                "error_code": 6,                    # errorCode as reported (0 when absent)
                "failure": "teleservice-not-provisioned",  # status 5 only, else None
                "final": True,
                "done_date": "2022-06-22T10:22:45+0300",   # as the platform wrote it, or None
                "outcome": "teleservice-not-provisioned",  # what to branch on
                "id": "c7597979864b27e01acbd984328e3b0a",  # the partner id the report echoes, or None
            },
        }
        # [END sensor_result]
    )["7390612217"]
    assert mt_num == sent.mt_num
    assert entry.keys() == documented.keys()
    assert {k: v for k, v in entry.items() if k != "done_date"} == {k: v for k, v in documented.items()
                                                                      if k != "done_date"}
    assert len(entry["done_date"]) == len(documented["done_date"]) and entry["done_date"].endswith("+0300")


def test_a_custom_branch_on_the_sensor_result(load_dag, messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes={"79000000009": "teleservice-not-provisioned"})
    from airflow_provider_messaging.hooks.messaging import MessagingHook

    hook = MessagingHook()
    dag = load_dag(GUIDE_DAGS, "guide_custom_branch")
    for number, branch in (("79000000009", "fallback_whatsapp"), ("79000000001", "done")):
        mt_num = hook.send({"destAddr": number, "message": {"type": "VIBER", "data": {"instantContent": {
            "type": "TEXT", "data": {"text": "x"}}}}}).mt_num
        run = dag.test(run_conf={"mt_nums": [mt_num]})
        states = task_states(run)
        assert states[branch] == "success" and list(states.values()).count("skipped") == 1, states
    assert len(sandbox.messages) == 2


def test_the_sandbox_as_a_context_manager(monkeypatch):
    from airflow_provider_messaging.hooks.messaging import MessagingHook

    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_DEFAULT", "")  # put back as it was after the test
    # [START sandbox_context]
    import os

    from airflow_provider_messaging.sandbox import Sandbox

    with Sandbox(dedup="on", delivery_delay=0.2,
                 outcomes={"79000000002": "call-barred", "7911*": "expired"}) as sandbox:
        os.environ.update([sandbox.env_var()])   # AIRFLOW_CONN_MESSAGING_DEFAULT -> the sandbox
        MessagingHook().send({"destAddr": "+7 900 000-00-01", "id": "order-42", "message": {
            "type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "Hi"}}}}})
        assert sandbox.sent_count("order-42", "+7 900 000-00-01") == 1   # sent exactly once
        [message] = sandbox.messages
        assert sandbox.wait_for(lambda: message.status == 2)            # final after delivery_delay
        assert message.error_code == 0
    # [END sandbox_context]


# [START pytest_plugin]
from airflow_provider_messaging.hooks.messaging import MessagingHook  # noqa: E402

VIBER_HI = {"destAddr": "79000000001", "id": "hi-1",
            "message": {"type": "VIBER", "data": {"instantContent": {"type": "TEXT", "data": {"text": "Hi"}}}}}


def test_my_dag(messaging_sandbox):              # a fresh sandbox; AIRFLOW_CONN_MESSAGING_DEFAULT points at it
    MessagingHook().send(VIBER_HI)               # or: your_dag.test()
    assert messaging_sandbox.sent_count("hi-1", "79000000001") == 1


def test_dedup_reject(messaging_sandbox_factory):
    sandbox = messaging_sandbox_factory(dedup="reject", conn_id="messaging_default")
    first, second = MessagingHook().send(VIBER_HI), MessagingHook().send(VIBER_HI)
    assert second.duplicate and second.mt_num is None and first.mt_num   # code 10: not resent
    assert sandbox.sent_count("hi-1", "79000000001") == 1
# [END pytest_plugin]


def test_the_sandbox_class_is_the_one_documented():
    assert Sandbox.__module__.startswith("airflow_provider_messaging.sandbox")


def test_unconfirmed_campaign_sends_resolved_by_pushed_reports(tmp_path, monkeypatch):
    import json

    from airflow_provider_messaging.store import MessageStore

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", json.dumps({"conn_type": "generic",
                                                                           "extra": {"url": url}}))
    setup = MessageStore(url)
    setup.ledger("campaign:spring-sale").mark_in_flight_many(["p1", "p2"])  # sent, no answer came
    setup.record_reports([{"mtNum": "m1", "id": "p1", "status": 2}])         # a pushed report echoes p1
    summary = {"scope": "campaign:spring-sale"}  # a campaign's XCom

    # [START resolve_unconfirmed]
    from airflow_provider_messaging.store.airflow import get_store
    from airflow_provider_messaging.store.reconcile import resolve_unconfirmed  # aresolve_unconfirmed in a trigger

    resolved = resolve_unconfirmed(get_store(), scope=summary["scope"])  # {partner_id: mt_num}
    # [END resolve_unconfirmed]
    assert resolved == {"p1": "m1"}
    assert setup.ledger("campaign:spring-sale").get("p2").state == "in_flight"
