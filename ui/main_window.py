"""The main window only shows the screen the station controller names and routes scans, keys and device
news to it; each screen is its own module and renders the controller (`floor.StationController`)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from floor import Change, Level, Screen
from ui.bridge import DeviceBridge
from ui.pages import CurrentPageStack
from ui.screens import show_feedback, show_said
from ui.screens.login import LoginScreen
from ui.sounds import Sounds
from ui.statusbar import StatusBar
from ui.tasks import TaskRunner
from ui.translations import _
from ui.wedge_filter import typed_into

log = logging.getLogger(__name__)

COMPACT_BELOW = 740  # px of display height: 1280x720 and 1024x600 get the work screen's compact boxes, 768 the usual


class MainWindow(QMainWindow):
    def __init__(self, services=None, *, settings=None, language: str = "en", demo: bool = False) -> None:
        """The window with its login screen and status bar; `attach(services)` adds the rest (at once when
        `services` is given). The station shows this much first (`ui.shell.run_station`): the login screen is on
        the screen before the event log, the floor and the sync are loaded and opened (SQLAlchemy alone is ~0.3 s
        of a start), and a key or a scan that comes meanwhile waits in the event queue, or here, until they are."""
        super().__init__()
        settings = settings if settings is not None else services.settings
        self.settings, self.language, self.demo = settings, language, demo
        self.services = self.station = self.controller = None
        self.check = self.queue = self.work = self.supervisor = self.demo_panel = self.camera_view = None
        self._early: list = []  # scans that came before attach(), handed on in order
        self._compact = False  # a display less high than COMPACT_BELOW (set_display)
        self.setWindowTitle(f"packstation — {settings.station.name}")
        self.tasks = TaskRunner(self)
        self.sounds = Sounds(self, load=False)  # loaded by warm_up() once the window shows
        self.bridge = DeviceBridge(self)
        self.stack = CurrentPageStack()  # kiosk: sized by the screen shown, not the largest one
        self.login = LoginScreen()
        self.stack.addWidget(self.login)
        self.status = StatusBar(settings)
        central = QWidget()
        self._outer = QHBoxLayout(central)
        self._outer.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.stack, 1)
        left.addWidget(self.status)
        self._outer.addLayout(left, 1)
        self.setCentralWidget(central)
        # the idle logout's countdown: over the top of the screen shown (the screens' layouts do not move for it)
        self.idle_banner = QLabel(central)
        self.idle_banner.setObjectName("idle_banner")
        self.idle_banner.setWordWrap(True)  # styled in resources/style.qss (QLabel#idle_banner)
        self.idle_banner.hide()
        self.bridge.scan.connect(self.on_scan)
        self._allow_close = not settings.station.kiosk
        self._shown = Screen.LOGIN
        self.stack.setCurrentWidget(self.login)
        self.login.reset()
        if services is not None:
            self.attach(services)

    def attach(self, services) -> None:
        """The station's services: the controller, the other screens, the wiring and the timers. Scans and a
        login that came before are handed on now, in the order they came."""
        from floor import StationController
        from floor.words import NO_SCALE
        from ui.screens.check import CheckScreen
        from ui.screens.queue import QueueScreen
        from ui.screens.work import WorkScreen

        self.services = services
        self.station = services.station
        self.controller = StationController(services.station, sync=services.sync, spool=services.spool,
                                            run_io=self.tasks.run, language=self.language,
                                            idle_logout_s=self.settings.station.idle_logout_min * 60)
        self.login.attach(self.controller)
        self.check = CheckScreen(services, self.tasks, self.language)
        self.queue = QueueScreen(services, self.tasks, controller=self.controller)
        self.work = WorkScreen(services, self.tasks, self.sounds, self.language, controller=self.controller)
        for w in (self.check, self.queue, self.work):
            self.stack.addWidget(w)
        if self.demo:
            from ui.demo_panel import DemoPanel

            self.demo_panel = DemoPanel(services)
            self._outer.addWidget(self.demo_panel)
            self.demo_panel.place()  # a drawer now on a narrow window, not docked (649 px high) until first shown
        self._show_compact()
        # wiring: screens forward intent to the controller; the controller says which screen shows
        self.controller.subscribe(self._on_changes)
        self.check.start_work.connect(self.controller.start_work)
        # Enter on the check screen is its keyPressEvent, never a QShortcut: a shortcut fires before the wedge filter
        # sees the key, so a scanner's Enter started work and the order barcode it ended was lost
        self.check.key_pressed.connect(self.controller.key)
        # Ctrl+L alone: with the packer's thumb on Ctrl, a scan of a code that begins with L came as Ctrl+L first and
        # logged out mid-order (the keys after it, at scanner speed, are a scan lost, said by the key filter)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=lambda: self._when_alone(lambda: self.controller.key("Logout")))
        self.queue.supervisor_requested.connect(self.controller.show_supervisor)
        self.bridge.weight.connect(lambda r: self.controller.on_weight(r.grams, r.stable))
        # the scale unplugged, silent or overloaded: no reading to record, the weigh step says why, and so does
        # the status bar on every screen (nothing listened: the last steady weight stayed, F8 recorded it)
        self.bridge.scale_status.connect(lambda st: self.controller.on_scale_status(st.ok, st.detail))
        self.bridge.scale_status.connect(lambda st: self.status.set_device("scale", st))
        self.bridge.scanner_status.connect(lambda st: self.status.set_device("scanner", st))
        if services.scale is None:  # none configured: a weigh step in the workflow says so, not "put it on the scale"
            self.controller.on_scale_status(False, NO_SCALE)
        self.bridge.printer_status.connect(self.status.set_printer)
        self.bridge.sync_event.connect(self._on_sync)
        self.bridge.print_update.connect(self._on_print)
        self._health = QTimer(self)
        self._health.setInterval(1000)
        self._health.timeout.connect(self._poll_health)
        self._health.timeout.connect(self.controller.idle_check)
        self._health.start()
        if getattr(self, "wedge", None) is not None:  # every key and click the window gets (ui.shell.build_frame)
            self.wedge.on_input = self.controller.note_input
        self._disk = QTimer(self)  # the station disk's free space: a full disk stops every scan from being recorded
        self._disk.setInterval(30_000)
        self._disk.timeout.connect(self._poll_disk)
        self._disk.start()
        self._poll_disk()
        if getattr(services.core.store, "log_lost", None):  # the last run's events after its last checkpoint: gone
            self.status.set_database(_("EVENTS LOST at start — call a technician"))  # the why: log, doctor
        from ui.camera_view import attach_camera_view  # kiosk hook: live camera preview on the work screen

        self.camera_view = attach_camera_view(self)
        self._pump = QTimer(self)  # events other threads appended are applied here, on the GUI thread
        self._pump.setInterval(200)
        self._pump.timeout.connect(self.controller.pump)
        self._pump.start()
        early, self._early = self._early, []
        for raw in early:  # a badge scanned: the login screen takes it as ever (and clears the PIN field)
            self.controller.scan(raw)
        self.login.try_held()  # an Enter on the PIN that came meanwhile, after the badge scanned before it

    def set_display(self, rect) -> None:
        """The display area the window fills (`ui.shell.fit_window`, before the window takes its size): below
        COMPACT_BELOW px high the work screen, the supervisor's and the demo panel have their compact boxes (at the
        usual ones the window needs 729 px)."""
        self._compact = rect.height() < COMPACT_BELOW
        self._show_compact()

    def _show_compact(self) -> None:
        """Every screen made so far told whether the display is low (the supervisor's when it is made)."""
        for screen in (self.check, self.queue, self.work, self.supervisor, self.demo_panel):
            if screen is not None:
                screen.set_compact(self._compact)

    def show_suspicious(self, message: str) -> None:
        """What the key filter finds odd (a keyboard layout, an input method, a scan with Ctrl held), said in red with
        the error sound on the screen that shows: a scan lost at the queue or the login was said nowhere. Before the
        services are attached there is no screen, and the filter has logged it."""
        if self.work is None:
            return
        screen = self.controller.screen
        if screen == Screen.WORK:
            panel = self.work.panel
            if panel.locked and panel.verdict is not None and not panel.verdict.ok:
                # the scan it is about was refused (its verdict is on the panel, red, not yet acknowledged): said
                # under it. Put in its place, a wrong item scanned with an input method on read only "The scan was
                # understood, but switch the input method to English": the wrong item was said nowhere
                message = panel.text.text() + "\n" + message
            panel.show_message(message, Level.ERROR)
            return
        label = {Screen.LOGIN: self.login.message, Screen.CHECK: self.check.message, Screen.QUEUE: self.queue.message,
                 Screen.SUPERVISOR: getattr(self.supervisor, "message", None)}.get(screen)
        if label is not None:
            show_said(label, message, Level.ERROR)
            label.show()  # the queue's message line is hidden while empty on a low display
            self.sounds.play("error")

    def warm_up(self) -> None:
        """Once the login screen shows: what start-up left for later, on a worker thread, so that no first use
        (the queue, the first sync, the supervisor screen) freezes a screen."""
        controller, sync = self.controller, self.services.sync

        def job() -> None:
            controller.warm_up()  # the completed orders' ids
            if sync is not None:
                sync.warm_up()
            import PySide6.QtMultimedia  # noqa: F401  (the sounds' library; the effects are made on the GUI thread)

            import ui.screens.supervisor  # noqa: F401  (QtCharts: imported, no widget made off the GUI thread)

        self.tasks.run(job, lambda _result: self.sounds.load())

    # -- screens --------------------------------------------------------------------------------
    def _on_changes(self, changes: Change) -> None:
        c = self.controller
        if changes & Change.IDLE:
            self._show_idle()
        if changes & Change.SESSION:
            self.status.set_operator(c.operator)
        if changes & Change.FEEDBACK and c.feedback is not None and c.screen != Screen.WORK:
            if c.feedback.level in (Level.ERROR, Level.STOP):
                self.sounds.play("error")
        if c.screen == Screen.LOGIN:
            self.login.render(changes)
        if c.screen == Screen.CHECK and changes & (Change.FEEDBACK | Change.SCREEN):
            show_feedback(self.check.message, c.feedback)
        if c.screen == Screen.SUPERVISOR and changes & Change.FEEDBACK and c.feedback is not None \
                and self.supervisor is not None:
            self.supervisor.message.setText(_(c.feedback))  # a scan there: "Back to the queue first (Esc)."
        if c.screen != self._shown or changes & Change.SCREEN:
            self._show(c.screen)
        if self.demo_panel is not None and changes & (Change.ORDER | Change.QUEUE | Change.SCREEN):
            if c.screen == Screen.WORK:
                self.demo_panel.set_session(c.session)
            elif c.screen == Screen.QUEUE:
                self.demo_panel.set_session(None, c.queue_items())
            else:  # logged out (an idle logout too), the check, the figures: no order or item code to click there
                self.demo_panel.set_session(None)
        if self.demo_panel is not None and changes & (Change.ORDER | Change.STEP | Change.SCREEN):
            self.demo_panel.follow(c.session if c.screen == Screen.WORK else None)  # the parcel on the scale

    def _show_idle(self) -> None:
        """The idle logout's countdown (`StationController.idle_notice`) across the top of the screen, or gone."""
        banner, notice = self.idle_banner, self.controller.idle_notice
        if notice is None:
            banner.hide()
            return
        banner.setText(_(notice))
        top = self.stack.geometry()
        banner.setGeometry(top.x(), top.y(), top.width(), banner.heightForWidth(top.width()))
        banner.show()
        banner.raise_()

    def _show(self, screen: Screen) -> None:
        prev, self._shown = self._shown, screen
        if screen == Screen.LOGIN:
            if prev != Screen.LOGIN:
                self.login.reset()  # the fields and the last attempt's words, not what the logout says:
                self.login.render()  # a label withdrawn at Ctrl+L ("open the order again and press F9") was wiped
            self.stack.setCurrentWidget(self.login)
        elif screen == Screen.CHECK:
            self.stack.setCurrentWidget(self.check)
            if prev != Screen.CHECK:
                self.check.refresh()
            self.check.start.setFocus()
        elif screen == Screen.QUEUE:
            self.stack.setCurrentWidget(self.queue)
            self.queue.render(Change.ALL)
            self.queue.view.setFocus()
        elif screen == Screen.WORK:
            self.stack.setCurrentWidget(self.work)
            self.work.render(Change.ALL & ~Change.FEEDBACK)  # feedback reached it as a subscriber
            self.work.setFocus()
        elif screen == Screen.SUPERVISOR:
            self._show_supervisor()

    def _show_supervisor(self) -> None:
        from ui.screens.supervisor import SupervisorScreen

        op = self.controller.operator
        if self.supervisor is None:
            self.supervisor = SupervisorScreen(self.services.core, remote=self._remote_stats, tasks=self.tasks,
                                               operator=op)
            self.supervisor.back_requested.connect(lambda: self.controller.key("Escape"))
            self.supervisor.logout_requested.connect(self.controller.logout)
            self._show_compact()
            self.stack.addWidget(self.supervisor)
        else:
            self.supervisor.set_operator(op)
        self.stack.setCurrentWidget(self.supervisor)
        self.supervisor.setFocus()

    # thin entry points kept for the screenshot tool and scripts
    def show_queue(self) -> None:
        self.controller.show_queue()

    def open_order(self, pl) -> None:
        self.controller.open_order(pl.id)

    def show_supervisor(self) -> None:
        self.controller.show_supervisor()

    def logout(self) -> None:
        self.controller.logout()

    def _remote_stats(self, d_from, d_to, station, operator) -> dict:
        """All stations' figures from the OMS (runs on a worker thread)."""
        if self.services.sync is None:
            raise RuntimeError("no OMS configured")
        # the days and hours as this station counts them (the OMS's own zone may be another)
        params = {"from": d_from, "to": d_to, "tz": self.services.core.settings.station.warehouse_tz}
        if station:
            params["station_id"] = station
        if operator:
            params["operator_id"] = operator
        return self.services.sync.client.request("GET", "/api/v1/stats", retries=0, params=params).json()

    # -- scans and background news --------------------------------------------------------------
    def _when_alone(self, then) -> None:
        """`then` now, or once the key filter has seen no other key after this one (`WedgeFilter.alone`)."""
        wedge = getattr(self, "wedge", None)
        if wedge is None:
            then()
        else:
            wedge.alone(then)

    def on_scan(self, raw) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None and hasattr(modal, "take_scan"):  # the supervisor's badge, to leave the kiosk
            modal.take_scan(raw)
            return
        if self.controller is None:
            self._early.append(raw)  # the services are being opened: handed on by attach()
            return
        shown = self.stack.currentWidget()
        if (shown is self.login and self.login.take_as_pin(raw)) or \
                (shown is self.work and self.work.prompt.take_as_typed(raw, self.controller)) or \
                (shown is self.supervisor and self._typed_into_filter(raw)):
            return  # a PIN, a reason or a filter typed at scanner speed into its field: never a scan, never an event
        self.controller.scan(raw)

    def _typed_into_filter(self, raw) -> bool:
        """A burst into the supervisor screen's station or operator filter: typed there fast (a quick typist, a
        script), as its Enter would take it; it was a scan ("Back to the queue first") and the filter stayed empty."""
        focus = QApplication.focusWidget()
        if focus is None or focus not in (self.supervisor.station, self.supervisor.operator):
            return False
        typed_into(focus, raw)
        return True

    def _on_sync(self, kind: str, data) -> None:
        self.controller.on_sync(kind, data)

    def _on_print(self, job) -> None:
        if self.demo_panel is not None:
            self.demo_panel.show_printed(job)
        self.controller.on_print_update(job)

    def _poll_disk(self) -> None:
        from app.store import free_disk_mb  # loaded by then: the timer starts in attach()

        data_dir = self.settings.data_dir
        self.tasks.run(lambda: free_disk_mb(data_dir), self.status.set_disk)

    def _poll_health(self) -> None:
        if self.services.sync is not None:
            self.tasks.run(self.services.sync.health, self._health_came)

    def _health_came(self, h) -> None:
        self.status.set_health(h)
        if not isinstance(h, Exception) and h is not None:
            self.queue.set_clock_offset(h.clock_offset_ms)  # late orders said by the OMS's clock
            self.services.station.clock_offset_ms = self.queue.clock_offset_ms  # (plausible, else 0) and its day

    # -- kiosk ----------------------------------------------------------------------------------
    def closeEvent(self, e) -> None:  # noqa: N802
        if self.services is None:  # closed before the services were attached (start-up failed): nothing to stop
            e.accept()
            return
        if not self._allow_close:
            from ui.dialogs import authorise_supervisor

            got = authorise_supervisor(self, self.services.core.operators, _("Leave the station application"))
            if got is None:
                QMessageBox.warning(self, "packstation", _("Only a supervisor can leave the station."))
                e.ignore()
                return
        self._health.stop()
        self._pump.stop()
        self.tasks.wait(5000)
        e.accept()
