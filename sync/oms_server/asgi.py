"""ASGI factory for `uvicorn --workers N --factory sync.oms_server.asgi:create`: every worker process builds
the app on the database named by PACKSTATION_OMS_DB (a postgresql:// URL; SQLite only with one worker)."""

from __future__ import annotations

import os


def create():
    import gc

    from sync.oms_server.app import create_app

    app = create_app(os.environ["PACKSTATION_OMS_DB"])
    gc.freeze()  # the long-lived startup objects leave the collector's generations: shorter pauses under load
    return app
