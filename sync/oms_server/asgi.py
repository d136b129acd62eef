"""ASGI factory for `uvicorn --workers N --factory sync.oms_server.asgi:create`: every worker process builds
the app on the database named by PACKSTATION_OMS_DB (a postgresql:// URL; SQLite only with one worker)."""

from __future__ import annotations

import os


def create():
    from app import heap
    from sync.oms_server.app import create_app

    app = create_app(os.environ["PACKSTATION_OMS_DB"])
    heap.settle()  # the long-lived startup objects leave the collector's generations: shorter pauses under load
    return app
