"""Statistics on a generated shift with known answers, a UTC+8 day boundary and late events."""

import random
from datetime import UTC, datetime

from app import stats
from app.config import SlaSettings
from app.events import EventLog
from app.stats import day_bounds_ms, figures_from_store

TZ = "Asia/Shanghai"


def utc_ms(*a):
    return int(datetime(*a, tzinfo=UTC).timestamp() * 1000)


def test_shift_counts_rates_day_boundary_and_late_events(store):
    now = {"t": 0}
    log = EventLog(store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)

    def at(ts, type, payload=None, *, op="op1", order=None, kind=None):
        now["t"] = ts
        log.append(type, payload or {}, operator_id=op, order_id=order, kind=kind)

    rng = random.Random(8)
    base = utc_ms(2026, 11, 16, 1, 0)  # 09:00 Shanghai, Monday 16th
    expected_wrong = 0
    scans = 0
    for i in range(50):
        t = base + i * 60_000
        kind = rng.choice(["accepted", "accepted", "wrong_item"])
        expected_wrong += kind == "wrong_item"
        scans += 1
        at(t, "scan", {"verdict": {"kind": kind}}, order=f"SO{i}", kind=kind)
    # 10 orders, each with a pick step of 100 s, 2 of them late vs a 1-minute SLA
    for i in range(10):
        t = base + i * 10_000
        at(t, "step_started", {"step": "pick"}, order=f"SO{i}")
        at(t + (100_000 if i < 2 else 30_000), "step_completed", {"step": "pick"}, order=f"SO{i}")
        at(t + 200_000, "order_completed", {"complexity": "mixed" if i % 2 else "single_item"}, order=f"SO{i}")
    # day boundary: 15:59 UTC = 23:59 Shanghai on the 16th, 16:01 UTC = 00:01 on the 17th
    at(utc_ms(2026, 11, 16, 15, 59), "reprint", {}, order="SOx")
    at(utc_ms(2026, 11, 16, 16, 1), "reprint", {}, order="SOy")
    # late arrival from an offline period: appended last, old timestamp on the 16th at 10:30 Shanghai
    at(utc_ms(2026, 11, 16, 2, 30), "short_pick", {"reason": "damaged"}, op="op2", order="SO3",
       kind="damaged")

    sla = SlaSettings(pick_min=1.0)
    a, b = day_bounds_ms("2026-11-16", "2026-11-17", TZ)
    f = figures_from_store(store, tz=TZ, start=a, end=b, sla=sla)
    assert f.scans == scans == 50
    assert f.orders == 10
    assert f.by_type["wrong_item"] == expected_wrong
    assert f.per_1000_scans["wrong_item"] == round(expected_wrong * 1000 / 50, 3)
    assert f.per_1000_orders["reprint"] == 200.0
    assert f.by_day == {"2026-11-16": expected_wrong + 2, "2026-11-17": 1}
    assert f.by_hour[23] == 1 and f.by_hour[0] == 1 and f.by_hour[10] == 1
    assert f.by_operator["op2"] == 1
    assert f.by_type["short_pick_damaged"] == 1
    assert f.steps["pick"].n == 10 and f.steps["pick"].late_share == 0.2
    assert f.steps["pick"].median_s == 30.0 and f.steps["pick"].p90_s == 100.0
    assert f.throughput == {"mixed": {"09": 5}, "single_item": {"09": 5}}

    # only the 16th (Shanghai): the 00:01 reprint is excluded although it is still the 16th in UTC
    a1, b1 = day_bounds_ms("2026-11-16", "2026-11-16", TZ)
    f1 = figures_from_store(store, tz=TZ, start=a1, end=b1, sla=sla)
    assert f1.by_type["reprint"] == 1
    assert f1.by_day == {"2026-11-16": expected_wrong + 2}
    # operator filter
    f2 = figures_from_store(store, tz=TZ, start=a, end=b, sla=sla, operator="op2")
    assert f2.errors == 1 and f2.scans == 0


