"""What identifies a campaign, each of its messages and each shard. Pure functions, no I/O.

* The campaign key is the user's ``campaign_id``, or the DAG id, task id and the run's logical date
  (its run id when it has none). A retry, a clear or a backfill of the same date gives the same key.
* A message's partner id is a digest of the campaign key, the channel and the normalised recipient:
  the same person gets the same id in every try of the campaign, whatever the row order.
* A recipient belongs to shard ``int(sha256(normalised recipient)[:8]) % n``: a stable rule, the
  same for every run and independent of the row's position, so one recipient is always in one shard.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from airflow_provider_messaging.ledger import SCOPE_MAX

_SEP = "\x1f"
#: the longest scope the message store takes


@dataclass(frozen=True)
class CampaignKey:
    """The campaign's identity: ``key`` (hashed into partner ids) and ``scope`` (the ledger's name
    for it, readable)."""

    key: str
    scope: str

    @classmethod
    def of(
        cls,
        *,
        campaign_id: str | None = None,
        dag_id: str = "",
        task_id: str = "",
        run_key: str = "",
        map_index: int | None = None,
    ) -> CampaignKey:
        """``campaign_id`` when given; else DAG, task, logical date or run id (and the map index of
        an instance mapped over something else than ``shard``)."""
        if campaign_id:
            return cls(key=f"id{_SEP}{campaign_id}", scope=scope_for_id(campaign_id))
        parts = [dag_id, task_id, run_key] + ([] if map_index is None or map_index < 0 else [str(map_index)])
        return cls(key=_SEP.join(["run", *parts]), scope=_scope("campaign:" + "/".join(parts)))

    def partner_id(self, channel: str, recipient: str) -> str:
        """The message's partner id: 32 hex digits."""
        raw = _SEP.join((self.key, channel, recipient))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def scope_for_id(campaign_id: str) -> str:
    """The ledger scope of a campaign with a user-given ``campaign_id`` (the operator's and the sensor's)."""
    return _scope(f"campaign:{campaign_id}")


def _scope(name: str) -> str:
    """The ledger's scope names are at most ``SCOPE_MAX`` characters: a longer one keeps its start and a digest."""
    if len(name) <= SCOPE_MAX:
        return name
    return name[: SCOPE_MAX - 17] + "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def shard_of(recipient: str, count: int) -> int:
    """The shard (0 .. count-1) a recipient (normalised, or the raw value of an unreadable row) is in."""
    if count <= 1:
        return 0
    digest = hashlib.sha256(recipient.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def check_shard(shard: object) -> tuple[int, int] | None:
    """``(k, n)`` with ``0 <= k < n``, or None; anything else is refused naming the rule."""
    if shard is None:
        return None
    if (
        isinstance(shard, (list, tuple))
        and len(shard) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in shard)
    ):
        k, n = shard
        if n >= 1 and 0 <= k < n:
            return int(k), int(n)
    raise ValueError(f"shard must be (k, n) with 0 <= k < n (the k-th of n slices), got {shard!r}")


def campaign_shards(n: int) -> list[tuple[int, int]]:
    """``[(0, n), ..., (n-1, n)]``: what to map a campaign over so ``n`` workers share it::

        SendCampaignOperator.partial(task_id="notify", ...).expand(shard=campaign_shards(8))

    Each instance takes the recipients whose number hashes to its slice (``shard_of``: the same
    recipient is always in the same slice), writes its own results and report, and records its sends
    in the campaign's one ledger; ``summarize_campaign`` adds the parts up.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"campaign_shards(n): n must be a whole number >= 1, got {n!r}")
    return [(k, n) for k in range(n)]
