"""The main window only switches screens and routes scans; each screen is its own module."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from app.workflow import Step
from ui.bridge import DeviceBridge
from ui.dialogs import authorise_supervisor
from ui.pages import CurrentPageStack
from ui.screens.check import CheckScreen
from ui.screens.login import LoginScreen
from ui.screens.queue import QueueScreen
from ui.screens.work import WorkScreen
from ui.sounds import Sounds
from ui.statusbar import StatusBar
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, services, *, language: str = "en", demo: bool = False) -> None:
        super().__init__()
        self.services, self.language, self.demo = services, language, demo
        self.station = services.station
        self.setWindowTitle(f"packstation — {services.settings.station.name}")
        self.tasks = TaskRunner(self)
        self.sounds = Sounds(self)
        self.bridge = DeviceBridge(self)
        self.stack = CurrentPageStack()  # kiosk: sized by the screen shown, not the largest one
        self.login = LoginScreen(self.station)
        self.check = CheckScreen(services, self.tasks, language)
        self.queue = QueueScreen(services, self.tasks)
        self.work = WorkScreen(services, self.tasks, self.sounds, language)
        self.supervisor = None
        for w in (self.login, self.check, self.queue, self.work):
            self.stack.addWidget(w)
        self.status = StatusBar(services)
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.stack, 1)
        left.addWidget(self.status)
        outer.addLayout(left, 1)
        self.demo_panel = None
        if demo:
            from ui.demo_panel import DemoPanel

            self.demo_panel = DemoPanel(services)
            outer.addWidget(self.demo_panel)
        self.setCentralWidget(central)
        # wiring: screens emit, the window switches
        self.login.logged_in.connect(self._logged_in)
        self.check.start_work.connect(self.show_queue)
        self.queue.open_requested.connect(self.open_order)
        self.queue.supervisor_requested.connect(self.show_supervisor)
        self.work.order_finished.connect(self._order_finished)
        self.work.back_to_queue.connect(self.show_queue)
        self.work.logout_requested.connect(self.logout)
        self.bridge.scan.connect(self.on_scan)
        self.bridge.weight.connect(self.work.on_weight)
        self.bridge.printer_status.connect(self.status.set_printer)
        self.bridge.sync_event.connect(self._on_sync)
        self.bridge.print_update.connect(self._on_print)
        self._health = QTimer(self)
        self._health.setInterval(1000)
        self._health.timeout.connect(self._poll_health)
        self._health.start()
        from ui.camera_view import attach_camera_view  # kiosk hook: live camera preview on the work screen

        self.camera_view = attach_camera_view(self)
        self._allow_close = not services.settings.station.kiosk
        self.stack.setCurrentWidget(self.login)
        self.login.reset()

    # -- screens --------------------------------------------------------------------------------
    def _logged_in(self, op) -> None:
        self.status.set_operator(op)
        self.queue.supervisor_btn.setVisible(op.is_supervisor)
        cache = self.services.sync.cache if self.services.sync else None
        pls = cache.open_lazy() if cache else {}  # parses only the pick lists it resumes
        resumed = self.station.resume_open_orders(pls) if pls else []
        if resumed:  # a restart mid-order: straight back to the same order at the same counts
            self._show_work(resumed[0])
            return
        self.check.refresh()
        self.stack.setCurrentWidget(self.check)

    def show_queue(self) -> None:
        self.queue.refresh()
        self.stack.setCurrentWidget(self.queue)
        self.queue.view.setFocus()
        if self.demo_panel is not None:
            self.tasks.run(lambda: self.services.sync.cache.open_picklists() if self.services.sync else [],
                           lambda items: self.demo_panel.set_session(None, [] if isinstance(items, Exception) else items))

    def open_order(self, pl) -> None:
        sync = self.services.sync
        if sync is None:
            self._opened(pl, None)
            return
        op = self.station.operator
        self.tasks.run(lambda: sync.claim(pl.id, op.id if op else None), lambda res: self._opened(pl, res))

    def _opened(self, pl, claim) -> None:
        if isinstance(claim, Exception):
            self.queue.message.setText(str(claim))
            return
        if claim is not None and not claim.ok:
            self.queue.message.setText(claim.message_zh if self.language.startswith("zh") else claim.message_en)
            self.queue.refresh()
            return
        first = Step.PICK if self.station.steps and self.station.steps[0] == Step.PICK else None
        session = self.station.open_order(pl, first)
        self._show_work(session)

    def _show_work(self, session) -> None:
        self.work.set_session(session)
        self.stack.setCurrentWidget(self.work)
        if self.demo_panel is not None:
            self.demo_panel.set_session(session)

    def _order_finished(self, order_id: str) -> None:
        self.work.panel.show_message(self.tr("Order {0} done.").replace("{0}", order_id))
        self.show_queue()

    def logout(self) -> None:
        self.station.logout()
        self.status.set_operator(None)
        self.login.reset()
        self.stack.setCurrentWidget(self.login)

    def show_supervisor(self) -> None:
        from ui.screens.supervisor import SupervisorScreen

        op = self.station.operator
        if op is None or not op.is_supervisor:
            return
        if self.supervisor is None:
            self.supervisor = SupervisorScreen(self.services.core, remote=self._remote_stats, tasks=self.tasks,
                                               operator=op)
            self.stack.addWidget(self.supervisor)
        else:
            self.supervisor.set_operator(op)
        self.stack.setCurrentWidget(self.supervisor)

    def _remote_stats(self, d_from, d_to, station, operator) -> dict:
        """All stations' figures from the OMS (runs on a worker thread)."""
        if self.services.sync is None:
            raise RuntimeError("no OMS configured")
        params = {"from": d_from, "to": d_to}
        if station:
            params["station_id"] = station
        if operator:
            params["operator_id"] = operator
        return self.services.sync.client.request("GET", "/api/v1/stats", retries=0, params=params).json()

    # -- scans and background news --------------------------------------------------------------
    def on_scan(self, raw) -> None:
        cur = self.stack.currentWidget()
        if cur is self.login:
            self.login.on_scan(raw)
        elif cur is self.work:
            self.work.on_scan(raw)
        elif cur is self.queue:
            pl = self.station.cached_picklist(raw.text.strip())
            if pl is None:
                self.sounds.play("error")
                self.queue.message.setText(self.tr("No open order with barcode {0}").replace("{0}", raw.text.strip()))
            else:
                self.open_order(pl)

    def _on_sync(self, kind: str, data) -> None:
        if kind == "picklists_changed" and self.stack.currentWidget() is self.queue:
            self.queue.refresh()
        elif kind in ("order_cancelled", "claim_lost"):
            s = self.station.sessions.get((data or {}).get("order_id", ""))
            if s is not None and s.intercepted is None:
                s.mark_intercepted("cancelled" if kind == "order_cancelled" else "claimed_elsewhere",
                                   (data or {}).get("reason", "") or kind)
            if self.stack.currentWidget() is self.work:
                self.work.refresh()

    def _on_print(self, job) -> None:
        if self.demo_panel is not None:
            self.demo_panel.show_printed(job)
        if job and job.get("state") in ("held", "failed"):
            msg = job.get("message_zh") if self.language.startswith("zh") else job.get("message_en")
            self.work.panel.show_message(msg or str(job.get("last_error")), error=True)

    def _poll_health(self) -> None:
        if self.services.sync is not None:
            self.tasks.run(self.services.sync.health, self.status.set_health)

    # -- kiosk ----------------------------------------------------------------------------------
    def closeEvent(self, e) -> None:  # noqa: N802
        if not self._allow_close:
            got = authorise_supervisor(self, self.services.core.operators, self.tr("Leave the station application"))
            if got is None:
                QMessageBox.warning(self, "packstation", self.tr("Only a supervisor can leave the station."))
                e.ignore()
                return
        self._health.stop()
        self.tasks.wait(5000)
        e.accept()
