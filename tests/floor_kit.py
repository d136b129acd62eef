"""A station without Qt for the controller tests: real core (SQLite file), real pick-list cache, a
reference-OMS stand-in for claims and the intercept check, and a print spool stand-in that keeps what it
was asked to print (the label/slip builders get exactly that pick list)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from app.catalog import Catalog
from app.core import open_core
from app.i18n import Msg
from app.operators import Role
from app.picklist import PickList
from app.workflow import Station
from floor import StationController
from sync.cache import PickListCache
from sync.service import Shippable as Ship  # the real answer type of check_shippable


def make_order(n: int, lines: list[dict], **extra) -> PickList:
    d = {"id": f"SO-{n}", "order_no": f"{n}", "carrier": "SF", "service": "std",
         "ship_to": {"name": "Li Lei", "city": "Shanghai"}, "lines": lines}
    d.update(extra)
    return PickList.from_dict(d)


def line(i: int, qty: int = 1, **extra) -> dict:
    d = {"id": f"L{i}", "sku": f"SKU-{i:03d}", "name": f"Item {i}", "qty": qty, "bin": f"A-{i:02d}",
         "bin_order": i, "style": f"ST{i}", "color": "BLUE", "size": "M", "weight_g": 100.0,
         "barcodes": [{"code": f"ITEM-{i:03d}"}]}
    d.update(extra)
    return d


def simple_order(n: int, qtys=(2, 1), gift: bool = False, **extra) -> PickList:
    lines = [line(i + 1, q) for i, q in enumerate(qtys)]
    if gift:
        lines.append(line(len(qtys) + 1, 1, gift=True, name="Thank-you card"))
    sib = [{"code": "SIB-001", "sku": "SKU-001-RED", "style": "ST1", "color": "RED", "size": "M", "name": "Item 1"}]
    return make_order(n, lines, siblings=sib, **extra)


@dataclass
class Claim:
    ok: bool
    provisional: bool
    message: Msg

    def text(self, language: str) -> str:
        return self.message.text(language)


class OmsStandIn:
    """What SyncService offers the controller: claim and check_shippable, online or offline."""

    def __init__(self, core, cache: PickListCache) -> None:
        self.core, self.cache = core, cache
        self.online = True
        self.cancelled: set[str] = set()
        self.claims: list[str] = []
        self.changed: dict[str, PickList] = {}  # orders the OMS changed since the station cached them

    def claim(self, order_id: str, operator_id=None) -> Claim:
        if order_id in self.cancelled:
            self.cache.set_status(order_id, "cancelled")
            return Claim(False, False, Msg("Order {order} cannot be worked (status: {status}).", order=order_id,
                                                 status="cancelled"))
        self.claims.append(order_id)
        self.cache.mark_claimed(order_id, self.core.settings.station.id, provisional=not self.online)
        self.core.events.append("picklist_claimed", {"order_id": order_id, "provisional": not self.online},
                                operator_id=operator_id, order_id=order_id)
        return Claim(True, not self.online, Msg("Order {order} claimed.", order=order_id))

    def check_shippable(self, order_id: str, operator_id=None) -> Ship:
        if not self.online:
            return Ship(True, "unknown", None, True, picklist=self.cache.get(order_id))
        if order_id in self.cancelled:
            self.core.events.append("order_intercepted", {"order_id": order_id, "status": "cancelled",
                                                          "reason": "customer", "oms_reason": "customer"},
                                    order_id=order_id,
                                    operator_id=operator_id, kind="cancelled")
            return Ship(False, "cancelled", "customer", False)
        return Ship(True, "claimed", None, False, picklist=self.changed.get(order_id) or self.cache.get(order_id))


@dataclass
class SpoolStandIn:
    """The print spool's interface; jobs finish when `finish()` is called (or at once if auto)."""

    core: object
    auto: bool = True
    paper: bool = True  # both printers' paper
    label_paper: bool = True  # the label printer's alone (the demo's Ctrl+Shift+P): the slip printer goes on
    slip_paper: bool = True  # the slip printer's alone: the label printer goes on
    prints_slips: bool = True  # False: a station whose slip printer is `none:`
    jobs_: list[dict] = field(default_factory=list)
    printed: dict[str, PickList] = field(default_factory=dict)  # job id -> what the builders were given
    missing: dict[str, list] = field(default_factory=dict)  # slip job id -> [(sku, qty)] not in the parcel
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def new_job_id(self) -> str:
        return f"J{next(self._ids)}"

    def _submit(self, kind: str, pl: PickList, op, job_id: str | None = None) -> str:
        jid = job_id or self.new_job_id()
        self.jobs_.append({"job_id": jid, "kind": kind, "order_id": pl.id, "state": "queued", "operator_id": op})
        self.printed[jid] = pl
        return jid

    def submit_label(self, pl, op, job_id=None):
        return self._submit("label", pl, op, job_id)

    def submit_slip(self, pl, op, missing=(), job_id=None):
        jid = self._submit("slip", pl, op, job_id)
        self.missing[jid] = [(ln.sku, ln.qty) for ln in missing]
        return jid

    def job(self, jid):
        j = next((j for j in self.jobs_ if j["job_id"] == jid), None)
        if j is not None and j["state"] == "queued" and self.auto:
            self._run(j)
        return dict(j) if j else None

    def _run(self, j) -> None:
        if not self.paper or (j["kind"] == "label" and not self.label_paper):
            j.update(state="held", message=Msg("Label printer: paper out."))  # the spool's job dicts carry a Msg
            return
        if j["kind"] == "slip" and not self.slip_paper:
            j.update(state="held", message=Msg("Slip printer: paper out."))
            return
        j["state"] = "done"
        ev = {"label": "label_printed", "slip": "slip_printed"}[j["kind"]]
        self.core.events.append(ev, {"order_id": j["order_id"], "job_id": j["job_id"]},
                                operator_id=j["operator_id"], order_id=j["order_id"])

    def load_paper(self) -> list[dict]:
        self.paper = self.label_paper = self.slip_paper = True
        out = []
        for j in self.jobs_:
            if j["state"] == "held":
                self._run(j)
                out.append(dict(j))
        return out

    def cancel(self, job_id, reason):
        """As the spool does: a queued or held job out of the queue (failed, with the reason); the others go on."""
        j = next((j for j in self.jobs_ if j["job_id"] == job_id), None)
        if j is not None and j["state"] in ("queued", "held"):
            j.update(state="failed", error_state="cancelled", message=Msg("Cancelled: {reason}", reason=reason))

    def confirm_seen(self, job_id, operator_id):
        """As the spool does: an `unconfirmed` job found at the printer is done, its event naming who found it."""
        j = next((j for j in self.jobs_ if j["job_id"] == job_id), None)
        if j is None or j["state"] != "unconfirmed":
            return False
        self._run({**j, "operator_id": operator_id})
        j["state"] = "done"
        return True

    def jobs(self, state=None, order_id=None):
        return [dict(j) for j in self.jobs_ if (order_id is None or j["order_id"] == order_id)
                and (state is None or j["state"] == state)]

    def has_label(self, order_id):
        return any(j["kind"] == "label" and j["order_id"] == order_id for j in self.jobs_)

    def last_label_order_id(self):
        return next((j["order_id"] for j in reversed(self.jobs_) if j["kind"] == "label"), None)

    def reprint(self, job_id, operator_id, reason):
        j = next(j for j in self.jobs_ if j["job_id"] == job_id)
        if j["state"] in ("queued", "sending", "held"):
            raise ValueError("still " + j["state"])
        new = self._submit(j["kind"], self.printed[job_id], operator_id)
        self.core.events.append("reprint", {"order_id": j["order_id"], "job_id": new, "reprint_of": job_id,
                                            "reason": reason}, operator_id=operator_id, order_id=j["order_id"])
        return new


