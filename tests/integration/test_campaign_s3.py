"""SendCampaignOperator with its recipients and its results on S3, in a real DAG run (dag.test())
against the sandbox.

The S3 peer is real HTTP: moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1, reached through
s3fs (the fsspec S3 filesystem that Airflow's ``ObjectStoragePath`` uses for ``s3://``), attached to
Airflow's object storage as protocol ``s3`` with the connection id ``s3_test``, so that
``s3://s3_test@<bucket>/...`` resolves to it. What the test reads back, it reads from the bucket
with s3fs directly, not through the operator's own paths.
"""

from __future__ import annotations

import gzip
import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.helpers.airflow import task_states, xcom_values

DAGS = "tests/integration/dags/campaign_dags.py"
CONN_ID = "s3_test"
#: Airflow's key for a store attached with a protocol and a connection id (``airflow.sdk.io.store.attach``)
STORE_ALIAS = f"s3-{CONN_ID}"

GOOD = ["79001120001", "79001120002", "79001120004"]
RECIPIENTS = [
    {"dest_addr": GOOD[0], "name": "Ann"},
    {"dest_addr": GOOD[1], "name": "Bo"},
    {"dest_addr": "12345", "name": "Short"},  # not a number the platform takes: rejected, naming the rule
    {"dest_addr": GOOD[2], "name": "Cy"},
]


