"""Names of the core's codes in the operator's language: order statuses, carrier service levels, roles, carton
names (the short-pick and reprint reasons are floor/words.py's). Codes the table does not know are shown as they
are (they are data, e.g. a carrier's own service name). Also how long ago something was, as the status bar says it."""

from __future__ import annotations

from app.messages import DEVICE_NAMES
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
    "stopped": N_("stopped"),  # stopped by the OMS for another reason, while set aside here
}
SERVICE = SERVICE_NAMES  # the floor's words name them too (a changed carrier is said with its service)
ROLE = {
    "picker": N_("picker"),
    "packer": N_("packer"),
    "supervisor": N_("supervisor"),
}
DEVICE = DEVICE_NAMES  # the station's devices (ui.services names them so; a printer fault's printer too)
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
    """How long ago, as a person says it on the status bar: seconds under a minute, whole minutes under an hour,
    then hours and minutes, a zero part left out: "45 s", "1 min", "59 min", "1 h", "2 h 5 min". Rounded down (an
    outage of 59.9 minutes has not lasted an hour). Seconds stopped at two minutes before ("OFFLINE for 65 s"), and
    an hour was "60 min"."""
    s = max(int(seconds), 0)
    if s < 60:
        return _("{n} s", n=s)
    if s < 3600:
        return _("{n} min", n=s // 60)
    h, m = divmod(s // 60, 60)
    return _("{h} h {m} min", h=h, m=m) if m else _("{n} h", n=h)
