"""Whole DAG runs (``dag.test()``) against the sandbox: send → wait → branch, poke and deferrable.

Every documented failure code, plus delivered, expired and rejected, must take its own branch.
"""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_messaging.models.codes import FAILURE_NAMES
from tests.helpers.airflow import task_states, xcom_values

#: one recipient per outcome; the sandbox decides each recipient's outcome
OUTCOMES = ("delivered", *FAILURE_NAMES, "expired", "rejected")
RECIPIENTS = {outcome: f"7901000{i:04d}" for i, outcome in enumerate(OUTCOMES)}
MODES = {"poke": "delivery_poke", "deferrable": "delivery_deferrable"}
#: the sandbox's delivery delay (seconds from a send until its message is final) where a test checks
#: that the sensor really deferred or rescheduled. Its first check comes a task after the last send:
#: on a loaded machine that took over a second, so with 1 s every message could already be final
#: and the sensor rightly never deferred. Only those runs pay the wait.
DEFERRAL_DELAY = 6.0


def branch_task_id(outcome: str) -> str:
    return "on_" + outcome.replace("-", "_")


@pytest.fixture
def sandbox(messaging_sandbox_factory, request):
    """Reports turn final ``delay`` seconds after the send (indirect parameter; default 0.3 s)."""
    delay = getattr(request, "param", 0.3)
    return messaging_sandbox_factory(delivery_delay=delay, outcomes={d: o for o, d in RECIPIENTS.items()})


def _output(capfd) -> str:
    out, err = capfd.readouterr()
    return out + err


@pytest.mark.parametrize(("mode", "sandbox"), [("poke", 1.0), ("deferrable", DEFERRAL_DELAY)], indirect=["sandbox"])
def test_every_outcome_takes_its_branch(mode, sandbox, load_dag, capfd):
    dag = load_dag("tests/integration/dags/delivery_dags.py", MODES[mode])
    capfd.readouterr()
    run = dag.test(run_conf={"recipients": list(RECIPIENTS.values())})
    states = task_states(run)
    assert str(run.state) == "success", states

    sent = xcom_values(run, "send")
    dest_of = {v["mt_num"]: v["dest_addr"] for v in sent.values()}
    assert len(dest_of) == len(OUTCOMES)
    statuses = xcom_values(run, "wait")[-1]
    assert set(statuses) == set(dest_of)
    expected = {d: o for o, d in RECIPIENTS.items()}
    assert {mt: s["outcome"] for mt, s in statuses.items()} == {mt: expected[d] for mt, d in dest_of.items()}
    assert all(s["final"] for s in statuses.values())

    for outcome in OUTCOMES:
        assert states[branch_task_id(outcome)] == "success", outcome
    assert states["on_other"] == "skipped"
    # the deferrable DAG really waited in the trigger; the poke DAG never did
    logs = _output(capfd)
    assert ("DeliveryStatusTrigger" in logs) is (mode == "deferrable")
    assert "Delivery status: 10 of 10 messages final" in logs
    assert sandbox.password not in logs
    # waiting sent nothing: one message per recipient
    assert len(sandbox.messages) == len(OUTCOMES)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_one_message_takes_only_its_branch(outcome, mode, sandbox, load_dag):
    dag = load_dag("tests/integration/dags/delivery_dags.py", MODES[mode])
    run = dag.test(run_conf={"recipients": [RECIPIENTS[outcome]]})
    states = task_states(run)
    assert str(run.state) == "success", states
    followed = sorted(t for t, s in states.items() if t.startswith("on_") and s == "success")
    assert followed == [branch_task_id(outcome)]
    (statuses,) = xcom_values(run, "wait").values()
    (report,) = statuses.values()
    assert report["outcome"] == outcome
    assert report["failure"] == (outcome if outcome in FAILURE_NAMES else None)


@pytest.mark.parametrize("sandbox", [DEFERRAL_DELAY], indirect=True)  # the first poke finds both pending
def test_reschedule_mode_frees_the_slot_and_branches(sandbox, load_dag):
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    dag = load_dag("tests/integration/dags/delivery_dags.py", "delivery_reschedule")
    run = dag.test(run_conf={"recipients": [RECIPIENTS["delivered"], RECIPIENTS["unrouted"]]})
    states = task_states(run)
    assert str(run.state) == "success", states
    followed = sorted(t for t, s in states.items() if t.startswith("on_") and s == "success")
    assert followed == ["on_delivered", "on_unrouted"]
    wait_ti = next(ti for ti in run.get_task_instances() if ti.task_id == "wait")
    with create_session() as session:
        reschedules = session.scalar(select(func.count()).select_from(TaskReschedule)
                                     .where(TaskReschedule.ti_id == wait_ti.id))
    assert reschedules >= 1


@pytest.mark.parametrize(("dag_id", "wait_state"), [("delivery_timeout_poke", "failed"),
                                                    ("delivery_timeout_deferrable", "skipped")])
