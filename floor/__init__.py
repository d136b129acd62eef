"""The station floor flow in one Qt-free place: who is logged in, which screen, which order and step,
what the scale said for which parcel, what was printed. Screens render a `StationController` and hand it
key presses and scans; each use case returns one typed result naming what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from floor.changes import Change, Feedback, Level, Outcome, Result, Screen

if TYPE_CHECKING:
    from floor.controller import StationController


def __getattr__(name: str):
    """`StationController` on first use: the login screen shows before the controller's imports (the event log,
    SQLAlchemy: ~0.3 s of a start) are loaded; screens that only name a `Level` or a `Screen` do not pull them."""
    if name == "StationController":
        from floor.controller import StationController

        return StationController
    raise AttributeError(f"module 'floor' has no attribute {name!r}")


__all__ = ["StationController", "Change", "Feedback", "Level", "Outcome", "Result", "Screen"]
