"""Application shell: QApplication, the station's language, the wedge filter, one exception handler, start-up."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from app import heap
from app.config import Settings
from app.logsetup import current_log_file, setup_logging
from ui.binding_check import check_binding
from ui.qt_env import ensure_platform
from ui.translations import _

log = logging.getLogger(__name__)
STYLE = Path(__file__).resolve().parent.parent / "resources" / "style.qss"


def install_exception_handler(window) -> None:
    """Every uncaught exception, thread ones too: logged, a plain message on screen, the station runs on."""

    def show(msg: str) -> None:
        try:
            from floor import Level

            window.work.panel.show_message(
                _("Something went wrong and was logged; the station keeps running: {error}", error=msg), Level.ERROR)
        except Exception:
            pass

    def hook(exc_type, exc, tb) -> None:
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        show(f"{exc_type.__name__}: {exc}")

    def thread_hook(args) -> None:
        log.error("uncaught exception in thread %s", args.thread, exc_info=(args.exc_type, args.exc_value,
                                                                              args.exc_traceback))

    sys.excepthook = hook
    threading.excepthook = thread_hook


def make_app(language: str):
    """The QApplication, styled, and the station's one language bound for every screen (ui/translations.py)."""
    heap.tune_allocator()  # before Qt's and the station's threads: a shift's freed memory reused (app/heap.py)
    ensure_platform()
    check_binding()  # before any window: a miscounting binding aborts the process hours later
    from PySide6.QtWidgets import QApplication

    from ui.translations import install

    app = QApplication.instance() or QApplication(sys.argv)
    if STYLE.exists():
        app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    install(app, language)
    return app


def build_window(settings: Settings, *, demo: bool = False, start: bool = True):
    """Services + main window + wedge filter, started (`start=False`: the caller starts them, e.g. once the
    window shows). Returns (app, window, services)."""
    app, win = build_frame(settings, demo=demo)
    services = attach_services(win, settings, demo=demo)
    if start:
        services.start(win.bridge)
    return app, win, services


def build_frame(settings: Settings, *, demo: bool = False):
    """The main window with its login screen and status bar, and the wedge filter: what the station shows first,
    made without the event log, the floor or the sync (none of them is imported yet). Returns (app, window)."""
    app = make_app(settings.station.language)
    from ui.main_window import MainWindow
    from ui.wedge_filter import WedgeFilter

    win = MainWindow(settings=settings, language=settings.station.language, demo=demo)
    wedge = WedgeFilter(settings.devices.scanner, parent=win)
    app.installEventFilter(wedge)
    wedge.scanned.connect(win.bridge.scan)
    wedge.suspicious.connect(win.show_suspicious)
    win.wedge = wedge
    install_exception_handler(win)
    return app, win


def discard_frame(app, win) -> None:
    """A window whose services could not be attached: closed, its key filter taken off the application (a window
    made again, on F5 after "cannot start", must not have its keys filtered twice), deleted."""
    app.removeEventFilter(win.wedge)
    win.close()
    win.deleteLater()


def attach_services(win, settings: Settings, *, demo: bool = False):
    """The station's services (store, station, sync, devices) opened and attached to the window made by
    `build_frame`: the controller and the other screens. Returns the services (not started)."""
    from ui.services import build_services

    services = build_services(settings, demo=demo)
    try:
        win.attach(services)
    except BaseException:
        services.close()
        raise
    return services


def fit_window(win, rect) -> None:
    """`win` on the display area `rect`: the window told of it first (`MainWindow.set_display`: a low display gets
    the work screen's compact boxes, so the window's least height fits it), then set to it."""
    from PySide6.QtWidgets import QApplication

    told = getattr(win, "set_display", None)
    if told is not None:
        told(rect)
    for _attempt in range(3):  # held at the least size of its old width (the demo panel docked beside a 1440 px window
        win.setGeometry(rect)  # needs 649 px; at 1024 it is a drawer): laid out at the new width, set again
        if win.size() == rect.size():
            break
        QApplication.processEvents()


