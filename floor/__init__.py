"""The station floor flow in one Qt-free place: who is logged in, which screen, which order and step,
what the scale said for which parcel, what was printed. Screens render a `StationController` and hand it
key presses and scans; each use case returns one typed result naming what changed."""

from floor.changes import Change, Feedback, Level, Outcome, Result, Screen
from floor.controller import StationController

__all__ = ["StationController", "Change", "Feedback", "Level", "Outcome", "Result", "Screen"]
