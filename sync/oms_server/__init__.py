"""Reference OMS server (FastAPI + uvicorn + SQLAlchemy) implementing resources/openapi.yaml.

SQLite in one process (`serve_in_thread`, the demo and most tests) or PostgreSQL with several worker
processes (`serve_workers`). Every endpoint needs a station token: `handle.issue_token("S1")`."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["serve_in_thread", "serve_workers", "ServerHandle", "WorkersHandle", "build_app"]


def build_app(db_path: str | Path, seed: str | None = None):
    """db_path: a SQLite file or a postgresql:// URL."""
    from sync.oms_server.app import create_app
    from sync.oms_server.seed import seed_demo

    app = create_app(db_path)
    if seed == "demo":
        seed_demo(app.state.engine)
    elif seed:
        raise ValueError(f"unknown seed {seed!r} (known: demo)")
    return app


@dataclass
class ServerHandle:
    url: str
    port: int
    app: object
    _server: object
    _thread: threading.Thread

    def issue_token(self, station_id: str) -> str:
        from sync.oms_server.app import issue_token

        return issue_token(self.app.state.engine, station_id)  # type: ignore[attr-defined]

    def write_token_file(self, station_id: str, path: str | Path) -> Path:
        """Issue a token for station_id and store it at path with mode 0600 (what the station reads)."""
        import os

        p = Path(path)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(self.issue_token(station_id) + "\n")
        return p

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout)
        self.app.state.engine.dispose()  # type: ignore[attr-defined]


def serve_in_thread(db_path: str | Path, port: int = 0, seed: str | None = "demo", host: str = "127.0.0.1",
                    timeout: float = 20.0) -> ServerHandle:
    import uvicorn

    app = build_app(db_path, seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    real_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    th = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="oms-server", daemon=True)
    th.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not th.is_alive():
            raise RuntimeError("reference OMS did not start")
        time.sleep(0.02)
    return ServerHandle(url=f"http://{host}:{real_port}", port=real_port, app=app, _server=server, _thread=th)


@dataclass
class WorkersHandle:
    """The reference OMS as `uvicorn --workers N` in a child process (PostgreSQL: several processes)."""
    url: str
    port: int
    db: str
    engine: object
    _proc: object

    def issue_token(self, station_id: str) -> str:
        from sync.oms_server.app import issue_token

        return issue_token(self.engine, station_id)

    @property
    def app(self):  # the same `handle.app.state.engine` as a ServerHandle, for tests reading the OMS tables
        from types import SimpleNamespace

        return SimpleNamespace(state=SimpleNamespace(engine=self.engine))

    write_token_file = ServerHandle.write_token_file

    def stop(self, timeout: float = 15.0) -> None:
        import subprocess

        p = self._proc
        p.terminate()  # type: ignore[attr-defined]
        try:
            p.wait(timeout)  # type: ignore[attr-defined]
        except subprocess.TimeoutExpired:
            p.kill()  # type: ignore[attr-defined]
            p.wait(timeout)  # type: ignore[attr-defined]
        self.engine.dispose()  # type: ignore[attr-defined]


def serve_workers(db: str, *, workers: int = 2, port: int = 0, seed: str | None = None, host: str = "127.0.0.1",
                  timeout: float = 60.0) -> WorkersHandle:
    """Start `packstation oms-server --workers N` on db (a postgresql:// URL) and wait until it answers."""
    import os
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from sync.oms_server.app import make_engine

    if seed:
        build_app(db, seed).state.engine.dispose()
    if not port:
        s = socket.socket()
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    import tempfile

    errlog = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "packstation", "oms-server", "--db", db, "--host", host, "--port", str(port),
                             "--workers", str(workers)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=errlog)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "/api/v1/time", timeout=1)
        except urllib.error.HTTPError:
            break  # 401: it answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(5)
                errlog.seek(0)
                raise RuntimeError("reference OMS workers did not start: "
                                   + errlog.read().decode(errors="replace")[-2000:]) from None
            time.sleep(0.1)
        else:
            break
    return WorkersHandle(url=url, port=port, db=db, engine=make_engine(db, create=False), _proc=proc)
