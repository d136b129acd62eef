"""Application shell: QApplication, the main window, start-up. (Screens arrive in ui/screens/.)"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from app.config import Settings
from app.core import open_core
from app.logsetup import setup_logging
from ui.qt_env import ensure_platform


def run_station(settings: Settings, *, exit_when_shown: bool = False, verbose: bool = False) -> int:
    ensure_platform()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    setup_logging(settings.data_dir / "logs", verbose)
    core = open_core(settings)
    app = QApplication.instance() or QApplication(sys.argv)
    win = QMainWindow()
    win.setWindowTitle(f"packstation — {settings.station.name}")
    win.setCentralWidget(QLabel(f"{settings.station.name} ({settings.station.id})"))
    win.resize(1280, 800)
    win.show()
    if exit_when_shown:
        app.processEvents()
        print("shown", flush=True)
        QTimer.singleShot(0, app.quit)
    rc = app.exec()
    core.close()
    return rc


def run_demo(*, data_dir: str | None = None, exit_when_shown: bool = False, verbose: bool = False) -> int:
    d = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="packstation-demo-"))
    s = Settings()
    s.station.data_dir = str(d)
    s.station.name = "Demo station"
    return run_station(s, exit_when_shown=exit_when_shown, verbose=verbose)
