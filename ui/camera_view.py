"""Live camera preview for the work screen: the newest frame, scaled to the widget, with the outline of every
barcode the decoder found drawn over it (green), and the camera's state when no frame comes.

Frames arrive on the camera's thread (hardware/camera.py's on_preview callback, through Services.preview_sinks).
Only the newest frame is kept; the GUI thread is woken through a MainThreadQueue once per pending frame, so a
slow repaint never queues up stale frames and no frame object crosses threads inside a queued signal."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.tasks import MainThreadQueue
from ui.translations import _

if TYPE_CHECKING:
    import numpy as np


class CameraView(QWidget):
    def __init__(self, services=None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("camera_view")
        # the preview takes the room the screen has to spare and never asks for more: it must not make the
        # work screen taller or wider than a 1024×768 display
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(0, 0)
        self._lock = threading.Lock()
        self._pending = None  # (frame, outlines) waiting for the GUI thread
        self._image: QImage | None = None
        self.outlines: list = []
        self.frames_shown = 0
        self.idle_text = _("Camera: waiting for a picture…")  # until the first frame
        self.note = ""  # what the camera says over its picture: "Two codes in view: show one at a time"
        self._main = MainThreadQueue(self)
        self.services = services
        if services is not None:
            services.preview_sinks.append(self.on_preview)
            if hasattr(services, "camera_status_sinks"):
                services.camera_status_sinks.append(self.on_status)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 240)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, 0)

    # camera thread
    def on_preview(self, frame, outlines) -> None:
        with self._lock:
            wake = self._pending is None
            self._pending = (frame, list(outlines))
        if wake:
            self._main.post(self._take)

    def on_status(self, st) -> None:
        self._main.post(self.show_status, st)

    # GUI thread
    def show_status(self, st) -> None:
        """Codes of two different items in view: the camera sends nothing, and the packer reads why over the picture
        (the status was thrown away: both outlines drawn, no count, no word)."""
        from hardware.camera import TWO_CODES

        note = _(st.detail) if getattr(st.detail, "id", None) == TWO_CODES else ""
        if note != self.note:
            self.note = note
            self.update()

    def _take(self) -> None:
        with self._lock:
            item, self._pending = self._pending, None
        if item is not None:
            self.show_frame(*item)

    def show_frame(self, frame: np.ndarray, outlines) -> None:
        import numpy as np  # loaded by the camera stack already; not by a station start-up without a camera

        frame = np.ascontiguousarray(frame)
        h, w = frame.shape[:2]
        fmt = QImage.Format.Format_RGB888 if frame.ndim == 3 else QImage.Format.Format_Grayscale8
        self._image = QImage(frame.data, w, h, frame.strides[0], fmt).copy()  # own the pixels
        self.outlines = [o for o in outlines if o]
        self.frames_shown += 1
        self.update()

    def paintEvent(self, _e) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#263238"))
        img = self._image
        if img is None:
            p.setPen(QColor("white"))
            font = p.font()
            font.setPixelSize(13)  # two lines fit the preview's strip at 1024x768 (~38 px tall)
            p.setFont(font)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.idle_text)
            return
        scale = min(self.width() / img.width(), self.height() / img.height())
        dw, dh = img.width() * scale, img.height() * scale
        ox, oy = (self.width() - dw) / 2, (self.height() - dh) / 2
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.rect().adjusted(int(ox), int(oy), -int(ox), -int(oy)), img)
        pen = QPen(QColor("#00e676"))
        pen.setWidth(3)
        p.setPen(pen)
        for outline in self.outlines:
            p.drawPolygon(QPolygonF([QPointF(ox + x * scale, oy + y * scale) for x, y in outline]))
        if self.note:  # an amber band across the picture's foot
            font = p.font()
            font.setPixelSize(14)
            font.setBold(True)
            p.setFont(font)
            band = self.rect().adjusted(0, self.height() - 2 * p.fontMetrics().height() - 6, 0, 0)
            p.fillRect(band, QColor("#ffb300"))
            p.setPen(QColor("black"))
            p.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)

    def closeEvent(self, e) -> None:  # noqa: N802
        self.detach()
        super().closeEvent(e)

    def detach(self) -> None:
        if self.services is not None and self.on_preview in self.services.preview_sinks:
            self.services.preview_sinks.remove(self.on_preview)
        sinks = getattr(self.services, "camera_status_sinks", [])
        if self.on_status in sinks:
            sinks.remove(self.on_status)


def attach_camera_view(window) -> CameraView | None:
    """Hook for the main window: when a camera is configured, a live preview beside the work screen's content.
    Uses the work screen's `add_side_widget(w)` when it has one, else goes under the product image, else at the
    end of the work screen's layout."""
    services = window.services
    if getattr(services, "camera", None) is None:
        return None
    view = CameraView(services)
    view.setMaximumSize(420, 240)
    if getattr(window, "demo_panel", None) is not None:  # the demo's camera plays a video when asked, not a stream
        view.idle_text = _("Demo camera: Ctrl+Shift+C shows it the current item")
    work = window.work
    side = getattr(getattr(work, "image", None), "parentWidget", lambda: None)()
    if hasattr(work, "add_side_widget"):
        work.add_side_widget(view)
    elif side is not None and side is not work and side.layout() is not None:
        side.layout().insertWidget(side.layout().indexOf(work.image) + 1, view)
    elif work.layout() is not None:
        work.layout().addWidget(view)
    return view
