"""``DeliveryBranchOperator``: follow the branch of each delivery outcome that occurred."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.providers.standard.operators.branch import BaseBranchOperator
from airflow.sdk import Context

from airflow_provider_messaging.compat import AirflowFailException
from airflow_provider_messaging.models.outcomes import DELIVERY_OUTCOMES, check_outcomes
from airflow_provider_messaging.xcom import is_rendered_structure, outcome_from_xcom, parse_rendered, read_statuses

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


def read_outcome_counts(value: Any) -> Counter[str]:
    """Outcome counts from the sensor's result: per message (``{mtNum: {...}}``) or a campaign's
    counts (``{"outcomes": {...}}``, also a list of them), as rendered."""
    if is_rendered_structure(value):
        value = parse_rendered(value, "statuses", "the sensor's result")
    parts = list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [value]
    if parts and all(isinstance(p, Mapping) and isinstance(p.get("outcomes"), Mapping) for p in parts):
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update({str(o): int(n) for o, n in part["outcomes"].items() if int(n) > 0})
        return counts
    return Counter(outcome_from_xcom(entry) for entry in read_statuses(value).values())


class DeliveryBranchOperator(BaseBranchOperator):
    """Branch on delivery outcomes: every branch whose outcome occurred is followed.

    :param statuses: (templated) the ``DeliveryStatusSensor``'s result, e.g. ``wait.output``: per
        message, or for a campaign its counts (``{"total", "outcomes": {<outcome>: count}, ...}``).
    :param branches: ``{outcome: task_id or [task_ids]}``. Outcomes: ``delivered``, the failure
        names (``unknown``, ``call-barred``, ``memory-capacity-exceeded``,
        ``teleservice-not-provisioned``, ``timeout``, ``duplicated``, ``unrouted``), ``expired``,
        ``deleted``, ``rejected``, ``pending``. Checked when the DAG is parsed.
    :param default_branch: task id(s) followed when an outcome occurred that has no entry in
        ``branches`` (an ``unrecognised code N`` included). None: such messages lead nowhere.
    :param min_share: ``{outcome: share}``: the outcome counts as having occurred only when more than
        that share of the messages (0 to 1) ended in it, e.g. ``{"delivered": 0.95}`` follows the
        ``delivered`` branch only above 95 %; ``{"call-barred": 0.01}`` ignores a handful. Outcomes not
        listed occur with their first message.

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
        min_share: Mapping[str, float] | None = None,
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
        shares = dict(min_share or {})
        names = check_outcomes(shares, f"{self.task_id}: min_share", allowed=DELIVERY_OUTCOMES)
        for name, share in shares.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
                raise ValueError(
                    f"{self.task_id}: min_share[{name!r}] must be a share from 0 to below 1, got {share!r}"
                )
        self.min_share: dict[str, float] = dict(zip(names, (float(v) for v in shares.values()), strict=True))

    def choose_branch(self, context: Context) -> list[str] | None:
        """Task ids for the outcomes in ``statuses`` (in the order the outcomes first occur)."""
        try:
            counts = read_outcome_counts(self.statuses)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        self.log.info("Outcomes: %s", ", ".join(f"{o}={n}" for o, n in counts.items()) or "(no messages)")
        total = sum(counts.values())
        below = {o: n for o, n in counts.items() if o in self.min_share and n / total <= self.min_share[o]}
        if below:
            self.log.info(
                "Not counted as occurred (at or below min_share): %s",
                ", ".join(f"{o} {n / total:.2%} <= {self.min_share[o]:.2%}" for o, n in below.items()),
            )
            counts = Counter({o: n for o, n in counts.items() if o not in below})
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
