"""Templates part of ``MessagingHook`` (SPEC §4, the ``message-matchers`` method)."""

from __future__ import annotations


class TemplatesMixin:
    """Mixed into ``MessagingHook``; uses its ``settings``, ``post_json`` and ``log``."""
