"""Standalone receiver: ``python -m airflow_provider_messaging.receiver --host 0.0.0.0 --port 8090``.

For teams that expose the receiver apart from Airflow's api-server. Tokens and limits come from the
Airflow connection ``--conn-id`` (default ``messaging_receiver_default``: an
``AIRFLOW_CONN_MESSAGING_RECEIVER_DEFAULT`` variable or any configured secrets backend), the store
from ``messaging_store_default``. The platform then pushes to
``http://HOST:PORT/<token>/reports`` and ``http://HOST:PORT/<token>/mo``. The access log shows the
path with the token segment replaced by ``***``.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

from airflow_provider_messaging.receiver.settings import DEFAULT_CONN_ID

#: ``/<anything>/reports`` or ``/<anything>/mo`` (a token segment) in a logged path.
_TOKEN_IN_PATH = re.compile(r"/[^/\s?\"]+/(reports|mo)\b")


class TokenPathFilter(logging.Filter):
    """Replace the token segment of ``/<token>/reports`` and ``/<token>/mo`` in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_PATH.sub(r"/***/\1", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub(r"/***/\1", record.msg)
        return True


def app_factory() -> Any:
    """The app for ``uvicorn --factory`` (each worker builds its own; all state is in the store)."""
    from airflow_provider_messaging.receiver.app import create_app

    logging.getLogger("uvicorn.access").addFilter(TokenPathFilter())
    return create_app(conn_id=_conn_id())


def _conn_id() -> str:
    import os

    return os.environ.get("MESSAGING_RECEIVER_CONN_ID", DEFAULT_CONN_ID)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_messaging.receiver",
        description="Serve the messaging receiver (pushed delivery reports and MO messages) with uvicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument(
        "--conn-id", default=DEFAULT_CONN_ID, help=f"connection with the tokens and limits (default {DEFAULT_CONN_ID})"
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Check the settings once (a clear error instead of 503s), then serve until interrupted."""
    import os

    import uvicorn

    from airflow_provider_messaging.receiver.settings import ReceiverSettings

    args = build_parser().parse_args(argv)
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        ReceiverSettings.from_connection(args.conn_id)
    except Exception as exc:
        print(f"error: receiver settings from connection {args.conn_id!r}: {exc}", file=sys.stderr)
        return 2
    os.environ["MESSAGING_RECEIVER_CONN_ID"] = args.conn_id  # read by each worker's app_factory
    print(f"Messaging receiver on http://{args.host}:{args.port} (POST /<token>/reports, /<token>/mo)", flush=True)
    uvicorn.run(
        "airflow_provider_messaging.receiver.__main__:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=not args.no_access_log,
        log_level=args.log_level,
        timeout_keep_alive=30,
        backlog=2048,
        ws="none",  # no websocket routes (and no import of the websockets package, which warns on some versions)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
