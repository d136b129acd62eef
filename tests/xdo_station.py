"""The demo station as the Xvfb floor test runs it (tests/test_ui_xcb_keys.py): a kiosk window on the xcb platform,
driven from outside by real X key events (xdotool). It writes what the station shows to a JSON file (for the test
to wait on) and plays the world around the packer: it puts the parcel on the scale at the weigh step, a little too
heavy, so that a supervisor has to accept the weight. It never presses a key itself.

    python tests/xdo_station.py DATA_DIR STATE_FILE"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(data_dir: str, state_file: str) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.workflow import Step
    from ui.services import demo_settings
    from ui.shell import build_window, place_window

    s = demo_settings(Path(data_dir))
    s.station.kiosk = True
    # xdotool's 5 ms keys can arrive up to tens of ms apart on a busy test machine (Xvfb, the station and xdotool
    # share two cores): the scanner gap allows that; a person's keys (180 ms apart) stay a person's
    s.devices.scanner.max_key_gap_ms = 90.0
    app, win, svc = build_window(s, demo=True)
    win.demo_panel.place_parcels = False  # this script puts the parcel down itself (too heavy), below
    place_window(win, kiosk=True)
    c = win.controller
    focus_log: list[str] = []
    app.focusChanged.connect(lambda old, new: focus_log.append(
        f"{type(new).__name__}:{new.objectName() or getattr(new, 'placeholderText', lambda: '')()}" if new else "-"))
    placed = {"order": None}

    def state() -> dict:
        sess = c.session
        fw = QApplication.focusWidget()
        d = {"screen": c.screen.value, "prompt": c.prompt.kind if c.prompt else None,
             "pending_badge": c.pending_badge, "active": QApplication.activeWindow() is win,
             "focus": type(fw).__name__ if fw else None, "focus_in_window": bool(fw and fw.window() is win),
             "prompt_field": next((n for n in ("badge", "pin", "reason") if getattr(win.work.prompt, n) is fw), None),
             "operator": c.operator.badge if c.operator else None,
             "feedback": c.feedback.text("en") if c.feedback else None,
             "level": c.feedback.level.value if c.feedback else None,
             "login": [win.login.badge.text(), len(win.login.pin.text()), win.login.message.text()],
             "focus_log": focus_log[-8:],
             "check_done": len(win.check.results) == len(win.check.rows),
             "ready": svc.core.operators.by_badge("K-001") is not None and bool(svc.sync.cache.open_picklists()),
             "queue": [{"id": p.id, "siblings": [x["code"] for x in p.siblings],
                        "gift": any(ln.gift for ln in p.lines),
                        "simple": not any(ln.lot.required or ln.serial_required for ln in p.lines)}
                       for p in (c.queue_items() if c.screen.value == "queue" else [])]}
        if sess is not None:
            d["order"] = sess.order_id
            d["step"] = sess.step.value
            d["carton"] = sess.carton
            d["weight_ok"] = sess.weight is not None and (sess.weight.ok or sess.weight_overridden)
            d["weight_recorded"] = sess.weight is not None
            d["usable"] = c.weight_view().usable
            d["lines"] = [{"id": ln.id, "bin": ln.bin_barcode, "qty": ln.qty,
                           "unit": next(b.code for b in ln.barcodes if b.qty_per_scan == 1),
                           "scanned": sess.progress[ln.id].scanned, "short": sess.progress[ln.id].short_qty,
                           "gift": ln.gift, "gift_ok": sess.gift_ok(ln.id)}
                          for ln in sess.picklist.walking_order()]
            cur = sess.current_line()
            d["current"] = cur.id if cur is not None else None
            if sess.step == Step.WEIGH and placed["order"] != sess.order_id:
                placed["order"] = sess.order_id  # the packer puts the parcel down: 20 % heavier than expected
                exp = sess.expected_weight[0] or 500
                svc.scale.settle_to(0)
                QTimer.singleShot(400, lambda e=exp: svc.scale.settle_to(e * 1.2))
        return d

    def write() -> None:
        tmp = state_file + ".tmp"
        Path(tmp).write_text(json.dumps(state()), encoding="utf-8")
        os.replace(tmp, state_file)

    t = QTimer()
    t.setInterval(50)
    t.timeout.connect(write)
    t.start()
    win._allow_close = True
    rc = app.exec()
    svc.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
