"""Qt environment set-up that must happen before QApplication exists."""

from __future__ import annotations

import os
import sys


def ensure_platform() -> None:
    """Without a display Qt's xcb plugin aborts the process: fall back to offscreen."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
