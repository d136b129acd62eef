#!/usr/bin/env python3
"""Fuzz: N scans through the real keyboard-wedge filter (QKeyEvents at scanner speed on an injected clock, into a
focused QLineEdit) into the real StationController (floor_kit's station: real core on SQLite, real cache), at every
screen and step. Looks for: exceptions (the controller's _answers logs "<use case> failed"), ERROR logs, a message
that leaks a Python repr/traceback, a scan on the work screen with no scan event recorded, a station stuck (a good
item scan / order scan / @@ACK that no longer works), keys leaking into the line edit.

    QT_QPA_PLATFORM=offscreen python scripts/fuzz_scans.py 100000 SEED [--direct]   (FUZZ_MINUTES=n: stop after n min)

--direct: the scans go to the controller alone, as RawScans from every source (serial, camera, evdev give text that
no key event carries). Prints the figures and up to 5 examples of each finding (the "\\uXXXX" escapes the station writes on purpose,
`app.scans.visible_text`, are not counted as leaks). A scan of the same code from another device kind
just before is dropped by design (`AcrossDevicesFilter`): counted apart, not as a scan not recorded.
"""
from __future__ import annotations

import logging
import os
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from floor_kit import Floor, simple_order  # noqa: E402
from PySide6.QtCore import QEvent, Qt  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit  # noqa: E402

from app.config import ScannerSettings, Settings  # noqa: E402
from app.workflow import Step  # noqa: E402
from floor import Screen  # noqa: E402
from ui.wedge_filter import WedgeFilter  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
DIRECT = "--direct" in sys.argv  # the controller's scan use case alone (RawScan as the serial/evdev/camera paths give)
rnd = random.Random(SEED)

ACTIONS = ["@@COMPLETE", "@@SHORT", "@@REPRINT", "@@UNDO", "@@ACK", "@@BACK", "@@WEIGH", "@@PRINT", "@@GIFT",
           "@@OVERRIDE", "@@LOGOUT", "@@CARTON:M", "@@REASON:NOT_FOUND", "@@REASON:damaged", "@@REPRINT:lost"]


def junk_action():
    head = rnd.choice(["@@", "@@CARTON:", "@@REASON:", "@@REPRINT:", "@@SHORT:", "@@COMPLETE:", "@@ACK:", "@@LOGOUT:",
                       "@@carton:", "@@Carton:m", "@@ ", "@@@@", "@@REASON", "@@PRINT:"])
    return head + rnd.choice(["", "ZZ", "\x00", "M" * 300, "../../etc", "%s%n", "{order}", "{0}", "\ud800", "１",
                              ":", "::", "M:M", "Ｍ", " M ", "\x1d", "NaN", "-1", "999999999999999999999"])


def gs1():
    parts = ["(01)", "01", "]C1", "]d2", "]D2", "]e0", "]Q3", "\x1d", "(17)", "17", "(10)", "10", "(21)", "21",
             "00012345600012", "04006381333931", "991231", "991332", "A1", "\x1d10", "(01)0400638133393", "https://id.gs1.org/01/04006381333931/10/X",
             "(", ")", "(99)", "9", "0" * 14, "]E0", "]E3", "]A1"]
    return "".join(rnd.choice(parts) for _ in range(rnd.randint(1, 8)))


def rand_text(n):
    return "".join(chr(rnd.choice([rnd.randint(0, 31), rnd.randint(32, 126), rnd.randint(127, 0x2FF),
                                   rnd.randint(0xD800, 0xDFFF), rnd.randint(0xFF01, 0xFF5E), rnd.randint(0x4E00, 0x4F00),
                                   0x202E, 0xFEFF, 0x200B])) for _ in range(n))


def caps(s):
    return s.swapcase()


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


