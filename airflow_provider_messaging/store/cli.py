"""``python -m airflow_provider_messaging.store``: create or upgrade the tables, apply retention.

    python -m airflow_provider_messaging.store init [--conn-id ID | --url URL]
    python -m airflow_provider_messaging.store retention --older-than DAYS [--dry-run] [--conn-id ID | --url URL]
    python -m airflow_provider_messaging.store version [--conn-id ID | --url URL]

``--url`` names the database directly (no Airflow needed); otherwise the Airflow connection
``--conn-id`` (default ``messaging_store_default``, else the SQLite file under ``$AIRFLOW_HOME``).
Passwords are printed as ``***``. Exit status: 0 done, 1 the store refused (message on stderr),
2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.exc import SQLAlchemyError

from airflow_provider_messaging.store.core import MessageStore
from airflow_provider_messaging.store.errors import StoreError
from airflow_provider_messaging.store.schema import LATEST_VERSION


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m airflow_provider_messaging.store",
        description="The provider's message store: tables and retention.",
    )
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        where = sub.add_mutually_exclusive_group()
        where.add_argument("--conn-id", help="Airflow connection naming the store (default messaging_store_default)")
        where.add_argument("--url", help="SQLAlchemy URL of the store (sqlite:///... or postgresql://...)")
        return sub

    init = command("init", f"create the tables, or upgrade them to schema version {LATEST_VERSION}")
    init.add_argument("--version", type=int, default=LATEST_VERSION, help=argparse.SUPPRESS)
    retention = command("retention", "delete ledger rows, delivery reports and incoming messages older than N days")
    retention.add_argument(
        "--older-than",
        type=float,
        required=True,
        metavar="DAYS",
        help="age in days (by last update; incoming messages by arrival)",
    )
    retention.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    command("version", "print the database's schema version")
    return top


def open_store(args: argparse.Namespace) -> MessageStore:
    if args.url:
        return MessageStore(args.url, create=False)
    from airflow_provider_messaging.store.airflow import resolve_store_url

    return MessageStore(resolve_store_url(args.conn_id), create=False)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        if args.command == "init":
            if not 1 <= args.version <= LATEST_VERSION:
                raise StoreError(f"--version must be between 1 and {LATEST_VERSION}")
            before, after = store.init(args.version)
            state = "already at" if before == after else f"upgraded from {before} to"
            print(f"message store {store.display_url}: schema {state} version {after}")
        elif args.command == "retention":
            if not args.older_than > 0:
                raise StoreError(f"--older-than must be a number of days above 0, got {args.older_than:g}")
            counts = store.purge(args.older_than, dry_run=args.dry_run)
            verb = "would delete" if args.dry_run else "deleted"
            for table, count in counts.items():
                print(f"{table}: {verb} {count} rows older than {args.older_than:g} days")
        else:
            print(
                f"message store {store.display_url}: schema version {store.schema_version()} "
                f"(this provider: {LATEST_VERSION})"
            )
    finally:
        store.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        print(
            f"error: the message store's database refused: {type(cause).__name__}: "
            f"{str(cause).strip().splitlines()[0] if str(cause).strip() else ''}",
            file=sys.stderr,
        )
        return 1
