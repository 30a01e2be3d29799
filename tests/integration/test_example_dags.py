"""Example DAGs are system tests: every file in ``example_dags/`` loads with Airflow's DagBag
(no import errors) and runs end to end with ``dag.test()`` against the sandbox.

``RUNS`` has one entry per example file; a new example without an entry fails
``test_every_example_is_run``. Outcome-by-outcome runs of the branching example are in
``test_delivery_example.py``; this module runs each example once (the templates one twice, to show
a re-run creates nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from airflow_provider_messaging.sandbox import Sandbox
from tests.helpers.airflow import ROOT, task_states, xcom_values

EXAMPLES = ROOT / "example_dags"


def _dagbag():
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow before 3.2
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(EXAMPLES))  # [core] load_examples is off in the tests


def run_quickstart(dag, sandbox: Sandbox) -> None:
    run = dag.test()
    assert set(task_states(run).values()) == {"success"}, task_states(run)
    statuses = xcom_values(run, "wait_for_delivery")[-1]
    sent = {m.channel: m for m in sandbox.messages}
    assert set(sent) == {"VIBER", "WHATSAPP"}
    assert sent["VIBER"].body["message"]["data"]["instantContent"]["type"] == "BUTTON"
    for m in sent.values():
        assert sandbox.sent_count(m.id, m.dest_addr) == 1
        assert statuses[m.mt_num]["outcome"] == "delivered"


def run_mapped_sends(dag, sandbox: Sandbox) -> None:
    sandbox.set_outcome("79000000003", "call-barred")
    run = dag.test()
    states = task_states(run)
    assert str(run.state) == "success", states
    assert {k for k in states if k.startswith("send_viber")} == {"send_viber[0]", "send_viber[1]", "send_viber[2]"}
    texts = sorted(m.body["message"]["data"]["instantContent"]["data"]["text"] for m in sandbox.messages)
    assert texts == [f"Hello {n}, your order has shipped." for n in ("Anna", "Boris", "Vera")]
    assert len({m.id for m in sandbox.messages}) == 3  # one partner id per map index and recipient
    assert all(sandbox.sent_count(m.id, m.dest_addr) == 1 for m in sandbox.messages)
    assert xcom_values(run, "summary")[-1] == {"sent": 3, "outcomes": {"delivered": 2, "call-barred": 1}}


def run_delivery_branching(dag, sandbox: Sandbox) -> None:
    run = dag.test()
    states = task_states(run)
    assert str(run.state) == "success", states
    assert states["done"] == "success"
    assert {states[t] for t in ("fallback_whatsapp", "retry_later", "flag_contact")} == {"skipped"}
    assert [m.channel for m in sandbox.messages] == ["VIBER"]


def run_templates(dag, sandbox: Sandbox) -> None:
    first = dag.test()
    second = dag.test()  # a re-run creates nothing and still succeeds
    expected = {"whatsapp_template": "success", "viber_template": "success", "sms_template": "success",
                "summary": "success"}
    assert task_states(first) == expected and task_states(second) == expected
    templates = sandbox.templates
    assert sorted(t["name"] for t in templates) == ["spring_sale_sms", "spring_sale_viber", "spring_sale_whatsapp"]
    assert [r["created"] for r in xcom_values(first, "summary")[-1]] == [True, True, True]
    assert [r["created"] for r in xcom_values(second, "summary")[-1]] == [False, False, False]
    whatsapp = next(t for t in templates if t["channelType"] == "WHATSAPP")
    assert whatsapp["content"]["text"] == "Здравствуйте, {{1}}! Ваша скидка {{2}}% ждёт вас."


#: example file -> (dag_id, how to run it and what to check)
RUNS: dict[str, tuple[str, Callable[..., None]]] = {
    "example_messaging_quickstart.py": ("example_messaging_quickstart", run_quickstart),
    "example_mapped_sends.py": ("example_messaging_mapped_sends", run_mapped_sends),
    "example_delivery_branching.py": ("example_delivery_branching", run_delivery_branching),
    "example_templates.py": ("example_messaging_templates", run_templates),
}


def example_files() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("example_*.py"))


def test_every_example_is_run():
    assert sorted(RUNS) == example_files()


# Airflow's DagBag reads .airflowignore with a pathspec pattern class that pathspec deprecates
@pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning")
def test_every_example_loads_with_the_dagbag_and_is_documented(airflow_db):
    bag = _dagbag()
    assert bag.import_errors == {}
    by_file = {Path(d.fileloc).name: d for d in bag.dags.values()}
    for name, (dag_id, _) in RUNS.items():
        dag = by_file[name]
        assert dag.dag_id == dag_id
        assert dag.doc_md, f"{name}: no doc_md"
        module = Path(dag.fileloc).read_text(encoding="utf-8")
        assert module.lstrip().startswith('"""'), f"{name}: no module docstring"
        for secret in ("sandbox-secret", "sandbox-api-key", "AIRFLOW_CONN_"):
            assert secret not in module, f"{name}: carries a secret or a connection"


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_runs_end_to_end_against_the_sandbox(name, load_dag, messaging_sandbox_factory):
    dag_id, run = RUNS[name]
    sandbox = messaging_sandbox_factory(delivery_delay=0.0)
    run(load_dag(f"example_dags/{name}", dag_id), sandbox)
