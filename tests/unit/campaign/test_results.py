"""Results lines, the summary (counts only), merging shard summaries, progress and the report."""

from __future__ import annotations

import io
import json
import re

from airflow_provider_messaging.campaign import results as r
from airflow_provider_messaging.campaign.report import render_report


def write_some() -> tuple[str, dict]:
    out = io.StringIO()
    summary = r.Summary()
    w = r.ResultWriter(out, summary)
    w.write(r.RowResult(1, "79000000001", r.ACCEPTED, partner_id="p1", mt_num="100"))
    w.write(r.RowResult(2, "79000000001", r.DUPLICATE_ROW, partner_id="p1"))
    w.write(r.RowResult(3, "12", r.REJECTED, field="destAddr", reason="must be 10 to 15 digits"))
    w.write(r.RowResult(4, "79000000004", r.FAILED, partner_id="p4", error_code=8, reason="destAddr is not correct"))
    summary.sent = 2
    return out.getvalue(), summary.as_dict(results_path="file:///r.jsonl")


def test_one_json_line_per_row_and_a_summary_of_counts():
    text, summary = write_some()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["outcome"] for line in lines] == ["accepted", "duplicate_row", "rejected", "failed"]
    assert lines[2] == {"row": 3, "recipient": "12", "partner_id": None, "outcome": "rejected", "mt_num": None,
                        "error_code": None, "field": "destAddr", "reason": "must be 10 to 15 digits"}
    assert summary["total"] == 4 and summary["outcomes"]["accepted"] == 1 and summary["error_codes"] == {"8": 1}
    assert summary["rejected_fields"] == {"destAddr": 1}
    assert summary["failure_ratio"] == round(2 / 3, 6)  # duplicate rows do not count
    assert "79000000001" not in json.dumps(summary)  # no recipient in the summary


def test_shard_summaries_merge():
    _, a = write_some()
    _, b = write_some()
    a["shard"], b["shard"] = [0, 2], [1, 2]
    merged = r.merge_summaries([a, b])
    assert merged["total"] == 8 and merged["outcomes"]["failed"] == 2 and merged["error_codes"] == {"8": 2}
    assert [p["shard"] for p in merged["parts"]] == [[0, 2], [1, 2]]


def test_progress_lines_and_the_counts_table():
    lines: list[str] = []
    p = r.Progress(lines.append, lambda: 1000, interval=0.0)
    p.maybe_log(250, 240)
    assert re.match(r"campaign progress: 250 / 1,000 rows \(25%\), 240 sent, [\d,.]+ rows/s, ETA \d", lines[0])
    _, summary = write_some()
    table = r.counts_table(summary)
    assert "accepted" in table and "error code 8" in table and "rejected: destAddr" in table


def test_the_report_is_self_contained_html_with_bars():
    _, summary = write_some()
    html = render_report(summary)
    assert html.startswith("<!doctype html>") and "<svg" in html and "8 destAddr is not correct" in html
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)  # no external asset
    assert "<script" not in html


def test_object_storage_files_are_opened_with_small_blocks_plain_paths_as_they_are(tmp_path):
    """fsspec's S3 default is 50 MiB a block: a recipients file of that size would be fetched whole."""
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

    on_storage = ObjectStoragePath(f"file://{tmp_path}/recipients.csv")
    on_storage.write_text("dest_addr\n79001234567\n")
    assert r.block_size(on_storage, r.READ_BLOCK) == {"block_size": 2 * 2**20}
    assert r.block_size(Path(tmp_path), r.WRITE_BLOCK) == {}
    with on_storage.open("rb", **r.block_size(on_storage, r.READ_BLOCK)) as f:  # local files accept it too
        assert f.read() == b"dest_addr\n79001234567\n"
    assert r.WRITE_BLOCK >= 5 * 2**20  # the smallest part of an S3 multipart upload
