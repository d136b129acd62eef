"""The demo's side panel: a virtual scanner (click a product to scan its barcode through the same
path a real scan takes), an offline toggle that cuts the OMS, paper-out switches for the label and slip printers, the
scale's other cases (a wrong weight, a parcel that will not keep still), and a preview of the last printed
label/slip.

The demo has no parcel: when an order reaches the weigh step, the panel puts it on the simulated scale at the weight
the order expects (as a packer puts the parcel down), so that the demo can be worked with the keyboard and the
virtual scanner alone."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.actions import barcode
from app.workflow import Step
from ui import names
from ui.station_sheet import ACTION_LABELS
from ui.translations import _


def demo_badges() -> str:
    """The demo OMS's operators (badge / PIN), with their roles in the station's language."""
    from sync.oms_server.seed import OPERATORS

    return " · ".join(f"{badge} / {pin} ({names.role(role)})" for _id, badge, _name, role, pin in OPERATORS)


def lot_code(line, code: str) -> str:
    """What the demo scans for a unit of `line`: its barcode, or for a line that needs its lot (GS1: the item, an
    expiry two years on, an allowed lot) that barcode as its GS1 label prints it — the plain code alone is refused as
    "needs its lot", and the panel and the camera had nothing else to show."""
    if not (line.lot.required or line.lot.allowed) or not code.isdigit() or len(code) > 14:
        return code
    expiry = dt.date.today() + dt.timedelta(days=730)
    lot = line.lot.allowed[0] if line.lot.allowed else "DEMO1"
    return f"(01){code.zfill(14)}(17){expiry:%y%m%d}(10){lot}"


class DemoPanel(QWidget):
    WIDTH, COLLAPSED = 280, 52
    DOCK_FROM = 1360  # narrower windows get the panel as a drawer over the station's right edge

    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("demo_panel")
        self.services = services
        self.expanded: bool | None = None  # None: expanded when docked, collapsed as a drawer, until toggled
        self._host = None
        self.setFixedWidth(self.WIDTH)
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(4, 4, 4, 4)
        self.toggle = QPushButton("»")
        self.toggle.setObjectName("demo_toggle")
        self.toggle.setFixedSize(44, 44)
        self.toggle.setToolTip(_("Hide or show the demo panel"))
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggle.clicked.connect(lambda: self.set_collapsed(self.is_open()))
        self._outer.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignRight)
        self._outer.addStretch(0)  # the body (stretch 1) takes the height; this only holds the toggle up when collapsed
        self.body = QFrame(self)
        self.body.setObjectName("demo_body")
        self._outer.insertWidget(1, self.body, 1)
        lay = QVBoxLayout(self.body)
        lay.setContentsMargins(0, 0, 0, 0)
        t = QLabel(_("Demo: virtual scanner"))
        t.setObjectName("big")
        t.setWordWrap(True)
        lay.addWidget(t)
        hint = QLabel(_("Badges / PINs: {badges}", badges=demo_badges()))
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.badges = hint
        self.offline = QPushButton(_("Cut the network (go offline)"))
        self.offline.setCheckable(True)
        self.offline.toggled.connect(self._toggle_offline)
        self.paper = QPushButton(_("Label printer: take the paper out"))
        self.paper.setCheckable(True)
        self.paper.toggled.connect(lambda out: self._toggle_paper("label_printer", out))
        self.slip_paper = QPushButton(_("Slip printer: take the paper out"))
        self.slip_paper.setCheckable(True)
        self.slip_paper.toggled.connect(lambda out: self._toggle_paper("slip_printer", out))
        self.scale_btn = QPushButton(_("Put the parcel on the scale"))
        self.scale_btn.clicked.connect(self.put_parcel)
        self.wrong_btn = QPushButton(_("Scale: a wrong weight"))
        self.wrong_btn.clicked.connect(self.wrong_weight)
        self.unsteady_btn = QPushButton(_("Scale: unsteady"))
        self.unsteady_btn.clicked.connect(lambda: self.unsteady_weight())  # clicked(checked) would be its seconds
        self.unplug_btn = QPushButton(_("Scale: pull its cable out"))
        self.unplug_btn.setCheckable(True)
        self.unplug_btn.toggled.connect(self._toggle_scale_cable)
        self.camera_btn = QPushButton(_("Show the item to the camera"))
        self.camera_btn.clicked.connect(self.show_to_camera)
        self.camera_btn.setVisible(services.camera is not None)
        for b in (self.offline, self.paper, self.slip_paper, self.scale_btn, self.wrong_btn, self.unsteady_btn,
                  self.unplug_btn, self.camera_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never wider than the panel
            lay.addWidget(b)
        # The demo's own controls by keyboard too (a kiosk has no mouse; the station's keys are the F-keys, digits
        # and Enter, a scanner never sends Ctrl): each button shows its key under its text.
        self.keys = {self.offline: "Ctrl+Shift+N", self.paper: "Ctrl+Shift+P", self.slip_paper: "Ctrl+Shift+O",
                     self.scale_btn: "Ctrl+Shift+S",
                     self.wrong_btn: "Ctrl+Shift+W", self.unsteady_btn: "Ctrl+Shift+U", self.unplug_btn: "Ctrl+Shift+X",
                     self.camera_btn: "Ctrl+Shift+C"}
        for b, keys in self.keys.items():
            self._label(b, b.text())
            QShortcut(QKeySequence(keys), self, activated=b.click, context=Qt.ShortcutContext.ApplicationShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+D"), self, activated=lambda: self.set_collapsed(self.is_open()),
                  context=Qt.ShortcutContext.ApplicationShortcut)
        self.toggle.setToolTip(_("Hide or show the demo panel") + " [Ctrl+Shift+D]")
        self.codes_box = QVBoxLayout()
        inner = QWidget()
        inner.setLayout(self.codes_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        scroll.setMinimumHeight(80)
        # no keyboard focus: a click on a code gave it to the list (the buttons take none, Qt gives a click's focus to
        # the first ancestor that does), and the packer's next keys (a carton's digit, Enter, ↑/↓) went to the list
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._codes_scroll = scroll
        lay.addWidget(scroll, 1)
        self.preview = QLabel(_("printed labels appear here"))
        self.preview.setWordWrap(True)
        self.preview.setFixedHeight(150)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: white; border: 1px solid #b0bec5;")
        lay.addWidget(self.preview)
        self.session = None
        self._weighing: str | None = None  # the order whose parcel the panel put on the scale at this weigh step
        self.set_session(None)

    def _label(self, button: QPushButton, text: str) -> None:
        button.setText(f"{text}\n[{self.keys[button]}]")

    def is_open(self) -> bool:
        return self.body.isVisible()

    def set_collapsed(self, collapsed: bool) -> None:
        """On a wide window the panel is docked beside the station; on a narrow one (1024, 1280 wide) it is a strip
        with one button that opens it as a drawer over the station's right edge: the window never grows."""
        self.expanded = not collapsed
        self._apply()

    def showEvent(self, e) -> None:  # noqa: N802
        super().showEvent(e)
        self.place()

    def place(self) -> None:
        """Docked or a drawer for the window it is in, now (`MainWindow.attach` calls it as it adds the panel: left to
        the first showEvent, the panel stayed docked and 649 px high meanwhile, and the window grew to that on a
        600 px display and stayed so); again whenever that window is resized."""
        host = self.parentWidget()
        if host is not None and host is not self._host:
            self._host = host
            host.installEventFilter(self)
        self._apply()

    CABLE_BUTTON_FROM = 1000  # px of the window's height
    BADGES_FROM = 600  # px of the window's height

    def set_compact(self, compact: bool) -> None:
        """The printed preview and the codes' list lower on a low display (`MainWindow.set_display`: at 1024x600 150 px
        put the preview under the screen's bottom; in Chinese, whose lines are higher, 90 px still ran 5 px under)."""
        self.preview.setFixedHeight(64 if compact else 150)  # 72 and 56 ran 11 px under with the slip printer's button
        self._codes_scroll.setMinimumHeight(44 if compact else 80)

    def eventFilter(self, obj, e) -> bool:  # noqa: N802
        if obj is self._host and e.type() == QEvent.Type.Resize:
            self._apply()
        return False

    def _apply(self) -> None:
        host = self._host
        docked = host is None or host.width() >= self.DOCK_FROM
        expanded = docked if self.expanded is None else self.expanded
        if docked:
            if self.body.parentWidget() is not self:
                self.body.setParent(self)
                self._outer.insertWidget(1, self.body, 1)
            self.body.setVisible(expanded)
            self.setFixedWidth(self.WIDTH if expanded else self.COLLAPSED)
        else:
            self.setFixedWidth(self.COLLAPSED)
            if expanded:
                if self.body.parentWidget() is not host:
                    self._outer.removeWidget(self.body)
                    self.body.setParent(host)
                self.body.setGeometry(host.width() - self.COLLAPSED - self.WIDTH, 0, self.WIDTH, host.height())
                self.body.show()
                self.body.raise_()
            else:
                self.body.hide()
        self.toggle.setText("»" if expanded else "«")
        # the scale's cable: no room for its button under 1000 px (at 1024x768 in Chinese the printed preview went
        # under the screen's edge); its key (Ctrl+Shift+X) works at every size
        self.unplug_btn.setVisible(host is None or host.height() >= self.CABLE_BUTTON_FROM)
        # the demo's badges and PINs (also in the README): no room for them under 600 px (a 960x540 screen, 1920x1080
        # at QT_SCALE_FACTOR=2: the printed preview ran 18 px under the screen's bottom)
        self.badges.setVisible(host is None or host.height() >= self.BADGES_FROM)

    def _button(self, text: str, code: str) -> None:
        b = QPushButton(text)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setStyleSheet("text-align: left; min-height: 40px; font-size: 15px;")
        b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        b.clicked.connect(lambda _=False, c=code: self.scan(c))
        self.codes_box.addWidget(b)

    def scan(self, code: str) -> None:
        if self.services.sim_scanner is not None:
            self.services.sim_scanner.emit(code)

    def set_session(self, session, open_orders=()) -> None:
        if session is None or self._weighing != session.order_id:
            self._weighing = None  # (re)opened: a new parcel context, put down again at the weigh step
        self.session = session
        while self.codes_box.count():
            w = self.codes_box.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        t_order, t_bin = _("order"), _("bin")
        t_wrong, t_unknown = _("wrong colour/size"), _("unknown barcode")
        if session is None:
            for pl in list(open_orders)[:12]:
                self._button(f"{t_order} {pl.order_no}", pl.order_no)
            return
        pl = session.picklist
        for ln in pl.walking_order():
            if ln.bin_barcode:
                self._button(f"[{t_bin}] {ln.bin}", ln.bin_barcode)
            for bc in ln.barcodes:
                tag = f" ×{bc.qty_per_scan}" if bc.qty_per_scan > 1 else ""
                self._button(f"{ln.name} {ln.variant_beyond_name}{tag}", lot_code(ln, bc.code))
        for sib in pl.siblings[:4]:
            self._button(f"✗ {t_wrong}: {sib.get('name', '')} {sib.get('color', '')} "
                         f"{sib.get('size', '')}", sib["code"])
        self._button(f"✗ {t_unknown}", "4006381333931")
        for action in ("complete_step", "undo", "short_pick"):  # action barcodes, named as on the station sheet
            self._button(_(ACTION_LABELS[action]), barcode(action))

    def _toggle_offline(self, on: bool) -> None:
        if self.services.proxy is not None:
            self.services.proxy.set_mode("down" if on else "pass")
        self._label(self.offline, _("Network is CUT — click to restore") if on else _("Cut the network (go offline)"))
        if not on and self.services.sync is not None:
            self.services.sync.sync_now()

    def _toggle_paper(self, printer: str, out: bool) -> None:
        spool = self.services.spool
        p = spool.printers.get(printer) if spool else None
        if p is None or not hasattr(p, "run_out_of_paper"):
            return
        (p.run_out_of_paper if out else p.load_paper)()
        spool.check_now()
        if not out:
            spool.retry_held()

    def _toggle_scale_cable(self, out: bool) -> None:
        """The scale's cable out (the station says the scale is not ready, records no weight) or back in."""
        scale = self.services.scale
        if scale is not None and hasattr(scale, "unplug"):
            scale.unplug(out)

    def show_to_camera(self) -> threading.Thread | None:
        """Play the demo's camera through the real camera pipeline (decode, outline, scan path), off the GUI
        thread: its own video is rewritten with the current item's barcode; a video or folder given with
        `packstation demo --camera PATH` plays as it is."""
        svc = self.services
        if svc.camera is None:
            return None
        from ui.services import DEMO_CODE, DEMO_VIDEO, demo_camera_video

        line = self.session.current_line() if self.session is not None else None
        codes = [lot_code(line, b.code) for b in line.barcodes if b.qty_per_scan == 1] if line is not None else []
        code = codes[0] if codes else DEMO_CODE

        generated = svc.settings.devices.camera.device.endswith(DEMO_VIDEO)

        def play() -> None:
            svc.camera.stop()
            if generated:  # the demo's own video: the current item's barcode; a given video/folder plays as it is
                demo_camera_video(svc.settings, code)
            svc.start_camera()

        t = threading.Thread(target=play, name="demo-camera", daemon=True)
        t.start()
        return t

    # -- the scale ----------------------------------------------------------------------------------
    place_parcels = True  # False: somebody else plays the scale (floor tests that weigh on their own)

    def follow(self, session) -> None:
        """The order's step changed (main window): at the weigh step the parcel goes on the scale, once."""
        weighing = session is not None and session.step == Step.WEIGH
        if not weighing:
            self._weighing = None
            return
        if self._weighing == session.order_id:
            return
        self._weighing = session.order_id
        self.session = session
        if self.place_parcels:
            self.put_parcel()

    def _scale(self):
        scale = self.services.scale
        if scale is None or not hasattr(scale, "settle_to") or self.session is None:
            return None, None, None
        exp, tol = self.session.expected_weight
        return scale, exp or 500.0, tol or 50.0

    def put_parcel(self) -> None:
        """The parcel on the scale: the weight the order expects, steady after a moment."""
        scale, exp, _tol = self._scale()
        if scale is not None:
            scale.settle_to(exp)

    def wrong_weight(self) -> None:
        """Something missing or extra in the parcel: steady, but well outside the tolerance."""
        scale, exp, tol = self._scale()
        if scale is not None:
            scale.settle_to(exp + 2 * tol + 100.0)

    def unsteady_weight(self, seconds: float = 4.0) -> None:
        """The parcel is still moving: the reading wobbles for a few seconds before it settles at the right weight
        (F8 meanwhile says to wait for a steady weight)."""
        scale, exp, _tol = self._scale()
        if scale is None:
            return
        steps = getattr(scale, "unstable_steps", None)
        interval = getattr(scale, "interval_s", 0) or 0.05
        if steps is None:
            scale.settle_to(exp)
            return
        scale.unstable_steps = max(steps, int(seconds / interval))  # the wobble is planned when settle_to starts
        try:
            scale.settle_to(exp)
        finally:
            scale.unstable_steps = steps

    def show_printed(self, job) -> None:
        folder = Path(self.services.settings.data_dir) / "printed"
        pngs = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
        if pngs:
            pix = QPixmap(str(pngs[-1]))
            if not pix.isNull():
                self.preview.setPixmap(pix.scaled(self.preview.width() - 4, self.preview.height() - 4,
                                                  Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))
