"""Recipients as a stream of rows: from a list (numbers, or dicts with ``dest_addr`` and personal
fields) or from a binary file (CSV with a header row, or JSON Lines; optionally gzip-compressed).

Nothing here holds the input whole: a file is read line by line through ``csv`` / ``json``, a list
is walked once. A row that cannot be read becomes an ``InputRow`` with a ``problem`` (field, rule)
so the campaign records it as ``rejected`` and goes on.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

#: the recipient's number, in a CSV column or a JSON key (``dest_addr_field`` changes it)
DEST_ADDR_FIELD = "dest_addr"
FORMATS = ("csv", "jsonl")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class InputRow:
    """One row of input: ``number`` counts data rows from 1 (a CSV header is not a row).

    ``fields`` are the recipient's fields as read (``dest_addr`` among them); ``problem`` is
    ``(field, rule)`` when the row itself could not be read.
    """

    number: int
    fields: dict[str, Any]
    problem: tuple[str, str] | None = None

    @property
    def dest_addr(self) -> Any:
        return self.fields.get(DEST_ADDR_FIELD)


def detect_format(name: str, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``: ``fmt`` if given, else from the name (``.csv``, ``.jsonl``/``.ndjson``/
    ``.json``, each optionally followed by ``.gz``)."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise ValueError(f"recipients_format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    lower = name.lower().removesuffix(".gz")
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    raise ValueError(
        f"recipients file {name!r}: cannot tell the format from its name (.csv, .jsonl, optionally "
        ".gz); pass recipients_format='csv' or 'jsonl'"
    )


def _is_gzip(stream: IO[bytes], name: str) -> bool:
    peek = getattr(stream, "peek", None)
    if callable(peek):
        try:
            return bytes(peek(2)[:2]) == _GZIP_MAGIC
        except (OSError, ValueError):
            pass
    return name.lower().endswith(".gz")


def text_lines(stream: IO[bytes], name: str) -> io.TextIOWrapper:
    """The file as UTF-8 text (a leading BOM dropped), gunzipped on the fly when it is gzip."""
    if not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream)  # type: ignore[type-var]
    raw: IO[bytes] = stream
    if _is_gzip(stream, name):
        raw = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _row(number: int, fields: dict[str, Any], dest_field: str) -> InputRow:
    if dest_field != DEST_ADDR_FIELD:
        value = fields.get(dest_field)
        fields = {**fields, DEST_ADDR_FIELD: value} if value is not None else fields
    if fields.get(DEST_ADDR_FIELD) in (None, ""):
        return InputRow(number, fields, (DEST_ADDR_FIELD, f"required: the recipient's number (field {dest_field!r})"))
    return InputRow(number, fields)


def rows_from_items(items: Iterable[Any], dest_field: str = DEST_ADDR_FIELD) -> Iterator[InputRow]:
    """Rows from a list: each item a number (``"79001234567"``, ``79001234567``) or a mapping
    with the number under ``dest_field`` and any personal fields."""
    for number, item in enumerate(items, 1):
        if isinstance(item, Mapping):
            yield _row(number, dict(item), dest_field)
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            yield InputRow(number, {DEST_ADDR_FIELD: str(item)})
        else:
            yield InputRow(
                number,
                {},
                (
                    DEST_ADDR_FIELD,
                    f"a recipient is a number or a mapping with {dest_field!r}, got {type(item).__name__}",
                ),
            )


def rows_from_csv(text: IO[str], dest_field: str = DEST_ADDR_FIELD) -> Iterator[InputRow]:
    """Rows of a CSV file with a header row. An empty cell is an empty string; a cell the row does
    not have is absent (a template that needs it rejects the row, naming the field)."""
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    header = [h.strip() for h in header]
    if dest_field not in header:
        raise ValueError(f"recipients file: the header has no column {dest_field!r} (columns: {', '.join(header)})")
    width = len(header)
    for number, cells in enumerate(reader, 1):
        if not cells:
            continue  # a blank line
        if len(cells) > width:
            yield InputRow(
                number,
                dict(zip(header, cells, strict=False)),
                ("row", f"has {len(cells)} cells, the header has {width} columns"),
            )
            continue
        yield _row(number, dict(zip(header, cells, strict=False)), dest_field)  # a short row lacks fields


def rows_from_jsonl(text: IO[str], dest_field: str = DEST_ADDR_FIELD) -> Iterator[InputRow]:
    """Rows of a JSON Lines file: each line an object (or a bare number string / integer)."""
    number = 0
    for line in text:
        if not line.strip():
            continue
        number += 1
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputRow(number, {}, ("row", f"not valid JSON: {exc.msg} at column {exc.colno}"))
            continue
        if isinstance(item, dict):
            yield _row(number, item, dest_field)
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            yield InputRow(number, {DEST_ADDR_FIELD: str(item)})
        else:
            yield InputRow(number, {}, ("row", f"must be a JSON object or a number, got {type(item).__name__}"))


def rows_from_stream(
    stream: IO[bytes], name: str, fmt: str | None = None, dest_field: str = DEST_ADDR_FIELD
) -> Iterator[InputRow]:
    """Rows of a binary file stream (CSV or JSON Lines, gzip detected by its magic bytes)."""
    kind = detect_format(name, fmt)
    text = text_lines(stream, name)
    reader = rows_from_csv if kind == "csv" else rows_from_jsonl
    yield from reader(text, dest_field)
