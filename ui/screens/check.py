"""Station check before work starts: every device and the OMS, green or red with the reason, so a
missing printer is never discovered when a label fails to come out."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class CheckScreen(QWidget):
    start_work = Signal()

    def __init__(self, services, tasks, language: str, parent=None) -> None:
        super().__init__(parent)
        self.services, self.tasks, self.language = services, tasks, language
        lay = QVBoxLayout(self)
        title = QLabel(self.tr("Station check"))
        title.setObjectName("title")
        lay.addWidget(title)
        self.grid = QGridLayout()
        lay.addLayout(self.grid)
        self.rows: dict[str, tuple[QLabel, QLabel]] = {}
        names = {
            "label_printer": self.tr("Label printer"), "slip_printer": self.tr("Slip printer"),
            "scanner": self.tr("Scanner"), "camera": self.tr("Camera"), "scale": self.tr("Scale"),
            "oms": self.tr("OMS connection"),
        }
        for i, (key, name) in enumerate(names.items()):
            n, state = QLabel(name), QLabel("…")
            n.setObjectName("big")
            state.setMinimumWidth(700)
            state.setWordWrap(True)
            self.grid.addWidget(n, i, 0)
            self.grid.addWidget(state, i, 1)
            self.rows[key] = (n, state)
        self.results: dict[str, tuple[bool | None, str]] = {}
        btns = QVBoxLayout()
        self.recheck = QPushButton(self.tr("Check again"))
        self.start = QPushButton(self.tr("Start work"))
        self.start.setObjectName("primary")
        btns.addWidget(self.recheck)
        btns.addWidget(self.start)
        lay.addLayout(btns)
        lay.addStretch(1)
        self.recheck.clicked.connect(self.refresh)
        self.start.clicked.connect(self.start_work.emit)

    def _msg(self, en: str, zh: str) -> str:
        return zh if self.language.startswith("zh") and zh else en

    def refresh(self) -> None:
        for _, st in self.rows.values():
            st.setText(self.tr("checking…"))
            st.setStyleSheet("")
        self.tasks.run(self._probe, self._show)

    def _probe(self) -> dict[str, tuple[bool | None, str]]:
        """Runs on a worker thread: device and network calls with short timeouts."""
        s = self.services
        out: dict[str, tuple[bool | None, str]] = {}
        for name in ("label_printer", "slip_printer"):
            p = s.spool.printers.get(name) if s.spool else None
            if p is None:
                out[name] = (False, self._msg("not configured", "未配置"))
                continue
            try:
                st = p.status(timeout_s=1.0)
                out[name] = (st.ok, self._msg(st.detail_en or st.state, st.detail_zh))
            except Exception as exc:
                out[name] = (False, str(exc))
        for name in ("scanner", "scale"):
            dev = getattr(s, name)
            if dev is None:
                out[name] = (None, self._msg("not used at this station", "本工位未使用"))
                continue
            st = dev.status()
            out[name] = (st.ok, self._msg(st.detail_en or st.state, st.detail_zh))
        cam = s.settings.devices.camera.kind
        out["camera"] = (None, self._msg("not used at this station", "本工位未使用")) if cam == "none" else (
            True, cam)
        if s.sync is None:
            out["oms"] = (False, self._msg("sync not configured", "未配置同步"))
        else:
            try:
                s.sync.client.server_time()
                out["oms"] = (True, self._msg(f"online ({s.settings.oms.url})", f"在线 ({s.settings.oms.url})"))
            except Exception as exc:
                out["oms"] = (False, self._msg(f"offline — work continues from the cache ({exc})",
                                               f"离线 — 使用本地缓存继续工作 ({exc})"))
        return out

    def _show(self, results) -> None:
        if isinstance(results, Exception):
            results = {k: (False, str(results)) for k in self.rows}
        self.results = results
        for key, (ok, text) in results.items():
            st = self.rows[key][1]
            mark = "●  "
            st.setText(mark + text)
            color = "#2e7d32" if ok else ("#757575" if ok is None else "#c62828")
            st.setStyleSheet(f"color: {color}; font-size: 22px; font-weight: bold;")
        self.start.setFocus(Qt.FocusReason.OtherFocusReason)
