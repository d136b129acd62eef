"""Station controller figures: a scan through the whole floor flow (controller -> station -> verifier ->
durable event -> typed result and change notification), and orders per second through a full order."""

from __future__ import annotations

import time
from pathlib import Path

N_SCANS = 1000
N_ORDERS = 40


def _floor(workdir: Path, orders: list[dict]):
    from app.config import Settings
    from app.core import open_core
    from app.operators import Role
    from app.picklist import PickList
    from app.workflow import Station
    from floor import StationController
    from sync.cache import PickListCache

    s = Settings()
    s.station.data_dir = str(workdir)
    core = open_core(s)
    core.operators.add(badge="B1", name="Bench", role=Role.PACKER, pin="1111")
    cache = PickListCache(core.store, s.station.id)
    cache.upsert([(PickList.from_dict(d), None) for d in orders])
    ctl = StationController(Station(core), cache=cache)
    ctl.login("B1", "1111")
    ctl.key("Enter")
    return core, ctl


def _order(n: int, qty: int) -> dict:
    return {"id": f"SO-{n}", "order_no": str(n), "lines": [
        {"id": "L1", "sku": "TEE", "name": "T-shirt", "qty": qty, "weight_g": 100.0,
         "barcodes": [{"code": f"ITEM-{n}"}]}]}


def controller_scan_p99_ms(workdir: Path) -> dict[str, float]:
    core, ctl = _floor(workdir, [_order(1, N_SCANS + 10)])
    ctl.open_order("SO-1")
    times = []
    for _ in range(N_SCANS):
        t0 = time.perf_counter_ns()
        ctl.scan("ITEM-1")
        times.append((time.perf_counter_ns() - t0) / 1e6)
    core.close()
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"controller_scan_p99_ms": round(p(0.99), 3), "controller_scan_p50_ms": round(p(0.5), 3)}


def controller_orders_per_s(workdir: Path) -> float:
    """Open, pick, verify, pack, weigh, label (no printer) and finish, N_ORDERS times."""
    core, ctl = _floor(workdir, [_order(n, 2) for n in range(N_ORDERS)])
    t0 = time.perf_counter()
    for n in range(N_ORDERS):
        ctl.scan(f"SO-{n}")
        for _ in range(2):  # pick, then verify
            ctl.scan(f"ITEM-{n}")
            ctl.scan(f"ITEM-{n}")
            ctl.key("F10")
        ctl.key("1")
        ctl.key("F10")
        ctl.on_weight(100, False)
        ctl.on_weight(200, True)
        ctl.key("F9")
    dt = time.perf_counter() - t0
    core.close()
    return N_ORDERS / dt


def login_resume_1m_events_ms(workdir: Path) -> float:
    """A packer's login on the warehouse-scale store (app.bench_data.warehouse_db: 10,000 cached pick lists
    with their history among 1,000,000 events), one order of theirs left open (by a crash, then by a
    logout): from the PIN's Enter to the order back on screen (the controller's login; it runs on the GUI
    thread). Median of 5."""
    import statistics

    from app.bench_data import copy_to, picklist_doc, warehouse_db
    from app.config import Settings
    from app.core import open_core
    from app.operators import Role
    from app.picklist import PickList
    from app.workflow import Station
    from floor import StationController
    from sync.cache import PickListCache

    s = Settings()
    s.station.data_dir = str(workdir)
    copy_to(warehouse_db(), workdir / "station.sqlite3")
    core = open_core(s)
    op = core.operators.add(badge="B1", name="Bench", role=Role.PACKER, pin="1111")
    cache = PickListCache(core.store, s.station.id)
    cache.upsert([(PickList.from_dict(picklist_doc(200_000, 5)), None)])  # an order of today, begun, not packed
    core.events.append("step_started", {"step": "pick"}, operator_id=op.id, order_id="SO-200000")
    ctl = StationController(Station(core), cache=cache)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        ctl.login("B1", "1111")
        times.append((time.perf_counter() - t0) * 1000)
        if ctl.session is None or ctl.session.order_id != "SO-200000":
            raise RuntimeError("the order left open did not come back")
        ctl.logout()  # suspends it; the next login brings it back
    core.close()
    return round(statistics.median(times), 1)


FIGURES = {
    "controller_scan_p99_ms": controller_scan_p99_ms,  # also reports controller_scan_p50_ms
    "controller_orders_per_s": controller_orders_per_s,
    "login_resume_1m_events_ms": login_resume_1m_events_ms,
}
