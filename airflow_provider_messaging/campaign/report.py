"""A small self-contained HTML report of a campaign summary: counts by outcome and by error code as
bar charts (inline SVG and CSS, no script, no external asset)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from airflow_provider_messaging.models.codes import SEND_ERRORS

_COLOURS = {
    "accepted": "#2e7d32",
    "duplicate": "#66bb6a",
    "duplicate_row": "#9e9e9e",
    "rejected": "#ef6c00",
    "failed": "#c62828",
    "unconfirmed": "#6a1b9a",
}
_BAR_WIDTH = 420
_ROW_HEIGHT = 26


def _bars(rows: list[tuple[str, int, str]], total: int) -> str:
    if not rows:
        return "<p class=none>none</p>"
    top = max(n for _, n, _ in rows) or 1
    label_w = 170
    height = _ROW_HEIGHT * len(rows) + 4
    parts = [
        f'<svg role="img" width="{label_w + _BAR_WIDTH + 140}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, n, colour) in enumerate(rows):
        y = i * _ROW_HEIGHT + 2
        w = max(1, round(_BAR_WIDTH * n / top)) if n else 0
        share = f"{n / total:.1%}" if total else ""
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{_ROW_HEIGHT - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {n:,}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 17}">{n:,} {share}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_report(summary: Mapping[str, Any], title: str = "Campaign report") -> str:
    """The report as one HTML document."""
    total = int(summary.get("total", 0) or 0)
    outcomes = summary.get("outcomes") or {}
    outcome_rows = [(o, int(n), _COLOURS.get(o, "#546e7a")) for o, n in outcomes.items()]
    code_rows = []
    for code, n in (summary.get("error_codes") or {}).items():
        known = SEND_ERRORS.get(int(code)) if str(code).isdigit() else None
        label = f"{code} {known.description}" if known else f"{code}"
        code_rows.append((label[:28], int(n), "#c62828"))
    field_rows = [(f[:28], int(n), "#ef6c00") for f, n in (summary.get("rejected_fields") or {}).items()]
    facts = [
        ("campaign", summary.get("campaign")),
        ("shard", summary.get("shard")),
        ("rows", f"{total:,}"),
        ("sent in this run", f"{int(summary.get('sent', 0) or 0):,}"),
        ("duration", f"{summary.get('duration_s', 0)} s"),
        ("rate", f"{summary.get('rate_per_s', 0)} messages/s"),
        ("failure ratio", summary.get("failure_ratio")),
        ("results", summary.get("results_path")),
    ]
    facts_html = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts if v is not None)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #212121; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.1em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; }} th {{ text-align: left; padding: 2px 16px 2px 0; color: #616161; }}
svg text {{ font: 13px system-ui, sans-serif; fill: #212121; }} .none {{ color: #9e9e9e; }}
</style></head>
<body>
<h1>{escape(title)}</h1>
<table>{facts_html}</table>
<h2>Outcomes</h2>
{_bars(outcome_rows, total)}
<h2>Error codes</h2>
{_bars(code_rows, total)}
<h2>Rejected rows by field</h2>
{_bars(field_rows, total)}
</body></html>
"""