class Floor:
    """One station: core, cache, OMS and spool stand-ins, controller. `restart()` is a power cycle."""

    def __init__(self, settings, orders: list[PickList], steps=None) -> None:
        self.settings = settings
        self.steps = steps
        self.core = open_core(settings)
        if self.core.operators.by_badge("K-001") is None:
            self.core.operators.add(badge="K-001", name="Packer", role=Role.PACKER, pin="2222", op_id="op-k1")
            self.core.operators.add(badge="P-001", name="Picker", role=Role.PICKER, pin="1111", op_id="op-p1")
            self.core.operators.add(badge="S-001", name="Boss", role=Role.SUPERVISOR, pin="999999", op_id="op-s1")
        self.cache = PickListCache(self.core.store, settings.station.id)
        if orders:
            self.cache.upsert([(p, None) for p in orders])
        self.oms = OmsStandIn(self.core, self.cache)
        self.spool = SpoolStandIn(self.core)
        # a product not on any order: scanning it is a wrong item
        self.station = Station(self.core, steps=steps, catalog=Catalog([{"sku": "MUG-1", "name": "Mug",
                                                                         "barcodes": ["MUG-001"]}]))
        self.ctl = StationController(self.station, cache=self.cache, sync=self.oms, spool=self.spool)
        self.changes: list = []
        self.ctl.subscribe(self.changes.append)

    def restart(self) -> Floor:
        cancelled, online, spool = self.oms.cancelled, self.oms.online, self.spool
        self.core.close()
        f = Floor(self.settings, [], self.steps)
        f.oms.cancelled, f.oms.online = cancelled, online
        f.spool = spool  # the spool table survives a restart
        spool.core = f.core
        f.ctl.spool = spool
        return f

    def close(self) -> None:
        self.core.close()

    def login(self, badge="K-001", pin="2222"):
        return self.ctl.login(badge, pin)

    def work_counting(self) -> None:
        """Scan every line of the current counting step, then complete it."""
        s = self.ctl.session
        prog = s.step_progress(s.step)
        for ln in s.picklist.walking_order():
            lp = prog[ln.id]
            for _ in range(max(0, ln.qty - lp.scanned - lp.short_qty)):
                if lp.complete:
                    break
                self.ctl.scan(ln.barcodes[0].code)

    def to_step(self, step) -> None:
        from app.workflow import Step

        while self.ctl.session.step != step:
            s = self.ctl.session
            was = s.step
            if s.step in s.counting_steps:
                self.work_counting()
            elif s.step == Step.PACK:
                while self.ctl.confirm_gift().outcome.value == "done":
                    pass
                self.ctl.key("2")
            elif s.step == Step.WEIGH:
                self.weigh(s.expected_weight[0] or 500)
                self.ctl.record_weight()
            r = self.ctl.complete_step()
            assert s.step != was, (r, self.ctl.blockers())

    def weigh(self, grams: float) -> None:
        """The parcel is put on the scale: the reading moves, then settles."""
        self.ctl.on_weight(grams * 0.6, False)
        self.ctl.on_weight(grams, True)
