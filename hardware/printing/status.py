"""Printer health: `PrinterStatus` and the decoding of ESC/POS real-time status replies (DLE EOT n).

DLE EOT n (0x10 0x04 n) is answered by one status byte, even when the printer is offline:

  n=1 printer status   bit 3: offline
  n=2 offline cause    bit 2: cover open, bit 5: stopped by paper end, bit 6: error
  n=4 paper sensor     bits 2+3: roll near end, bits 5+6: paper out

Every valid reply has bit 1 and bit 4 set and bits 0 and 7 clear, so ``b & 0x93 == 0x12``. A byte
that does not match is not a status reply (a stale byte, an ASB packet, line noise) and is never
read as "paper OK". No reply is "no_answer" (not ready), never "ok".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.i18n import N_, Msg
from hardware.devices import NO_DETAIL

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 4)

# states a job may be sent in
PRINTABLE_STATES = ("ready", "paper_near_end", "unknown")


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper: str = "unknown"  # ok | near_end | out | unknown
    cover_open: bool | None = None
    state: str = "unknown"  # ready|paper_near_end|paper_out|cover_open|error|offline|no_answer|unknown|not_configured
    detail: Msg = NO_DETAIL  # what the operator reads (app.i18n message, translated in devices.po)

    def text(self, language: str | None) -> str:
        """What the operator reads, in `language` (the screens call only this)."""
        return self.detail.text(language) if self.detail else self.state

    @property
    def brief(self) -> Msg:
        """The state in a few words, after the printer's name ("Label printer: out of paper"): the status bar's
        room; the whole sentence, with what to do, is `detail`."""
        return Msg(BRIEF.get(self.state, self.state))

    @property
    def en(self) -> str:
        """The English text (logs, printer_fault events, technicians)."""
        return self.text("en")

    @property
    def ok(self) -> bool:
        """True when a job may be sent now (paper near end still prints, with a warning)."""
        return self.state in PRINTABLE_STATES

    @property
    def warning(self) -> bool:
        return self.state in ("paper_near_end", "unknown")

    def to_dict(self) -> dict[str, Any]:
        return {"online": self.online, "paper": self.paper, "cover_open": self.cover_open, "state": self.state,
                "detail": self.detail.to_dict(), "ok": self.ok}


MESSAGES = {  # state -> message id
    "ready": N_("Printer ready"),
    "paper_near_end": N_("Paper nearly used up: load a new roll soon"),
    "paper_out": N_("Printer is out of paper: load paper"),
    "cover_open": N_("Printer cover is open: close it"),
    "error": N_("Printer reports an error: check it and press its feed button"),
    "offline": N_("Printer is offline"),
    "no_answer": N_("Printer does not answer status queries: check power and cable"),
    "unknown": N_("Printer status cannot be read on this connection"),
    "not_configured": N_("No printer configured"),
}


BRIEF = {  # state -> a few words, after the printer's name
    "ready": N_("ready"),
    "paper_near_end": N_("paper nearly used up"),
    "paper_out": N_("out of paper"),
    "cover_open": N_("cover open"),
    "error": N_("error"),
    "offline": N_("offline"),
    "no_answer": N_("not answering"),
    "unknown": N_("status unknown"),
    "not_configured": N_("not configured"),
}


def make_status(state: str, *, online: bool | None = None, paper: str = "unknown",
                cover_open: bool | None = None, extra: Msg | str | None = None) -> PrinterStatus:
    """The status for `state`; `extra` (a message, or a plain text such as an OS error) says more, in brackets."""
    detail = Msg(MESSAGES[state])
    if extra:
        detail = Msg("{status} ({detail})", status=detail, detail=extra)
    if online is None:
        online = state in ("ready", "paper_near_end", "paper_out", "cover_open", "error", "unknown")
    return PrinterStatus(online=online, paper=paper, cover_open=cover_open, state=state, detail=detail)


def valid_reply(b: int) -> bool:
    return (b & 0x93) == 0x12


def decode(replies: dict[int, int]) -> PrinterStatus:
    """Status from the three DLE EOT replies {1: byte, 2: byte, 4: byte} (all validated)."""
    offline = bool(replies[1] & 0x08)
    cover = bool(replies[2] & 0x04)
    paper_stop = bool(replies[2] & 0x20)
    error = bool(replies[2] & 0x40)
    p4 = replies[4]
    if p4 & 0x60 or paper_stop:
        paper = "out"
    elif p4 & 0x0C:
        paper = "near_end"
    else:
        paper = "ok"
    if cover:
        return make_status("cover_open", online=not offline, paper=paper, cover_open=True)
    if paper == "out":
        return make_status("paper_out", online=not offline, paper=paper, cover_open=False)
    if error:
        return make_status("error", online=not offline, paper=paper, cover_open=False)
    if offline:
        return make_status("offline", online=False, paper=paper, cover_open=False)
    if paper == "near_end":
        return make_status("paper_near_end", online=True, paper=paper, cover_open=False)
    return make_status("ready", online=True, paper="ok", cover_open=False)
