"""UI figures: start-up times (process start to the login screen shown, offscreen; empty and warehouse-
sized databases), scan-to-screen latency (last key of a scanner burst delivered -> verdict painted) on a 1,000-line
order, and the longest event-loop stall while the supervisor screen refreshes its figures over 1,000,000 events."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def _time_until_shown(args: list[str], runs: int = 3) -> tuple[float, float]:
    """Medians over `runs` of: process start -> the main window (login screen) shown, offscreen; and process start ->
    the station's services attached behind it (`ready`: a badge and PIN are taken from there on; before, their keys
    wait in the event queue)."""
    import statistics

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    shown, ready = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "packstation", *args], stdout=subprocess.PIPE, env=env, text=True,
                             stderr=subprocess.DEVNULL)
        assert p.stdout is not None
        for line in p.stdout:
            if line.strip() == "shown":
                shown.append(time.perf_counter() - t0)
            elif line.strip() == "ready":
                ready.append(time.perf_counter() - t0)
                break
        p.wait(timeout=60)
        if p.returncode or len(ready) != len(shown):
            raise RuntimeError(f"packstation {' '.join(args)} exited {p.returncode}")
    return statistics.median(shown), statistics.median(ready)


def _station_config(workdir: Path) -> Path:
    cfg = workdir / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{workdir / "data"}"\n[oms]\nurl = "http://127.0.0.1:9"\n',
                   encoding="utf-8")
    return cfg


def cold_start_s(workdir: Path) -> dict[str, float]:
    """Process start to the login screen shown, on an empty database, with the OMS unreachable
    (start-up never waits on it); also `cold_start_ready_s`, to the services attached behind it."""
    shown, ready = _time_until_shown(["--config", str(_station_config(workdir)), "run", "--exit-when-shown"])
    return {"cold_start_s": round(shown, 4), "cold_start_ready_s": round(ready, 4)}


def cold_start_50k_products_s(workdir: Path) -> dict[str, float]:
    """Process start to the login screen shown, on a station database holding 50,000 products, 10,000
    cached pick lists (50,000 lines) and 1,000,000 events (app.bench_data.warehouse_db); OMS unreachable."""
    from app.bench_data import copy_to, warehouse_db

    (workdir / "data").mkdir()
    copy_to(warehouse_db(), workdir / "data" / "station.sqlite3")
    shown, ready = _time_until_shown(["--config", str(_station_config(workdir)), "run", "--exit-when-shown"])
    return {"cold_start_50k_products_s": round(shown, 4), "cold_start_50k_products_ready_s": round(ready, 4)}


def scan_to_screen_p99_ms(workdir: Path) -> dict[str, float]:
    """Last key of a scanner burst -> verdict painted, on a 1,000-line order (1,200 scans, the bench mix)."""
    return _scan_to_screen(workdir, n_lines=1000, n_scans=1200, name="scan_to_screen")


def scan_to_screen_10k_lines_p99_ms(workdir: Path) -> dict[str, float]:
    """The same on a 10,000-line order (400 scans): what the screen does after a scan must not grow with the
    order (it walked every line for the expected weight and the lines still to do: 36 ms a scan at the median)."""
    return _scan_to_screen(workdir, n_lines=10_000, n_scans=400, name="scan_to_screen_10k_lines")


def _scan_to_screen(workdir: Path, *, n_lines: int, n_scans: int, name: str) -> dict[str, float]:
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
    core.operators.add(badge="BENCH", name="Bench", role="packer", pin="1111")
    station.login("BENCH", "1111")  # the station controller takes no order without an operator
    pl, scans = bench_order(n_lines=n_lines, n_scans=n_scans)
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
        clock[0] += 400  # the next item (the same code within 150 ms would be a double read)
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
    return {f"{name}_p99_ms": round(p(0.99), 3), f"{name}_p50_ms": round(p(0.5), 3)}


SUPERVISOR_EVENTS = 1_000_000
_KINDS = ["accepted"] * 17 + ["wrong_item", "sibling_variant", "over_scan", "unknown", "wrong_bin"]


def _fill_events(path: Path, n: int, t0: int, station: str = "ST1") -> None:
    """n events (scans, step stamps, completed orders) into a real station database, 100,000 a transaction."""
    import random
    import sqlite3
    import uuid

    rng = random.Random(7)
    con = sqlite3.connect(path)
    sql = ("INSERT INTO events (seq,id,station_id,operator_id,ts_utc_ms,mono_ns,type,kind,order_id,payload) "
           "VALUES (?,?,?,?,?,?,?,?,?,?)")
    steps = ("pick", "verify", "pack", "weigh", "label")
    for chunk in range(0, n, 100_000):
        rows = []
        for i in range(chunk, min(n, chunk + 100_000)):
            r, order = i % 20, f"SO{i // 20}"
            if r < 10:  # step r//2 started / completed
                step = steps[r // 2]
                typ, kind, payload = ("step_started" if r % 2 == 0 else "step_completed"), None, \
                    f'{{"step":"{step}"}}'
            elif r == 10:
                typ, kind, payload = "order_completed", None, '{"complexity":"mixed"}'
            else:
                typ, kind, payload = "scan", rng.choice(_KINDS), '{"code":"6900000000012"}'
            rows.append((i + 1, str(uuid.UUID(int=i + 1)), station, f"op{i % 7}", t0 + i * 600, 0, typ, kind,
                         order, payload))
        with con:
            con.executemany(sql, rows)
    con.close()


def gui_max_stall_ms_supervisor(workdir: Path) -> dict[str, float]:
    """A 1 ms timer ticks on the GUI thread while the supervisor screen refreshes over 1M events; the longest
    gap between ticks is the longest the station could not repaint or take a key."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QDate, QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.config import Settings
    from app.core import open_core
    from ui.screens.supervisor import SupervisorScreen
    from ui.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    s = Settings()
    s.station.data_dir = str(workdir)
    s.station.id = "ST1"
    core = open_core(s)
    t0 = 1_763_251_200_000  # 2025-11-16 00:00 UTC
    _fill_events(s.db_path, SUPERVISOR_EVENTS, t0)
    w = SupervisorScreen(core, tasks=TaskRunner())
    w.resize(1280, 800)
    w.show()
    days = SUPERVISOR_EVENTS * 600 // 86_400_000 + 1
    w.date_from.setDate(QDate(2025, 11, 15))
    w.date_to.setDate(QDate(2025, 11, 16).addDays(days))
    clock, gaps, last = QElapsedTimer(), [], [0]
    tick = QTimer()
    tick.setInterval(1)

    def on_tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    tick.timeout.connect(on_tick)
    app.processEvents()
    clock.start()
    tick.start()
    t = time.perf_counter()
    # Qt's own event loop until the screen has its figures, as the station runs (`app.exec()`): until 2026-12-06 a
    # Python loop of processEvents() and 0.5 ms sleeps, which took the GIL back from the worker twice a turn and
    # added its own waits to the gaps (alternating runs: 26-27 ms with it, 15-17 with Qt's loop).
    done = QEventLoop()
    watch = QTimer()
    watch.setInterval(2)
    watch.timeout.connect(lambda: None if w.updating and time.perf_counter() - t < 300 else done.quit())
    w.refresh()
    watch.start()
    done.exec()
    watch.stop()
    total = time.perf_counter() - t
    app.processEvents()  # the charts' first paint after the result
    on_tick()
    tick.stop()
    scans = w.figures.scans if w.figures else -1
    w.tasks.wait(10000)
    w.close()
    w.deleteLater()
    app.processEvents()
    core.close()
    if scans <= 0:
        raise RuntimeError("the supervisor screen computed no figures")
    return {"gui_max_stall_ms_supervisor": round(max(gaps), 1), "supervisor_refresh_1m_s": round(total, 2)}


FIGURES = {
    "cold_start_s": cold_start_s,
    "cold_start_50k_products_s": cold_start_50k_products_s,
    "scan_to_screen_p99_ms": scan_to_screen_p99_ms,
    "scan_to_screen_10k_lines_p99_ms": scan_to_screen_10k_lines_p99_ms,
    "gui_max_stall_ms_supervisor": gui_max_stall_ms_supervisor,
}
