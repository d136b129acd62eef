"""Reference OMS server (FastAPI + uvicorn + SQLAlchemy/SQLite) implementing resources/openapi.yaml."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["serve_in_thread", "ServerHandle", "build_app"]


def build_app(db_path: str | Path, seed: str | None = None):
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
