"""Reading recipients as a stream: lists, CSV and JSON Lines files, gzip, unreadable rows."""

from __future__ import annotations

import gzip
import io
import json

import pytest

from airflow_provider_messaging.campaign.recipients import (
    detect_format,
    rows_from_items,
    rows_from_stream,
)


def test_a_list_of_numbers_and_mappings():
    rows = list(rows_from_items(["79000000001", 79000000002, {"dest_addr": "79000000003", "name": "Ann"}, {"x": 1},
                                None]))
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1].fields == {"dest_addr": "79000000002"} and rows[1].problem is None
    assert rows[2].fields == {"dest_addr": "79000000003", "name": "Ann"}
    assert rows[3].problem[0] == "dest_addr" and "required" in rows[3].problem[1]
    assert rows[4].problem == ("dest_addr", "a recipient is a number or a mapping with 'dest_addr', got NoneType")


def test_csv_with_header_bom_blank_lines_and_a_short_row():
    data = "\ufeffdest_addr,first_name\r\n79000000001,Ann\r\n\r\n79000000002\r\n79000000003,Bo,extra\r\n"
    rows = list(rows_from_stream(io.BytesIO(data.encode()), "list.csv"))
    assert [r.fields for r in rows[:2]] == [{"dest_addr": "79000000001", "first_name": "Ann"},
                                            {"dest_addr": "79000000002"}]  # the missing cell is absent
    assert rows[2].problem == ("row", "has 3 cells, the header has 2 columns")


def test_gzip_is_detected_by_its_bytes_and_jsonl_rows_are_objects_or_numbers():
    lines = [json.dumps({"phone": "79000000001", "n": 1}), "79000000002", "{not json", "[1]", ""]
    blob = gzip.compress("\n".join(lines).encode())
    rows = list(rows_from_stream(io.BytesIO(blob), "export.jsonl", dest_field="phone"))
    assert rows[0].fields == {"phone": "79000000001", "n": 1, "dest_addr": "79000000001"}
    assert rows[1].fields == {"dest_addr": "79000000002"}
    assert rows[2].problem[0] == "row" and rows[2].problem[1].startswith("not valid JSON")
    assert rows[3].problem == ("row", "must be a JSON object or a number, got list")
    assert len(rows) == 4


def test_the_format_comes_from_the_name_or_is_given():
    assert detect_format("s3://bucket/a.CSV.gz") == "csv"
    assert detect_format("x.ndjson") == "jsonl"
    assert detect_format("x.txt", "CSV") == "csv"
    with pytest.raises(ValueError, match="recipients_format='csv' or 'jsonl'"):
        detect_format("x.txt")


def test_a_csv_without_the_number_column_is_refused_naming_it():
    with pytest.raises(ValueError, match="no column 'dest_addr'"):
        list(rows_from_stream(io.BytesIO(b"phone,name\n1,2\n"), "a.csv"))


def test_rows_are_read_lazily():
    stream = io.BytesIO(("dest_addr\n" + "79000000001\n" * 100_000).encode())
    rows = rows_from_stream(stream, "big.csv")
    next(rows)
    assert stream.tell() < 100_000  # only the first chunk was read
