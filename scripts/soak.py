#!/usr/bin/env python3
"""Soak: a station driven at scanner speed for a bounded time, with normal garbage collection.

Three processes: this one (the orchestrator, no Qt), the reference OMS (its own process, seeded with the
demo catalogue and enough orders for the run), and the station: the real Qt main window (offscreen is
fine), simulated scale and printers, every scan a key burst through the real wedge filter. The packer
works with the scanner alone: badge, order barcode, bin and item barcodes, action barcodes (@@COMPLETE,
@@CARTON:M, @@WEIGH, @@PRINT, @@ACK, @@BACK from app/actions.py, run by floor.StationController) -- never
by reaching into a screen's widgets or the core, so the soak outlives a UI rewrite. An action barcode that
does nothing is counted (action_misses), acknowledged and scanned once more, as a packer would.

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
STATION_ID = "SOAK-01"


# -- the reference OMS, in its own process -------------------------------------------------------------

def oms_child(db: str, port: int, orders: int, token_file: str) -> int:
    import uvicorn
    from sqlalchemy import select

    from sync.oms_server import build_app
    from sync.oms_server import models as m
    from sync.oms_server.app import issue_token
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
    # the station's own credential (0600 file), as an OMS administrator issues it
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(issue_token(eng, STATION_ID) + "\n")
    print("oms ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


# -- the station, in its own process ---------------------------------------------------------------------

def malloc_mb() -> tuple[float, float] | None:
    """glibc's heap, MB: (held from the system, in use) (app.heap.malloc_info; None elsewhere)."""
    from app.heap import malloc_info

    mi = malloc_info()
    return None if mi is None else (round(mi["held"] / 1e6, 1), round(mi["in_use"] / 1e6, 1))


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def station_child(data_dir: str, oms_url: str, deadline_mono_s: float, report: str, trace: str = "") -> int:
    import logging

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.workflow import Step
    from floor import Screen
    from ui.services import demo_settings
    from ui.shell import build_window

    s = demo_settings(Path(data_dir))
    s.station.id = STATION_ID
    s.oms.url = oms_url
    s.oms.token_file = str(Path(data_dir).parent / "oms-token")
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
    m = {"orders": 0, "scans": 0, "stalls": 0, "max_stall_ms": 0.0, "action_misses": {}, "rss": [], "malloc": [],
         "stuck": 0, "rescans": 0, "retries": 0,
         "t0": time.monotonic()}

    # event-loop stalls: a 20 ms timer whose callbacks arrive more than 100 ms late
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    stall_sampler = StallSampler() if trace else None

    def tick():
        if stall_sampler is not None:
            stall_sampler.beat()
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

    tracer = Tracer(trace, app) if trace else None

    def sample():
        t = time.monotonic() - m["t0"]
        m["rss"].append((t, rss_mb()))
        if (heap := malloc_mb()) is not None:
            m["malloc"].append((t, *heap))
        write_report(False)
        if tracer is not None:
            tracer.tick(stall_sampler)

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

    def miss(code):
        m["action_misses"][code] = m["action_misses"].get(code, 0) + 1

    def events_of(order_id, type_):
        return [e for e in svc.core.events.events(order_id=order_id, types=[type_])]

    ctl = win.controller

    def driver():
        """A generator: yields the seconds to wait (the event loop runs meanwhile)."""
        sample()
        deadline = time.monotonic() + 60
        while svc.core.operators.by_badge("K-001") is None:
            if time.monotonic() > deadline:
                raise RuntimeError("operators never arrived from the OMS")
            yield 0.2
        burst("K-001")  # the badge, scanned; the login screen then asks for the PIN
        yield 0.3
        for ch in "2222":  # a person types the PIN: slowly, so the wedge filter hands the keys over
            QTest.keyClick(target(), ch)
            yield 0.2
        yield 0.3
        QTest.keyClick(target(), Qt.Key.Key_Return)
        yield 0.5
        if ctl.operator is None:
            raise RuntimeError("login failed")
        if ctl.screen == Screen.CHECK:
            key(Qt.Key.Key_Return)  # start work
            ok = yield from wait_for(lambda: ctl.screen != Screen.CHECK, 2)
            if not ok:
                raise RuntimeError("start work (Enter) did not leave the station check")
        done_ids = set()
        while time.monotonic() < deadline_mono_s:
            open_ids = [p.id for p in ctl.queue_items() if p.id.startswith("SK-") and p.id not in done_ids]
            if not open_ids:
                yield 1.0
                continue
            oid = open_ids[0]
            done_ids.add(oid)

            def opened(oid=oid):
                return ctl.session is not None and ctl.session.order_id == oid

            burst(oid)  # the order's slip barcode
            ok = yield from wait_for(opened, 5)
            if not ok:  # a packer scans the slip again when the screen did not follow
                m["rescans"] += 1
                burst(oid)
                ok = yield from wait_for(opened, 5)
            if not ok:
                m["stuck"] += 1
                continue
            yield from work_order(ctl.session)
        write_report(True)

    def wait_for(pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            yield 0.05
        return False

    def act(code, pred, timeout):
        """Scan an action barcode and wait for its effect; a packer whose scan did nothing acknowledges
        and scans it once more (a burst split by a stall reads as garbage)."""
        burst(code)
        ok = yield from wait_for(pred, timeout)
        if not ok:
            miss(code)
            burst("@@ACK")
            yield 0.1
            if not pred():
                burst(code)
                ok = yield from wait_for(pred, timeout)
        return ok

    def give_up(sess):
        """Leave an order the driver could not finish (a scan split by a stall cascades): back to the queue."""
        m["stuck"] += 1
        burst("@@ACK")
        yield from act("@@BACK", lambda: ctl.session is not sess, 1)

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
            for i in range(left):
                burst(code)
                # the same code again within double_read_ms (150) is one physical scan read twice: a packer
                # takes the next unit to the beam
                yield 0.01 if i == left - 1 else 0.25

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
            yield from act("@@CARTON:M", lambda: events_of(oid, "carton_chosen"), 1)
            yield from act("@@COMPLETE", lambda: sess.step != Step.PACK, 2)
        if sess.step == Step.WEIGH:
            exp, _ = sess.expected_weight
            svc.scale.settle_to(exp or 500)  # the parcel goes on the scale
            yield 1.2  # the scale settles (simulated: a few wobbling readings, then stable)
            n = len(events_of(oid, "weight_recorded"))
            yield from act("@@WEIGH", lambda: len(events_of(oid, "weight_recorded")) > n, 1)
            yield from act("@@COMPLETE", lambda: sess.step != Step.WEIGH, 2)
        if sess.step == Step.LABEL:
            yield from act("@@PRINT", lambda: sess.step == Step.DONE, 5)
        if sess.step == Step.DONE:
            m["orders"] += 1
            svc.scale.settle_to(0)  # the packer takes the parcel off; the screen goes back to the queue
            yield from wait_for(lambda: ctl.session is None or ctl.session.order_id != oid, 3)
            yield 0.5
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


# -- where the memory goes (--trace): tracemalloc and object counts, in the station process -------------

class Tracer:
    """Takes a baseline at `start_s` (after the warm-up), then every `every_s` writes to `path` what grew
    since: tracemalloc's top growth by traceback, Python objects by type (gc), Qt objects by class."""

    def __init__(self, path: str, app, start_s: float = WARMUP_S, every_s: float = 120.0) -> None:
        import tracemalloc

        self.path, self.app, self.start_s, self.every_s = path, app, start_s, every_s
        self.mem = os.environ.get("SOAK_TRACE_MEM", "1") != "0"  # 0: stall stacks only (tracemalloc is slow)
        if self.mem:
            tracemalloc.start(12)
        self.t0 = time.monotonic()
        self.base = None
        self.next_s = start_s

    @staticmethod
    def py_types() -> dict[str, int]:
        import gc
        from collections import Counter

        gc.collect()
        return dict(Counter(type(o).__qualname__ for o in gc.get_objects()))

    def qt_types(self) -> dict[str, int]:
        from collections import Counter

        from PySide6.QtCore import QObject

        c: Counter = Counter()
        for w in self.app.topLevelWidgets():
            c[type(w).__name__] += 1
            for ch in w.findChildren(QObject):
                c[type(ch).__name__] += 1
        for ch in self.app.findChildren(QObject):
            c["app/" + type(ch).__name__] += 1
        return dict(c)

    def tick(self, stalls: StallSampler | None = None) -> None:
        import tracemalloc

        el = time.monotonic() - self.t0
        if el < self.next_s:
            return
        self.next_s = el + self.every_s
        if not self.mem:
            if stalls is not None:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(f"== {el:.0f}s\n" + "\n".join(stalls.report()) + "\n\n")
            return
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])
        now = (snap, self.py_types(), self.qt_types(), rss_mb())
        if self.base is None:
            self.base = (el, *now)
            return
        b_el, b_snap, b_py, b_qt, b_rss = self.base
        lines = [f"== {b_el:.0f}s -> {el:.0f}s: rss {b_rss:.1f} -> {now[3]:.1f} MB; traced "
                 f"{sum(t.size for t in b_snap.traces) / 1e6:.1f} -> {sum(t.size for t in snap.traces) / 1e6:.1f} MB"]
        lines.append("-- tracemalloc, top growth by traceback")
        for st in snap.compare_to(b_snap, "traceback")[:25]:
            lines.append(f"{st.size_diff / 1024:+.1f} KiB {st.count_diff:+d} blocks (now {st.size / 1024:.1f} KiB)")
            lines.extend("    " + ln for ln in st.traceback.format()[-12:])
        for name, cur, old in (("python objects", now[1], b_py), ("qt objects", now[2], b_qt)):
            lines.append(f"-- {name} by type, growth")
            diff = sorted(((cur.get(k, 0) - old.get(k, 0), k) for k in set(cur) | set(old)), reverse=True)
            lines.extend(f"{d:+d} {k} (now {cur.get(k, 0)})" for d, k in diff[:30] if d)
        if stalls is not None:
            lines.extend(stalls.report())
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n\n")


