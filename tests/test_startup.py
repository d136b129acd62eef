"""What the station's start-up leaves for after the login screen shows (issue 15, `cold_start_50k_products_s`):
the login window is built without Alembic (database at head), the HTTP stack, the OMS contract's models, numpy or
the GS1 parser, and without reading the completed orders; the warm-up that runs on a worker once the window shows
loads them all, so no first use (first sync, first scan, the queue) pays for them on the GUI thread."""

import subprocess
import sys

from tests.conftest import ROOT

DEFERRED = ("alembic", "requests", "pydantic", "sync.contract", "numpy", "biip", "PySide6.QtMultimedia", "ui.screens.supervisor")

_STATION = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from app.config import Settings
from ui.shell import build_window, place_window

s = Settings()
s.station.data_dir = sys.argv[1]
s.oms.url = "http://127.0.0.1:9"
app, win, svc = build_window(s, start=False)
place_window(win, kiosk=False)
app.processEvents()
deferred = {DEFERRED!r}
loaded = lambda: sorted(d for d in deferred if d in sys.modules)
print("shown", loaded(), win.controller._finished_ids is None, win.sounds._effects is None)
win.warm_up()
assert win.tasks.wait(60000)
app.processEvents()  # the warm-up's callback on the GUI thread: the sound effects made
print("sounds", win.sounds._effects is not None)
print("warm", loaded(), sorted(win.controller._finished_ids))
win._allow_close = True
win.close()
svc.close()
"""


def test_login_window_shows_before_the_heavy_parts_load_and_the_warm_up_loads_them(tmp_path):
    from app.config import Settings
    from app.core import open_core
    from app.events import EventType

    s = Settings()
    s.station.data_dir = str(tmp_path)
    core = open_core(s)  # migrated here: the station below starts on a database already at head
    core.events.append(EventType.ORDER_COMPLETED, {}, order_id="ORD-DONE-1")
    core.close()

    code = _STATION.replace("{DEFERRED!r}", repr(DEFERRED))
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {ln.split(" ", 1)[0]: ln for ln in r.stdout.splitlines() if ln.startswith(("shown", "warm", "sounds"))}
    assert lines["sounds"] == "sounds True", r.stdout
    assert lines["shown"] == "shown [] True True", r.stdout  # nothing deferred was loaded, no order ids read
    warm = lines["warm"]
    for name in DEFERRED:
        if name in ("alembic", "numpy"):  # never needed: a database at head; no camera, the tones rendered
            assert repr(name) not in warm, warm
        else:
            assert repr(name) in warm, warm
    assert warm.endswith("['ORD-DONE-1']"), warm


def test_completed_orders_read_on_first_use_are_the_ones_in_the_log(tmp_path):
    """The lazily read set is the same one start-up used to read: completed orders never return to the queue."""
    from app.config import Settings
    from app.core import open_core
    from app.events import EventType
    from app.workflow import Station
    from floor import StationController

    s = Settings()
    s.station.data_dir = str(tmp_path)
    core = open_core(s)
    try:
        core.events.append(EventType.ORDER_COMPLETED, {}, order_id="A")
        ctl = StationController(Station(core))
        assert ctl._finished_ids is None
        core.events.append(EventType.ORDER_COMPLETED, {}, order_id="B")  # before the first use: read too
        assert ctl._finished == {"A", "B"}
        ctl._finished.add("C")
        ctl.warm_up()  # a second read never replaces what the controller added since
        assert ctl._finished == {"A", "B", "C"}
    finally:
        core.close()
