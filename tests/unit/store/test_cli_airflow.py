"""The store's command line, its URLs, and the Airflow layer (connection, default SQLite file, masking)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from airflow_provider_messaging.store import MessageStore, UnsupportedDatabaseError
from airflow_provider_messaging.store.cli import main as cli_main
from airflow_provider_messaging.store.schema import send_ledger
from airflow_provider_messaging.store.urls import async_url, display_url, sync_url

PASSWORD = "Sup3r-Secret-pw"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "airflow_provider_messaging.store", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def test_cli_init_and_retention(store_url: str, capsys) -> None:
    url = with_password(store_url)
    done = cli("init", "--url", url)
    assert done.returncode == 0, done.stderr
    assert "schema upgraded from 0 to version 2" in done.stdout
    store = MessageStore(url)
    store.ledger().mark_accepted("p", "m")
    store.ledger().mark_accepted("recent", "m2")
    with store.engine.begin() as conn:
        conn.execute(update(send_ledger).where(send_ledger.c.partner_id == "p")
                     .values(updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)))
    store.dispose()
    assert cli_main(["retention", "--older-than", "1.5", "--dry-run", "--url", url]) == 0
    dry = capsys.readouterr().out
    assert "messaging_send_ledger: would delete 1 rows older than 1.5 days" in dry
    done = cli("retention", "--older-than", "1.5", "--url", url)
    assert done.returncode == 0, done.stderr
    assert "messaging_send_ledger: deleted 1 rows" in done.stdout
    assert "messaging_incoming_messages: deleted 0 rows" in done.stdout
    assert cli_main(["version", "--url", url]) == 0
    version = capsys.readouterr().out
    assert "schema version 2 (this provider: 2)" in version
    for out in (dry, done.stdout + done.stderr, version):
        assert PASSWORD not in out
    assert [e.partner_id for e in MessageStore(url).iterate_ledger("send")] == ["recent"]
    if "postgresql" in url:
        assert "postgres:***@" in version


def test_cli_errors(capsys, tmp_path) -> None:
    assert cli_main(["init", "--url", f"mysql://user:{PASSWORD}@host/db"]) == 1
    err = capsys.readouterr().err
    assert "runs on SQLite or PostgreSQL; the URL names 'mysql'" in err and PASSWORD not in err
    assert cli_main(["version", "--url", f"postgresql://user:{PASSWORD}@127.0.0.1:1/db"]) == 1
    err = capsys.readouterr().err
    assert "the message store's database refused: OperationalError" in err and PASSWORD not in err
    with pytest.raises(SystemExit) as usage:
        cli_main(["retention", "--url", "sqlite:////tmp/x.db"])  # --older-than is required
    assert usage.value.code == 2
    assert cli_main(["retention", "--older-than", "0", "--url", "sqlite:////tmp/never-created/x.db"]) == 1
    assert "--older-than must be a number of days above 0" in capsys.readouterr().err
    # retention does not create tables: an empty database is reported, not changed
    assert cli_main(["retention", "--older-than", "3", "--url", f"sqlite:///{tmp_path / 'empty.db'}"]) == 1
    assert "is at schema version 0, this provider needs 2: run python -m" in capsys.readouterr().err


def test_urls() -> None:
    assert str(sync_url("postgresql://u@h/db")) == "postgresql+psycopg2://u@h/db"
    assert str(async_url("postgres://u@h/db?sslmode=require")) == "postgresql+asyncpg://u@h/db?ssl=require"
    assert str(sync_url("postgresql+asyncpg://u@h/db?ssl=require")) == "postgresql+psycopg2://u@h/db?sslmode=require"
    assert str(async_url("postgresql+psycopg://u@h/db")) == "postgresql+psycopg://u@h/db"
    assert str(async_url("sqlite:////a/b.db")) == "sqlite+aiosqlite:////a/b.db"
    assert str(sync_url("sqlite+aiosqlite:////a/b.db")) == "sqlite+pysqlite:////a/b.db"
    assert display_url(f"postgresql://u:{PASSWORD}@h/db") == "postgresql://u:***@h/db"
    assert PASSWORD not in repr(MessageStore(f"postgresql://u:{PASSWORD}@h/db"))
    with pytest.raises(UnsupportedDatabaseError, match="in-memory SQLite database cannot be shared"):
        MessageStore("sqlite://")
    with pytest.raises(UnsupportedDatabaseError, match="does not know the postgresql driver 'pg8000'"):
        MessageStore(f"postgresql+pg8000://u:{PASSWORD}@h/db")
    with pytest.raises(UnsupportedDatabaseError, match="not a valid SQLAlchemy URL") as err:
        MessageStore(f"::{PASSWORD}")
    assert PASSWORD not in str(err.value)


def test_password_never_shown(postgres, capfd) -> None:
    """Debug logging of a store with a password, and a connection error: the password appears nowhere."""
    url = postgres.new_database(password=PASSWORD)
    # to the process's stderr (pytest's own log capture would keep the records from capfd)
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(handler)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    logging.getLogger("airflow_provider_messaging").setLevel(logging.DEBUG)
    try:
        store = MessageStore(url)
        store.ledger().mark_accepted("p", "m")
        logging.getLogger("test").warning("store: %s %r", store.display_url, store)

        async def main() -> None:
            try:
                await store.aget_cursor("x")
            finally:
                await store.aclose()

        asyncio.run(main())
        store.dispose()
        wrong_port = MessageStore(url.rsplit(":", 1)[0] + ":1/db")
        with pytest.raises(OperationalError) as err:
            wrong_port.get_cursor("x")
        assert PASSWORD not in str(err.value) and PASSWORD not in repr(err.value)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        logging.getLogger().removeHandler(handler)
    out, errout = capfd.readouterr()
    assert "postgres:***@" in out + errout
    assert PASSWORD not in out + errout


# --- the Airflow layer ------------------------------------------------------------------------------------


def test_connection_resolves_the_store(postgres, monkeypatch, capfd, caplog) -> None:
    from airflow_provider_messaging.compat import redact
    from airflow_provider_messaging.store import airflow as store_airflow

    url = postgres.new_database(password=PASSWORD)
    monkeypatch.setenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", url)
    resolved = store_airflow.resolve_store_url()
    assert resolved.drivername == "postgresql" and resolved.password == PASSWORD
    assert redact(f"dsn {url}") == "dsn ***" and PASSWORD not in redact(f"pw={PASSWORD}")
    store = store_airflow.get_store()
    assert store is store_airflow.get_store()  # one store per process and database
    store_airflow.get_ledger("c9").mark_accepted("p", "m")
    assert store.ledger("c9").get("p").mt_num == "m"

    async def main() -> str | None:
        s = await store_airflow.aget_store()
        try:
            return (await s.ledger("c9").aget("p")).mt_num
        finally:
            await s.aclose()

    assert asyncio.run(main()) == "m"
    store.dispose()
    # an extra "url" wins; a sqlite connection names its file
    monkeypatch.setenv("AIRFLOW_CONN_OTHER_STORE",
                       '{"conn_type": "generic", "extra": {"url": "sqlite:////srv/store.db"}}')
    assert str(store_airflow.resolve_store_url("other_store")) == "sqlite:////srv/store.db"
    monkeypatch.setenv("AIRFLOW_CONN_LITE_STORE", "sqlite:////srv/lite.db")
    assert str(store_airflow.resolve_store_url("lite_store")) == "sqlite:////srv/lite.db"
    monkeypatch.setenv("AIRFLOW_CONN_HTTP_STORE", "http://example.com")
    with pytest.raises(UnsupportedDatabaseError, match="connection 'http_store' .* names no database"):
        store_airflow.resolve_store_url("http_store")
    from airflow_provider_messaging.compat import AirflowNotFoundException

    with pytest.raises(AirflowNotFoundException):
        store_airflow.resolve_store_url("no_such_store")
    out, errout = capfd.readouterr()
    assert PASSWORD not in out + errout + caplog.text
    assert "Message store: postgresql://postgres:***@" in caplog.text


def test_default_is_sqlite_under_airflow_home(tmp_path, monkeypatch, caplog) -> None:
    from airflow_provider_messaging.store import airflow as store_airflow

    monkeypatch.delenv("AIRFLOW_CONN_MESSAGING_STORE_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    url = store_airflow.resolve_store_url()
    assert url.database == str(tmp_path / "messaging_store.db")
    assert "do not share it" not in caplog.text
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor,airflow.providers.celery.executors."
                                                  "celery_executor.CeleryExecutor")
    store = store_airflow.get_store()
    assert "the executor CeleryExecutor runs tasks on other machines, which do not share it" in caplog.text
    store.ledger().mark_in_flight("p")
    assert (tmp_path / "messaging_store.db").exists()
    store.dispose()


def test_cli_with_an_airflow_connection(tmp_path, capsys) -> None:
    db = tmp_path / "from-conn.db"
    os.environ["AIRFLOW_CONN_MESSAGING_STORE_DEFAULT"] = f"sqlite:///{db}"
    try:
        assert cli_main(["init"]) == 0
    finally:
        del os.environ["AIRFLOW_CONN_MESSAGING_STORE_DEFAULT"]
    assert f"message store sqlite:///{db}: schema upgraded from 0 to version 2" in capsys.readouterr().out
    with pytest.raises(Exception, match="missing_store"):  # Airflow's AirflowNotFoundException
        cli_main(["version", "--conn-id", "missing_store"])


def test_import_is_light() -> None:
    """The core imports neither Airflow nor pydantic (the receiver and the triggerer import it cheaply)."""
    code = ("import sys, airflow_provider_messaging.store; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'airflow', 'pydantic'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
