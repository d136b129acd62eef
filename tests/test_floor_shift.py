"""A shift on one station through the controller (no Qt): 200+ orders with a seeded random mix of floor
trouble, then checked from the event log alone."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from floor_kit import Floor, line, make_order

from app.events import EventType
from app.workflow import Step
from floor import Outcome, Screen
from floor.controller import PAPERWORK

N_ORDERS = 210
STEP_EVENTS = {EventType.STEP_STARTED, EventType.STEP_COMPLETED, EventType.STEP_SUSPENDED, EventType.STEP_RESUMED,
               EventType.SCAN, EventType.UNDO, EventType.SHORT_PICK, EventType.GIFT_CONFIRMED,
               EventType.CARTON_CHOSEN, EventType.WEIGHT_RECORDED, EventType.OVERRIDE, PAPERWORK,
               EventType.ORDER_COMPLETED, EventType.LABEL_PRINTED, EventType.SLIP_PRINTED, EventType.REPRINT}
TROUBLE = ("wrong_item", "sibling", "over_scan", "unknown", "short", "gift", "weight_override", "paper_out",
           "cancel", "offline", "restart", "logout")


def shift_orders(rng: random.Random) -> list:
    out = []
    for n in range(N_ORDERS):
        k = rng.randint(1, 3)
        lines = [line(i + 1, rng.randint(1, 3)) for i in range(k)]
        if rng.random() < 0.3:
            lines.append(line(k + 1, 1, gift=True, name="Card"))
        sib = [{"code": "SIB-001", "sku": "SKU-001-RED", "style": "ST1", "color": "RED", "size": "M"}]
        out.append(make_order(5000 + n, lines, siblings=sib))
    return out


class Shift:
    def __init__(self, settings, rng: random.Random) -> None:
        self.rng = rng
        self.orders = shift_orders(rng)
        self.f = Floor(settings, self.orders)
        self.scans = 0
        self.seen: Counter = Counter()

    @property
    def ctl(self):
        return self.f.ctl

    def scan(self, code: str):
        assert self.ctl.operator is not None
        self.scans += 1
        return self.ctl.scan(code)

    def login(self) -> None:
        self.f.login()
        if self.ctl.screen == Screen.CHECK:
            self.ctl.key("Enter")

    def counting(self, trouble: set[str]) -> None:
        s = self.ctl.session
        for ln in s.picklist.walking_order():
            if self.ctl.session is not s or s.intercepted:
                return
            lp = s.step_progress(s.step)[ln.id]
            if "short" in trouble and s.step == Step.PICK and ln.qty > 1 and not ln.gift and self.rng.random() < 0.5:
                self.scan(ln.barcodes[0].code)
                self.ctl.key("F2")
                self.scan("@@REASON:" + self.rng.choice(["DAMAGED", "NOT_FOUND", "INSUFFICIENT_STOCK"]))
                continue
            if ln.gift and "gift" in trouble and self.rng.random() < 0.5:
                continue  # confirmed at the pack step instead
            while not lp.complete:
                r = self.rng.random()
                if "wrong_item" in trouble and r < 0.1:
                    self.scan("MUG-001")
                elif "sibling" in trouble and r < 0.2:
                    self.scan("SIB-001")
                elif "unknown" in trouble and r < 0.3:
                    self.scan(f"ZZ-{self.rng.randint(0, 10**6)}")
                self.scan(ln.barcodes[0].code)
            if "over_scan" in trouble and self.rng.random() < 0.3:
                self.scan(ln.barcodes[0].code)
        if self.ctl.session is s and not s.intercepted:
            self.ctl.key("F10")
            if s.step in s.counting_steps and s.step != Step.DONE and self.ctl.session is s:
                # gift lines left for pack do not block a counting step
                self.ctl.confirm_gift()
                self.ctl.key("F10")

    def interrupt(self, trouble: set[str], where: str) -> bool:
        """Trouble that strikes mid-order; True when the order is gone from this station."""
        s = self.ctl.session
        oid = s.order_id
        if "cancel" in trouble and where == "pack":
            self.f.oms.cancelled.add(oid)
            self.f.cache.set_status(oid, "cancelled")
            r = self.ctl.on_sync("order_cancelled", {"order_id": oid})
            assert r.outcome == Outcome.STOPPED
            self.scan("@@BACK")
            assert self.ctl.screen == Screen.QUEUE
            return True
        if "restart" in trouble and where == "verify":
            self.f = self.f.restart()
            self.login()
            assert self.ctl.session is not None and self.ctl.session.order_id == oid
        if "logout" in trouble and where == "pack":
            self.scan("@@LOGOUT")
            assert self.ctl.screen == Screen.LOGIN
            self.login()
            assert self.ctl.session is not None and self.ctl.session.order_id == oid
        return False

    def work(self, pl) -> None:
        trouble = {t for t in TROUBLE if self.rng.random() < 0.15}
        self.seen.update(trouble)
        self.f.oms.online = "offline" not in trouble
        r = self.scan(pl.id)
        assert self.ctl.screen == Screen.WORK, r
        while self.ctl.session is not None and self.ctl.session.step in (Step.PICK, Step.VERIFY):
            was = self.ctl.session.step
            self.counting(trouble)
            if self.ctl.session is not None and was == Step.PICK and self.interrupt(trouble, "verify"):
                return
        if self.interrupt(trouble, "pack"):
            return
        s = self.ctl.session
        while self.ctl.confirm_gift().outcome == Outcome.DONE:
            pass
        self.ctl.key(str(self.rng.randint(1, 5)))
        self.scan("@@COMPLETE")
        assert s.step == Step.WEIGH, self.ctl.blockers()
        exp = s.expected_weight[0]
        if "weight_override" in trouble:
            self.f.weigh(exp + 500)
            self.ctl.key("F8")
            self.ctl.key("F11")
            assert self.ctl.override("S-001", "999999", "heavier carton").outcome == Outcome.DONE
        else:
            self.f.weigh(exp)
        if "paper_out" in trouble:
            self.f.spool.paper = False
            assert self.ctl.key("F9").outcome == Outcome.HELD
            assert self.ctl.screen == Screen.WORK
            for job in self.f.spool.load_paper():
                self.ctl.on_print_update(job)
        else:
            self.scan("@@PRINT")
        assert self.ctl.screen == Screen.QUEUE, (self.ctl.feedback, self.ctl.blockers())
        assert pl.id not in [p.id for p in self.ctl.queue]


@pytest.fixture
def shm_settings(settings):
    """The shift's store on tmpfs when there is one: durability is tested elsewhere (SIGKILL tests); here
    thousands of fsyncs on a busy disk would only measure the disk."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield settings
        return
    d = Path(tempfile.mkdtemp(prefix="packstation-shift-", dir=shm))
    settings.station.data_dir = str(d)
    yield settings
    shutil.rmtree(d, ignore_errors=True)


