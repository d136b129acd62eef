"""The simulated printer (``simulated:DIR``): each job is written to DIR as ``NNNN-<job>.bin`` (ESC/POS)
or ``.pdf``, with a ``.png`` preview next to it, so the demo shows printed labels and slips on screen.
NNNN follows the highest number in DIR, whoever wrote it (this printer, the demo's other printer on the same
folder, a process killed before it drew the job's preview), and a job never writes over a file.
`run_out_of_paper()` / `load_paper()` / `set_state()` make it fail like a real printer (for the demo
and tests); a file named ``PAPER_OUT`` in DIR does the same from outside the process.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from app.config import PrinterSettings
from app.i18n import Msg
from hardware.printing.connections import Printer, PrintError
from hardware.printing.status import PrinterStatus, make_status

log = logging.getLogger(__name__)

_NUMBERED = re.compile(r"^(\d+)-")  # a job's file, its preview or a preview left half-written: NNNN-...


class SimulatedPrinter(Printer):
    accepts_pdf = True
    can_query = True

    def __init__(self, uri: str, settings: PrinterSettings | None, folder: Path) -> None:
        super().__init__(uri, settings)
        self.folder = Path(folder)
        self._state = "ready"
        self._count = 0
        self._lock2 = threading.Lock()
        self.answers_status = True
        self.printed: list[Path] = []

    def set_state(self, state: str) -> None:
        """ready | paper_near_end | paper_out | cover_open | offline"""
        self._state = state

    def run_out_of_paper(self) -> None:
        self.set_state("paper_out")

    def load_paper(self) -> None:
        self.set_state("ready")
        (self.folder / "PAPER_OUT").unlink(missing_ok=True)

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        state = "paper_out" if (self.folder / "PAPER_OUT").exists() else self._state
        paper = {"paper_out": "out", "paper_near_end": "near_end"}.get(state, "ok")
        if state == "offline":
            return make_status("offline", online=False, extra=Msg("simulated"))
        return make_status(state, paper=paper, cover_open=state == "cover_open")

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        st = self.status()
        if not st.ok:
            raise PrintError(st.state, st.detail)
        self.folder.mkdir(parents=True, exist_ok=True)
        ext = ".bin" if content_type == "escpos" else ".pdf"
        with self._lock2:
            # after the highest number in the folder, not after a count of the previews there: a job killed before
            # its preview was drawn left a number the count did not see, and the next job after a restart took it
            n = max(self._count, _highest_number(self.folder))
            while True:
                n += 1
                stem = self.folder / f"{n:04d}-{_safe(job_name)}"
                out = stem.with_suffix(ext)
                try:
                    with out.open("xb") as f:  # created here or not at all: never over another job's file
                        f.write(data)
                    break
                except FileExistsError:  # written meanwhile by another printer on this folder
                    continue
            self._count = n
        png = stem.with_suffix(".png")
        part = png.with_name(png.name + ".part")  # written aside, then renamed: the demo panel shows the newest
        try:                                      # *.png, and read one half-written (libpng: "Read Error")
            if content_type == "escpos":
                from hardware.printing.preview import render_png

                render_png(data, self.settings.dots).save(part, format="PNG")
            else:
                from hardware.printing.slip import pdf_first_page_png

                pdf_first_page_png(data, part)
            part.replace(png)
        except Exception:  # a preview is a nicety: the job itself is written
            log.exception("simulated printer: no preview for %s", out)
            part.unlink(missing_ok=True)
        self.printed.append(out)


def _highest_number(folder: Path) -> int:
    return max((int(m.group(1)) for p in folder.iterdir() if (m := _NUMBERED.match(p.name))), default=0)


def _safe(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in s)[:60]
