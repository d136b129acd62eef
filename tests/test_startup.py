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


_FIRST = """
import builtins, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
HEAVY = ("sqlalchemy", "app.store", "app.events", "app.core", "floor.controller", "sync.service", "ui.services",
         "ui.screens.work")
say = builtins.print


def watch(*a, **k):
    if a and a[0] in ("shown", "ready"):
        say(a[0], sorted(m for m in HEAVY if m in sys.modules), flush=True)
        return
    say(*a, **k)


builtins.print = watch
from packstation.cli import main
sys.exit(main(["--config", sys.argv[1], "run", "--exit-when-shown"]))
"""


def test_the_login_screen_is_shown_before_the_event_log_the_floor_and_the_sync_are_loaded(tmp_path):
    """`cold_start_s`: the station shows its login screen first (`ui.shell.build_frame`), then imports and opens its
    services behind it (`attach_services`: SQLAlchemy alone is ~0.3 s of a start); `ready` is printed once they
    are attached."""
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n[oms]\nurl = "http://127.0.0.1:9"\n',
                   encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", _FIRST, str(cfg)], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {ln.split(" ", 1)[0]: ln for ln in r.stdout.splitlines() if ln.startswith(("shown", "ready"))}
    assert lines["shown"] == "shown []", r.stdout
    assert lines["ready"].startswith("ready ['app.core', 'app.events', 'app.store', 'floor.controller',"), r.stdout


def test_a_badge_and_pin_given_before_the_services_are_attached_log_in_once_they_are(qtbot, tmp_path):
    """What the login screen takes before `attach` (a key press handled while the frame paints): a badge scanned
    and the PIN's Enter wait, and are handed on in their order once the services are attached."""
    from app.config import Settings
    from app.core import open_core
    from app.operators import Role
    from app.scans import RawScan, ScanSource
    from floor import Screen
    from ui.shell import attach_services, build_frame, discard_frame

    s = Settings()
    s.station.data_dir = str(tmp_path)
    s.oms.url = "http://127.0.0.1:9"
    core = open_core(s)
    core.operators.add(badge="K-001", name="Packer", role=Role.PACKER, pin="2222", op_id="op-k1")
    core.close()
    app, win = build_frame(s)
    assert win.controller is None and win.stack.currentWidget() is win.login and win.status.isVisibleTo(win)
    win.bridge.scan.emit(RawScan("K-001", ScanSource.HID))  # the wedge filter's scan
    win.login.pin.setText("2222")
    win.login.try_login()  # Enter on the PIN
    assert win.controller is None
    try:
        svc = attach_services(win, s)
        try:
            assert win.controller.operator is not None and win.controller.operator.badge == "K-001"
            assert win.controller.screen == Screen.CHECK
        finally:
            win._allow_close = True
            svc.close()
    finally:
        discard_frame(app, win)  # its key filter off the application: the next tests' keys are theirs alone
