"""Delivery reports per second into PostgreSQL through the standalone receiver, next to the raw insert
rate of the same database, in one run.

Starts a private PostgreSQL cluster (devtools/postgres.py) and ``python -m
airflow_provider_messaging.receiver --workers W`` on loopback, then posts N distinct reports (one
report per request, then arrays of B) with an asyncio client keeping C requests in flight. Prints:

- receiver: reports/s, one report per request (each request = one committed transaction);
- receiver: reports/s, arrays of B per request;
- raw: rows/s of plain psycopg2 inserts of the same rows into the same table, one row per committed
  transaction, on as many connections as the receiver has workers (what the receiver could reach if
  HTTP, JSON and validation cost nothing), and in batches of B.

    .venv/bin/python benchmarks/receiver.py [N] [WORKERS] [CONCURRENCY] [BATCH]

Target (issue 11): at least 1,000 reports/s with one report per request on 2 cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def post_all(url: str, bodies: list[bytes], concurrency: int) -> float:
    """Seconds to POST every body with ``concurrency`` requests in flight (a lean asyncio client)."""
    from tests.helpers.receiver import post_bodies

    started = time.perf_counter()
    asyncio.run(post_bodies(url, bodies, concurrency))
    return time.perf_counter() - started


def report(n: int, prefix: str) -> dict:
    return {
        "mtNum": f"{prefix}{n:09d}",
        "id": f"bench-{n}",
        "status": 2,
        "errorCode": 0,
        "doneDate": "2022-06-22T10:22:45+0300",
    }


def raw_inserts(dsn: str, rows: list[dict], connections: int, batch: int) -> float:
    """Insert ``rows`` into a copy of the reports table with psycopg2: ``batch`` rows per transaction,
    spread over ``connections`` threads; returns seconds."""
    import psycopg2
    import psycopg2.extras

    setup = psycopg2.connect(dsn)
    setup.autocommit = True
    with setup.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw_reports")
        cur.execute("CREATE TABLE bench_raw_reports (LIKE messaging_delivery_reports INCLUDING ALL)")
    setup.close()
    sql = (
        "INSERT INTO bench_raw_reports (mt_num, partner_id, status, error_code, final, done_date, extra, "
        "received_at, updated_at) VALUES %s ON CONFLICT (mt_num) DO NOTHING"
    )
    chunks = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    lock = threading.Lock()

    def work() -> None:
        conn = psycopg2.connect(dsn)
        with conn.cursor() as cur:
            while True:
                with lock:
                    if not chunks:
                        break
                    chunk = chunks.pop()
                values = [
                    (r["mtNum"], r["id"], r["status"], r["errorCode"], True, r["doneDate"], "{}", "now()", "now()")
                    for r in chunk
                ]
                psycopg2.extras.execute_values(cur, sql, values)
                conn.commit()
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    sys.path.insert(0, str(ROOT))
    from tests.helpers.receiver import TOKEN, ReceiverProcess, receiver_env, start_postgres

    folder = Path(tempfile.mkdtemp(prefix="messaging-bench-pg-"))
    cluster = start_postgres(folder)
    try:
        url = cluster.create_database("receiver_bench")
        from airflow_provider_messaging.store import MessageStore

        store = MessageStore(url)
        store.init()
        receiver = ReceiverProcess(receiver_env(url), workers=workers).start()
        try:
            endpoint = f"{receiver.url}/{TOKEN}/reports"
            post_all(endpoint, [json.dumps(report(n, "w")).encode() for n in range(500)], concurrency)
            singles = [json.dumps(report(n, "s")).encode() for n in range(total)]
            single_s = post_all(endpoint, singles, concurrency)
            arrays = [
                json.dumps([report(n, "a") for n in range(i, min(i + batch, total))]).encode()
                for i in range(0, total, batch)
            ]
            array_s = post_all(endpoint, arrays, max(1, min(concurrency, workers * 4)))
        finally:
            receiver.stop()
        with store.engine.connect() as conn:
            from sqlalchemy import text

            stored = conn.execute(text("SELECT count(*) FROM messaging_delivery_reports")).scalar_one()
        store.dispose()
        rows = [report(n, "r") for n in range(total)]
        dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=receiver_bench"
        raw_single_s = raw_inserts(dsn, rows, workers, 1)
        raw_batch_s = raw_inserts(dsn, rows, workers, batch)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    expected = 500 + 2 * total
    print(
        f"PostgreSQL {cluster.bin.parent.name}, {os.cpu_count()} cores; receiver: {workers} uvicorn worker(s), "
        f"{concurrency} requests in flight; {total} reports per run; rows stored {stored} (expected {expected})"
    )
    print(f"receiver, 1 report per request   : {total / single_s:8.0f} reports/s  (target >= 1000)")
    print(f"receiver, {batch} reports per request: {total / array_s:8.0f} reports/s")
    print(f"raw psycopg2, 1 row per commit   : {total / raw_single_s:8.0f} rows/s  ({workers} connections)")
    print(f"raw psycopg2, {batch} rows per commit : {total / raw_batch_s:8.0f} rows/s  ({workers} connections)")
    print(f"receiver / raw (1 per commit)    : {raw_single_s / single_s:8.2f}")
    return 0 if stored == expected else 1


if __name__ == "__main__":
    sys.exit(main())
