"""Names of the core's codes in the operator's language: order statuses, carrier service levels, roles, carton
names (the short-pick and reprint reasons are floor/words.py's). Codes the table does not know are shown as they
are (they are data, e.g. a carrier's own service name). Also how long ago something was, as the status bar says it."""

from __future__ import annotations

from floor.words import CARTON_NAMES, SERVICE_NAMES
from ui.translations import N_, _

STATUS = {
    "open": N_("open"),
    "claimed": N_("claimed"),
    "in_progress": N_("in progress"),
    "paused": N_("paused"),  # open at this station, another order at work (StationController.queue_status)
    "done": N_("done"),
    "cancelled": N_("cancelled"),
    "held": N_("held"),
}
SERVICE = SERVICE_NAMES  # the floor's words name them too (a changed carrier is said with its service)
ROLE = {
    "picker": N_("picker"),
    "packer": N_("packer"),
    "supervisor": N_("supervisor"),
}
DEVICE = {  # the station's devices (ui.services names them so)
    "label_printer": N_("Label printer"),
    "slip_printer": N_("Slip printer"),
    "scanner": N_("Scanner"),
    "camera": N_("Camera"),
    "scale": N_("Scale"),
    "oms": N_("OMS connection"),
    "disk": N_("Station disk"),
    "speaker": N_("Speaker"),
}
CARTON = CARTON_NAMES  # the floor's words name the cartons (the pack prompt says them too)


def _name(table: dict[str, str], code: str) -> str:
    src = table.get(code)
    return _(src) if src else code


def status(code: str) -> str:
    return _name(STATUS, code)


def service(code: str) -> str:
    return _name(SERVICE, code)


def role(code: str) -> str:
    return _name(ROLE, code)


def carton(code: str, label: str) -> str:
    src = CARTON.get(code)
    return _(src) if src else label


def device(code: str) -> str:
    return _name(DEVICE, code)


def age(seconds: float) -> str:
    """How long ago, as a person reads it on the status bar: "40 s", "12 min", "2 h 05 min" (an outage's hour
    was "3600 s")."""
    s = max(int(seconds), 0)
    if s < 120:
        return _("{n} s", n=s)
    if s < 2 * 3600:
        return _("{n} min", n=s // 60)
    return _("{h} h {m} min", h=s // 3600, m=f"{s % 3600 // 60:02d}")