def place_window(win, *, kiosk: bool, screen=None) -> None:
    """Kiosk: the whole screen, also on a bare X server with no window manager (where showFullScreen alone
    leaves the window at its size hint, e.g. 1009×777 on a 1920×1080 screen). Else the screen's available area
    (desktop panels excluded), maximised. Never a fixed size: the screens fit 1024×768 and up."""
    from PySide6.QtWidgets import QApplication

    screen = screen or win.screen() or QApplication.primaryScreen()
    if kiosk:
        fit_window(win, screen.geometry())
        win.showFullScreen()
    else:
        fit_window(win, screen.availableGeometry())
        win.showMaximized()
    # the keyboard to the station from the first key: with no window manager nobody else gives the window the X
    # input focus, and Qt's shortcuts (F-keys, Enter on the station check) answer only in the active window
    win.raise_()
    win.activateWindow()


CANNOT_START_RC = 75  # F5 on the "cannot start" screen: the station tries to start again
# another station process holds the data folder (app.station_lock); the systemd unit does not restart on it
# (RestartPreventExitStatus): the station already running is the one to use
ALREADY_RUNNING_RC = 4


def cannot_start_text(settings: Settings, exc: BaseException) -> str:
    """What the kiosk says when the station cannot start: the cause in the floor's words, and what to do."""
    import sqlite3

    from app.config import ConfigError
    from app.store import StoreFromNewerRelease, disk_full, read_only

    if isinstance(exc, ConfigError):
        cause = _("Its configuration has a mistake: {error}", error=str(exc))
    elif isinstance(exc, StoreFromNewerRelease):
        cause = _("The station's database {path} was made by a newer release of packstation (schema {revision}). "
                  "Start that release again, or restore a backup. Do not delete the file: it may hold events the OMS "
                  "has not received yet.", path=str(exc.path), revision=exc.revision)
    elif disk_full(exc):
        cause = _("The station's disk is full.")
    elif read_only(exc):
        cause = _("The station's database {path} cannot be written ({error}). A disk switches itself to read-only "
                  "after a fault; or the station's user may not write that folder. Do not delete the file: it may hold "
                  "events the OMS has not received yet.", path=str(settings.db_path),
                  error=(exc.strerror if isinstance(exc, OSError) and exc.strerror else None)
                  or str(getattr(exc, "orig", None) or exc))
    elif isinstance(exc, sqlite3.DatabaseError) or isinstance(getattr(exc, "orig", None), sqlite3.DatabaseError):
        cause = _("The station's database {path} cannot be read ({error}). Do not delete it: it may hold events the "
                  "OMS has not received yet.", path=str(settings.db_path), error=str(getattr(exc, "orig", exc)))
    else:
        cause = f"{type(exc).__name__}: {exc}"
    return "\n\n".join([_("The station cannot start."), cause,
                         _("Call a technician (the details are in the station's log: {log}).",
                           log=str(current_log_file() or settings.data_dir / "logs")),
                         _("F5: try again.")])


