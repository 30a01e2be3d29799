"""Delivery-status part of ``MessagingHook`` (SPEC §2: pull by batches of mtNums, sync and async)."""

from __future__ import annotations


class StatusMixin:
    """Mixed into ``MessagingHook``; uses its ``settings``, ``credentials``, ``post_json`` and ``log``."""
