"""The sandbox CLI's push retry options reach the sandbox (the receiver's restart tests rely on them)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_messaging.sandbox import __main__ as cli


def test_report_retries_and_backoff_are_passed_to_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def capture(**kwargs: Any) -> None:
        seen.update(kwargs)
        raise ValueError("captured")

    monkeypatch.setattr(cli, "Sandbox", capture)
    assert cli.main(["--port", "0", "--report-retries", "9", "--report-backoff", "0.5"]) == 2
    assert (seen["report_retries"], seen["report_backoff"]) == (9, 0.5)
    args = cli.build_parser().parse_args([])
    assert (args.report_retries, args.report_backoff) == (3, 0.05)  # the Sandbox class's own defaults