def test_a_message_that_never_turns_final_times_out(dag_id, wait_state, messaging_sandbox_factory, load_dag):
    """Poke: AirflowSensorTimeout fails the task. Deferrable with soft_fail: the trigger's own
    timeout event after 1 s skips it (``dag.test()`` runs the trigger inline with no deferral
    timeout: a trigger that never gave up would hang the run)."""
    pending = "79020000001"
    messaging_sandbox_factory(delivery_delay=0.1, outcomes={pending: "pending"})
    dag = load_dag("tests/integration/dags/delivery_dags.py", dag_id)
    started = time.monotonic()
    run = dag.test(run_conf={"recipients": [pending]})
    assert time.monotonic() - started < 30
    states = task_states(run)
    assert states["wait"] == wait_state, states
    assert states["branch"] in ("upstream_failed", "skipped")
    assert all(s != "success" for t, s in states.items() if t.startswith("on_"))


# the deferrable runs resume from the trigger's event: their first check must find a message pending
@pytest.mark.parametrize(("mode", "soft_fail", "wait_state", "sandbox"), [
    ("poke", False, "failed", 1.0), ("poke", True, "skipped", 1.0),
    ("deferrable", False, "failed", DEFERRAL_DELAY), ("deferrable", True, "skipped", DEFERRAL_DELAY),
], indirect=["sandbox"])
def test_fail_on_fails_or_soft_fail_skips_once_every_message_is_final(mode, soft_fail, wait_state, sandbox, load_dag,
                                                                     capfd):
    dag_id = f"delivery_fail_on_{mode}" + ("_soft" if soft_fail else "")
    dag = load_dag("tests/integration/dags/delivery_dags.py", dag_id)
    capfd.readouterr()
    run = dag.test(run_conf={"recipients": [RECIPIENTS["delivered"], RECIPIENTS["call-barred"]]})
    states = task_states(run)
    assert states["wait"] == wait_state, states
    assert states["branch"] in ("upstream_failed", "skipped"), states
    assert all(s != "success" for t, s in states.items() if t.startswith("on_")), states
    logs = _output(capfd)
    assert "1 of 2 messages ended in an outcome listed in fail_on ['call-barred']" in logs
    assert "Delivery status: 2 of 2 messages final" in logs  # it waited until both were final
    assert ("DeliveryStatusTrigger" in logs) is (mode == "deferrable")
    (wait_ti,) = [ti for ti in run.get_task_instances() if ti.task_id == "wait"]
    assert wait_ti.try_number == 1


def test_a_mapped_sensors_results_feed_one_branch(sandbox, load_dag):
    dag = load_dag("tests/integration/dags/delivery_dags.py", "delivery_mapped_wait")
    run = dag.test(run_conf={"recipients": [RECIPIENTS["delivered"], RECIPIENTS["unrouted"], RECIPIENTS["expired"]]})
    states = task_states(run)
    assert str(run.state) == "success", states
    assert [states[f"wait[{i}]"] for i in range(3)] == ["success"] * 3
    followed = sorted(t for t, s in states.items() if t.startswith("on_") and s == "success")
    assert followed == ["on_delivered", "on_expired", "on_unrouted"]


@pytest.mark.parametrize("mode", list(MODES))
def test_a_refused_status_request_fails_at_once_without_retries(mode, messaging_sandbox_factory, load_dag,
                                                                set_conn, httpserver, capfd):
    """Sending works; the wait's status peer first answers "not reported yet" (so the deferrable
    sensor does defer), then refuses the password. Retrying cannot help: the wait fails on its first
    try in both modes, in deferrable mode from the trigger's event (retries=2 is left unused)."""
    from werkzeug import Response

    sandbox = messaging_sandbox_factory(delivery_delay=1.0)
    answers = iter([Response('{"reports": []}', status=200, content_type="application/json")])

    def status(request):
        return next(answers, None) or Response(
            json.dumps({"error": {"code": 6, "description": "Invalid password"}}), status=401,
            content_type="application/json")

    httpserver.expect_request("/status").respond_with_handler(status)
    set_conn(httpserver.url_for("/"), conn_id="messaging_refused", password="wrong-pass-5150", max_retries=0)
    dag = load_dag("tests/integration/dags/delivery_dags.py", f"delivery_refused_{mode}")
    capfd.readouterr()
    run = dag.test(run_conf={"recipients": [RECIPIENTS["delivered"]]})
    states = task_states(run)
    assert states["send[0]"] == "success" and states["wait"] == "failed", states
    (wait_ti,) = [ti for ti in run.get_task_instances() if ti.task_id == "wait"]
    assert wait_ti.try_number == 1
    logs = _output(capfd)
    assert "status request failed" in logs and "Invalid password" in logs
    assert ("DeliveryStatusTrigger" in logs) is (mode == "deferrable")
    assert len(httpserver.log) == 2  # "not yet", then refused: nothing asked again after that
    assert sandbox.password not in logs and "wrong-pass-5150" not in logs