@pytest.fixture
def s3_bucket():
    """A new bucket on a local S3 server, attached to Airflow's object storage as ``s3://s3_test@``;
    yields ``(s3fs filesystem, bucket name)``. The store is detached and the server stopped afterwards."""
    import s3fs
    from airflow.sdk.io import attach
    from airflow.sdk.io.store import _STORE_CACHE
    from moto.server import ThreadedMotoServer

    # attach() hands back a store already attached under the alias, whatever fs it is given: set one
    # aside. Parsing tests/integration/dags/campaign_dags.py attaches one (without a filesystem yet)
    # where ObjectStoragePath() attaches its store when it is made, as on Airflow 3.3.
    previous = _STORE_CACHE.pop(STORE_ALIAS, None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        # any credentials do for moto; a region other than us-east-1, where s3fs's CreateBucket
        # sends a LocationConstraint that S3 refuses for us-east-1
        fs = s3fs.S3FileSystem(
            key="testing", secret="testing", endpoint_url=endpoint, client_kwargs={"region_name": "eu-west-1"},
            skip_instance_cache=True, use_listings_cache=False,
        )
        bucket = f"campaigns-{uuid.uuid4().hex[:8]}"
        fs.mkdir(bucket)
        assert attach(protocol="s3", conn_id=CONN_ID, fs=fs).fs is fs
        yield fs, bucket
    finally:
        # Airflow has no public detach: the attached stores are a module-level dict keyed by alias
        _STORE_CACHE.pop(STORE_ALIAS, None)
        if previous is not None:
            _STORE_CACHE[STORE_ALIAS] = previous
        try:  # moto keeps its buckets in process-wide state, which outlives the server: forget them
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
        finally:
            server.stop()


def csv(rows: list[dict]) -> bytes:
    lines = ["dest_addr,name"] + [f"{r['dest_addr']},{r['name']}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def csv_gz(rows: list[dict]) -> bytes:
    return gzip.compress(csv(rows))


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.mark.parametrize(
    ("dag_id", "input_key", "encode", "results_name", "report_name"),
    [
        # URIs; a gzip-compressed CSV; the default names: report.html beside results.jsonl
        ("campaign_object_storage", "in/recipients.csv.gz", csv_gz, "results.jsonl", "report.html"),
        # URIs; JSON Lines, plain; another results name: the report is <stem>.report.html
        ("campaign_object_storage", "in/recipients.jsonl", jsonl, "sent.jsonl", "sent.report.html"),
        # ObjectStoragePath arguments (templated paths); a plain CSV
        ("campaign_object_storage_paths", "in/recipients.csv", csv, "results.jsonl", "report.html"),
    ],
    ids=["uri-csv-gzip", "uri-jsonl", "objectstoragepath-csv"],
)
def test_recipients_and_results_on_s3(load_dag, messaging_sandbox, s3_bucket, dag_id, input_key, encode,
                                      results_name, report_name):
    fs, bucket = s3_bucket
    data = encode(RECIPIENTS)
    fs.pipe(f"{bucket}/{input_key}", data)
    if input_key.endswith(".gz"):
        assert data[:2] == b"\x1f\x8b"  # really gzip on S3, not only named so
    recipients = f"s3://{CONN_ID}@{bucket}/{input_key}"
    results = f"s3://{CONN_ID}@{bucket}/out/{results_name}"
    if dag_id == "campaign_object_storage":
        conf = {"recipients": recipients, "results_path": results}
    else:
        conf = {"bucket": bucket, "input": input_key, "results": results_name}

    run = load_dag(DAGS, dag_id).test(run_conf=conf)

    tracked = dag_id == "campaign_object_storage"  # that DAG also tracks delivery: statuses.jsonl beside
    assert task_states(run) == ({"send": "success", "track": "success"} if tracked else {"send": "success"})
    summary = xcom_values(run, "send")[-1]
    # the summary names the S3 objects with the connection id, as they were given
    assert summary["results_path"] == results
    assert summary["report_path"] == f"s3://{CONN_ID}@{bucket}/out/{report_name}"
    assert summary["total"] == 4 and summary["sent"] == 3
    assert summary["outcomes"] == {"accepted": 3, "duplicate": 0, "duplicate_row": 0, "rejected": 1, "failed": 0,
                                   "unconfirmed": 0}
    assert summary["rejected_fields"] == {"destAddr": 1}

    # the results, read back from the bucket: one line per input row
    lines = fs.cat(f"{bucket}/out/{results_name}").decode().splitlines()
    rows = {r["row"]: r for r in map(json.loads, lines)}
    assert len(lines) == len(rows) == len(RECIPIENTS)
    assert {n: r["outcome"] for n, r in rows.items()} == {1: "accepted", 2: "accepted", 3: "rejected", 4: "accepted"}
    assert all(rows[n]["mt_num"] and rows[n]["partner_id"] for n in (1, 2, 4))
    assert rows[3]["field"] == "destAddr" and "10 to 15 digits" in rows[3]["reason"]
    assert rows[3]["mt_num"] is None
    assert "<svg" in fs.cat(f"{bucket}/out/{report_name}").decode()
    written = [input_key, f"out/{results_name}", f"out/{report_name}"]
    if tracked:
        delivery = xcom_values(run, "track")[-1]
        assert delivery["statuses_path"] == f"s3://{CONN_ID}@{bucket}/out/statuses.jsonl"
        statuses = [json.loads(line) for line in fs.cat(f"{bucket}/out/statuses.jsonl").decode().splitlines()]
        assert sorted(s["mt_num"] for s in statuses) == sorted(rows[n]["mt_num"] for n in (1, 2, 4))
        assert sum(delivery["outcomes"].values()) == 3
        written.append("out/statuses.jsonl")
    # nothing else was written to the bucket
    assert sorted(fs.find(bucket)) == sorted(f"{bucket}/{key}" for key in written)
    # ... nor to the local default folder
    local_default = Path(os.environ["AIRFLOW_HOME"], "messaging", "campaigns", f"dag_id={dag_id}")
    assert not local_default.exists()

    # the platform got each good recipient exactly once, personalised
    assert sorted(m.dest_addr for m in messaging_sandbox.messages) == GOOD
    texts = {m.dest_addr: m.body["message"]["data"]["instantContent"]["data"]["text"]
             for m in messaging_sandbox.messages}
    assert texts == {GOOD[0]: "Hello Ann", GOOD[1]: "Hello Bo", GOOD[2]: "Hello Cy"}