def _wal_frames(store) -> int:
    """Frames in the write-ahead log (each a page and its 24-byte header; the log only grows while nothing
    checkpoints it)."""
    with store.read() as c:
        page = c.exec_driver_sql("PRAGMA page_size").scalar()
    wal = store.path.with_name(store.path.name + "-wal")
    return wal.stat().st_size // (page + 24) if wal.exists() else 0


def test_a_good_scan_commits_one_page_fewer_than_an_error_and_statistics_still_read_the_time_index(store):
    """ix_events_ts leaves good scans out: statistics count them from ix_events_type_kind and never look them up by
    time, so each good scan (nearly every scan of a shift) writes one B-tree page fewer. The statistics' row query
    says the index's condition word for word, or SQLite could not use the index and would walk the whole log."""
    from app import schema, stats

    with store.read() as c:  # the index the migrations built says what the schema and the queries say
        index_sql = c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ix_events_ts'").scalar()
    assert index_sql.endswith(f"WHERE NOT ({schema.GOOD_SCAN_SQL})"), index_sql
    store.checkpointer.close()  # no checkpoint may start the log over while its frames are counted
    log = EventLog(store, "ST1")
    log.append("step_started", {"step": "pick"}, order_id="SO1", kind="pick")  # the file's pages exist
    log.append("scan", {"verdict": {"kind": "wrong_item"}}, order_id="SO1", kind="wrong_item")
    frames = {}
    for kind in ("accepted", "wrong_item", "bin_confirmed", "unknown"):
        before = _wal_frames(store)
        log.append("scan", {"verdict": {"kind": kind}}, order_id="SO1", kind=kind)
        frames[kind] = _wal_frames(store) - before
    assert frames["accepted"] == frames["bin_confirmed"] == frames["wrong_item"] - 1 == frames["unknown"] - 1, frames
    with store.read() as c:
        raw = c.connection.dbapi_connection
        plan = " ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + stats._SQL_ROWS + " ORDER BY seq", (0, 1)))
    assert "USING INDEX ix_events_ts" in plan, plan


def test_a_station_upgraded_to_the_partial_time_index_keeps_its_events_and_figures(tmp_path):
    """A station of the previous release (every event in ix_events_ts) upgraded in place: same events, same
    figures, and the time index now without good scans."""
    import sqlite3

    from app.store import open_store, upgrade_to

    p = tmp_path / "old.sqlite3"
    upgrade_to(p, "0002_outbox_quarantine")
    con = sqlite3.connect(p)
    base = utc_ms(2026, 11, 16, 1, 0)
    kinds = ["accepted", "wrong_item", "accepted", "sibling_variant", "action", "unknown"] * 20
    with con:
        con.executemany("INSERT INTO events(seq, id, station_id, operator_id, ts_utc_ms, mono_ns, type, kind, "
                        "order_id, payload) VALUES (?, ?, 'ST1', 'op1', ?, 0, 'scan', ?, 'SO1', '{}')",
                        [(i + 1, f"ev-{i}", base + i * 60_000, k) for i, k in enumerate(kinds)])
    assert "WHERE" not in con.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_events_ts'").fetchone()[0]
    con.close()
    a, b = day_bounds_ms("2026-11-16", "2026-11-17", TZ)
    store = open_store(p)
    try:
        f = figures_from_store(store, tz=TZ, start=a, end=b + 1, sla=SlaSettings())  # not a day range: from rows
        with store.read() as c:
            raw = c.connection.dbapi_connection
            assert raw.execute("SELECT count(*) FROM events").fetchone()[0] == len(kinds)
            sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_events_ts'").fetchone()[0]
    finally:
        store.close()
    assert "WHERE NOT (type = 'scan'" in sql
    assert f.scans == len(kinds) and f.by_type["wrong_item"] == 20 and f.by_type["unknown_barcode"] == 20
    assert f.by_type["sibling_variant"] == 20


