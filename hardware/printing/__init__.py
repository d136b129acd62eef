"""Printing: ESC/POS labels, PDF packing slips, printer health and a durable spool.

    from hardware.printing import make_printer, PrinterStatus, PrintSpool, build_label, build_slip_pdf
    p = make_printer(settings.devices.label_printer)      # tcp://, usb://, serial://, file:, cups://, simulated:DIR
    p.status(timeout_s=1.0) -> PrinterStatus              # online, paper ok|near_end|out|unknown, cover_open, .text(lang)
    spool = PrintSpool(core, printers={"label_printer": p1, "slip_printer": p2}, on_update=fn, on_status=fn2)
    spool.start(); spool.submit_label(picklist, operator_id); spool.submit_slip(picklist, operator_id, image_for)
    spool.reprint(job_id, operator_id, reason); spool.jobs(state=None); spool.retry_held(); spool.stop()

Heavy imports (escpos, reportlab, Pillow) happen inside the functions that need them.
"""

from __future__ import annotations

from hardware.printing.connections import Printer, PrintError, make_printer
from hardware.printing.status import PrinterStatus


def build_label(*args, **kwargs) -> bytes:
    from hardware.printing.label import build_label as _build

    return _build(*args, **kwargs)


def build_slip_pdf(*args, **kwargs) -> bytes:
    from hardware.printing.slip import build_slip_pdf as _build

    return _build(*args, **kwargs)


def make_printers(settings, data_dir=None) -> dict[str, Printer]:
    """Both configured printers, keyed as the spool expects."""
    d = data_dir if data_dir is not None else settings.data_dir
    return {"label_printer": make_printer(settings.devices.label_printer, data_dir=d),
            "slip_printer": make_printer(settings.devices.slip_printer, data_dir=d)}


def __getattr__(name: str):
    if name == "PrintSpool":
        from hardware.printing.spool import PrintSpool

        return PrintSpool
    raise AttributeError(name)


__all__ = ["PrintError", "Printer", "PrinterStatus", "PrintSpool", "build_label", "build_slip_pdf",
           "make_printer", "make_printers"]
