#!/usr/bin/env python3
"""Soak: a station driven at scanner speed for a bounded time, with normal garbage collection.

Three processes: this one (the orchestrator, no Qt), the reference OMS (its own process, seeded with the
demo catalogue and enough orders for the run), and the station: the real Qt main window (offscreen is
fine), simulated scale and printers, every scan a key burst through the real wedge filter. The packer
works with the scanner alone: order barcode, bin and item barcodes, action barcodes (@@COMPLETE,
@@CARTON:M, @@WEIGH, @@PRINT from app/actions.py). Where a station build does not know an action
barcode yet, the same step is done with its function key (F8 weigh, F9 print) or, for the carton, the
core use case -- never by reaching into a screen's widgets, so the soak outlives a UI rewrite.

A station process that dies is a crash: it is counted and the station restarted on the same data.

    python scripts/soak.py --minutes 30 --json soak.json

prints one JSON object: crashes, orders, scans, rss_start_mb, rss_end_mb, soak_rss_growth_mb_per_h (slope
after a warm-up), event-loop stalls (timer callbacks more than 100 ms late: count and max ms), uncaught
errors logged, and whether the OMS holds every event of the station (lost / queue left).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STALL_MS = 100.0
TICK_MS = 20
WARMUP_S = 120.0


# -- the reference OMS, in its own process -------------------------------------------------------------

def oms_child(db: str, port: int, orders: int) -> int:
    import uvicorn
    from sqlalchemy import select

    from sync.oms_server import build_app
    from sync.oms_server import models as m
    from sync.oms_server.seed import build_orders, seed_demo

    app = build_app(db, "demo")
    eng = app.state.engine
    with eng.begin() as c:
        products = [json.loads(d) for d in c.execute(select(m.products.c.doc)).scalars()]
        have = {r for r in c.execute(select(m.orders.c.id)).scalars()}
        # no lot-controlled lines (the soak packer has no lot labels) and no orders cancelled on claim
        usable = [p for p in products if not p["sku"].startswith("GS1")]
        extra = [o for o in build_orders(usable, n_orders=orders, seed=11) if o["id"] not in have]
        now = int(time.time() * 1000)
        for i, o in enumerate(extra):
            o["id"] = f"SK-{i + 1:05d}"
            o["order_no"] = f"#SK{i + 1:05d}"
            for j, ln in enumerate(o["lines"]):
                ln["id"] = f"{o['id']}-{j + 1}"
        c.execute(m.orders.insert(), [{"id": o["id"], "order_no": o["order_no"], "status": "open",
                                       "cancel_after_claim_ms": None, "doc": json.dumps(o, ensure_ascii=False),
                                       "updated_ms": now} for o in extra])
        # the demo's own orders stay out of the soak (two of them are cancelled on claim by design)
        c.execute(m.orders.update().where(m.orders.c.id.like("SO-%")).values(status="done", updated_ms=now))
    del seed_demo
    print("oms ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


# -- the station, in its own process ---------------------------------------------------------------------

def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def station_child(data_dir: str, oms_url: str, deadline_mono_s: float, report: str) -> int:
    import logging

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.workflow import Step
    from ui.services import demo_settings
    from ui.shell import build_window

    s = demo_settings(Path(data_dir))
    s.station.id = "SOAK-01"
    s.oms.url = oms_url
    s.oms.poll_interval_s = 20.0
    from app.logsetup import setup_logging

    setup_logging(Path(data_dir) / "logs", False)
    errors = {"n": 0, "last": ""}

    class Count(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                errors["n"] += 1
                errors["last"] = record.getMessage()[:300]

    logging.getLogger().addHandler(Count())
    app, win, svc = build_window(s, demo=False)
    win.resize(1440, 860)
    win.show()
    win.activateWindow()
    station = svc.station
    m = {"orders": 0, "scans": 0, "stalls": 0, "max_stall_ms": 0.0, "fallbacks": {}, "rss": [],
         "stuck": 0, "rescans": 0, "retries": 0,
         "t0": time.monotonic()}

    # event-loop stalls: a 20 ms timer whose callbacks arrive more than 100 ms late
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        late = now - last[0] - TICK_MS
        last[0] = now
        if late > STALL_MS:
            m["stalls"] += 1
            m["max_stall_ms"] = max(m["max_stall_ms"], float(late))

    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)
    ticker.start()

    def sample():
        m["rss"].append((time.monotonic() - m["t0"], rss_mb()))
        write_report(False)

    sampler = QTimer()
    sampler.setInterval(15_000)
    sampler.timeout.connect(sample)
    sampler.start()

    def write_report(final: bool):
        out = {k: v for k, v in m.items() if k != "t0"}
        out.update(errors_logged=errors["n"], last_error=errors["last"], final=final,
                   elapsed_s=round(time.monotonic() - m["t0"], 1))
        tmp = report + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f)
        os.replace(tmp, report)

    def target():
        return QApplication.focusWidget() or QApplication.activeWindow() or win

    def burst(code: str) -> None:
        w = target()
        for ch in code:
            QTest.keyClick(w, ch)
        QTest.keyClick(w, Qt.Key.Key_Return)
        m["scans"] += 1

    def key(k) -> None:
        QTest.keyClick(target(), k)

    def fallback(name):
        m["fallbacks"][name] = m["fallbacks"].get(name, 0) + 1

    def events_of(order_id, type_):
        return [e for e in svc.core.events.events(order_id=order_id, types=[type_])]

    def driver():
        """A generator: yields the seconds to wait (the event loop runs meanwhile)."""
        sample()
        deadline = time.monotonic() + 60
        while svc.core.operators.by_badge("K-001") is None:
            if time.monotonic() > deadline:
                raise RuntimeError("operators never arrived from the OMS")
            yield 0.2
        win.login.badge.setFocus()
        burst("K-001")
        yield 0.1
        win.login.pin.setFocus()
        for ch in "2222":  # a person types the PIN: slowly, so the wedge filter hands the keys over
            QTest.keyClick(win.login.pin, ch)
            yield 0.2
        yield 0.3
        QTest.keyClick(win.login.pin, Qt.Key.Key_Return)
        yield 0.5
        if station.operator is None:
            raise RuntimeError("login failed")
        if win.stack.currentWidget() is win.check:
            key(Qt.Key.Key_Return)
            yield 1.0
            if win.stack.currentWidget() is win.check:
                fallback("start_work_click")
                win.check.start.click()
                yield 0.5
        done_ids = set()
        while time.monotonic() < deadline_mono_s:
            open_ids = [p.id for p in svc.sync.cache.open_picklists() if p.id.startswith("SK-")
                        and p.id not in done_ids] if svc.sync else []
            if not open_ids:
                yield 1.0
                continue
            oid = open_ids[0]
            done_ids.add(oid)

            def opened(oid=oid):
                return station.active is not None and station.active.order_id == oid

            burst(oid)  # the order's slip barcode
            ok = yield from wait_for(opened, 5)
            if not ok:  # a packer scans the slip again when the screen did not follow
                m["rescans"] += 1
                burst(oid)
                ok = yield from wait_for(opened, 5)
            if not ok:
                m["stuck"] += 1
                continue
            yield from work_order(station.active)
        write_report(True)

    def wait_for(pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            yield 0.05
        return False

    def give_up(sess):
        """Leave an order the driver could not finish (a scan split by a stall cascades): back to the queue."""
        m["stuck"] += 1
        burst("@@ACK")
        burst("@@BACK")
        yield 0.3
        if station.active is sess:
            fallback("back_escape")
            key(Qt.Key.Key_Escape)
            yield 0.3

    def count_step(sess, step):
        for ln in sess.picklist.walking_order():
            lp = sess.progress[ln.id]
            left = ln.qty - lp.scanned - lp.short_qty
            if left <= 0:
                continue
            code = next(b.code for b in ln.barcodes if b.qty_per_scan == 1)
            if step == Step.PICK and ln.bin_barcode:
                burst(ln.bin_barcode)
                yield 0.01
            for _ in range(left):
                burst(code)
                yield 0.01

    def work_order(sess):
        oid = sess.order_id
        for _ in range(6):  # PICK then VERIFY, with retries after an error (acknowledged, then rescanned)
            if sess.step not in (Step.PICK, Step.VERIFY):
                break
            step = sess.step
            yield from count_step(sess, step)
            burst("@@COMPLETE")
            ok = yield from wait_for(lambda step=step: sess.step != step, 2)
            if not ok:
                m["retries"] += 1
                burst("@@ACK")
                yield 0.1
        if sess.step in (Step.PICK, Step.VERIFY):
            yield from give_up(sess)
            return
        if sess.step == Step.PACK:
            for ln in sess.picklist.lines:
                if ln.gift and not sess.gift_ok(ln.id):
                    burst(next(b.code for b in ln.barcodes if b.qty_per_scan == 1))
                    yield 0.01
            burst("@@CARTON:M")
            ok = yield from wait_for(lambda: events_of(oid, "carton_chosen"), 1)
            if not ok:
                fallback("carton_core")
                sess.choose_carton("M")
            burst("@@COMPLETE")
            yield from wait_for(lambda: sess.step != Step.PACK, 2)
        if sess.step == Step.WEIGH:
            exp, _ = sess.expected_weight
            svc.scale.settle_to(exp or 500)
            yield 1.2  # the scale settles (simulated: a few wobbling readings, then stable)
            n = len(events_of(oid, "weight_recorded"))
            burst("@@WEIGH")
            ok = yield from wait_for(lambda: len(events_of(oid, "weight_recorded")) > n, 1)
            if not ok:
                fallback("weigh_f8")
                key(Qt.Key.Key_F8)
                yield 0.2
            burst("@@COMPLETE")
            yield from wait_for(lambda: sess.step != Step.WEIGH, 2)
        if sess.step == Step.LABEL:
            burst("@@PRINT")
            ok = yield from wait_for(lambda: sess.step == Step.DONE, 2)
            if not ok:
                fallback("print_f9")
                key(Qt.Key.Key_F9)
                ok = yield from wait_for(lambda: sess.step == Step.DONE, 5)
        if sess.step == Step.DONE:
            m["orders"] += 1
            yield from wait_for(lambda: station.active is None or station.active.order_id != oid, 3)
            yield 0.5  # the packer takes the parcel off; the screen goes back to the queue
        else:
            yield from give_up(sess)

    gen = driver()

    def step():
        try:
            wait = next(gen)
        except StopIteration:
            win._allow_close = True
            app.quit()
            return
        except Exception as exc:
            errors["n"] += 1
            errors["last"] = f"driver: {type(exc).__name__}: {exc}"
            write_report(True)
            win._allow_close = True
            app.quit()
            return
        QTimer.singleShot(int(wait * 1000), step)

    QTimer.singleShot(500, step)
    app.exec()
    sample()
    write_report(True)
    win._allow_close = True
    win.close()
    svc.close()
    return 0


# -- the orchestrator ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def growth_per_h(samples: list[tuple[float, float]]) -> float | None:
    pts = [(t, r) for t, r in samples if t >= WARMUP_S] or samples
    if len(pts) < 3:
        return None
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mr = sum(r for _, r in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    if var == 0:
        return None
    return sum((t - mt) * (r - mr) for t, r in pts) / var * 3600


def soak(minutes: float, workdir: Path, orders: int) -> dict:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    me = [sys.executable, str(Path(__file__).resolve())]
    oms = subprocess.Popen(me + ["--oms-child", str(workdir / "oms.sqlite3"), str(port), str(orders)], env=env,
                           cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert oms.stdout is not None
    if oms.stdout.readline().strip() != "oms ready":
        raise RuntimeError("reference OMS did not start")
    url = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(100):
        try:
            requests.get(url + "/api/v1/time", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    t_end = time.monotonic() + minutes * 60
    crashes, runs, parts = 0, 0, []
    try:
        while time.monotonic() < t_end - 5:
            runs += 1
            report = workdir / f"station-{runs}.json"
            # the child gets the deadline as seconds from now (its own monotonic clock)
            st = subprocess.Popen(me + ["--station-child", str(workdir / "station"), url,
                                        str(t_end - time.monotonic()), str(report)], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=open(workdir / f"station-{runs}.err", "w"))
            rc = st.wait()
            part = json.loads(report.read_text()) if report.exists() else {}
            part["returncode"] = rc
            parts.append(part)
            if rc != 0:
                crashes += 1
                print(f"soak: station exited {rc} (signal {-rc if rc < 0 else '-'}); restarting", file=sys.stderr)
            elif not part.get("final"):
                crashes += 1
            else:
                break
    finally:
        oms.send_signal(signal.SIGINT)
        try:
            oms.wait(10)
        except subprocess.TimeoutExpired:
            oms.kill()
    samples = [s for p in parts for s in p.get("rss", [])]
    # events: everything the station logged is held by the OMS exactly once
    from app.store import open_store
    from sync.outbox import queue_stats

    st = open_store(workdir / "station" / "station.sqlite3")
    try:
        pending, _, rejected = queue_stats(st)
        with st.read() as c:
            n_events = c.exec_driver_sql("SELECT count(*) FROM events").scalar()
    finally:
        st.close()
    return {
        "soak_minutes": minutes,
        "crashes": crashes,
        "station_runs": runs,
        "orders": sum(p.get("orders", 0) for p in parts),
        "scans": sum(p.get("scans", 0) for p in parts),
        "stuck_orders": sum(p.get("stuck", 0) for p in parts),
        "order_rescans": sum(p.get("rescans", 0) for p in parts),
        "step_retries": sum(p.get("retries", 0) for p in parts),
        "fallbacks": {k: sum(p.get("fallbacks", {}).get(k, 0) for p in parts)
                      for k in {k for p in parts for k in p.get("fallbacks", {})}},
        "rss_start_mb": round(samples[0][1], 1) if samples else None,
        "rss_end_mb": round(samples[-1][1], 1) if samples else None,
        "soak_rss_growth_mb_per_h": (round(g, 2) if (g := growth_per_h(samples)) is not None else None),
        "event_loop_stalls_over_100ms": sum(p.get("stalls", 0) for p in parts),
        "event_loop_max_stall_ms": max((p.get("max_stall_ms", 0.0) for p in parts), default=0.0),
        "errors_logged": sum(p.get("errors_logged", 0) for p in parts),
        "last_error": next((p["last_error"] for p in reversed(parts) if p.get("last_error")), ""),
        "events_station": n_events,
        "queue_left": pending,
        "events_rejected": rejected,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--oms-child":
        return oms_child(argv[1], int(argv[2]), int(argv[3]))
    if argv and argv[0] == "--station-child":
        return station_child(argv[1], argv[2], time.monotonic() + float(argv[3]), argv[4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long to drive the station (default 30)")
    ap.add_argument("--orders", type=int, default=800, help="orders seeded in the OMS for the run")
    ap.add_argument("--workdir", help="keep the station and OMS files here (default: a temporary folder)")
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args(argv)
    if a.workdir:
        wd = Path(a.workdir)
        wd.mkdir(parents=True, exist_ok=True)
        res = soak(a.minutes, wd, a.orders)
    else:
        with tempfile.TemporaryDirectory(prefix="packstation-soak-") as d:
            res = soak(a.minutes, Path(d), a.orders)
    text = json.dumps(res, ensure_ascii=False)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n", encoding="utf-8")
    return 0 if res["crashes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