def can_show(exit_when_shown: bool = False) -> bool:
    """A window someone can read: a QApplication on a real display (offscreen, nobody would ever see it and the process
    would wait for a key forever), or one that closes as soon as it is shown."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        return False
    return exit_when_shown or QGuiApplication.platformName() not in ("offscreen", "minimal")


def end_on_signals(app, end: Callable[[signal.Signals], None]) -> Callable[[], None]:
    """SIGTERM (`systemctl stop`, a shutdown) and SIGINT (Ctrl+C where it was started from a terminal) end the
    station the way leaving it does: `end(sig)` from the GUI thread's event loop (a signal that comes before the
    loop runs, once it does), then the services close (devices, printer spool, sync, database). SIGTERM killed it
    on the spot; Ctrl+C printed "KeyboardInterrupt" from inside a Qt event filter and the station ran on, and the
    "cannot start" screen waited for F5. Python runs a signal's handler only between its own bytecodes, and the GUI
    thread sits in Qt's C++ loop: the signal's byte on a socket pair (`signal.set_wakeup_fd`) wakes it through a
    QSocketNotifier, as Qt applications written in Python do. Main thread only. Returns what puts the previous
    handlers back (once the event loop is over: a process that goes on, a test's, keeps no handler of a closed
    window)."""
    from PySide6.QtCore import QSocketNotifier, QTimer

    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)

    def drain() -> None:  # Python ran the handler on its way into this slot; the bytes only woke the loop
        try:
            while rsock.recv(64):
                pass
        except OSError:
            pass

    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, app)
    notifier.activated.connect(drain)

    def handler(signum: int, _frame) -> None:
        # Python runs this between two bytecodes of whatever the GUI thread was doing (a scan's commit, a log
        # line): the station closes from the event loop, once that is done, not from inside it
        QTimer.singleShot(0, lambda: ended(signal.Signals(signum)))

    def ended(sig: signal.Signals) -> None:
        log.warning("%s received: the station closes", sig.name)
        end(sig)

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    old_fd = signal.set_wakeup_fd(wsock.fileno())

    def restore() -> None:
        for sig, h in before.items():
            signal.signal(sig, h)
        signal.set_wakeup_fd(old_fd)
        notifier.setEnabled(False)
        rsock.close()
        wsock.close()
    return restore


def show_cannot_start(settings: Settings, exc: BaseException, *, exit_when_shown: bool = False) -> int:
    """A window that says why the station cannot start, instead of a kiosk left blank while its service restarts it
    every few seconds (the reason was only on stderr). F5 closes it with CANNOT_START_RC: start again."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QKeySequence, QShortcut
    from PySide6.QtWidgets import QApplication, QLabel

    app = make_app(settings.station.language)
    win = QLabel(cannot_start_text(settings, exc))
    win.setObjectName("cannot_start")
    win.setWordWrap(True)
    win.setAlignment(Qt.AlignmentFlag.AlignCenter)
    win.setMargin(48)
    win.setStyleSheet("background: #c62828; color: white; font-size: 28px; font-weight: bold;")
    QShortcut(QKeySequence("F5"), win, activated=lambda: QApplication.exit(CANNOT_START_RC))
    restore = end_on_signals(app, lambda _sig: QApplication.exit(1))  # Ctrl+C, systemctl stop: not F5's retry
    place_window(win, kiosk=settings.station.kiosk)
    log.warning("the station cannot start; its screen says why (F5 tries again): %s", exc)
    if exit_when_shown:
        print("cannot start", flush=True)
        QTimer.singleShot(0, lambda: QApplication.exit(1))
    rc = app.exec()
    restore()
    win.close()
    return rc or 1


def already_running_text(exc: BaseException) -> str:
    """What a second start on a station's data folder says (app.station_lock), in the floor's words."""
    pid = getattr(exc, "pid", None)
    return "\n\n".join([_("packstation is already running on this station (process {pid}).", pid=str(pid or "?")),
                          _("Use the station window that is already open; this second one closes by itself.")])


