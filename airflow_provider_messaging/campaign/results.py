"""A campaign's results: one JSON line per input row, the summary (counts only) and progress.

Outcomes: ``accepted`` (the platform took it: an mtNum), ``duplicate`` (the platform said this id
was already accepted, code 10: not sent again), ``duplicate_row`` (the same recipient earlier in the
input), ``rejected`` (the row cannot become a valid message: field and rule), ``failed`` (the
platform refused it or could not be reached: error code and reason; a later run sends it again),
``unconfirmed`` (sent without an answer; not resent without the platform's duplicate control).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

#: Object storage reads and writes in blocks of this size (fsspec's default for S3 is 50 MiB a block:
#: a recipients file of up to 50 MiB would be fetched whole, and as much of the results held before
#: the first upload). 5 MiB is the smallest part of an S3 multipart upload.
READ_BLOCK = 2 * 2**20
WRITE_BLOCK = 5 * 2**20


def block_size(path: Any, size: int) -> dict[str, int]:
    """``open()`` arguments for ``path``: a block size for an fsspec path (``ObjectStoragePath``),
    none for a plain ``pathlib.Path``."""
    return {"block_size": size} if hasattr(path, "fs") else {}


ACCEPTED = "accepted"
DUPLICATE = "duplicate"
DUPLICATE_ROW = "duplicate_row"
REJECTED = "rejected"
FAILED = "failed"
UNCONFIRMED = "unconfirmed"
OUTCOMES = (ACCEPTED, DUPLICATE, DUPLICATE_ROW, REJECTED, FAILED, UNCONFIRMED)
#: outcomes that count against ``max_failure_ratio``
FAILURES = (REJECTED, FAILED, UNCONFIRMED)


@dataclass(slots=True)
class RowResult:
    """What became of one input row."""

    row: int
    recipient: str
    outcome: str
    partner_id: str | None = None
    mt_num: str | None = None
    error_code: int | str | None = None
    field: str | None = None
    reason: str | None = None

    def to_json(self) -> str:
        data = {
            "row": self.row,
            "recipient": self.recipient,
            "partner_id": self.partner_id,
            "outcome": self.outcome,
            "mt_num": self.mt_num,
            "error_code": self.error_code,
        }
        if self.field is not None:
            data["field"] = self.field
        if self.reason is not None:
            data["reason"] = self.reason
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Summary:
    """Counts only: what goes to XCom. ``sent``: requests that left in this run."""

    total: int = 0
    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    rejected_fields: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def add(self, result: RowResult) -> None:
        self.total += 1
        self.outcomes[result.outcome] += 1
        if result.error_code is not None:
            self.error_codes[str(result.error_code)] += 1
        if result.outcome == REJECTED and result.field:
            self.rejected_fields[result.field] += 1

    @property
    def duration(self) -> float:
        return max(0.0, (self.finished or time.time()) - self.started)

    def failure_ratio(self) -> float:
        considered = self.total - self.outcomes[DUPLICATE_ROW]
        failures = sum(self.outcomes[o] for o in FAILURES)
        return failures / considered if considered else 0.0

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        duration = self.duration
        return {
            "total": self.total,
            "outcomes": {o: self.outcomes[o] for o in OUTCOMES},
            "error_codes": dict(sorted(self.error_codes.items())),
            "rejected_fields": dict(sorted(self.rejected_fields.items())),
            "sent": self.sent,
            "duration_s": round(duration, 3),
            "rate_per_s": round(self.sent / duration, 1) if duration > 0 else 0.0,
            "failure_ratio": round(self.failure_ratio(), 6),
            **extra,
        }


def merge_summaries(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One summary over several (the shards of one campaign): counts added, duration the longest,
    rate over it, every part's results and report kept in ``parts``."""
    parts = [p for p in parts if p]
    outcomes: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    total = sent = 0
    duration = 0.0
    for part in parts:
        total += int(part.get("total", 0))
        sent += int(part.get("sent", 0))
        outcomes.update(part.get("outcomes") or {})
        codes.update(part.get("error_codes") or {})
        fields.update(part.get("rejected_fields") or {})
        duration = max(duration, float(part.get("duration_s", 0.0)))
    considered = total - outcomes[DUPLICATE_ROW]
    failures = sum(outcomes[o] for o in FAILURES)
    first = parts[0] if parts else {}
    return {
        "campaign": first.get("campaign"),
        "scope": first.get("scope"),
        "total": total,
        "outcomes": {o: outcomes[o] for o in OUTCOMES},
        "error_codes": dict(sorted(codes.items())),
        "rejected_fields": dict(sorted(fields.items())),
        "sent": sent,
        "duration_s": round(duration, 3),
        "rate_per_s": round(sent / duration, 1) if duration > 0 else 0.0,
        "failure_ratio": round(failures / considered, 6) if considered else 0.0,
        "parts": [{k: p.get(k) for k in ("shard", "results_path", "report_path", "total")} for p in parts],
    }


class ResultWriter:
    """Writes one JSON line per row to a text stream and counts it in ``summary``."""

    def __init__(self, stream: IO[str], summary: Summary) -> None:
        self.stream = stream
        self.summary = summary

    def write(self, result: RowResult) -> None:
        self.stream.write(result.to_json() + "\n")
        self.summary.add(result)


class Progress:
    """Calls ``log(message)`` at most every ``interval`` seconds: done / total, rate, ETA.

    ``estimate_total()`` gives the expected number of rows (exact for a list; for a file, rows read
    so far scaled by the share of bytes read), or None when unknown.
    """

    def __init__(
        self, log: Callable[[str], None], estimate_total: Callable[[], int | None], interval: float = 5.0
    ) -> None:
        self.log = log
        self.estimate_total = estimate_total
        self.interval = interval
        self.t0 = time.monotonic()
        self.next_at = self.t0 + interval

    def maybe_log(self, done: int, sent: int) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + self.interval
        self.log(self.line(done, sent, now))

    def line(self, done: int, sent: int, now: float | None = None) -> str:
        elapsed = max(1e-9, (now or time.monotonic()) - self.t0)
        rate = done / elapsed
        total = self.estimate_total()
        if total:
            total = max(total, done)
            eta = (total - done) / rate if rate > 0 else float("inf")
            return (
                f"campaign progress: {done:,} / {total:,} rows ({done / total:.0%}), {sent:,} sent, "
                f"{rate:,.1f} rows/s, ETA {format_seconds(eta)}"
            )
        return f"campaign progress: {done:,} rows, {sent:,} sent, {rate:,.1f} rows/s"


def format_seconds(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown"
    seconds = round(seconds)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m{s:02d}s" if hours else f"{m}m{s:02d}s" if m else f"{s}s"


def counts_table(summary: Mapping[str, Any]) -> str:
    """The final counts as a small text table (outcomes, then error codes and rejected fields)."""
    total = summary.get("total", 0) or 0
    rows = [(o, n) for o, n in (summary.get("outcomes") or {}).items()]
    rows += [(f"error code {c}", n) for c, n in (summary.get("error_codes") or {}).items()]
    rows += [(f"rejected: {f}", n) for f, n in (summary.get("rejected_fields") or {}).items()]
    width = max([len("outcome")] + [len(r) for r, _ in rows])
    lines = [f"{'outcome':<{width}}  {'rows':>9}  {'share':>7}", f"{'-' * width}  {'-' * 9}  {'-' * 7}"]
    for name, n in rows:
        share = f"{n / total:.1%}" if total else "-"
        lines.append(f"{name:<{width}}  {n:>9,}  {share:>7}")
    lines.append(f"{'total':<{width}}  {total:>9,}")
    return "\n".join(lines)
