"""Application shell: QApplication, the station's language, the wedge filter, one exception handler, start-up."""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
from pathlib import Path

from app import heap
from app.config import Settings
from app.logsetup import setup_logging
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
    app = make_app(settings.station.language)
    from floor import Level
    from ui.main_window import MainWindow
    from ui.services import build_services
    from ui.wedge_filter import WedgeFilter

    services = build_services(settings, demo=demo)
    win = MainWindow(services, language=settings.station.language, demo=demo)
    wedge = WedgeFilter(settings.devices.scanner, parent=win)
    app.installEventFilter(wedge)
    wedge.scanned.connect(win.bridge.scan)
    wedge.suspicious.connect(lambda m: win.work.panel.show_message(m, Level.ERROR))
    win.wedge = wedge
    if start:
        services.start(win.bridge)
    install_exception_handler(win)
    return app, win, services


def place_window(win, *, kiosk: bool, screen=None) -> None:
    """Kiosk: the whole screen, also on a bare X server with no window manager (where showFullScreen alone
    leaves the window at its size hint, e.g. 1009×777 on a 1920×1080 screen). Else the screen's available area
    (desktop panels excluded), maximised. Never a fixed size: the screens fit 1024×768 and up."""
    from PySide6.QtWidgets import QApplication

    screen = screen or win.screen() or QApplication.primaryScreen()
    if kiosk:
        win.setGeometry(screen.geometry())
        win.showFullScreen()
    else:
        win.setGeometry(screen.availableGeometry())
        win.showMaximized()
    # the keyboard to the station from the first key: with no window manager nobody else gives the window the X
    # input focus, and Qt's shortcuts (F-keys, Enter on the station check) answer only in the active window
    win.raise_()
    win.activateWindow()


def run_station(settings: Settings, *, exit_when_shown: bool = False, verbose: bool = False,
                demo: bool = False) -> int:
    setup_logging(settings.data_dir / "logs", verbose)
    app, win, services = build_window(settings, demo=demo, start=False)
    place_window(win, kiosk=settings.station.kiosk)
    app.processEvents()  # the login screen painted first; then the workers start and the rest warms up
    if exit_when_shown:
        print("shown", flush=True)
    services.station.when_indexed = heap.settle  # the long-lived heap frozen once the products are indexed
    services.start(win.bridge)
    win.warm_up()
    if exit_when_shown:
        from PySide6.QtCore import QTimer

        win._allow_close = True
        QTimer.singleShot(0, win.close)
    rc = app.exec()
    services.close()
    return rc


def run_demo(*, data_dir: str | None = None, exit_when_shown: bool = False, verbose: bool = False,
             language: str | None = None, camera: str | None = None) -> int:
    from ui.services import demo_settings

    d = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="packstation-demo-"))
    s = demo_settings(d)
    if language:
        s.station.language = language
    if camera:  # a video file or an image folder, played by the demo panel's "show the item to the camera"
        s.devices.camera.kind, s.devices.camera.device = "files", str(Path(camera).resolve())
    print(f"demo data in {d}; badges/PINs: K-001/2222 packer, P-001/1111 picker, S-001/999999 supervisor", flush=True)
    return run_station(s, exit_when_shown=exit_when_shown, verbose=verbose, demo=True)