class StallSampler:
    """A watchdog thread: while the GUI thread's 20 ms ticker is more than `after_ms` late, it samples the
    GUI thread's Python stack every 20 ms; `report()` gives the most frequent stacks (innermost frames)."""

    def __init__(self, after_ms: float = 150.0) -> None:
        import threading
        from collections import Counter

        self.after_s = after_ms / 1000
        self.main = threading.main_thread().ident
        self.last = time.monotonic()
        self.stacks: Counter = Counter()
        self.samples = 0
        threading.Thread(target=self._run, name="soak-stall-sampler", daemon=True).start()

    def beat(self) -> None:
        self.last = time.monotonic()

    def _run(self) -> None:
        import traceback

        while True:
            time.sleep(0.02)
            if time.monotonic() - self.last < self.after_s:
                continue
            fr = sys._current_frames().get(self.main)
            if fr is None:
                continue
            st = traceback.extract_stack(fr)[-14:]
            self.stacks["\n".join(f"    {f.filename.replace(str(ROOT) + '/', '')}:{f.lineno} {f.name}"
                                   for f in st)] += 1
            self.samples += 1

    def report(self, n: int = 8) -> list[str]:
        out = [f"-- GUI thread stacks while stalled > {self.after_s * 1000:.0f} ms ({self.samples} samples of 20 ms)"]
        for st, k in self.stacks.most_common(n):
            out.append(f"{k} samples:\n{st}")
        return out


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