def test_a_shift_of_210_orders_checked_from_the_event_log(shm_settings):
    settings = shm_settings
    rng = random.Random(20261202)
    sh = Shift(settings, rng)
    sh.login()
    for pl in sh.orders:
        sh.work(pl)
    f = sh.f
    events = f.core.events.events()
    by_order = defaultdict(list)
    for ev in events:
        if ev.order_id:
            by_order[ev.order_id].append(ev)

    # every event of a step has an operator
    assert all(ev.operator_id for ev in events if ev.type in STEP_EVENTS)

    # every scan is one event with one verdict
    scans = [ev for ev in events if ev.type == EventType.SCAN]
    assert len(scans) == sh.scans
    assert all((ev.payload.get("verdict") or {}).get("kind") == ev.kind for ev in scans)

    # no finished order in the queue
    finished = {ev.order_id for ev in events if ev.type == EventType.ORDER_COMPLETED}
    f.ctl.refresh_queue()
    assert not finished & {p.id for p in f.ctl.queue}
    assert len(finished) >= N_ORDERS * 0.7

    # labels and slips say what was packed: the last counting step's scans net of undos, confirmed gifts
    orders = {p.id: p for p in sh.orders}
    papers = 0
    for oid, evs in by_order.items():
        paper = [e for e in evs if e.type == PAPERWORK]
        if not paper:
            continue
        papers += 1
        last_step = Step.VERIFY.value
        counted: dict[str, int] = defaultdict(int)
        shorts: dict[str, int] = {}
        confirmed = set()
        for e in evs:
            v = e.payload.get("verdict") or {}
            if e.type == EventType.SCAN and e.kind == "accepted" and e.payload.get("step") == last_step:
                counted[v["line_id"]] += int(v.get("qty_added") or 0)
            elif e.type == EventType.UNDO and e.payload.get("step") == last_step:
                counted[e.payload["line_id"]] -= int(e.payload["qty"])
            elif e.type == EventType.SHORT_PICK:
                shorts[e.payload["line_id"]] = int(e.payload["qty_required"]) - int(e.payload["qty_found"])
            elif e.type == EventType.GIFT_CONFIRMED and e.payload.get("how") == "confirmed":
                confirmed.add(e.payload["line_id"])
        want = {}
        for ln in orders[oid].lines:
            q = counted.get(ln.id, 0)
            if ln.id in confirmed and q == 0:
                q = ln.qty - shorts.get(ln.id, 0)
            if q:
                want[ln.id] = q
        assert len(paper) == 1
        got = {x["line_id"]: x["qty"] for x in paper[0].payload["lines"]}
        assert got == want, oid
        assert paper[0].payload["units"] == sum(want.values())
        for jid in (paper[0].payload["label_job"], paper[0].payload["slip_job"]):
            printed = f.spool.printed[jid]
            assert {ln.id: ln.qty for ln in printed.lines} == want
    assert papers == len(finished)

    # and the trouble really happened, many times over
    kinds = Counter(ev.kind for ev in scans)
    for k in ("wrong_item", "sibling_variant", "over_scan", "unknown", "intercepted"):
        assert kinds[k] >= 5, (k, kinds)
    types = Counter(ev.type for ev in events)
    assert types[EventType.SHORT_PICK] >= 5 and types[EventType.OVERRIDE] >= 5
    assert types[EventType.ORDER_INTERCEPTED] >= 5 and types[EventType.PICKLIST_RELEASED] >= 5
    assert sum(1 for ev in events if ev.type == EventType.STEP_SUSPENDED and ev.payload.get("reason") == "logout") >= 5
    assert sum(1 for ev in events if ev.type == EventType.PICKLIST_CLAIMED and ev.payload["provisional"]) >= 5
    assert sh.seen["restart"] >= 5 and sh.seen["paper_out"] >= 5
    f.close()
