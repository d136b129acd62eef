"""Station check before work starts: every device and the OMS, green or red with the reason, so a
missing printer is never discovered when a label fails to come out."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.store import disk_low, free_disk_mb
from floor.controller import WORK_KEYS
from ui import names
from ui.sounds import audio_outputs
from ui.translations import _


def disk_state(path) -> tuple[bool, str]:
    """The station disk's free space (worker thread: a statvfs): red when low (`app.store.disk_low`), before a full disk stops every
    scan from being recorded."""
    free = free_disk_mb(path)
    if free is None:
        return False, _("the free space of {path} cannot be read", path=str(path))
    if disk_low(free):
        return False, _("only {mb} MB free: call a supervisor before the disk is full (then no scan can be recorded)",
                        mb=int(free))
    return True, _("free space: {gb} GB", gb=f"{free / 1024:.1f}")


class CheckScreen(QWidget):
    start_work = Signal()
    key_pressed = Signal(str)  # Enter (start work), or an order's key (answered: "Start work first (Enter).")

    def __init__(self, services, tasks, language: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.services, self.tasks = services, tasks  # (the language is the station's: ui.translations)
        lay = QVBoxLayout(self)
        title = QLabel(_("Station check"))
        title.setObjectName("title")
        lay.addWidget(title)
        self.grid = QGridLayout()
        lay.addLayout(self.grid)
        self.grid.setColumnStretch(2, 1)
        self.rows: dict[str, tuple[QLabel, QLabel]] = {}
        self.marks: dict[str, QLabel] = {}  # the coloured dot, a column of its own: a wrapped text lines up under its start
        for i, key in enumerate(names.DEVICE):
            n, mark, state = QLabel(names.device(key)), QLabel(""), QLabel("…")
            n.setObjectName("big")
            state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps, never widens
            state.setWordWrap(True)
            self.grid.addWidget(n, i, 0)
            self.grid.addWidget(mark, i, 1, Qt.AlignmentFlag.AlignTop)
            self.grid.addWidget(state, i, 2)
            self.rows[key] = (n, state)
            self.marks[key] = mark
        self.results: dict[str, tuple[bool | None, str]] = {}
        btns = QVBoxLayout()
        self.recheck = QPushButton(_("Check again") + "  [F5]")  # every button says its key: no mouse here
        self.start = QPushButton(_("Start work") + "  [Enter]")
        self.start.setObjectName("primary")
        btns.addWidget(self.recheck)
        btns.addWidget(self.start)
        lay.addLayout(btns)
        self.message = QLabel("")  # what the station says to a scan or key here
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        lay.addStretch(1)
        self.compact: bool | None = None
        self.set_compact(False)
        self.recheck.clicked.connect(self.refresh)
        self.start.clicked.connect(self.start_work.emit)
        QShortcut(QKeySequence("F5"), self, activated=self.refresh)
        for k in (*WORK_KEYS, "F12"):  # F-keys never come from a scanner: shortcuts are safe for them
            QShortcut(QKeySequence(k), self, activated=lambda k=k: self.key_pressed.emit(k))

    # (usual, compact) for a display less high than 740 px (`MainWindow.set_display`): in Chinese, whose font's lines
    # are higher, the eight rows and the two 56 px buttons needed 565 px, and the window 607 on a 1024x600 panel
    BUTTONS = ("", "CheckScreen QPushButton { min-height: 38px; padding: 2px 12px; }")
    SPACING = (-1, 2)  # -1: the style's own

    def set_compact(self, compact: bool) -> None:
        """Lower buttons and rows closer together on a low display."""
        if compact == self.compact:
            return
        self.compact = compact
        self.setStyleSheet(self.BUTTONS[compact])
        self.grid.setVerticalSpacing(self.SPACING[compact])  # (not the screen's: the grid's columns take theirs from it)

    def keyPressEvent(self, e) -> None:  # noqa: N802
        """A person's Enter (the wedge filter keeps a scanner's Enter, which ends a scan, from reaching here)."""
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.key_pressed.emit("Enter")
            return
        super().keyPressEvent(e)

    def refresh(self) -> None:
        for key, (_name, st) in self.rows.items():
            st.setText(_("checking…"))
            st.setStyleSheet("")
            self.marks[key].setText("")
        self.tasks.run(self._probe, self._show)

    def _probe(self) -> dict[str, tuple[bool | None, str]]:
        """Runs on a worker thread: device and network calls with short timeouts."""
        s = self.services
        out: dict[str, tuple[bool | None, str]] = {}
        for name in ("label_printer", "slip_printer"):
            p = s.spool.printers.get(name) if s.spool else None
            if p is None:
                out[name] = (False, _("not configured"))
                continue
            if getattr(s, "oms", None) is None and getattr(s.settings.devices, name).uri.startswith("simulated:"):
                # a station (not the demo) on the defaults: "Printer ready" in green and every label printed to
                # nowhere, the order packed without one (a configuration file lost, or `config init` left as written)
                out[name] = (False, _("simulated printer: nothing is printed — set devices.{name}.uri", name=name))
                continue
            try:
                st = p.status(timeout_s=1.0)
                out[name] = (st.ok, _(st))
            except Exception as exc:
                out[name] = (False, str(exc))
        for name in ("scanner", "scale"):
            dev = getattr(s, name)
            if dev is None and name == "scale" and "weigh" in s.settings.workflow.steps:
                out[name] = (False, _("none configured, but the workflow weighs every parcel: set devices.scale (or "
                                      "take weigh out of workflow.steps)"))
                continue
            if dev is None:
                out[name] = (None, _("not used at this station"))
                continue
            st = dev.status()
            out[name] = (st.ok, _(st))
        out["camera"] = self._probe_camera()
        out["disk"] = disk_state(s.settings.data_dir)
        if s.sync is None:
            out["oms"] = (False, _("sync not configured"))
        else:
            try:
                s.sync.client.server_time()
                out["oms"] = (True, _("online ({url})", url=s.settings.oms.url))
            except Exception as exc:
                out["oms"] = (False, _("offline — work continues from the cache ({error})", error=str(exc)))
        return out

    def speaker(self) -> tuple[bool, str]:
        """GUI thread: is there an audio output to hear the OK and error sounds on?"""
        outs = audio_outputs()
        if not outs:
            return False, _("no audio output device: the OK and error sounds cannot be heard")
        return True, _("sounds play on: {device}", device=outs[0])

    def _probe_camera(self, wait_s: float = 3.0) -> tuple[bool | None, str]:
        """Worker thread: the camera is opened for real and must deliver a picture. A running station camera is
        watched for new frames; one that is not running is opened briefly on its own (then closed again)."""
        s = self.services
        cam = s.settings.devices.camera
        name = cam.device if cam.device.isdigit() or "://" in cam.device else Path(cam.device).name  # not a long path
        if cam.kind == "none":
            return None, _("not used at this station")
        if s.camera is None:
            return False, _("camera {camera} could not be set up (see the log)", camera=name)
        if s.camera_running():
            n0, t_end = s.camera_frames, time.monotonic() + wait_s
            while s.camera_frames == n0 and time.monotonic() < t_end:
                time.sleep(0.05)
            if s.camera_frames > n0:
                return True, _("camera {camera} delivers pictures", camera=name)
            return False, _("camera {camera} is open but sends no pictures", camera=name)
        from hardware.camera import CameraScanner

        got = threading.Event()
        probe = CameraScanner.from_settings(cam)
        try:
            probe.start(lambda _raw: None, lambda _st: None, lambda _frame, _outlines: got.set())
            ok = got.wait(wait_s)
            st = probe.status()
        finally:
            probe.stop()
        if ok:
            return True, _("camera {camera} delivers pictures", camera=name)
        detail = _(st) if st is not None and not st.ok else ""
        return False, detail or _("camera {camera} sends no pictures", camera=name)

    def _show(self, results) -> None:
        if isinstance(results, Exception):
            results = {k: (False, str(results)) for k in self.rows if k != "speaker"}
        results = dict(results, speaker=self.speaker())
        self.results = results
        for key, (ok, text) in results.items():
            st = self.rows[key][1]
            st.setText(text[:1].upper() + text[1:])  # each row a sentence ("camera … delivers pictures" began lower-case)
            color = "#2e7d32" if ok else ("#757575" if ok is None else "#c62828")
            for w in (st, self.marks[key]):
                w.setStyleSheet(f"color: {color}; font-size: 22px; font-weight: bold;")
            self.marks[key].setText("●")
        self.start.setFocus(Qt.FocusReason.OtherFocusReason)