class Rig:
    def __init__(self, tmp):
        s = Settings()
        s.station.data_dir = str(Path(tmp) / "data")
        self.orders = [simple_order(1000 + i, gift=i % 3 == 0, qtys=tuple(rnd.randint(1, 3) for _ in range(rnd.randint(1, 4))))
                       for i in range(400)]
        self.f = Floor(s, self.orders)
        self.f.ctl.idle_logout_s = 0
        self.app = QApplication.instance() or QApplication([])
        self.ms = 1_000_000.0
        self.wf = WedgeFilter(ScannerSettings(max_key_gap_ms=35, min_length=4), clock=lambda: self.ms)
        self.app.installEventFilter(self.wf)
        self.edit = QLineEdit()
        self.edit.show()
        self.edit.setFocus()
        self.app.processEvents()
        self.scans = []
        self.wf.scanned.connect(self.on_scan)

    def on_scan(self, raw):
        self.scans.append(raw)

    def keys(self, text, gap=4.0, terminator=True):
        for ch in text:
            self.ms += gap
            if ch == "\x1d":
                ev = (Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier, "\x1d")
            elif ch.isascii() and ch.isalpha():
                ev = (ord(ch.upper()), Qt.KeyboardModifier.ShiftModifier if ch.isupper() else Qt.KeyboardModifier.NoModifier, ch)
            elif ch.isascii() and 32 <= ord(ch) < 127:
                ev = (ord(ch), Qt.KeyboardModifier.NoModifier, ch)
            elif ch in "\r\n":
                ev = (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
            elif ch == "\t":
                ev = (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, "\t")
            else:  # what a keymap gives for a non-ASCII character (key 0 or the upper code), with its text
                ev = (0 if rnd.random() < 0.5 else ord(ch.upper()[0]) if ord(ch) < 0x10000 else 0,
                      Qt.KeyboardModifier.NoModifier, ch)
            for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                try:
                    QApplication.sendEvent(self.edit, QKeyEvent(t, ev[0], ev[1], ev[2]))
                except Exception as exc:  # a lone surrogate cannot become a QString
                    return f"qt:{type(exc).__name__}"
        if terminator:
            self.ms += gap
            for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(self.edit, QKeyEvent(t, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r"))
        self.ms += 300  # the next scan comes later (no double read)
        self.wf.flush()
        return None


class Catch(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.recs = []

    def emit(self, r):
        self.recs.append(r)


LEAK = re.compile(r"Traceback|File \"|object at 0x|<[a-zA-Z_.]+ object|\b[A-Z][a-zA-Z]*(Error|Exception)\b|"
                  r"\bNone\b|\\x[0-9a-f]{2}|\{[a-z_]+\}|%[sd]")


def main():
    tmp = tempfile.mkdtemp(prefix="packstation-fuzz-")
    rig = Rig(tmp)
    f = rig.f
    catch = Catch()
    logging.getLogger().addHandler(catch)
    logging.getLogger().setLevel(logging.INFO)
    stats = Counter()
    findings = Counter()
    examples = {}

    def find(kind, detail):
        findings[kind] += 1
        if kind not in examples or len(examples[kind]) < 5:
            examples.setdefault(kind, []).append(detail)

    def scan_events():
        with f.core.store.read() as c:
            return c.exec_driver_sql("SELECT count(*) FROM events WHERE type='scan'").scalar()

    def gen_code():
        s = f.ctl.session
        r = rnd.random()
        good = []
        if s is not None:
            good = [b.code for ln in s.picklist.lines for b in ln.barcodes]
            good += [ln.bin_barcode for ln in s.picklist.lines if ln.bin_barcode]
        orders = [o.id for o in rig.orders[:60]] + [o.order_no for o in rig.orders[:10]]
        if r < 0.2 and good:
            c = rnd.choice(good)
        elif r < 0.28:
            c = rnd.choice(orders)
        elif r < 0.36:
            c = rnd.choice(ACTIONS)
        elif r < 0.44:
            c = junk_action()
        elif r < 0.52:
            c = gs1()
        elif r < 0.6:
            c = rand_text(rnd.randint(1, 40))
        elif r < 0.61:
            c = rand_text(rnd.randint(100, 300)) if rnd.random() < 0.2 else "".join(
                chr(rnd.randint(33, 126)) for _ in range(rnd.randint(500, 6000)))
        elif r < 0.68:
            c = rnd.choice(["K-001", "S-001", "P-001", "k-001", "Z-999", "K-001\x00", "ｋ－００１"])
        elif r < 0.75 and good:
            c = caps(rnd.choice(good + orders + ACTIONS))
        elif r < 0.8:
            c = fullwidth(rnd.choice(good + orders + ACTIONS) if good else rnd.choice(orders + ACTIONS))
        elif r < 0.85:
            c = "".join(rnd.choice(["\x00", "\x1b", "\x7f", "\x08", "\x1d", "\x1e", "\x04", "\t", "\u2028", "\ud83d"])
                        for _ in range(rnd.randint(1, 10)))
        elif r < 0.9:
            c = "".join(chr(rnd.randint(1, 255)) for _ in range(rnd.randint(1, 60)))
        else:
            base = rnd.choice(good + orders) if good else rnd.choice(orders)
            c = base + rand_text(rnd.randint(1, 5)) if rnd.random() < 0.5 else rand_text(2) + base
        return c

    def check_feedback(what):
        fb = f.ctl.feedback
        if fb is None:
            return
        for lang in ("en", "zh_CN"):
            try:
                t = fb.text(lang)
            except Exception as exc:
                find("feedback_render_raises", (what[:60], lang, repr(exc)))
                continue
            # the scanned code quoted back may hold anything: judge the text with it taken out
            bare = t
            for q in (what, what.strip(), what.strip().upper()):
                if q:
                    bare = bare.replace(q, "")
            for q in re.findall(r"[\"“'‘「](.*?)[\"”'’」]", t):
                bare = bare.replace(q, "")
            if LEAK.search(bare):
                find("leak_" + LEAK.search(bare).group(0)[:20], (what[:60], t[:300]))
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:
                find("feedback_lone_surrogate", (what[:60], t[:200]))
            if len(t) > 1200:
                find("feedback_too_long", (what[:60], len(t)))

    def probe():
        """Is the station stuck? The expected next move must do something."""
        ctl = f.ctl
        if ctl.operator is None:
            ctl.login("K-001", "2222")
            if ctl.operator is None:
                find("stuck_login", str(ctl.feedback.en if ctl.feedback else None))
            return
        if ctl.screen == Screen.CHECK:
            ctl.key("Enter")
            if ctl.screen == Screen.CHECK:
                find("stuck_check", str(ctl.feedback.en if ctl.feedback else None))
            return
        s = ctl.session
        if ctl.screen == Screen.WORK and s is not None and s.step in (Step.PICK, Step.VERIFY) and not getattr(s, "stopped_", False):
            if ctl.prompt is not None:
                ctl.key("Escape")
            ln = s.current_line()
            if ln is None:
                return
            before = s.progress[ln.id].scanned
            ctl.key("Enter")  # acknowledge whatever is shown
            rig.ms += 5000  # past the double-read windows of the code's last read
            rig.keys(ln.barcodes[0].code)
            took = rig.scans[-1:] if rig.scans else []
            for raw in took:
                ctl.scan(raw)
            rig.scans.clear()
            after = s.progress[ln.id].scanned
            if after != before + 1 and not getattr(s, "stopped_", False) and s.step in (Step.PICK, Step.VERIFY):
                find("stuck_item_scan", (s.order_id, s.step.value, ln.id, before, after,
                                         ctl.feedback.en if ctl.feedback else None, ctl.prompt))

    def wedge_scan(code):
        rig.keys(code)
        scans, rig.scans = rig.scans, []
        for raw in scans:
            f.ctl.scan(raw)

    t0 = time.monotonic()
    i = 0
    last_print = t0
    stop_at = t0 + float(os.environ.get("FUZZ_MINUTES", "1e9")) * 60
    while i < N and time.monotonic() < stop_at:
        # walk on: sometimes do the right thing so every step and screen is reached
        r = rnd.random()
        ctl = f.ctl
        try:
            if ctl.operator is None and r < 0.7:
                ctl.login("K-001", "2222")
            elif ctl.screen == Screen.CHECK and r < 0.7:
                ctl.key("Enter")
            elif ctl.screen == Screen.QUEUE and r < 0.3:
                wedge_scan(rnd.choice(rig.orders).id)
            elif ctl.session is not None and r < 0.25:
                s = ctl.session
                if s.step == Step.WEIGH:
                    f.ctl.on_weight(s.expected_weight[0] or 300, True)
                    ctl.key(rnd.choice(["F8", "F9"]))
                elif s.step == Step.PACK:
                    ctl.key(rnd.choice(["1", "2", "F10", "F3"]))
                elif s.step == Step.LABEL:
                    ctl.key("F9")
                elif False:
                    ctl.key("Escape")
                else:
                    ln = s.current_line()
                    if ln is not None:
                        wedge_scan(ln.barcodes[0].code)
                    else:
                        ctl.key("F10")
            elif r < 0.33:
                ctl.key(rnd.choice(["F2", "F12", "Escape", "Enter", "F4", "F10", "Up", "Down", "1", "3"] * 3 + ["F11"]))
            elif r < 0.335:
                ctl.key("Ctrl+L")
        except Exception as exc:
            find("walk_raised", repr(exc))
        # the fuzzed scan, through the wedge filter
        code = gen_code()
        gap = rnd.choice([2.0, 4.0, 8.0, 15.0, 30.0])
        stats[f"screen_{f.ctl.screen.name}"] += 1
        if f.ctl.session is not None:
            stats[f"step_{f.ctl.session.step.value}"] += 1
        if f.ctl.prompt is not None:
            stats[f"prompt_{f.ctl.prompt.kind}"] += 1
        rig.edit.clear()
        if DIRECT:
            from app.scans import RawScan, ScanSource
            rig.ms += 300
            rig.scans.append(RawScan(code, source=rnd.choice(list(ScanSource)), mono_ns=int(rig.ms * 1e6)))
            err = None
        else:
            err = rig.keys(code, gap=gap, terminator=rnd.random() < 0.95)
        if err:
            stats[err] += 1
        leaked = rig.edit.text()
        scans, rig.scans = rig.scans, []
        if leaked and len(code) >= 4 and gap <= 30 and scans == []:
            stats["given_back_as_typing"] += 1
        elif leaked and scans and not any(0xD800 <= ord(ch) <= 0xDFFF or unicodedata.category(ch) in ("Cf", "Cc")
                                          for ch in code):
            find("keys_leaked_beside_scan", (code[:60], leaked[:60]))
        for raw in scans:
            before = scan_events()
            on_work = f.ctl.screen == Screen.WORK and f.ctl.session is not None
            n_recs = len(catch.recs)
            dropped = f.ctl.across_devices.dropped
            try:
                res = f.ctl.scan(raw)
            except Exception as exc:
                find("scan_raised", (code[:60], repr(exc)))
                continue
            stats["scans"] += 1
            stats[f"outcome_{getattr(res, 'outcome', '?')}"] += 1
            for rec in catch.recs[n_recs:]:
                msg = rec.getMessage()
                if rec.levelno >= logging.ERROR or "failed" in msg:
                    find("logged_" + msg[:40], (repr(raw.text[:60]), msg[:300], rec.exc_text[-600:] if rec.exc_text else ""))
            after = scan_events()
            txt = raw.text.strip() if isinstance(raw.text, str) else ""
            if f.ctl.across_devices.dropped > dropped:
                stats["dropped_read_by_another_device"] += 1
            elif on_work and after == before and txt and not txt.startswith("@@") and not (
                    f.ctl.prompt is not None and f.ctl.prompt.kind == "override"):
                fb = f.ctl.feedback
                find("work_scan_not_recorded", (repr(raw.text[:60]), fb.en[:200] if fb else None, f.ctl.screen.name))
            check_feedback(raw.text)
        del catch.recs[:]
        i += 1
        if i % 50 == 0:
            try:
                probe()
            except Exception as exc:
                find("probe_raised", repr(exc))
        if i % 5000 == 0 and len(f.ctl.station.sessions) > 30:
            f.ctl.key("Ctrl+L")
        if time.monotonic() - last_print > 30:
            last_print = time.monotonic()
            print(f"{i} fuzzed, {stats['scans']} scans, findings {dict(findings)}", flush=True)
    dt = time.monotonic() - t0
    print("=== done", i, "fuzzed inputs,", stats["scans"], "scans through the controller in", round(dt), "s")
    print("stats", dict(stats))
    print("findings", dict(findings))
    for k, v in examples.items():
        print("--", k)
        for e in v:
            print("   ", repr(e)[:900])
    f.close()


if __name__ == "__main__":
    main()
