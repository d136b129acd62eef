"""Turns device, printer and sync callbacks (called on their own threads) into Qt signals that are
delivered on the GUI thread (queued, because the bridge lives on the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class DeviceBridge(QObject):
    scan = Signal(object)  # RawScan
    scanner_status = Signal(object)  # DeviceStatus
    weight = Signal(object)  # WeightReading
    scale_status = Signal(object)
    print_update = Signal(object)  # job dict
    printer_status = Signal(str, object)  # printer name, PrinterStatus
    sync_event = Signal(str, object)  # kind, data

    # plain methods usable as thread callbacks
    def on_scan(self, raw) -> None:
        self.scan.emit(raw)

    def on_scanner_status(self, st) -> None:
        self.scanner_status.emit(st)

    def on_weight(self, reading) -> None:
        self.weight.emit(reading)

    def on_scale_status(self, st) -> None:
        self.scale_status.emit(st)

    def on_print_update(self, job) -> None:
        self.print_update.emit(job)

    def on_printer_status(self, name, st) -> None:
        self.printer_status.emit(name, st)

    def on_sync(self, kind, data) -> None:
        self.sync_event.emit(kind, data)
