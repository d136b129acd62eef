"""`packstation screenshots --out DIR`: every screen of a demo station, in English and Chinese, rendered
offscreen to PNG (one process per language, as a station runs one language)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(out: str) -> int:
    # made here, where the command line says what failed in one line (in each language's process a folder that cannot
    # be made was a traceback, twice)
    Path(out).mkdir(parents=True, exist_ok=True)
    rc = 0
    for lang in ("en", "zh_CN"):
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        r = subprocess.run([sys.executable, "-m", "ui.screenshots", out, lang], env=env)
        rc = rc or r.returncode
    return rc


def _one(out: Path, lang: str) -> None:
    from PySide6.QtWidgets import QApplication

    from app.scans import RawScan, ScanSource
    from ui.services import demo_settings
    from ui.shell import build_window

    out.mkdir(parents=True, exist_ok=True)
    s = demo_settings(Path(tempfile.mkdtemp(prefix="packstation-shots-")))
    s.station.language = lang
    app, win, svc = build_window(s, demo=True)
    win.resize(1440, 860)
    win.show()

    def pump(sec: float) -> None:
        end = time.time() + sec
        while time.time() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        pump(0.3)
        win.grab().save(str(out / f"{name}_{lang}.png"))

    deadline = time.time() + 20
    while svc.core.operators.by_badge("K-001") is None and time.time() < deadline:
        pump(0.2)
    win.login.badge.setText("K-001")
    shot("1_login")
    win.login.pin.setText("2222")
    win.login.try_login()
    pump(2.0)
    shot("2_station_check")
    win.show_queue()
    pump(1.5)
    shot("3_order_queue")
    pl = next(p for p in win.queue.model.items if p.siblings and len(p.lines) > 1)
    win.open_order(pl)
    pump(1.5)
    sess = win.work.session
    line = sess.current_line()
    if line.bin_barcode:
        win.on_scan(RawScan(line.bin_barcode, ScanSource.SIMULATED))
    win.on_scan(RawScan(line.barcodes[0].code, ScanSource.SIMULATED))
    pump(0.8)
    shot("4_pick_good_scan")
    win.on_scan(RawScan(pl.siblings[0]["code"], ScanSource.SIMULATED))
    shot("5_wrong_colour")
    from ui.screens.supervisor import SupervisorScreen

    sup = SupervisorScreen(svc.core)
    win.stack.addWidget(sup)
    win.stack.setCurrentWidget(sup)
    pump(1.0)
    shot("6_supervisor")
    win._allow_close = True
    win.close()
    svc.close()
    QApplication.instance().quit()


if __name__ == "__main__":
    from ui.qt_env import ensure_platform

    ensure_platform()
    _one(Path(sys.argv[1]), sys.argv[2])
