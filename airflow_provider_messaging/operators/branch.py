"""``DeliveryBranchOperator``: follow the branch of each delivery outcome that occurred."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.providers.standard.operators.branch import BaseBranchOperator
from airflow.sdk import Context

from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.models.outcomes import DELIVERY_OUTCOMES, check_outcomes
from airflow_provider_messaging.xcom import outcome_from_xcom, read_statuses

TaskIds = str | Sequence[str]


def _task_ids(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ValueError(f"{what}: expected a task id or a list of task ids, got {type(value).__name__}")
    ids = list(value)
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"{what}: expected a task id or a non-empty list of task ids, got {value!r}")
    return ids


class DeliveryBranchOperator(BaseBranchOperator):
    """Branch on delivery outcomes: every branch whose outcome occurred is followed.

    :param statuses: (templated) the ``DeliveryStatusSensor``'s result, e.g. ``wait.output``.
    :param branches: ``{outcome: task_id or [task_ids]}``. Outcomes: ``delivered``, the failure
        names (``unknown``, ``call-barred``, ``memory-capacity-exceeded``,
        ``teleservice-not-provisioned``, ``timeout``, ``duplicated``, ``unrouted``), ``expired``,
        ``deleted``, ``rejected``, ``pending``. Checked when the DAG is parsed.
    :param default_branch: task id(s) followed when an outcome occurred that has no entry in
        ``branches`` (an ``unrecognised code N`` included). None: such messages lead nowhere.

    With no branch to follow, every downstream task is skipped. Returns the task ids followed.
    """

    template_fields: Sequence[str] = ("statuses",)
    ui_color = "#ffd8a8"

    def __init__(
        self,
        *,
        statuses: Any,
        branches: Mapping[str, TaskIds],
        default_branch: TaskIds | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(branches, Mapping):
            raise ValueError(f"{self.task_id}: branches must be a dict {{outcome: task id(s)}}")
        keys = check_outcomes(branches, f"{self.task_id}: branches", allowed=DELIVERY_OUTCOMES)
        self.statuses = statuses
        self.branches: dict[str, list[str]] = {
            key: _task_ids(ids, f"{self.task_id}: branches[{name!r}]")
            for key, (name, ids) in zip(keys, branches.items(), strict=True)
        }
        self.default_branch = (
            None if default_branch is None else _task_ids(default_branch, f"{self.task_id}: default_branch")
        )

    def choose_branch(self, context: Context) -> list[str] | None:
        """Task ids for the outcomes in ``statuses`` (in the order the outcomes first occur)."""
        try:
            statuses = read_statuses(self.statuses)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        counts = Counter(outcome_from_xcom(entry) for entry in statuses.values())
        self.log.info("Outcomes: %s", ", ".join(f"{o}={n}" for o, n in counts.items()) or "(no messages)")
        chosen: dict[str, None] = {}
        unmatched = [o for o in counts if o not in self.branches]
        for outcome in counts:
            for task_id in self.branches.get(outcome, ()):
                chosen.setdefault(task_id, None)
        if (unmatched or not counts) and self.default_branch:
            self.log.info("Following default_branch for: %s", ", ".join(unmatched) or "(no messages)")
            for task_id in self.default_branch:
                chosen.setdefault(task_id, None)
        elif unmatched:
            self.log.warning("No branch for outcomes %s and no default_branch", unmatched)
        self._check_downstream(chosen)
        return list(chosen) or None

    def _check_downstream(self, task_ids: Iterable[str]) -> None:
        dag = self.dag if self.has_dag() else None  # type: ignore[no-untyped-call]  # Airflow: untyped
        groups = set(getattr(dag, "task_group_dict", {}) or {}) if dag is not None else set()
        known = set(self.downstream_task_ids) | groups
        missing = [t for t in task_ids if t not in known]
        if missing:
            raise AirflowFailException(
                f"branch task ids {missing} are not directly downstream of {self.task_id!r}: "
                f"set {self.task_id} >> [...] for every task in branches and default_branch"
            )
