"""The station's local store: SQLite through SQLAlchemy 2, WAL journal, synchronous=FULL.

One `Store` per process. All writes go through `Store.write()` — one writer path guarded by a
lock — so the GUI, the outbox worker and the print spool never interleave half transactions.
Readers use `Store.read()`; WAL lets them run while a write is in progress.
Migrations (Alembic) run in `open_store()` before anything else touches the file, so a station
upgraded in the field keeps the events it had queued.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.pool import QueuePool

from app import schema

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # the event log must survive power loss
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    event.listen(engine, "connect", _on_connect)
    return engine


class Store:
    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._write_lock = threading.RLock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """The one writer path: a transaction committed when the block exits without error."""
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- key/value station facts -------------------------------------------------------------
    def get_kv(self, key: str, default: Any = None) -> Any:
        with self.read() as c:
            row = c.execute(select(schema.kv.c.value).where(schema.kv.c.key == key)).first()
        return json.loads(row[0]) if row else default

    def set_kv(self, key: str, value: Any, conn: Connection | None = None) -> None:
        from sqlalchemy.dialects.sqlite import insert

        stmt = insert(schema.kv).values(key=key, value=json.dumps(value), updated_at_ms=now_ms())
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": stmt.excluded.value, "updated_at_ms": stmt.excluded.updated_at_ms}
        )
        if conn is not None:
            conn.execute(stmt)
        else:
            with self.write() as c:
                c.execute(stmt)

    def close(self) -> None:
        self.engine.dispose()


def current_revision(path: Path) -> str | None:
    if not path.exists():
        return None
    con = sqlite3.connect(path)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()


def migrate(path: Path) -> None:
    """Bring the database at `path` to the newest schema with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+pysqlite:///{path}")
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def open_store(path: str | Path) -> Store:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rev = current_revision(path)
    if rev != schema.SCHEMA_HEAD:
        log.info("migrating %s from %s to %s", path, rev, schema.SCHEMA_HEAD)
        migrate(path)
    return Store(make_engine(path), path)
