"""A private PostgreSQL cluster on loopback, for the tests and the end-to-end deployment.

Standard library only, so that `.ci/run`, the e2e script and a pytest fixture can all use it before
(or without) the project's environment. PostgreSQL comes from Debian's packages; it is installed when
missing (as root). The cluster lives in a folder of its own, listens on 127.0.0.1 and a Unix socket
in that folder, trusts local connections, and is stopped by `stop()`.

    python devtools/postgres.py install            # apt-get install postgresql when initdb is missing
    python devtools/postgres.py start DIR PORT DB... # start a cluster in DIR, create databases, print URLs
    python devtools/postgres.py stop DIR
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

USER = "postgres"


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def ensure_installed() -> Path:
    """PostgreSQL's bin folder, installing Debian's `postgresql` package first when it is missing."""
    found = bin_dir()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("PostgreSQL is not installed and this user cannot apt-get install it (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], check=True, env=env)
    found = bin_dir()
    if found is None:
        raise RuntimeError("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """A throwaway cluster: `start()`, `create_database(name)`, `url(name)`, `stop()`."""

    def __init__(self, datadir: str | os.PathLike[str], port: int | None = None) -> None:
        self.datadir = Path(datadir).resolve()
        self.port = port or free_port()
        self.bin = ensure_installed()
        # initdb refuses to run as root: run the server as Debian's `postgres` user then
        self._as = ["runuser", "-u", USER, "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self._as, *args], check=False, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def _reachable(self) -> None:
        """Let the `postgres` user reach the folder: add the search bit to the folders above it."""
        for parent in [self.datadir, *self.datadir.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)

    def start(self) -> PostgresCluster:
        pgdata = self.datadir / "data"
        if not (pgdata / "PG_VERSION").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            if self._as:
                shutil.chown(self.datadir, USER, USER)
                self._reachable()
            self._run(str(self.bin / "initdb"), "-D", str(pgdata), "-U", USER, "-A", "trust", "-E", "UTF8",
                      "--no-sync")
        opts = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        done = self._run(str(self.bin / "pg_ctl"), "-D", str(pgdata), "-l", str(self.datadir / "server.log"),
                         "-o", opts, "-w", "-t", "60", "start", check=False)
        if done.returncode != 0:
            log = (self.datadir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr.strip()}\n{log}")
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                         "-d", database, "-Atc", sql)
        return done.stdout.strip()

    def create_database(self, name: str) -> str:
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://{USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.datadir / "data"), "-m", "fast", "-w", "stop",
                  check=False)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        print(ensure_installed())
        return 0
    if argv[:1] == ["start"] and len(argv) >= 3:
        cluster = PostgresCluster(argv[1], int(argv[2])).start()
        for name in argv[3:]:
            print(cluster.create_database(name))
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        PostgresCluster(argv[1], 0).stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
