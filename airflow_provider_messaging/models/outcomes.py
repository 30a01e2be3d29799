"""Delivery outcomes a DAG branches on (SPEC §2), and the status-batch rules. No Airflow, no pydantic:
the operators and sensors read these when a DAG file is parsed.

Outcomes ([decided]) are the names a branch keys on, one per report:

==========================  =========================================================
outcome                     report
==========================  =========================================================
``delivered``               status 2 DELIVERED
failure name                status 5 UNDELIVERABLE: ``unknown``, ``call-barred``,
                            ``memory-capacity-exceeded``, ``teleservice-not-provisioned``,
                            ``timeout``, ``duplicated``, ``unrouted`` (errorCode 0 or absent
                            reads ``unknown``; an unlisted code reads ``unrecognised code N``)
``expired``                 status 3 EXPIRED
``deleted``                 status 4 DELETED
``rejected``                status 8 REJECTED
``pending``                 not final yet (1 ENROUTE, 6 ACCEPTED, 7 UNKNOWN, an unlisted
                            status, or an mtNum the platform does not report yet)
==========================  =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from airflow_provider_messaging.models import limits
from airflow_provider_messaging.models.codes import FAILURE_NAMES, DeliveryFailure, DeliveryStatus, failure_name

#: Outcome of a delivered message.
DELIVERED = "delivered"
#: Outcome of a message that is not final yet (or not reported by the platform yet).
PENDING = "pending"

#: Every outcome a final report can have, in a stable order (the branch operator validates against it).
FINAL_OUTCOMES: tuple[str, ...] = (DELIVERED, *FAILURE_NAMES, "expired", "deleted", "rejected")
#: FINAL_OUTCOMES plus ``pending``.
DELIVERY_OUTCOMES: tuple[str, ...] = (*FINAL_OUTCOMES, PENDING)

#: The outcome of each final status other than UNDELIVERABLE (whose errorCode names the failure).
STATUS_OUTCOMES: dict[DeliveryStatus, str] = {
    DeliveryStatus.DELIVERED: DELIVERED,
    DeliveryStatus.EXPIRED: "expired",
    DeliveryStatus.DELETED: "deleted",
    DeliveryStatus.REJECTED: "rejected",
}

#: Largest number of mtNums one status request may carry ([decided], SPEC §2).
MAX_STATUS_BATCH = limits.STATUS_BATCH_MAX
#: Default number of mtNums per status request.
DEFAULT_STATUS_BATCH = 100


def is_final_status(status: int | None) -> bool:
    """True for a known final status (2, 3, 4, 5, 8); an unknown status is never final."""
    try:
        return DeliveryStatus(status).is_final  # type: ignore[arg-type]
    except ValueError:
        return False


def outcome_of(status: int | None, error_code: int | None) -> str:
    """The outcome name of a ``status``/``errorCode`` pair (see the module's table); never raises."""
    try:
        state = DeliveryStatus(status)  # type: ignore[arg-type]
    except ValueError:
        return PENDING
    if not state.is_final:
        return PENDING
    if state is DeliveryStatus.UNDELIVERABLE:
        if not error_code:
            return DeliveryFailure.UNKNOWN.failure_name
        return failure_name(error_code) or DeliveryFailure.UNKNOWN.failure_name
    return STATUS_OUTCOMES[state]


def check_outcomes(names: Iterable[str], what: str, *, allowed: tuple[str, ...] = DELIVERY_OUTCOMES) -> list[str]:
    """Normalise outcome names (case, ``_`` for ``-``) and refuse unknown ones with a clear error."""
    out: list[str] = []
    bad: list[str] = []
    for name in names:
        key = str(name).strip().lower().replace("_", "-")
        if key in allowed:
            out.append(key)
        else:
            bad.append(repr(name))
    if bad:
        raise ValueError(f"{what}: unknown outcome {', '.join(bad)}; expected one of: {', '.join(allowed)}")
    return out


def check_batch_size(batch_size: int) -> int:
    """A batch size between 1 and :data:`MAX_STATUS_BATCH`, or ``ValueError``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_STATUS_BATCH:
        raise ValueError(f"batch_size must be an integer from 1 to {MAX_STATUS_BATCH}, got {batch_size!r}")
    return batch_size


def normalise_mt_nums(mt_nums: Iterable[str | int] | str | int) -> list[str]:
    """mtNums as unique, non-empty strings (order kept, first occurrence kept)."""
    if isinstance(mt_nums, (str, int)):
        mt_nums = [mt_nums]
    seen: dict[str, None] = {}
    for n in mt_nums:
        text = str(n).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
