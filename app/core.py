"""Wiring of the Qt-free core for one station: settings -> store -> event log -> operators.
The UI, sync and hardware layers receive a `StationCore`; nothing reaches for globals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app import config as config_mod
from app.config import Settings
from app.events import EventLog
from app.operators import OperatorDirectory
from app.store import Store, open_store


@dataclass
class StationCore:
    settings: Settings
    store: Store
    events: EventLog
    operators: OperatorDirectory

    def close(self) -> None:
        self.store.close()


def open_core(settings: Settings, db_path: Path | None = None) -> StationCore:
    store = open_store(db_path or settings.db_path)
    events = EventLog(store, settings.station.id)
    return StationCore(
        settings=settings,
        store=store,
        events=events,
        operators=OperatorDirectory(store, events),  # failed logins and lockouts are events
    )


def load_settings(args) -> Settings:
    """Settings for a CLI invocation (`--config` or the default path)."""
    return config_mod.load(getattr(args, "config", None))