def soak(minutes: float, workdir: Path, orders: int, trace: str = "") -> dict:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    me = [sys.executable, str(Path(__file__).resolve())]
    oms = subprocess.Popen(me + ["--oms-child", str(workdir / "oms.sqlite3"), str(port), str(orders),
                                 str(workdir / "oms-token")], env=env,
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
                                        str(t_end - time.monotonic()), str(report), trace], env=env, cwd=ROOT,
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
    heap = [s for p in parts for s in p.get("malloc", [])]
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
        # action barcodes that did nothing on the first scan (acknowledged and scanned again)
        "action_misses": {k: sum(p.get("action_misses", {}).get(k, 0) for p in parts)
                          for k in {k for p in parts for k in p.get("action_misses", {})}},
        "rss_start_mb": round(samples[0][1], 1) if samples else None,
        "rss_end_mb": round(samples[-1][1], 1) if samples else None,
        "soak_rss_growth_mb_per_h": growth_mb_per_h(samples),
        # glibc's heap (mallinfo2): held from the system and in use; RSS growth with "in use" flat is fragmentation
        "malloc_held_growth_mb_per_h": growth_mb_per_h([(t, held) for t, held, _ in heap]),
        "malloc_in_use_growth_mb_per_h": growth_mb_per_h([(t, in_use) for t, _, in_use in heap]),
        "event_loop_stalls_over_100ms": sum(p.get("stalls", 0) for p in parts),
        "event_loop_max_stall_ms": max((p.get("max_stall_ms", 0.0) for p in parts), default=0.0),
        "errors_logged": sum(p.get("errors_logged", 0) for p in parts),
        "last_error": next((p["last_error"] for p in reversed(parts) if p.get("last_error")), ""),
        "events_station": n_events,
        "queue_left": pending,
        "events_rejected": rejected,
    }


def growth_mb_per_h(samples) -> float | None:
    return round(g, 2) if (g := growth_per_h(samples)) is not None else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--oms-child":
        return oms_child(argv[1], int(argv[2]), int(argv[3]), argv[4])
    if argv and argv[0] == "--station-child":
        return station_child(argv[1], argv[2], time.monotonic() + float(argv[3]), argv[4],
                             argv[5] if len(argv) > 5 else "")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long to drive the station (default 30)")
    ap.add_argument("--orders", type=int, default=800, help="orders seeded in the OMS for the run")
    ap.add_argument("--workdir", help="keep the station and OMS files here (default: a temporary folder)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--trace", default="", help="diagnosis: the station runs under tracemalloc and appends what "
                    "grew since the warm-up (by traceback, Python and Qt objects by type) to this file every 2 "
                    "minutes (slows the station; its figures are then not the soak's)")
    a = ap.parse_args(argv)
    if a.workdir:
        wd = Path(a.workdir)
        wd.mkdir(parents=True, exist_ok=True)
        res = soak(a.minutes, wd, a.orders, str(Path(a.trace).resolve()) if a.trace else "")
    else:
        with tempfile.TemporaryDirectory(prefix="packstation-soak-") as d:
            res = soak(a.minutes, Path(d), a.orders, str(Path(a.trace).resolve()) if a.trace else "")
    text = json.dumps(res, ensure_ascii=False)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n", encoding="utf-8")
    return 0 if res["crashes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
