"""Turns device, printer and sync callbacks (called on their own threads) into Qt signals delivered on
the GUI thread. The callbacks hand their values to a MainThreadQueue (a queue.Queue drained on the GUI
thread), which then emits the signals there: no Python object crosses threads inside a queued signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ui.tasks import MainThreadQueue


class DeviceBridge(QObject):
    scan = Signal(object)  # RawScan
    scanner_status = Signal(object)  # DeviceStatus
    weight = Signal(object)  # WeightReading
    scale_status = Signal(object)
    print_update = Signal(object)  # job dict
    printer_status = Signal(str, object)  # printer name, PrinterStatus
    sync_event = Signal(str, object)  # kind, data

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._main = MainThreadQueue(self)

    # plain methods usable as thread callbacks
    def on_scan(self, raw) -> None:
        self._main.post(self.scan.emit, raw)

    def on_scanner_status(self, st) -> None:
        self._main.post(self.scanner_status.emit, st)

    def on_weight(self, reading) -> None:
        self._main.post(self.weight.emit, reading)

    def on_scale_status(self, st) -> None:
        self._main.post(self.scale_status.emit, st)

    def on_print_update(self, job) -> None:
        self._main.post(self.print_update.emit, job)

    def on_printer_status(self, name, st) -> None:
        self._main.post(self.printer_status.emit, name, st)

    def on_sync(self, kind, data) -> None:
        self._main.post(self.sync_event.emit, kind, data)
