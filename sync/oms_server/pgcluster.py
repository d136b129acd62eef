"""A private, throw-away PostgreSQL cluster for tests and `packstation bench` (loopback TCP, trust auth).

Uses the server binaries of the Debian/Ubuntu `postgresql` package (/usr/lib/postgresql/N/bin); initdb and
pg_ctl refuse to run as root, so as root the cluster directory belongs to the `postgres` user and the
binaries run through `runuser -u postgres`. Nothing outside the temporary directory is touched.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    env = os.environ.get("PACKSTATION_PG_BINDIR")
    if env and (Path(env) / "initdb").exists():
        return Path(env)
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if cands:
        return Path(cands[-1]).parent
    w = shutil.which("initdb")
    return Path(w).parent if w else None


class PrivateCluster:
    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bindir = bindir
        self.root = os.geteuid() == 0
        # as root the cluster belongs to `postgres`, which must reach the directory: /tmp, not a private TMPDIR
        self.dir = Path(tempfile.mkdtemp(prefix="packstation-pg-", dir="/tmp" if self.root else None))
        self.data = self.dir / "data"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.started = False

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if r.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {(r.stderr or r.stdout)[-1500:]}")

    def start(self) -> PrivateCluster:
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        self.started = True
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_db(self, name: str | None = None) -> str:
        import psycopg

        name = name or "oms_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
