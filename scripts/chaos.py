#!/usr/bin/env python3
"""Chaos: a real station process (Qt window offscreen, wedge filter, simulated scale/printers) driven at scanner
speed against the reference OMS in its own process (behind a FaultProxy the driver cuts now and then), SIGKILLed
at random moments (start-up, login, a scan, F9 printing, an outbox drain after an outage) and restarted on the
same data dir. After each restart the child checks: lock taken, no false EVENTS LOST, the open order resumed at
>= the counts journaled after the last verdict shown, every journaled scan event in the store. At the end: one
clean run drains the outbox; the OMS holds every station event exactly once.

    python scripts/chaos.py --kills 500 --workdir DIR   (DIR on the disk, not a tmpfs /tmp)

prints one JSON object (also DIR/result.json); DIR/chaos.log has each cycle's lines. Not a test (too slow):
a defect it finds gets a small deterministic test.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
STATION_ID = "SOAK-01"  # the soak OMS child issues this station's token

CONFIG = """
[station]
id = "{sid}"
data_dir = "{data}"
idle_logout_min = 0
[oms]
url = "{url}"
token_file = "{token}"
poll_interval_s = 5.0
connect_timeout_s = 0.5
read_timeout_s = 2.0
[devices.scale]
kind = "simulated"
[devices.camera]
kind = "none"
[devices.label_printer]
uri = "simulated:{data}/printed"
[devices.slip_printer]
uri = "simulated:{data}/printed"
"""


def out(*a):
    print(*a, flush=True)


# -- the station child -------------------------------------------------------------------------------------------
def station_child(config: str, journal: str, final: bool) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.config import load
    from app.logsetup import setup_logging
    from app.station_lock import StationAlreadyRunning, hold_data_dir

    s = load(config)
    data = Path(s.station.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    setup_logging(data / "logs", False)
    try:
        held = hold_data_dir(data)
    except StationAlreadyRunning as exc:
        out("FAIL lock", exc)
        return 75
    out("phase start")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import text

    from app import heap
    from app.workflow import Step
    from floor import Screen
    from ui.shell import attach_services, build_frame

    app, win = build_frame(s)
    win.resize(1280, 800)
    win.show()
    app.processEvents()
    svc = attach_services(win, s)
    svc.station.when_indexed = heap.settle
    svc.start(win.bridge)
    store = svc.core.store
    out("ready", json.dumps({"log_lost": store.log_lost}))
    if store.log_lost:
        out("FAIL log_lost", json.dumps(store.log_lost))
    ctl = win.controller
    steps = [x for x in Step]

    # the journal: one line per verdict shown, written after the controller answered
    prev = []
    if os.path.exists(journal):
        for ln in open(journal, encoding="utf-8"):
            try:
                prev.append(json.loads(ln))
            except ValueError:
                pass  # a line cut by the kill
    jfd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def state():
        sess = ctl.session
        if sess is None:
            return {"o": None}
        return {"o": sess.order_id, "st": sess.step.value,
                "p": {lid: lp.scanned for lid, lp in sess.progress.items()}}

    real_scan = ctl.scan
    nscan = [0]

    def scan(raw):
        res = real_scan(raw)
        rec = state()
        fb = ctl.feedback
        rec["raw"] = str(getattr(raw, "text", raw))[:40]
        v = getattr(fb, "verdict", None) if fb is not None else None
        if v is not None:
            with store.read() as c:
                row = c.execute(text("SELECT id, payload FROM events WHERE type='scan' ORDER BY seq DESC LIMIT 1")
                                ).fetchone()
            rec["v"] = str(v.kind)
            rec["id"] = row[0] if row else None
        os.write(jfd, (json.dumps(rec) + "\n").encode())
        nscan[0] += 1
        out("s", nscan[0])
        return res
    ctl.scan = scan

    def target():
        return QApplication.focusWidget() or QApplication.activeWindow() or win

    def burst(code):
        w = target()
        for ch in code:
            QTest.keyClick(w, ch)
        QTest.keyClick(w, Qt.Key.Key_Return)

    def events_of(oid, t):
        return svc.core.events.events(order_id=oid, types=[t])

    def wait_for(pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            yield 0.03
        return False

    def check_resume():
        last = next((r for r in reversed(prev) if "o" in r), None)
        ids = [r["id"] for r in prev if r.get("id")]
        if ids:
            with store.read() as c:
                have = {r[0] for r in c.execute(text("SELECT id FROM events WHERE type='scan'"))}
            missing = [i for i in ids if i not in have]
            if missing:
                out("FAIL lost_scan_events", len(missing), missing[:3])
        if last is None or last["o"] is None:
            return
        o = last["o"]
        if events_of(o, "order_completed"):
            return
        sess = ctl.session
        if sess is None or sess.order_id != o:
            # left (BACK) or stopped orders are not resumed; anything else must be
            kinds = [e.type for e in svc.core.events.events(order_id=o)][-3:]
            out("FAIL not_resumed", o, "now", sess.order_id if sess else None, kinds,
                json.dumps(ctl.feedback.en if ctl.feedback else None))
            return
        if steps.index(Step(sess.step.value)) < steps.index(Step(last["st"])):
            out("FAIL step_back", o, last["st"], "->", sess.step.value)
        elif sess.step.value == last["st"]:
            for lid, n in last["p"].items():
                have_n = sess.progress[lid].scanned if lid in sess.progress else -1
                if have_n < n:
                    out("FAIL count_back", o, lid, n, "->", have_n)
        out("resumed", o, sess.step.value)

    def driver():
        deadline = time.monotonic() + 60
        while svc.core.operators.by_badge("K-001") is None:
            if time.monotonic() > deadline:
                out("FAIL no_operators")
                return
            yield 0.1
        out("phase login")
        burst("K-001")
        yield 0.15
        for ch in "2222":
            QTest.keyClick(target(), ch)
            yield 0.08
        yield 0.1
        QTest.keyClick(target(), Qt.Key.Key_Return)
        ok = yield from wait_for(lambda: ctl.operator is not None, 5)
        if not ok:
            out("FAIL login", json.dumps(ctl.feedback.en if ctl.feedback else None))
            return
        if ctl.screen == Screen.CHECK:
            QTest.keyClick(target(), Qt.Key.Key_Return)
            yield from wait_for(lambda: ctl.screen != Screen.CHECK, 2)
        yield 0.05
        check_resume()
        out("phase work")
        if final:
            from sync.outbox import queue_stats
            if ctl.session is not None and ctl.session.step != Step.DONE:
                yield from work_order(ctl.session)
            end = time.monotonic() + 120
            while queue_stats(store)[0] > 0 and time.monotonic() < end:
                yield 0.5
            out("final_queue", queue_stats(store)[0])
            return
        while True:
            sess = ctl.session
            if sess is None or sess.step == Step.DONE:
                ids = []
                for _ in range(200):
                    ids = [p.id for p in ctl.queue_items() if p.id.startswith("SK-")]
                    if ids:
                        break
                    yield 0.1
                if not ids:
                    out("FAIL queue_empty")
                    return
                oid = ids[0]
                burst(oid)
                ok = yield from wait_for(lambda oid=oid: ctl.session is not None and ctl.session.order_id == oid, 5)
                if not ok:
                    out("note open_failed", oid, json.dumps(ctl.feedback.en if ctl.feedback else None))
                    burst("@@ACK")
                    yield 0.5
                    continue
            yield from work_order(ctl.session)

    def act(code, pred, timeout):
        burst(code)
        ok = yield from wait_for(pred, timeout)
        if not ok:
            burst("@@ACK")
            yield 0.05
            burst(code)
            ok = yield from wait_for(pred, timeout)
        return ok

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
                yield 0.01 if i == left - 1 else 0.17

    def give_up(sess, why):
        out("note give_up", sess.order_id, sess.step.value, why,
            json.dumps(ctl.feedback.en if ctl.feedback else None))
        burst("@@ACK")
        yield from act("@@BACK", lambda: ctl.session is not sess, 1)

    def work_order(sess):
        oid = sess.order_id
        for _ in range(4):
            if sess.step not in (Step.PICK, Step.VERIFY):
                break
            step = sess.step
            yield from count_step(sess, step)
            burst("@@COMPLETE")
            ok = yield from wait_for(lambda step=step: sess.step != step, 2)
            if not ok:
                burst("@@ACK")
                yield 0.05
        if sess.step in (Step.PICK, Step.VERIFY):
            yield from give_up(sess, "count")
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
            svc.scale.settle_to(exp or 500)
            yield 0.8
            n = len(events_of(oid, "weight_recorded"))
            yield from act("@@WEIGH", lambda: len(events_of(oid, "weight_recorded")) > n, 1)
            yield from act("@@COMPLETE", lambda: sess.step != Step.WEIGH, 2)
        if sess.step == Step.LABEL:
            out("phase print", oid)
            yield from act("@@PRINT", lambda: sess.step == Step.DONE, 5)
            if sess.step != Step.DONE and ctl.feedback is not None and "F12" in ctl.feedback.en:
                out("note reprint_after_crash", oid)
                burst("@@REPRINT:lost")
                yield from wait_for(lambda: sess.step == Step.DONE, 5)
                if sess.step != Step.DONE:
                    yield from act("@@PRINT", lambda: sess.step == Step.DONE, 5)
        if sess.step == Step.DONE:
            out("done", oid)
            svc.scale.settle_to(0)
            yield from wait_for(lambda: ctl.session is None or ctl.session.order_id != oid, 3)
            yield 0.2
        else:
            yield from give_up(sess, "label")

    gen = driver()

    def step():
        try:
            wait = next(gen)
        except StopIteration:
            win._allow_close = True
            app.quit()
            return
        except Exception as exc:
            import traceback
            out("FAIL driver", repr(exc), json.dumps(traceback.format_exc()))
            win._allow_close = True
            app.quit()
            return
        QTimer.singleShot(int(wait * 1000), step)

    QTimer.singleShot(100, step)
    app.exec()
    win._allow_close = True
    win.close()
    svc.close()
    held.close()
    out("exit clean")
    return 0


# -- the orchestrator -----------------------------------------------------------------------------------------------
class Child:
    def __init__(self, cmd, env):
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[tuple[float, str]] = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for ln in self.p.stdout:
            with self.cv:
                self.lines.append((time.monotonic() - self.t0, ln.rstrip("\n")))
                self.cv.notify_all()
        with self.cv:
            self.lines.append((time.monotonic() - self.t0, "<eof>"))
            self.cv.notify_all()

    def wait_line(self, pred, timeout):
        end = time.monotonic() + timeout
        i = 0
        with self.cv:
            while True:
                while i < len(self.lines):
                    t, ln = self.lines[i]
                    i += 1
                    if pred(ln) or ln == "<eof>":
                        return ln
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=500)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orders", type=int, default=1500)
    a = ap.parse_args()
    import soak

    from sync.proxy import FaultProxy

    wd = Path(a.workdir)
    wd.mkdir(parents=True, exist_ok=True)
    data = wd / "station"
    port = soak.free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    oms = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "soak.py"), "--oms-child", str(wd / "oms.sqlite3"),
                            str(port), str(a.orders), str(wd / "oms-token")], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, text=True)
    assert oms.stdout.readline().strip() == "oms ready"
    import requests
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/time", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    proxy = FaultProxy(port, mode="pass").start()
    cfg = wd / "station.toml"
    cfg.write_text(CONFIG.format(sid=STATION_ID, data=data, url=proxy.url, token=wd / "oms-token"))
    journal = str(wd / "journal.jsonl")
    me = [sys.executable, str(Path(__file__).resolve())]
    rnd = random.Random(a.seed)
    log = open(wd / "chaos.log", "a")
    tally = {"kills": 0, "by_mode": {}, "fails": [], "notes": 0, "exited_before_kill": 0, "doctor_fail": [],
             "doctor_runs": 0, "start_s": []}
    t_end = time.monotonic() + a.minutes * 60
    outage = 0
    cycle = 0
    try:
        while tally["kills"] < a.kills and time.monotonic() < t_end:
            cycle += 1
            mode = rnd.choices(["startup", "login", "scan", "print", "any", "outage"],
                               [20, 10, 30, 15, 15, 10])[0]
            if outage > 0:
                outage -= 1
                if outage == 0:
                    proxy.set_mode("pass")
                    mode = "drain"
            elif mode == "outage":
                proxy.set_mode("down")
                outage = rnd.randint(1, 3)
                mode = rnd.choice(["scan", "print", "any"])
            c = Child(me + ["--station-child", str(cfg), journal], env)
            if mode == "startup":
                time.sleep(rnd.uniform(0.0, 2.5))
                got = "t"
            elif mode == "drain":
                got = c.wait_line(lambda ln: ln.startswith("ready"), 60)
                time.sleep(rnd.uniform(0.0, 1.5))
            elif mode == "login":
                got = c.wait_line(lambda ln: ln.startswith("phase login"), 60)
                time.sleep(rnd.uniform(0.0, 0.8))
            elif mode == "scan":
                k = rnd.randint(1, 25)
                got = c.wait_line(lambda ln, k=k: ln.startswith("s ") and int(ln.split()[1]) >= k, 60)
                time.sleep(rnd.uniform(0.0, 0.03))
            elif mode == "print":
                got = c.wait_line(lambda ln: ln.startswith("phase print"), 60)
                time.sleep(rnd.uniform(0.0, 0.6))
            else:
                got = c.wait_line(lambda ln: ln.startswith("phase work"), 60)
                time.sleep(rnd.uniform(0.0, 6.0))
            if c.p.poll() is None:
                c.p.send_signal(signal.SIGKILL)
                tally["kills"] += 1
                tally["by_mode"][mode] = tally["by_mode"].get(mode, 0) + 1
            else:
                tally["exited_before_kill"] += 1
            c.p.wait(30)
            time.sleep(0.05)
            with c.cv:
                lines = list(c.lines)
            for t, ln in lines:
                if ln.startswith("ready"):
                    tally["start_s"].append(round(t, 2))
                if ln.startswith(("FAIL", "Traceback")) or "Error" in ln:
                    tally["fails"].append((cycle, mode, ln[:400]))
                if ln.startswith("note"):
                    tally["notes"] += 1
            log.write(f"== cycle {cycle} mode {mode} got {got!r} kills {tally['kills']}\n")
            log.write("".join(f"  {t:6.2f} {ln}\n" for t, ln in lines if not ln.startswith("s ")))
            log.flush()
            if cycle % 25 == 0:
                tally["doctor_runs"] += 1
                d = subprocess.run([sys.executable, "-m", "packstation", "doctor", "--config", str(cfg), "--json"],
                                   env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
                if d.returncode != 0:
                    tally["doctor_fail"].append((cycle, d.stdout[-1500:], d.stderr[-500:]))
                log.write(f"doctor rc {d.returncode}: {d.stdout[-800:]}\n")
                print(f"cycle {cycle} kills {tally['kills']} fails {len(tally['fails'])} "
                      f"doctor_fail {len(tally['doctor_fail'])}", flush=True)
        # the end: the OMS reachable, one clean run drains the outbox
        proxy.set_mode("pass")
        c = Child(me + ["--station-child", str(cfg), journal, "--final"], env)
        rc = c.p.wait(300)
        with c.cv:
            lines = list(c.lines)
        log.write("== final\n" + "".join(f"  {t:6.2f} {ln}\n" for t, ln in lines if not ln.startswith("s ")))
        tally["final_rc"] = rc
        tally["final_lines"] = [ln for _, ln in lines if ln.startswith(("final_queue", "FAIL", "exit"))]
        d = subprocess.run([sys.executable, "-m", "packstation", "doctor", "--config", str(cfg), "--json"],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        tally["final_doctor_rc"] = d.returncode
        if d.returncode:
            tally["final_doctor"] = d.stdout[-2000:]
    finally:
        proxy.stop()
        oms.send_signal(signal.SIGINT)
        try:
            oms.wait(10)
        except subprocess.TimeoutExpired:
            oms.kill()
    # exactly once: station events vs the OMS's
    import sqlite3
    st = sqlite3.connect(data / "station.sqlite3")
    local = [r[0] for r in st.execute("SELECT id FROM events ORDER BY seq")]
    seqs = [r[0] for r in st.execute("SELECT seq FROM events ORDER BY seq")]
    try:
        quarantined = {r[0] for r in st.execute("SELECT event_id FROM outbox_quarantine")}
    except sqlite3.Error:
        quarantined = set()
    # each packed order's label and slip came out once (a second one only as a recorded reprint)
    packed = [r[0] for r in st.execute("SELECT DISTINCT order_id FROM events WHERE type = 'order_completed'")]
    out = {}
    for oid, kind, n in st.execute("SELECT order_id, kind, count(*) FROM print_jobs WHERE state = 'done' "
                                   "GROUP BY order_id, kind"):
        out[(oid, kind)] = n
    reprints = {r[0] for r in st.execute("SELECT DISTINCT order_id FROM events WHERE type = 'reprint'")}
    tally.update(orders_packed=len(packed),
                 packed_without_slip=[o for o in packed if not out.get((o, "slip"))],
                 packed_without_label=[o for o in packed if not out.get((o, "label"))],
                 two_labels_no_reprint=[o for o in packed if out.get((o, "label"), 0) > 1 and o not in reprints])
    st.close()
    om = sqlite3.connect(wd / "oms.sqlite3")
    remote = [r[0] for r in om.execute("SELECT id FROM events")]
    om.close()
    from collections import Counter
    dup = [i for i, n in Counter(remote).items() if n > 1]
    tally.update(events_station=len(local), seq_gap_free=seqs == list(range(1, len(seqs) + 1)),
                 events_oms=len(remote), oms_duplicates=len(dup),
                 missing_at_oms=len(set(local) - set(remote) - quarantined),
                 extra_at_oms=len(set(remote) - set(local)), quarantined=len(quarantined))
    sts = sorted(tally.pop("start_s"))
    if sts:
        tally["ready_s_median"] = sts[len(sts) // 2]
    print(json.dumps(tally, indent=1, default=str))
    (wd / "result.json").write_text(json.dumps(tally, indent=1, default=str))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--station-child":
        sys.exit(station_child(sys.argv[2], sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == "--final"))
    main()
