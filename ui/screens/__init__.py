"""The station's screens. `show_feedback` is how the screens without a verdict panel (station check, queue) show
what the station controller said: the text in the reader's language, red for an error or a stop, amber for a hint
(Caps Lock on, a key that does nothing here), green for OK."""

from __future__ import annotations

from floor.changes import Feedback, Level
from ui.translations import _

_COLOURS = {Level.ERROR: "#c62828", Level.STOP: "#c62828", Level.OK: "#2e7d32", Level.HINT: "#bf5f00"}


def show_feedback(label, fb: Feedback | None) -> None:
    show_said(label, _(fb), fb.level if fb else None)


def show_said(label, text: str, level: Level | None) -> None:
    """A text already in the reader's language, in its level's colour (the key filter's words: a scan with Ctrl
    held, an input method)."""
    label.setText(text)
    label.setStyleSheet(f"color: {_COLOURS.get(level, '#37474f')}; font-size: 22px;")
