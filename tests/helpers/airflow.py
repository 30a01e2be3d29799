"""Shared by the tests that use Airflow: the connection JSON, and what a finished ``dag.test()`` run left."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def conn_json(host: str, login: str = "partner", password: str = "s3cret-pass", **extra) -> str:
    return json.dumps({"conn_type": "messaging", "host": host, "login": login, "password": password, "extra": extra})


def xcom_values(dag_run, task_id: str) -> dict[int, object]:
    """Return values of ``task_id`` in ``dag_run`` keyed by map index (-1 when not mapped)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            XComModel.get_many(key="return_value", run_id=dag_run.run_id, dag_ids=dag_run.dag_id,
                               task_ids=task_id).with_only_columns(XComModel.map_index, XComModel.value)
        ).all()
        return {row.map_index: XComModel.deserialize_value(row) for row in rows}


def task_states(dag_run) -> dict[str, str]:
    """``{task_id or task_id[map_index]: state}`` of a finished ``dag.test()`` run."""
    out = {}
    for ti in dag_run.get_task_instances():
        name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        out[name] = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
    return out


def send_result(mt_num, duplicate=False):
    """A send operator's XCom value (what ``mt_nums`` may be given)."""
    return {"mt_num": mt_num, "id": f"id-{mt_num}", "dest_addr": "79000000001", "channel": "VIBER",
            "duplicate": duplicate}