def test_every_scan_the_panel_shows_as_an_error_is_counted_as_one():
    """A serialised unit scanned by its GTIN alone turned the panel red ("needs its serial number") but the figures
    counted it nowhere. Every error verdict counts, but a scan at an order the OMS stopped: that order's stop is
    the error (`intercepted_order`), the scans after it are not the packer's."""
    from app.verdicts import ERROR_KINDS, VerdictKind

    counted = {k for k in ERROR_KINDS if stats._error_type("scan", k.value) is not None}
    assert counted == ERROR_KINDS - {VerdictKind.INTERCEPTED}
    assert stats._error_type("scan", VerdictKind.SERIAL_REQUIRED.value) == "serial_required"


def test_a_missing_lot_is_counted_apart_from_a_wrong_lot(core):
    """The item's plain EAN scanned on a lot line (the lot is missing: the wrong barcode of the right item) was counted
    as "Wrong lot", the figure a supervisor reads as a batch the order does not allow (a recall's question). Scanned
    at a station, the two are told apart in the figures and named apart in the latest errors."""
    from app.picklist import PickList
    from app.scans import RawScan, ScanSource
    from app.workflow import Station

    gtin = "6900000000342"
    st = Station(core, steps=["pick"])
    st.open_order(PickList.from_dict({"id": "SO-LOT", "lines": [
        {"id": "L1", "sku": "GS1-02", "name": "Baby formula", "qty": 5, "lot": {"required": True, "allowed": ["L02A"]},
         "barcodes": [{"code": gtin}]}]}))
    kinds = [st.scan(RawScan(t, ScanSource.HID)).kind.value
             for t in (gtin, f"010{gtin}10L99Z", f"010{gtin}10L02A")]
    assert kinds == ["lot_required", "wrong_lot", "accepted"]
    a, b = day_bounds_ms("2000-01-01", "2100-01-01", TZ)
    f = figures_from_store(core.store, tz=TZ, start=a, end=b, sla=SlaSettings())
    assert f.by_type == {"lot_required": 1, "wrong_lot": 1} and f.errors == 2
    rows = stats.latest_errors(core.store, TZ, a, b)
    names = {r[4]: stats.ERROR_NAMES[r[4]] for r in rows}
    assert names == {"lot_required": "Lot missing", "wrong_lot": "Wrong lot"}
    # what was scanned and what was wanted, as the floor said them (QA: the GTIN alone, Expected empty)
    assert {r[4]: (r[5], r[6]) for r in rows} == {"lot_required": (gtin, "GS1-02"),
                                                  "wrong_lot": ("06900000000342 L99Z", "L02A")}


def test_a_serial_required_scan_is_in_the_figures_and_the_latest_errors(store):
    log = EventLog(store, "ST1", clock_ms=lambda: utc_ms(2026, 11, 16, 2, 0))
    log.append("scan", {"code": "06900000000012", "verdict": {"kind": "serial_required", "expected_sku": "PHONE-1"}},
               operator_id="op1", order_id="SO1", kind="serial_required")
    a, b = day_bounds_ms("2026-11-16", "2026-11-16", TZ)
    f = figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings())
    assert f.by_type == {"serial_required": 1} and f.errors == 1 and f.scans == 1
    rows = stats.latest_errors(store, TZ, a, b)  # (time, station, operator, order, error, what, expected)
    assert [r[4] for r in rows] == ["serial_required"] and rows[0][6] == "PHONE-1"


