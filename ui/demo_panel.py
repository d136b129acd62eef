"""The demo's side panel: a virtual scanner (click a product to scan its barcode through the same
path a real scan takes), a scale to put the parcel on, an offline toggle that cuts the OMS, a paper-out
switch for the label printer, and a preview of the last printed label/slip."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

DEMO_BADGES = "K-001 / 2222 (packer)   P-001 / 1111 (picker)   S-001 / 9999 (supervisor)"


class DemoPanel(QWidget):
    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.setFixedWidth(340)
        lay = QVBoxLayout(self)
        t = QLabel(self.tr("Demo: virtual scanner"))
        t.setObjectName("big")
        lay.addWidget(t)
        hint = QLabel(self.tr("Badges / PINs: {0}").replace("{0}", DEMO_BADGES))
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.offline = QPushButton(self.tr("Cut the network (go offline)"))
        self.offline.setCheckable(True)
        self.offline.toggled.connect(self._toggle_offline)
        self.paper = QPushButton(self.tr("Label printer: take the paper out"))
        self.paper.setCheckable(True)
        self.paper.toggled.connect(self._toggle_paper)
        self.scale_btn = QPushButton(self.tr("Put the parcel on the scale"))
        self.scale_btn.clicked.connect(self._weigh)
        self.camera_btn = QPushButton(self.tr("Show the item to the camera"))
        self.camera_btn.clicked.connect(self.show_to_camera)
        self.camera_btn.setVisible(services.camera is not None)
        for b in (self.offline, self.paper, self.scale_btn, self.camera_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            lay.addWidget(b)
        self.codes_box = QVBoxLayout()
        inner = QWidget()
        inner.setLayout(self.codes_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        lay.addWidget(scroll, 1)
        self.preview = QLabel(self.tr("printed labels appear here"))
        self.preview.setFixedHeight(260)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: white; border: 1px solid #b0bec5;")
        lay.addWidget(self.preview)
        self.session = None
        self.set_session(None)

    def _button(self, text: str, code: str) -> None:
        b = QPushButton(text)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setStyleSheet("text-align: left; min-height: 40px; font-size: 15px;")
        b.clicked.connect(lambda _=False, c=code: self.scan(c))
        self.codes_box.addWidget(b)

    def scan(self, code: str) -> None:
        if self.services.sim_scanner is not None:
            self.services.sim_scanner.emit(code)

    def set_session(self, session, open_orders=()) -> None:
        self.session = session
        while self.codes_box.count():
            w = self.codes_box.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        t_order, t_bin = self.tr("order"), self.tr("bin")
        t_wrong, t_unknown = self.tr("wrong colour/size"), self.tr("unknown barcode")
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
                self._button(f"{ln.name} {ln.variant}{tag}", bc.code)
        for sib in pl.siblings[:4]:
            self._button(f"✗ {t_wrong}: {sib.get('name', '')} {sib.get('color', '')} "
                         f"{sib.get('size', '')}", sib["code"])
        self._button(f"✗ {t_unknown}", "4006381333931")
        for action in ("@@COMPLETE", "@@UNDO", "@@SHORT"):
            self._button(f"{action}", action)

    def _toggle_offline(self, on: bool) -> None:
        if self.services.proxy is not None:
            self.services.proxy.set_mode("down" if on else "pass")
        self.offline.setText(self.tr("Network is CUT — click to restore") if on else
                             self.tr("Cut the network (go offline)"))
        if not on and self.services.sync is not None:
            self.services.sync.sync_now()

    def _toggle_paper(self, out: bool) -> None:
        spool = self.services.spool
        p = spool.printers.get("label_printer") if spool else None
        if p is None or not hasattr(p, "run_out_of_paper"):
            return
        (p.run_out_of_paper if out else p.load_paper)()
        spool.check_now()
        if not out:
            spool.retry_held()

    def show_to_camera(self) -> threading.Thread | None:
        """The demo's camera is a video file: write one with the current item's barcode under the lens and play
        it through the real camera pipeline (decode, outline, scan path). Off the GUI thread."""
        svc = self.services
        if svc.camera is None:
            return None
        from ui.services import DEMO_CODE, demo_camera_video

        line = self.session.current_line() if self.session is not None else None
        codes = [b.code for b in line.barcodes if b.qty_per_scan == 1] if line is not None else []
        code = codes[0] if codes else DEMO_CODE

        def play() -> None:
            svc.camera.stop()
            demo_camera_video(svc.settings, code)
            svc.start_camera()

        t = threading.Thread(target=play, name="demo-camera", daemon=True)
        t.start()
        return t

    def _weigh(self) -> None:
        scale = self.services.scale
        if scale is None or not hasattr(scale, "settle_to") or self.session is None:
            return
        exp, _tol = self.session.expected_weight
        scale.settle_to(exp or 500.0)

    def show_printed(self, job) -> None:
        folder = Path(self.services.settings.data_dir) / "printed"
        pngs = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime) if folder.exists() else []
        if pngs:
            pix = QPixmap(str(pngs[-1]))
            if not pix.isNull():
                self.preview.setPixmap(pix.scaled(360, 250, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))
