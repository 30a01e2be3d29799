"""``example_dags/example_delivery_branching.py`` run with ``dag.test()`` against the sandbox."""

from __future__ import annotations

import pytest

from tests.helpers.airflow import task_states, xcom_values

BRANCH_TASKS = ("done", "fallback_whatsapp", "retry_later", "flag_contact")


@pytest.mark.parametrize(
    ("outcome", "branch"),
    [
        # ("delivered", "done") is the default run in test_example_dags.py
        ("teleservice-not-provisioned", "fallback_whatsapp"),
        ("memory-capacity-exceeded", "retry_later"),
        ("timeout", "retry_later"),
        ("call-barred", "flag_contact"),
        ("unrouted", "flag_contact"),
        ("rejected", "flag_contact"),  # no entry of its own: default_branch
    ],
)
def test_example_follows_the_outcome(outcome, branch, messaging_sandbox_factory, load_dag):
    dest = "79002223344"
    sandbox = messaging_sandbox_factory(delivery_delay=0.0, outcomes={dest: outcome})
    dag = load_dag("example_dags/example_delivery_branching.py", "example_delivery_branching")
    run = dag.test(run_conf={"dest_addr": dest, "text": "Your parcel is on its way."})
    states = task_states(run)
    assert str(run.state) == "success", states
    assert {t: states[t] for t in BRANCH_TASKS} == {t: ("success" if t == branch else "skipped") for t in BRANCH_TASKS}
    (statuses,) = xcom_values(run, "wait_for_delivery").values()
    assert [s["outcome"] for s in statuses.values()] == [outcome]

    channels = [m.channel for m in sandbox.messages]
    if branch == "fallback_whatsapp":
        assert channels == ["VIBER", "WHATSAPP"]
    else:
        assert channels == ["VIBER"]
    if branch in ("retry_later", "flag_contact"):
        (note,) = xcom_values(run, branch).values()
        assert note["dest_addr"] == dest and note["outcomes"] == [outcome]