def test_a_case_scanned_where_fewer_units_are_needed_says_the_count_it_went_over(core):
    """A case of 12 scanned on a line of 2 (and again after one unit): the latest errors' "Expected" was empty for
    it (QA, F8), every other "Too many" said "SKU n/m"."""
    from app.picklist import PickList
    from app.scans import RawScan, ScanSource
    from app.workflow import Station

    st = Station(core, steps=["pick"])
    st.open_order(PickList.from_dict({"id": "SO-CASE", "lines": [
        {"id": "L1", "sku": "PACK-02", "name": "Tissues", "qty": 2,
         "barcodes": [{"code": "6900000000908"}, {"code": "16900000009014", "qty_per_scan": 12, "kind": "case"}]}]}))
    kinds = [st.scan(RawScan(t, ScanSource.HID)).kind.value for t in ("16900000009014", "6900000000908",
                                                                       "16900000009014")]
    assert kinds == ["over_scan", "accepted", "over_scan"]
    a, b = day_bounds_ms("2000-01-01", "2100-01-01", TZ)
    rows = stats.latest_errors(core.store, TZ, a, b)  # newest first
    assert [(r[5], r[6]) for r in rows] == [("16900000009014", "PACK-02 1/2"), ("16900000009014", "PACK-02 0/2")]
    # events written before the count was in the case verdict's details: the first case's count from its message
    log = EventLog(core.store, "ST1")
    log.append("scan", {"raw": "16900000009014", "code": "16900000009014", "verdict": {
        "kind": "over_scan", "sku": "PACK-02", "details": {"qty_per_scan": 12, "barcode_kind": "case"},
        "message": {"id": "That is a case of {pack}; the order needs {left} — scan single units.",
                    "params": {"pack": 12, "left": 2}}}}, operator_id="op1", order_id="SO1", kind="over_scan")
    assert stats.latest_errors(core.store, TZ, a, b)[0][6] == "PACK-02 0/2"


def test_the_latest_errors_show_a_code_as_its_label_prints_it(store):
    """An EAN-13 scanned as "6900000000083" was listed as its GTIN-14 match key "06900000000083", which no label
    prints; a GS1 string is listed by its GTIN, a text by itself."""
    log = EventLog(store, "ST1", clock_ms=lambda: utc_ms(2026, 11, 16, 2, 0))
    for raw, code in (("6900000000083", "06900000000083"), ("01069000000003421727123110L02A", "06900000000342"),
                      ("ZZ-1", "ZZ-1"), ("036000291452", "00036000291452")):
        log.append("scan", {"raw": raw, "code": code, "verdict": {"kind": "wrong_item"}}, operator_id="op1",
                   order_id="SO1", kind="wrong_item")
    a, b = day_bounds_ms("2026-11-16", "2026-11-16", TZ)
    whats = sorted(r[5] for r in stats.latest_errors(store, TZ, a, b))
    assert whats == sorted(["6900000000083", "06900000000342", "ZZ-1", "036000291452"])


