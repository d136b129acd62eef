"""UI figures: start-up times (process start to the login screen shown, offscreen; empty and warehouse-
sized databases) and scan-to-screen latency (last key of a scanner burst delivered -> verdict painted) on a 1,000-line order."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def _entry() -> str:
    """The command-line package of this source tree: `packstation` where the tree has one, else `app`
    (not whatever `packstation` the virtualenv finds: that may be another checkout's)."""
    return "packstation" if (Path(__file__).resolve().parents[1] / "packstation" / "__main__.py").is_file() else "app"


def _time_until_shown(args: list[str], runs: int = 3) -> float:
    """Median over `runs` of: process start -> the main window (login screen) shown, offscreen."""
    import statistics

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", _entry(), *args], stdout=subprocess.PIPE, env=env, text=True,
                             stderr=subprocess.DEVNULL)
        assert p.stdout is not None
        for line in p.stdout:
            if line.strip() == "shown":
                times.append(time.perf_counter() - t0)
                break
        p.wait(timeout=60)
        if p.returncode:
            raise RuntimeError(f"packstation {' '.join(args)} exited {p.returncode}")
    return statistics.median(times)


def _station_config(workdir: Path) -> Path:
    cfg = workdir / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{workdir / "data"}"\n[oms]\nurl = "http://127.0.0.1:9"\n',
                   encoding="utf-8")
    return cfg


def cold_start_s(workdir: Path) -> float:
    """Process start to the login screen shown, on an empty database, with the OMS unreachable
    (start-up never waits on it)."""
    return _time_until_shown(["--config", str(_station_config(workdir)), "run", "--exit-when-shown"])


def cold_start_50k_products_s(workdir: Path) -> float:
    """Process start to the login screen shown, on a station database holding 50,000 products, 10,000
    cached pick lists (50,000 lines) and 1,000,000 events (app.bench_data.warehouse_db); OMS unreachable."""
    from app.bench_data import copy_to, warehouse_db

    (workdir / "data").mkdir()
    copy_to(warehouse_db(), workdir / "data" / "station.sqlite3")
    return _time_until_shown(["--config", str(_station_config(workdir)), "run", "--exit-when-shown"])


def scan_to_screen_p99_ms(workdir: Path) -> dict[str, float]:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.benchmarks import bench_order
    from app.config import Settings
    from app.core import open_core
    from app.workflow import Station
    from ui.screens.work import WorkScreen
    from ui.services import Services
    from ui.sounds import Sounds
    from ui.tasks import TaskRunner
    from ui.wedge_filter import WedgeFilter

    app = QApplication.instance() or QApplication([])
    s = Settings()
    s.station.data_dir = str(workdir)
    core = open_core(s)
    station = Station(core, steps=["pick"])
    pl, scans = bench_order(n_scans=1200)
    work = WorkScreen(Services(settings=s, core=core, station=station), TaskRunner(), Sounds(), "en")
    work.resize(1280, 800)
    work.show()
    work.set_session(station.open_order(pl))
    clock = [0.0]
    wedge = WedgeFilter(s.devices.scanner, clock=lambda: clock[0])
    app.installEventFilter(wedge)
    wedge.scanned.connect(work.on_scan)
    app.processEvents()
    times = []
    for raw in scans:
        text = raw.text
        if not text.isascii() or not text.isprintable():
            continue
        for ch in text:  # the scanner's own transmission, not timed
            clock[0] += 4
            QTest.keyClicks(work, ch)
        clock[0] += 4
        t0 = time.perf_counter_ns()
        QTest.keyClick(work, Qt.Key.Key_Return)  # filter -> Station.scan (durable) -> verdict panel repaint
        times.append((time.perf_counter_ns() - t0) / 1e6)
        work.panel.acknowledge()
        app.processEvents()  # the table repaints between scans, as on a real screen
    app.removeEventFilter(wedge)
    work.close()
    for obj in (wedge, work):  # destroy Qt objects while Python is alive (not in the final GC)
        obj.deleteLater()
    app.processEvents()
    core.close()
    times = sorted(times[50:])
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"scan_to_screen_p99_ms": round(p(0.99), 3), "scan_to_screen_p50_ms": round(p(0.5), 3)}


FIGURES = {
    "cold_start_s": cold_start_s,
    "cold_start_50k_products_s": cold_start_50k_products_s,
    "scan_to_screen_p99_ms": scan_to_screen_p99_ms,
}