def show_already_running(settings: Settings, exc: BaseException, *, exit_when_shown: bool = False) -> None:
    """A second start (a double-click on the kiosk's launcher) says why nothing new opens, in a small window on top
    that closes itself after 10 s or at Enter/Esc: never full screen, so it cannot hide the station already running
    (whose kiosk window only a supervisor may close)."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QKeySequence, QShortcut
    from PySide6.QtWidgets import QApplication, QLabel

    app = make_app(settings.station.language)
    win = QLabel(already_running_text(exc))
    win.setObjectName("already_running")
    win.setWordWrap(True)
    win.setAlignment(Qt.AlignmentFlag.AlignCenter)
    win.setMargin(32)
    win.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
    win.setStyleSheet("background: #ef6c00; color: white; font-size: 24px; font-weight: bold;")
    for key in ("Return", "Enter", "Escape"):
        QShortcut(QKeySequence(key), win, activated=QApplication.quit)
    screen = QApplication.primaryScreen().availableGeometry()
    win.setFixedWidth(min(720, screen.width()))
    win.adjustSize()
    win.move(screen.center() - win.rect().center())
    win.show()
    win.raise_()
    QTimer.singleShot(0 if exit_when_shown else 10_000, QApplication.quit)
    if exit_when_shown:
        print("already running", flush=True)
    restore = end_on_signals(app, lambda _sig: QApplication.quit())
    app.exec()
    restore()
    win.close()


def run_station(settings: Settings, *, exit_when_shown: bool = False, verbose: bool = False,
                demo: bool = False) -> int:
    from app.station_lock import StationAlreadyRunning, hold_data_dir

    setup_logging(settings.data_dir / "logs", verbose)
    try:
        held = hold_data_dir(settings.data_dir)  # kept until this function returns: the process's whole run
    except StationAlreadyRunning as exc:
        log.warning("%s", exc)
        make_app(settings.station.language)
        if can_show(exit_when_shown):
            show_already_running(settings, exc, exit_when_shown=exit_when_shown)
        return ALREADY_RUNNING_RC
    while True:
        # The login screen first, then the services behind it: it is on the screen before the event log, the floor
        # and the sync are imported and opened (about half a start); a badge scanned meanwhile waits in the event
        # queue (the wedge filter reads the window system's key times, so it is still told from typing).
        app, win = build_frame(settings, demo=demo)
        place_window(win, kiosk=settings.station.kiosk)
        app.processEvents()  # the login screen painted
        if exit_when_shown:
            print("shown", flush=True)
        services = None
        try:
            services = attach_services(win, settings, demo=demo)
            services.station.when_indexed = heap.settle  # the long-lived heap frozen once the products are indexed
            # the workers' first writes (the print spool's recovery) are part of the start: refused, they are said on
            # this screen like any other cause (they ended the process with a line on stderr, the kiosk left blank)
            services.start(win.bridge)
            break
        except BaseException as exc:
            if services is not None:  # attached to the window: it lets go of them (no supervisor asked), then they close
                win._allow_close = True
                win.close()
                services.close()
            if isinstance(exc, ModuleNotFoundError) or not isinstance(exc, Exception):
                raise  # an extra not installed: the command line names the one to install
            # the kiosk says why, on screen (a display and a binding are there: make_app passed)
            discard_frame(app, win)
            if not can_show(exit_when_shown):
                raise
            log.critical("the station cannot start", exc_info=True)
            rc = show_cannot_start(settings, exc, exit_when_shown=exit_when_shown)
            if rc != CANNOT_START_RC:
                return rc
    if not demo:
        _warn_if_in_memory(settings.data_dir)
    if exit_when_shown:
        print("ready", flush=True)

    def end(_sig) -> None:  # as a supervisor leaving it: the window's workers stop, then the services close below
        win._allow_close = True
        win.close()
        app.quit()
    restore = end_on_signals(app, end)
    win.warm_up()
    if exit_when_shown:
        from PySide6.QtCore import QTimer

        win._allow_close = True
        QTimer.singleShot(0, win.close)
    log.info("the station window is up (%s)", settings.station.id)
    rc = app.exec()
    restore()
    services.close()
    log.info("the station closed")
    if held is not None:
        held.close()
    return rc


def _warn_if_in_memory(data_dir: Path) -> None:
    """A station whose data dir is on tmpfs (under /tmp on Debian 13, /dev/shm) works, and loses its event log and
    every event the OMS has not received at the next restart: said in the log at every start (and by doctor)."""
    from app.store import in_memory

    if fs := in_memory(data_dir):
        log.warning("data_dir %s is on %s, in memory: the event log and every event the OMS has not received are "
                    "lost at the next restart; set data_dir to a folder on the disk (packstation doctor)", data_dir, fs)


def run_demo(*, data_dir: str | None = None, exit_when_shown: bool = False, verbose: bool = False,
             language: str | None = None, camera: str | None = None, config: str | None = None) -> int:
    from app.config import load as load_config
    from ui.services import demo_settings

    d = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="packstation-demo-"))
    s = demo_settings(d, load_config(config) if config else None)
    if language:
        s.station.language = language
    if camera:  # a video file or an image folder, played by the demo panel's "show the item to the camera"
        s.devices.camera.kind, s.devices.camera.device = "files", str(Path(camera).resolve())
    print(f"demo data in {d}; badges/PINs: K-001/2222 packer, P-001/1111 picker, S-001/999999 supervisor", flush=True)
    return run_station(s, exit_when_shown=exit_when_shown, verbose=verbose, demo=True)