def test_the_figures_per_operator_hold_only_the_operators_own_errors(store):
    """An order the OMS cancelled while Zhang Min had it open is not her mistake, and a printer running out of paper
    is nobody's: the table per operator counted the cancellation against her and the printer against an unexplained
    "-". Both still count in the totals, per type, station, hour and day; per operator, in an operator's filtered
    figures and latest errors, only the operator's own (a wrong scan, a short pick, an override, a reprint)."""
    import json

    from app.stats import compute, latest_error_entries, latest_errors, load_rows

    now = {"t": utc_ms(2026, 11, 16, 3, 0)}
    log = EventLog(store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)

    def at(type, payload, op, kind=None):
        now["t"] += 60_000
        log.append(type, payload, operator_id=op, order_id="SO1", kind=kind)

    at("scan", {"verdict": {"kind": "wrong_item"}}, "op1", "wrong_item")
    at("short_pick", {"reason": "damaged"}, "op1", "damaged")
    at("override", {"supervisor_id": "sup", "what": "weight_mismatch", "reason": "box"}, "op1", "weight_mismatch")
    at("reprint", {"reason": "damaged"}, "op1")
    at("order_intercepted", {"status": "cancelled", "reason": "customer"}, "op1", "cancelled")
    at("printer_fault", {"printer": "label_printer", "state": "paper_out"}, None, "paper_out")
    a, b = day_bounds_ms("2026-11-16", "2026-11-16", TZ)
    f = figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings())
    assert f.errors == 6 and f.by_station == {"ST1": 6} and f.by_hour[11] == 6
    assert f.by_type["intercepted_order"] == f.by_type["printer_fault"] == 1
    assert f.by_operator == {"op1": 4}  # no cancellation against op1, no "-" for the printer
    mine = figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings(), operator="op1")
    assert mine.errors == 4 and "intercepted_order" not in mine.by_type
    rows = load_rows(store, a, b)  # the OMS's way (compute over the rows): the same
    assert compute(rows, tz=TZ, start=a, end=b, sla=SlaSettings()).by_operator == {"op1": 4}
    assert compute(rows, tz=TZ, start=a, end=b, sla=SlaSettings(), operator="op1").errors == 4
    assert len(latest_errors(store, TZ, a, b)) == 6
    assert len(latest_errors(store, TZ, a, b, operator="op1")) == 4  # the filtered list is what the figures count
    with store.read() as c:  # the OMS's list of the same events
        events = [(*r[:6], json.loads(r[6]), r[7]) for r in c.connection.dbapi_connection.execute(
            "SELECT ts_utc_ms, station_id, operator_id, order_id, type, kind, payload, seq FROM events")]
    assert len(latest_error_entries(events, a, b)) == 6 and len(latest_error_entries(events, a, b, operator="op1")) == 4


def test_the_latest_errors_are_newest_by_time_here_as_at_the_oms_after_a_clock_correction(store):
    """The station's clock ran an hour fast, then NTP set it right: the error stamped 11:00 (really 10:00) was listed
    under the two after it (10:05, 10:10) here, by seq, and on top at the OMS, by time — the same three errors in two
    orders. Both list them newest by time, then seq (docs/stats.md), and the query still seeks the type index."""
    import json

    from app.stats import error_rows, latest_error_entries, latest_errors

    base = utc_ms(2026, 12, 6, 2, 0)  # 10:00 Shanghai
    now = {"t": base + 3_600_000}
    log = EventLog(store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)
    for code, t in (("FIRST-clock-fast", base + 3_600_000), ("SECOND-after-fix", base + 300_000),
                    ("THIRD-after-fix", base + 600_000)):
        now["t"] = t
        log.append("scan", {"code": code, "verdict": {"kind": "unknown"}}, operator_id="op1", order_id="SO1",
                   kind="unknown")
    now["t"] = base + 600_000  # and two in one millisecond: the later appended first
    for code in ("FOURTH-same-ms", "FIFTH-same-ms"):
        log.append("scan", {"code": code, "verdict": {"kind": "wrong_item"}}, operator_id="op1", order_id="SO1",
                   kind="wrong_item")
    a, b = day_bounds_ms("2026-12-06", "2026-12-06", TZ)
    mine = latest_errors(store, TZ, a, b)
    assert [r[5] for r in mine] == ["FIRST-clock-fast", "FIFTH-same-ms", "FOURTH-same-ms", "THIRD-after-fix",
                                    "SECOND-after-fix"]
    with store.read() as c:  # the OMS's list of the same events
        raw = c.connection.dbapi_connection
        events = [(*r[:6], json.loads(r[6]), r[7]) for r in raw.execute(
            "SELECT ts_utc_ms, station_id, operator_id, order_id, type, kind, payload, seq FROM events")]
        plan = " ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + stats._SQL_LATEST_ERRORS.format(
            term=stats._ERROR_TERMS[0], where=""), (a, b, 200)))
    assert error_rows(latest_error_entries(events, a, b), TZ) == mine
    assert "ix_events_type_kind" in plan and "SCAN events" not in plan, plan
