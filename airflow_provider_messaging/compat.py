"""Compatibility with the oldest supported Airflow (3.1, task SDK 1.1): the one place for Airflow
names whose import path moved, for feature detection, and for workarounds of Airflow 3.1.0 bugs.
See docs/compatibility.md.

Only the Airflow layer (hooks, operators, sensors, triggers, the store's Airflow glue) imports this
module; :mod:`airflow_provider_messaging.client` stays free of Airflow. The newest path is tried
first, so nothing here warns on the newest Airflow.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from airflow import __version__ as airflow_version_text

if TYPE_CHECKING:  # type-checked against the locked (newest) Airflow
    from airflow.sdk import conf
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
else:
    try:  # newer task SDKs
        from airflow.sdk.exceptions import (
            AirflowException,
            AirflowFailException,
            AirflowNotFoundException,
            AirflowSensorTimeout,
            AirflowSkipException,
            TaskDeferred,
        )
    except ImportError:  # Airflow 3.1: the task SDK raises airflow.exceptions' classes
        from airflow.exceptions import (
            AirflowException,
            AirflowFailException,
            AirflowNotFoundException,
            AirflowSensorTimeout,
            AirflowSkipException,
            TaskDeferred,
        )

    try:
        from airflow.sdk import conf
    except ImportError:  # Airflow 3.1
        from airflow.configuration import conf

__all__ = [
    "AIRFLOW_VERSION",
    "HAS_RETRY_POLICY",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "TaskDeferred",
    "aget_connection",
    "amask_secret",
    "conf",
    "get_connection",
    "mask_secret",
    "redact",
    "serialize_for_dag_test",
    "version_tuple",
]


def version_tuple(text: str) -> tuple[int, int, int]:
    """``"3.1.0rc1"`` -> ``(3, 1, 0)``: the leading digits of the first three parts."""
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        parts.append(int(digits or 0))
    major, minor, micro = [*parts, 0, 0, 0][:3]
    return major, minor, micro


#: the running Airflow's (major, minor, micro)
AIRFLOW_VERSION: tuple[int, int, int] = version_tuple(airflow_version_text)

#: Airflow 3.3+: the task ``retry_policy`` argument (``airflow_provider_messaging.retry_policy``)
HAS_RETRY_POLICY: bool = AIRFLOW_VERSION >= (3, 3, 0)


# --- secret masking (imported when used: ``airflow.sdk.log`` loads structlog) ------------------------
def mask_secret(secret: str, name: str | None = None) -> None:
    """Register ``secret`` with Airflow's masker (task logs, rendered fields, XCom views)."""
    from airflow.sdk.log import mask_secret as sdk_mask_secret

    sdk_mask_secret(secret, name)


async def amask_secret(secret: str, name: str | None = None) -> None:
    """:func:`mask_secret` for an event loop; on Airflow 3.1 (no ``amask_secret``) the sync one in a
    thread, since its message to a task supervisor blocks."""
    try:
        from airflow.sdk.log import amask_secret as sdk_amask_secret
    except ImportError:  # Airflow 3.1
        await asyncio.to_thread(mask_secret, secret, name)
    else:
        await sdk_amask_secret(secret, name)


def redact(value: Any, name: str | None = None) -> Any:
    """``value`` with every registered secret replaced by ``***`` (what Airflow's logs show)."""
    try:
        from airflow.sdk.log import redact as sdk_redact  # type: ignore[attr-defined]  # not in its __all__
    except ImportError:  # Airflow 3.1: the same masker, not yet re-exported by airflow.sdk.log
        from airflow.sdk._shared.secrets_masker import redact as sdk_redact
    return sdk_redact(value, name)


# --- connections ---------------------------------------------------------------------------------------
def get_connection(hook: Any, conn_id: str) -> Any:
    """``hook.get_connection(conn_id)`` (a hook or hook class), with Airflow 3.1.1's answer for a
    connection that no secrets backend has, outside a task: ``AirflowNotFoundException``. Airflow
    3.1.0 then asks a task supervisor that isn't there and raises ImportError (``SUPERVISOR_COMMS``)."""
    try:
        return hook.get_connection(conn_id)
    except ImportError as exc:
        if AIRFLOW_VERSION >= (3, 1, 1) or "SUPERVISOR_COMMS" not in str(exc):
            raise
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined") from None


async def aget_connection(hook: Any, conn_id: str) -> Any:
    """``hook.aget_connection(conn_id)``; on Airflow 3.1.0 (or a task SDK without an async getter)
    :func:`get_connection` in a thread. 3.1.0's async getter works only in a real triggerer:
    elsewhere it raises ImportError (``SUPERVISOR_COMMS``, outside a task; fixed in 3.1.1) or
    AttributeError (no ``asend`` on ``dag.test()``'s in-process comms), even for a connection in an
    environment variable."""
    getter = getattr(hook, "aget_connection", None)
    if getter is not None and AIRFLOW_VERSION >= (3, 1, 1):
        return await getter(conn_id)
    return await asyncio.to_thread(get_connection, hook, conn_id)


# --- testing DAGs --------------------------------------------------------------------------------------
def serialize_for_dag_test(dag: Any) -> None:
    """Airflow 3.1.0's ``dag.test()`` refuses a DAG that no dag-processor has serialized ("Cannot
    create DagRun ... because the dag is not serialized", apache/airflow#56657). Do what 3.1.1's
    ``dag.test()`` does itself: parse the DAG's file into the metadata DB. No-op on later versions."""
    if AIRFLOW_VERSION >= (3, 1, 1):
        return
    # Airflow 3.1.0's modules, looked up by name: type-checking runs against the newest Airflow,
    # where some of them moved
    bundles: Any = importlib.import_module("airflow.dag_processing.bundles.manager")
    dag_version: Any = importlib.import_module("airflow.models.dag_version")
    dagbag: Any = importlib.import_module("airflow.models.dagbag")
    session: Any = importlib.import_module("airflow.utils.session")

    if dag_version.DagVersion.get_version(dag.dag_id):
        return
    manager = bundles.DagBundlesManager()
    with session.create_session() as db:
        manager.sync_bundles_to_db(session=db)
    bundle = manager.get_bundle("dags-folder")
    bag = dagbag.DagBag(dag_folder=dag.fileloc, bundle_path=bundle.path, include_examples=False)
    dagbag.sync_bag_to_db(bag, bundle.name, None)
