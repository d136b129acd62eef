"""Fixtures for the reference OMS on both of its databases: `oms` runs each test on SQLite (one process,
in a thread) and on PostgreSQL (a private cluster started by the tests, the OMS as 2 uvicorn worker
processes). Import them into a test module: `from oms_fixtures import oms, pg_cluster  # noqa: F401`.

Without PostgreSQL installed the postgresql variants are skipped, unless PACKSTATION_REQUIRE_PG=1 (set by
`bash scripts/setup.sh test`), where a missing server is a failure."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def pg_cluster():
    from sync.oms_server.pgcluster import PostgresUnavailable, PrivateCluster

    try:
        try:
            import psycopg  # noqa: F401  (the `oms` extra)
        except ImportError:
            raise PostgresUnavailable("psycopg not installed (pip install -e '.[oms]')") from None
        c = PrivateCluster().start()
    except PostgresUnavailable as e:
        if os.environ.get("PACKSTATION_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL required (PACKSTATION_REQUIRE_PG=1) but unavailable: {e}")
        pytest.skip(f"PostgreSQL not available: {e}")
    yield c
    c.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def oms_backend(request):
    return request.param


@pytest.fixture
def oms_factory(request, tmp_path, oms_backend):
    """oms_factory(seed="demo") -> a running reference OMS (url, port, issue_token, app.state.engine, stop)."""
    from sync.oms_server import serve_in_thread, serve_workers

    made = []

    def make(seed: str | None = "demo"):
        if oms_backend == "sqlite":
            srv = serve_in_thread(tmp_path / f"oms{len(made)}.sqlite3", seed=seed)
        else:
            cluster = request.getfixturevalue("pg_cluster")
            srv = serve_workers(cluster.create_db(), workers=2, seed=seed)
        made.append(srv)
        return srv

    yield make
    for s in made:
        s.stop()


@pytest.fixture
def oms(oms_factory):
    return oms_factory("demo")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
