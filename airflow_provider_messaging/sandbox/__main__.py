"""Command line: ``python -m airflow_provider_messaging.sandbox --port 8085``.

Prints the Airflow connection URI and a line to paste into a shell as it is
(``export AIRFLOW_CONN_MESSAGING_DEFAULT='...'``), then serves until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence

from airflow_provider_messaging.sandbox.server import Sandbox
from airflow_provider_messaging.sandbox.state import DEDUP_MODES, OUTCOMES


def _outcome(value: str) -> tuple[str, str]:
    pattern, sep, outcome = value.partition("=")
    if not sep or not pattern or not outcome:
        raise argparse.ArgumentTypeError(f"expected PATTERN=OUTCOME, got {value!r}")
    return pattern, outcome


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_messaging.sandbox",
        description="Run the messaging platform sandbox on 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8085, help="port (0: pick a free one; default 8085)")
    parser.add_argument("--login", default="sandbox")
    parser.add_argument("--password", default="sandbox-secret")
    parser.add_argument("--api-key", default="sandbox-api-key")
    parser.add_argument("--dedup", choices=DEDUP_MODES, default="on")
    parser.add_argument("--delivery-delay", type=float, default=0.2, help="seconds until the final status")
    parser.add_argument(
        "--outcome",
        action="append",
        type=_outcome,
        default=[],
        metavar="PATTERN=OUTCOME",
        help=f"outcome rule, repeatable; OUTCOME in: {', '.join(OUTCOMES)}",
    )
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second on the send path")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--mo-url", default=None, help="where MO messages are pushed")
    parser.add_argument("--allowed-ip", action="append", default=None, help="IP allow-list entry, repeatable")
    parser.add_argument("--viber-sessions", action="store_true", help="the account uses Viber sessions")
    parser.add_argument("--send-path", default="/send")
    parser.add_argument("--status-path", default="/status")
    parser.add_argument("--templates-path", default="/api/message-matchers")
    parser.add_argument(
        "--report-retries",
        type=int,
        default=3,
        help="retries of a push (report or MO) the receiver did not answer with 2xx (default 3)",
    )
    parser.add_argument(
        "--report-backoff",
        type=float,
        default=0.05,
        help="first wait before retrying a push, doubled at each retry (default 0.05 s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox, print how to connect, serve until interrupted."""
    args = build_parser().parse_args(argv)
    try:
        sandbox = Sandbox(
            login=args.login,
            password=args.password,
            api_key=args.api_key,
            dedup=args.dedup,
            delivery_delay=args.delivery_delay,
            outcomes=dict(args.outcome),
            allowed_ips=args.allowed_ip,
            rate_limit=args.rate_limit,
            latency=args.latency,
            mo_url=args.mo_url,
            send_path=args.send_path,
            status_path=args.status_path,
            templates_path=args.templates_path,
            viber_sessions=args.viber_sessions,
            host=args.host,
            port=args.port,
            report_retries=args.report_retries,
            report_backoff=args.report_backoff,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sandbox:
        name, value = sandbox.env_var()
        print(f"Messaging sandbox listening on {sandbox.url}")
        print(f"Connection URI: {sandbox.connection_uri}")
        print(f"export {name}={shlex.quote(value)}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
