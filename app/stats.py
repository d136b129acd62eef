"""Supervisor statistics computed from the event log only (no counters that can drift).

`Aggregate` holds the one definition of every statistic: events folded into counts per (station,
operator, quarter hour) and step start/end pairs. `compute(rows, tz=, start=, end=, sla=, station=,
operator=)` folds the rows it is given (the OMS's all-station endpoint, tests); `figures_from_store`
(the screen, the CSV and the PDF) reads the station's own aggregate, which folds only the events
appended since it was last asked and is kept in kv across restarts. `load_rows(store, start, end)`
reads the rows for one range from a station store (the `kind` column and `ts_utc_ms` index mean no
JSON parsing for counts; only step/complexity are pulled with json_extract).

A row is a tuple (station_id, operator_id, ts_utc_ms, type, kind, order_id, extra[, n]) where extra
is the step for step_started/completed/suspended/resumed and the complexity for order_completed, else None, and
the optional n (default 1) is how many identical events the row stands for: the loader folds the
good scans (the bulk of a log) into one row per station/operator/kind with GROUP BY.
Days and hours are in the warehouse time zone; late-arriving events count at their own ts_utc_ms.
A step's duration is the time it was worked: from its start to its end less the time it stood suspended
(step_suspended → step_resumed: a logout, an idle logout, a break), not the wall time between the two.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import statistics
import string
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app import schema
from app.actions import REPRINT_REASON_NAMES
from app.config import SlaSettings
from app.i18n import N_, Msg
from app.messages import DEVICE_NAMES, MESSAGES, STATUS_WORDS
from app.warehouse_day import day_bounds_ms, warehouse_today  # noqa: F401  (the figures' days, with the figures)

log = logging.getLogger(__name__)

STEPS = ("pick", "verify", "pack", "weigh", "label")

# error type -> (event type, kind or None for "any kind")
ERROR_TYPES: dict[str, tuple[str, str | None]] = {
    "wrong_item": ("scan", "wrong_item"),
    "sibling_variant": ("scan", "sibling_variant"),
    "other_order": ("scan", "other_order"),
    "over_scan": ("scan", "over_scan"),
    "unknown_barcode": ("scan", "unknown"),
    "unreadable": ("scan", "unreadable"),
    "wrong_bin": ("scan", "wrong_bin"),
    "wrong_lot": ("scan", "wrong_lot"),
    "lot_required": ("scan", "lot_required"),  # the item's plain EAN scanned on a lot line (wrong_lot until 2026-12-04)
    "expired_lot": ("scan", "expired_lot"),
    "no_order": ("scan", "no_order"),
    "serial_required": ("scan", "serial_required"),  # a serialised unit scanned by its GTIN alone (red panel too)
    "short_pick_insufficient_stock": ("short_pick", "insufficient_stock"),
    "short_pick_wrong_item_in_location": ("short_pick", "wrong_item_in_location"),
    "short_pick_damaged": ("short_pick", "damaged"),
    "short_pick_not_found": ("short_pick", "not_found"),
    "weight_mismatch": ("override", "weight_mismatch"),
    "line_override": ("override", "force_line"),  # a line counted by a supervisor: its barcode would not scan
    "intercepted_order": ("order_intercepted", None),
    "reprint": ("reprint", None),
    "printer_fault": ("printer_fault", None),
}
_LOOKUP = {v: k for k, v in ERROR_TYPES.items()}
# The error types that are nobody's mistake at the station: an order the OMS cancelled or held while it was worked on
# (its event names the packer who had it open) and a printer's fault (no operator). They count in the totals and per
# type, station, hour and day, never against an operator: the figures per operator (and an operator's filtered
# figures and latest errors) hold the operator's own — scan errors, short picks, overrides, reprints.
NOBODYS_ERRORS = frozenset({"intercepted_order", "printer_fault"})
# What the screens and the report call each error type, and the verdict kinds an OMS's latest errors may carry
# (message ids: translated in the catalogs like every other)
ERROR_NAMES: dict[str, str] = {
    "wrong_item": N_("Wrong item"), "sibling_variant": N_("Wrong colour/size"),
    "other_order": N_("Other order's item"), "over_scan": N_("Too many"),
    "unknown_barcode": N_("Unknown barcode"), "unknown": N_("Unknown barcode"),
    "unreadable": N_("Unreadable"), "wrong_bin": N_("Wrong bin"),
    "wrong_lot": N_("Wrong lot"), "expired_lot": N_("Expired lot"),
    "no_order": N_("No order open"), "lot_required": N_("Lot missing"),
    "serial_required": N_("Serial missing"), "duplicate_serial": N_("Serial twice"),
    "intercepted": N_("Stopped order"), "action": N_("Action barcode"),
    "short_pick_insufficient_stock": N_("Short: no stock"),
    "short_pick_wrong_item_in_location": N_("Short: wrong item in bin"),
    "short_pick_damaged": N_("Short: damaged"), "short_pick_not_found": N_("Short: not found"),
    "weight_mismatch": N_("Weight override"), "line_override": N_("Line override"), "intercepted_order": N_("Stopped order"),
    "reprint": N_("Reprint"), "printer_fault": N_("Printer fault"),
}
# What the figures count, as a fingerprint: a station's stored aggregate folded under another definition is folded
# again from the log, never added to (it would leave out, or keep, a type's past counts).
# A step's duration is part of it: "worked" (suspended time left out) since 2026-12-06; "worked-to-suspension" (a
# step ended while suspended counts up to its suspension) since the same day's evening.
STEP_DURATION = "worked-to-suspension"
# Whose an error is, too (NOBODYS_ERRORS, since 2026-12-07: they were counted against the operator at the order, a
# printer's against "-"): the fold keys them to no operator.
DEFINITION = hashlib.sha256(json.dumps([sorted(ERROR_TYPES.items()), STEP_DURATION,
                                        sorted(NOBODYS_ERRORS)]).encode()).hexdigest()[:16]
STEP_EVENTS = ("step_started", "step_completed", "step_suspended", "step_resumed")  # extra: the step


def _error_type(etype: str, kind: str | None) -> str | None:
    return _LOOKUP.get((etype, kind)) or _LOOKUP.get((etype, None))


@dataclass
class StepFigure:
    n: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    sla_s: float = 0.0
    late_share: float | None = None


@dataclass
class Figures:
    start: str
    end: str
    tz: str
    scans: int = 0
    orders: int = 0
    errors: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    per_1000_scans: dict[str, float] = field(default_factory=dict)
    per_1000_orders: dict[str, float] = field(default_factory=dict)
    by_station: dict[str, int] = field(default_factory=dict)
    by_operator: dict[str, int] = field(default_factory=dict)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_day: dict[str, int] = field(default_factory=dict)
    steps: dict[str, StepFigure] = field(default_factory=dict)
    throughput: dict[str, dict[str, int]] = field(default_factory=dict)  # complexity -> hour "HH" -> orders

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _quantile(sorted_vals: list[float], q: float) -> float:
    # nearest-rank on sorted values
    idx = max(0, min(len(sorted_vals) - 1, int(-(-q * len(sorted_vals) // 1)) - 1))
    return sorted_vals[idx]


def _error_terms(types: dict[str, tuple[str, str | None]] = ERROR_TYPES) -> list[str]:
    """ERROR_TYPES as SQL, one term per event type: what the figures count as an error is what the latest-errors
    list shows."""
    kinds: dict[str, list[str | None]] = defaultdict(list)
    for etype, kind in types.values():
        kinds[etype].append(kind)
    return [f"type = '{t}'" if None in ks else f"type = '{t}' AND kind IN ({','.join(repr(k) for k in ks)})"
            for t, ks in sorted(kinds.items())]


_ERROR_TERMS = _error_terms()
# an operator's latest errors: their own (an operator filter leaves out an order stopped by the OMS, a printer fault)
_OPERATOR_ERROR_TERMS = _error_terms({k: v for k, v in ERROR_TYPES.items() if k not in NOBODYS_ERRORS})
# One query per event type, each a seek on ix_events_type_kind and its own newest-first top N, merged in Python:
# one statement with all the terms OR-ed (a multi-index OR) took 0.48 s instead of 0.06 over a million events.
# Newest by time, then seq, as the OMS's list (`latest_error_entries`): by seq alone, an error stamped an hour ahead
# before an NTP correction stayed under the ones after it here and on top at the OMS. The same seek and sort (a
# temporary B-tree of the type's errors in the range either way): 0.07 s for every type over a million events.
_SQL_LATEST_ERRORS = ("SELECT seq, ts_utc_ms, station_id, operator_id, order_id, type, kind, payload FROM events "
                      "WHERE {term} AND ts_utc_ms >= ? AND ts_utc_ms < ? {where}"
                      "ORDER BY ts_utc_ms DESC, seq DESC LIMIT ?")


def _as_scanned(p: dict) -> str:
    """A scan's code as the label prints it: the digits scanned where they are the code (an EAN-13 "6900000000083",
    not its GTIN-14 match key "06900000000083"), else the match key (a GS1 string's GTIN), else the raw text."""
    code, raw = str(p.get("code") or ""), p.get("raw")
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < len(code) and raw.zfill(len(code)) == code:
        return raw
    return code or str(raw or "")


# What an error's detail says, as messages rendered in the reader's language (the screen's `_()`), with the English
# text beside them for whoever reads the OMS's entries as text. The templates a detail may be made of: an OMS reply's
# detail is shown only when it is one of them (or a message without fields), never a template the reply makes up.
WEIGHT_OFF = N_("{grams} g: {reason}")  # a weight a supervisor approved, and why
WEIGHT_WANTED = N_("{expected} ± {tolerance} g")
WEIGHT_WANTED_BARE = N_("{expected} g")
LINE_COUNTED = N_("{sku} {scanned}/{required}: {reason}")  # a line counted by a supervisor, and why
STOPPED_BECAUSE = N_("{status}: {reason}")  # an order stopped by the OMS: its status word, the OMS's reason
PRINTER_SAID = N_("{printer}: {detail}")  # a printer fault: the printer by its name, what it said
DETAIL_TEMPLATES = frozenset({WEIGHT_OFF, WEIGHT_WANTED, WEIGHT_WANTED_BARE, LINE_COUNTED, STOPPED_BECAUSE,
                              PRINTER_SAID})
Detail = Msg | str  # a message where the reader's language matters, else the text itself (codes, SKUs, variants)


def _name(table: dict[str, str], code: Any) -> Detail:
    """A code by its name in `table` (a message), else the code as it came."""
    code = "" if code is None else str(code)
    return Msg(table[code]) if code in table else code


# a case (or inner pack) over-scan before any unit of its line was counted: what was left is what was required
_FIRST_CASE_OVER = frozenset({MESSAGES["over_scan_case"], MESSAGES["over_scan_inner"]})


def _error_detail(etype: str, p: dict) -> tuple[Detail, Detail]:
    """(what happened, what was expected) of one error event, from its payload (the OMS contract's fields)."""
    if etype == "scan":
        v = p.get("verdict") if isinstance(p.get("verdict"), dict) else {}
        what = " ".join(x for x in (_as_scanned(p), str(v.get("scanned_variant") or "")) if x)
        details = v.get("details") if isinstance(v.get("details"), dict) else {}
        said = v.get("message") if isinstance(v.get("message"), dict) else {}
        params = said.get("params") if isinstance(said.get("params"), dict) else {}
        kind = v.get("kind")
        if kind == "wrong_bin" and details.get("expected_bin"):  # the bin wanted (since 2026-12-07), not
            return what, str(details["expected_bin"])  # the line's SKU
        if kind in ("wrong_lot", "expired_lot") and params.get("lot"):  # the lot scanned, and what was allowed: the
            # list showed the GTIN alone, the floor said "Wrong lot L03X … (allowed: L03A, L03B)"
            wanted = str(params.get("allowed") or "") if kind == "wrong_lot" else str(params.get("expiry") or "")
            return f"{what} {params['lot']}", wanted
        if kind == "lot_required" and v.get("sku"):  # the item's plain code where its GS1 with the lot was wanted
            return what, str(v["sku"])
        if kind == "other_order" and params.get("other"):  # whose item it is (the Expected was empty)
            return f"{what} → {params['other']}", ""
        if kind == "over_scan":  # the count it went over (a case's in its details since 2026-12-07)
            count = next((d for d in (params, details) if isinstance(d.get("required"), int)), None)
            if count is None and isinstance(params.get("left"), int) and said.get("id") in _FIRST_CASE_OVER:
                count = {"required": params["left"], "scanned": 0}  # a case scanned before any unit of its line
            if count is not None:
                return what, f"{v.get('sku') or ''} {count.get('scanned', '?')}/{count['required']}".strip()
        return what, " ".join(str(v.get(k) or "") for k in ("expected_sku", "wanted_variant") if v.get(k))
    if etype == "short_pick":
        return f"{p.get('sku', '')} {p.get('qty_found', '?')}/{p.get('qty_required', '?')}", ""
    if etype == "printer_fault":  # the detail is the device's message in English, which is its message id
        said = p.get("detail") or p.get("state") or ""
        return Msg(PRINTER_SAID, printer=_name(DEVICE_NAMES, p.get("printer")), detail=Msg(str(said))), ""
    if etype == "order_intercepted":  # the OMS's reason is its own text: shown as it came
        status, reason = _name(STATUS_WORDS, p.get("status")), str(p.get("reason") or "")
        return (Msg(STOPPED_BECAUSE, status=status, reason=reason) if reason else status), ""
    if etype == "override":  # the weight or the line approved (events since 2026-12-07 say them), and why
        reason = str(p.get("reason") or "")
        if _number(p.get("grams")) and _number(p.get("expected_g")):
            expected = round(p["expected_g"])
            wanted = Msg(WEIGHT_WANTED, expected=expected, tolerance=round(p["tolerance_g"])) \
                if _number(p.get("tolerance_g")) else Msg(WEIGHT_WANTED_BARE, expected=expected)
            return Msg(WEIGHT_OFF, grams=round(p["grams"]), reason=reason), wanted
        if p.get("sku") and isinstance(p.get("qty_required"), int) and isinstance(p.get("qty_scanned"), int):
            return Msg(LINE_COUNTED, sku=str(p["sku"]), scanned=p["qty_scanned"], required=p["qty_required"],
                       reason=reason), ""
        return reason, ""
    return _name(REPRINT_REASON_NAMES, p.get("reason")), ""  # a reprint: the reason chosen from the F12 list


def _detail_msg(d: Any) -> Msg | None:
    """A detail message from an entry (`Msg.to_dict()`: ours, or an OMS reply's), or None when it is not one the
    statistics make: a template of DETAIL_TEMPLATES with exactly its fields, each a short text, a number or a
    message without fields (a name); or a message without fields. A made-up template is never formatted."""
    if not isinstance(d, dict) or not isinstance(d.get("id"), str) or len(d["id"]) > 200:
        return None
    params = d.get("params") if d.get("params") is not None else {}
    if not isinstance(params, dict) or (params and d["id"] not in DETAIL_TEMPLATES):
        return None
    if d["id"] in DETAIL_TEMPLATES and set(params) != _FIELDS_OF[d["id"]]:
        return None
    clean: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, dict) and set(v) == {"$msg"}:
            inner = _detail_msg(v["$msg"])
            if inner is None or inner.params:
                return None
            clean[k] = inner
        elif isinstance(v, str) and len(v) <= 200 or _number(v):
            clean[k] = v
        else:
            return None
    return Msg(d["id"], **clean)


_FIELDS_OF = {t: {f for _lit, f, _spec, _conv in string.Formatter().parse(t) if f} for t in DETAIL_TEMPLATES}


def _detail(e: dict, key: str) -> Detail:
    """An entry's `what` or `expected` for the screen: its message (`<key>_msg`) where it has a good one, else its
    text (an OMS that sends text only)."""
    msg = _detail_msg(e.get(f"{key}_msg"))
    return msg if msg is not None else (e.get(key) or "")[:200]


def _number(x: Any) -> bool:
    """A finite number (a JSON payload's: no bool, no NaN)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


ERROR_EVENT_TYPES = tuple(sorted({t for t, _k in ERROR_TYPES.values()}))  # the event types an error can be


def error_entry(ts: int, station: str, operator: str | None, order: str | None, etype: str, kind: str | None,
                payload: Any, seq: int | None = None) -> dict[str, Any] | None:
    """One event as the latest-errors list shows it, or None when the figures do not count it as an error — the
    one definition the station (its own log) and the OMS (every station's, `latest_errors` in /api/v1/stats)
    share: {ts_utc_ms, station_id, operator_id, order_id, order_no, error, what, expected, what_msg, expected_msg,
    seq}: `what`/`expected` in English text, `what_msg`/`expected_msg` the same as messages (`Msg.to_dict()`, or None
    where the text is data in no language: a code, a SKU) for the reader's language. `order_no` (the
    number people use, "#50009") is None here: the station and the OMS fill it from what they hold
    (`with_order_numbers`)."""
    err = _error_type(etype, kind)
    if err is None:
        return None
    what, expected = _error_detail(etype, payload if isinstance(payload, dict) else {})
    return {"ts_utc_ms": ts, "station_id": station, "operator_id": operator, "order_id": order, "order_no": None,
            "error": err, "what": str(what), "expected": str(expected), "seq": seq,
            "what_msg": what.to_dict() if isinstance(what, Msg) else None,
            "expected_msg": expected.to_dict() if isinstance(expected, Msg) else None}


def with_order_numbers(entries: list[dict[str, Any]], numbers: Mapping[str, str]) -> list[dict[str, Any]]:
    """The entries with their order's number ("#50009", as every screen, label and slip says it) where `numbers`
    (order id -> number) has it; an entry whose order is not known keeps its id."""
    for e in entries:
        no = numbers.get(e.get("order_id") or "")
        if isinstance(no, str) and no:
            e["order_no"] = no
    return entries


_SQL_ORDER_NOS = "SELECT id, order_no FROM picklists WHERE id IN ({})"


def order_numbers(store, order_ids: Iterable[str | None]) -> dict[str, str]:
    """The numbers of the orders whose pick lists the station holds, by order id (the picklists cache)."""
    ids = sorted({o for o in order_ids if isinstance(o, str) and o})
    out: dict[str, str] = {}
    with store.read() as conn:
        raw = conn.connection.dbapi_connection
        for i in range(0, len(ids), 500):  # SQLite's bound parameters per statement
            part = ids[i:i + 500]
            out.update(raw.execute(_SQL_ORDER_NOS.format(",".join("?" * len(part))), part).fetchall())
    return out


def latest_error_entries(events: Iterable[tuple], start: int, end: int, station: str | None = None,
                         operator: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first over (ts_utc_ms, station, operator, order, type, kind, payload, seq) tuples from any number of
    stations (the OMS): the errors in [start, end), for one station/operator when given. Events of one
    millisecond are in the order their station appended them."""
    found = []
    for ts, st, op, order, etype, kind, payload, seq in events:
        if not (isinstance(ts, int) and start <= ts < end) or (station and st != station) \
                or (operator and op != operator):
            continue
        e = error_entry(ts, st, op, order, etype, kind, payload, seq if isinstance(seq, int) else 0)
        if e is not None and not (operator and e["error"] in NOBODYS_ERRORS):
            found.append(e)
    found.sort(key=lambda e: (e["ts_utc_ms"], e["seq"]), reverse=True)
    return found[:limit]


def error_rows(entries: Iterable[Any], tz: str, limit: int = 200, numbers: Mapping[str, str] | None = None
               ) -> list[tuple]:
    """Entries (`error_entry`, ours or an OMS reply's) as the screen's rows: (warehouse-local time, station,
    operator, order, error type, what happened, what was expected); what happened and what was expected are messages
    (`app.i18n.Msg`, rendered in the reader's language at the edge) or plain text. The order by its number: the entry's
    `order_no`, else `numbers`' (the station's pick lists, for an OMS that sends none), else its id. An entry that
    is not one (a malformed or hostile reply) is left out; texts are cut at 200 characters."""
    z = ZoneInfo(tz)
    out = []
    for e in entries:
        if len(out) >= limit:
            break
        if not isinstance(e, dict):
            continue
        ts = e.get("ts_utc_ms")
        texts = [e.get(k) for k in ("station_id", "operator_id", "order_id", "error", "what", "expected")]
        if not isinstance(ts, int) or isinstance(ts, bool) or not all(t is None or isinstance(t, str) for t in texts):
            continue
        no = e.get("order_no") or (numbers or {}).get(texts[2] or "")
        if isinstance(no, str) and no:
            texts[2] = no
        try:
            local = datetime.fromtimestamp(ts / 1000, z).strftime("%m-%d %H:%M:%S")
        except (ValueError, OverflowError, OSError):
            continue
        st, op, order, err, _what, _expected = ((t or "")[:200] for t in texts)
        out.append((local, st, op or "-", order or "-", err, _detail(e, "what"), _detail(e, "expected")))
    return out


def latest_errors(store, tz: str, start: int, end: int, station: str | None = None, operator: str | None = None,
                  limit: int = 200) -> list[tuple]:
    """Newest errors first (by time, then seq, as the OMS's `latest_error_entries`), every type the figures count
    (ERROR_TYPES), as `error_rows` — a wrong scan with what
    was scanned against what the order wanted, a short pick with its counts, a printer fault with the printer's
    words."""
    where, params = "", [start, end]
    for col, val in (("station_id", station), ("operator_id", operator)):
        if val:
            where += f"AND {col} = ? "
            params.append(val)
    with store.read() as conn:
        raw = conn.connection.dbapi_connection
        found = [r for term in (_OPERATOR_ERROR_TERMS if operator else _ERROR_TERMS)
                 for r in raw.execute(_SQL_LATEST_ERRORS.format(term=term, where=where), (*params, limit))]
    found.sort(key=lambda r: (r[1], r[0]), reverse=True)  # (ts, seq): the OMS's order
    entries = []
    for seq, ts, st, op, order, etype, kind, payload in found[:limit]:
        try:
            p = json.loads(payload)
        except ValueError:
            p = {}
        entries.append(error_entry(ts, st, op, order, etype, kind, p, seq))
    with_order_numbers(entries, order_numbers(store, (e["order_id"] for e in entries)))
    return error_rows(entries, tz, limit)


def step_duration_s(t0_ms: int, t1_ms: int, mono0_ns: int | None = None, mono1_ns: int | None = None) -> float:
    """A step's duration: by the monotonic readings stored beside UTC when both exist and run forward
    (a wall-clock jump changes nothing), else by UTC (readings from different boots, or none)."""
    if mono0_ns and mono1_ns and mono1_ns >= mono0_ns:  # 0: no reading (an OMS default)
        return (mono1_ns - mono0_ns) / 1e9
    return (t1_ms - t0_ms) / 1000


QUARTER_MS = 900_000  # every real zone offset is a multiple of 15 minutes: local hour/day are constant per quarter


class Aggregate:
    """Events folded into counts per (station, operator, quarter hour) and step durations: the one
    definition of every statistic. `compute()` folds the rows it is given; the station keeps an
    aggregate of its own log that it extends by the events appended since (see `figures_from_store`).

    Fold-time filters (start/end/station/operator) drop rows before anything else, exactly as the
    figures are defined (a step whose start falls outside them has no duration)."""

    def __init__(self, *, start: int | None = None, end: int | None = None, station: str | None = None,
                 operator: str | None = None) -> None:
        self.filters = (start, end, station, operator)
        self.scans: Counter = Counter()  # (sid, oid, q) -> n
        self.orders: Counter = Counter()  # (sid, oid, q, complexity) -> n
        self.errors: Counter = Counter()  # (error type, sid, oid, q) -> n; oid None: nobody's (NOBODYS_ERRORS)
        # (sid, order, step) -> the open step: [start ts, start mono_ns, ms suspended so far, suspended at ts, mono]
        self.starts: dict[tuple, list] = {}
        # (step, sid) -> (start ts, end ts, ms worked): the ends place a step in a range as its rows do, the time worked
        # is its duration (by the monotonic clock, suspended time left out)
        self.pairs: dict[tuple[str, str], tuple[array, array, array]] = {}
        self.last_seq = 0  # the station's aggregate: every event up to this seq is folded in
        self.last_id: str | None = None  # ...and this is that event's id (tells a different log apart)

    def fold(self, rows: Iterable[tuple]) -> Aggregate:
        start, end, station, operator = self.filters
        scans, orders, errors = self.scans, self.orders, self.errors
        for row in rows:
            sid, oid, ts, etype, kind, order, extra = row[:7]
            n = row[7] if len(row) > 7 else 1
            if (start is not None and ts < start) or (end is not None and ts >= end) or (
                    station and sid != station) or (operator and oid != operator):
                continue
            q = ts // QUARTER_MS
            if etype == "scan":
                scans[(sid, oid, q)] += n
            elif etype == "order_completed":
                orders[(sid, oid, q, extra or "unknown")] += n
            elif etype in STEP_EVENTS:
                self._step_event(etype, (sid, order, extra), ts, row[9] if len(row) > 9 else None)
                continue
            et = _error_type(etype, kind)
            if et is None:
                continue
            if et in NOBODYS_ERRORS:  # nobody's: no operator's figures (an operator's filtered ones neither)
                if not operator:
                    errors[(et, sid, None, q)] += n
            else:
                errors[(et, sid, oid or "-", q)] += n
        return self

    def _step_event(self, etype: str, key: tuple, ts: int, mono: int | None) -> None:
        """A step's start, end, suspension or resumption (key: station, order, step). Ended, its start, its end and the
        time worked join the figures: start to end by the monotonic readings when they are of one boot (a wall-clock
        jump changes nothing), less the time it stood suspended, measured the same way (ended while suspended: up to
        its suspension)."""
        if etype == "step_started":
            self.starts[key] = [ts, mono, 0, None, None]
            return
        st = self.starts.get(key)
        if st is None:
            return
        if etype == "step_suspended":
            if st[3] is None:
                st[3], st[4] = ts, mono
            return
        if st[3] is not None:  # resumed, or ended while suspended (a label out after the packer went on)
            st[2] += round(1000 * step_duration_s(st[3], ts, st[4], mono))
            st[3] = st[4] = None
        if etype == "step_completed":
            del self.starts[key]
            step, sid = key[2], key[0]
            if step not in STEPS:
                return
            p = self.pairs.get((step, sid))
            if p is None:
                p = self.pairs[(step, sid)] = (array("q"), array("q"), array("q"))
            p[0].append(st[0])
            p[1].append(ts)
            p[2].append(max(0, round(1000 * step_duration_s(st[0], ts, st[1], mono)) - st[2]))

    def figures(self, *, tz: str, start: int, end: int, sla: SlaSettings, station: str | None = None,
                window: bool = False) -> Figures:
        """Figures of what was folded; `window`: only quarters in [start, end) and steps wholly in it
        (start and end on quarter hours), and only `station` (the station's whole-log aggregate)."""
        z = ZoneInfo(tz)
        f = Figures(start=datetime.fromtimestamp(start / 1000, UTC).isoformat(),
                    end=datetime.fromtimestamp(end / 1000, UTC).isoformat(), tz=tz)
        qa, qb = (start // QUARTER_MS, end // QUARTER_MS) if window else (None, None)
        cache: dict[int, tuple[int, str]] = {}

        def local(q: int) -> tuple[int, str]:
            hit = cache.get(q)
            if hit is None:
                d = datetime.fromtimestamp(q * 900, z)
                hit = cache[q] = (d.hour, d.date().isoformat())
            return hit

        def keep(sid: str, q: int) -> bool:
            return not window or (qa <= q < qb and (not station or sid == station))

        f.scans = sum(n for (sid, _, q), n in self.scans.items() if keep(sid, q))
        thr: dict[str, Counter] = defaultdict(Counter)
        for (sid, _, q, cx), n in self.orders.items():
            if keep(sid, q):
                f.orders += n
                thr[cx][f"{local(q)[0]:02d}"] += n
        by_type: Counter = Counter()
        st: Counter = Counter()
        op: Counter = Counter()
        day: Counter = Counter()
        hours = [0] * 24
        for (et, sid, oid, q), n in self.errors.items():
            if not keep(sid, q):
                continue
            by_type[et] += n
            st[sid] += n
            if oid is not None:
                op[oid] += n
            hour, dkey = local(q)
            hours[hour] += n
            day[dkey] += n
        f.errors = sum(by_type.values())
        f.by_type = dict(sorted(by_type.items()))
        f.per_1000_scans = {k: round(v * 1000 / f.scans, 3) for k, v in f.by_type.items()} if f.scans else {}
        f.per_1000_orders = {k: round(v * 1000 / f.orders, 3) for k, v in f.by_type.items()} if f.orders else {}
        f.by_station, f.by_operator = dict(sorted(st.items())), dict(sorted(op.items()))
        f.by_hour, f.by_day = hours, dict(sorted(day.items()))
        for s in STEPS:
            sla_s = getattr(sla, f"{s}_min") * 60
            vals: list[float] = []
            for (step, sid), (t0s, t1s, worked) in self.pairs.items():
                if step != s or (window and station and sid != station):
                    continue
                if window:  # wholly in the range, as compute() over the range's rows counts it
                    vals += [w / 1000 for a, b, w in zip(t0s, t1s, worked, strict=True) if a >= start and b < end]
                else:
                    vals += [w / 1000 for w in worked]
            vals.sort()
            if vals:
                f.steps[s] = StepFigure(len(vals), statistics.median(vals), _quantile(vals, 0.9), sla_s,
                                        round(sum(v > sla_s for v in vals) / len(vals), 4))
            else:
                f.steps[s] = StepFigure(sla_s=sla_s)
        f.throughput = {k: dict(sorted(v.items())) for k, v in sorted(thr.items())}
        return f

    # -- the station's snapshot (kv), so a restart does not fold a million events again ----------
    def to_json(self) -> dict:
        """The snapshot, version 2: the counters as columns of ints (b64) over one table of names, so
        storing it makes a handful of Python objects instead of one list per counter (tens of thousands:
        they set off full garbage collections, and json.dumps of them held the GIL ~50 ms on the
        supervisor screen's worker). Version 1 snapshots are still read."""
        names: dict[str | None, int] = {}

        def col(counter: Counter, text_at: tuple[int, ...]) -> str:
            flat = array("q")
            for k, n in counter.items():
                for i, v in enumerate(k):
                    flat.append(names.setdefault(v, len(names)) if i in text_at else v)
                flat.append(n)
            return _b64(flat)

        scans = col(self.scans, (0, 1))  # (sid, oid, q) -> n
        orders = col(self.orders, (0, 1, 3))  # (sid, oid, q, complexity) -> n
        errors = col(self.errors, (0, 1, 2))  # (error type, sid, oid, q) -> n
        return {"v": 2, "definition": DEFINITION, "last_seq": self.last_seq, "last_id": self.last_id,
                "names": list(names), "scans": scans, "orders": orders, "errors": errors,
                "starts": [[*k, t] for k, t in self.starts.items()],
                "pairs": [[step, sid, *map(_b64, arrays)] for (step, sid), arrays in self.pairs.items()]}

    @classmethod
    def from_json(cls, d: dict) -> Aggregate:
        # (a version-1 snapshot records no definition of an error: `_load_snapshot` folds the log again instead)
        if not isinstance(d, dict) or d.get("v") != 2:
            raise ValueError("not a version-2 statistics snapshot")
        g = cls()
        g.last_seq = int(d["last_seq"])
        g.last_id = d.get("last_id")
        names = d["names"]

        def rows(s: str, width: int, text_at: tuple[int, ...]):
            flat = _unb64(s)
            for j in range(0, len(flat), width + 1):
                yield tuple(names[flat[j + i]] if i in text_at else flat[j + i] for i in range(width)), flat[j + width]

        g.scans = Counter(dict(rows(d["scans"], 3, (0, 1))))
        g.orders = Counter(dict(rows(d["orders"], 4, (0, 1, 3))))
        g.errors = Counter(dict(rows(d["errors"], 4, (0, 1, 2))))
        g.starts = {(a, b, c): list(t) for a, b, c, t in d["starts"]}  # a snapshot of this definition's format
        g.pairs = {(step, sid): (_unb64(a), _unb64(b), _unb64(w)) for step, sid, a, b, w in d["pairs"]}
        return g


def _b64(a: array) -> str:
    return base64.b64encode(a.tobytes()).decode("ascii")  # 8-byte native ints: the snapshot stays on this machine


def _unb64(s: str) -> array:
    a = array("q")
    a.frombytes(base64.b64decode(s))
    return a


def compute(rows: Iterable[tuple], *, tz: str, start: int, end: int, sla: SlaSettings,
            station: str | None = None, operator: str | None = None) -> Figures:
    """start/end are UTC ms, [start, end). Rows in time order (see the module doc)."""
    return Aggregate(start=start, end=end, station=station, operator=operator).fold(rows).figures(
        tz=tz, start=start, end=end, sla=sla)


_GOOD_ROWS = schema.GOOD_SCAN_SQL
# A row's extra (the module doc), in SQL: the step of a step event, the complexity of a finished order
_SQL_EXTRA = (f"CASE WHEN type IN ({', '.join(repr(t) for t in STEP_EVENTS)}) THEN json_extract(payload, '$.step') "
              "WHEN type = 'order_completed' THEN json_extract(payload, '$.complexity') END")
# Everything but good scans, row by row (kind carries a step's name, so JSON is read only for complexity)...
_SQL_ROWS = (
    "SELECT station_id, operator_id, ts_utc_ms, type, kind, order_id, "
    f"{_SQL_EXTRA}, 1, seq, mono_ns "
    "FROM events WHERE ts_utc_ms >= ? AND ts_utc_ms < ? "
    f"AND NOT ({_GOOD_ROWS})"  # word for word as ix_events_ts leaves good scans out (see app.schema)
)
# ...and good scans counted per station/operator/kind from the covering index ix_events_type_kind.
_SQL_GOOD = (
    "SELECT station_id, operator_id, MIN(ts_utc_ms), type, kind, NULL, NULL, COUNT(*), 0, NULL "
    f"FROM events WHERE {_GOOD_ROWS} AND ts_utc_ms >= ? AND ts_utc_ms < ? "
    "GROUP BY station_id, operator_id, kind"
)


def load_rows(store, start: int, end: int) -> list[tuple]:
    """Rows for compute(), in append order (seq; a wall clock set back never puts a step's end before its
    start): the good scans' counts first (their seq is 0), then every other event ordered by SQLite. The
    sort runs inside SQLite, which lets go of the GIL while it works; a Python sort of a million rows held
    it for tens of milliseconds, a stall of the GUI thread while the supervisor screen refreshed."""
    with store.read() as conn:
        raw = conn.connection.dbapi_connection  # plain tuples: ~2x faster than Row objects at 1M events
        rows = raw.execute(_SQL_GOOD, (start, end)).fetchall()
        rows += raw.execute(_SQL_ROWS + " ORDER BY seq", (start, end)).fetchall()
    return rows


def release_in_slices(items: list, size: int = 20_000) -> None:
    """Free a big list a slice at a time: freeing a million rows at once holds the GIL for ~100 ms, a stall
    the GUI thread would feel; between slices it gets its turn."""
    while items:
        del items[-size:]


def figures_from_store(store, *, tz: str, start: int, end: int, sla: SlaSettings,
                       station: str | None = None, operator: str | None = None) -> Figures:
    """The station's figures. Day ranges (quarter-hour bounds) without an operator filter — what the
    supervisor screen and the report ask — come from the station's aggregate of its whole log, which
    only folds in the events appended since it was last asked (a refresh over a million events costs
    what the new events cost); any other request folds the rows it needs, as `compute` does."""
    if operator is None and start % QUARTER_MS == 0 and end % QUARTER_MS == 0:
        with _AGG_LOCK:
            g = station_aggregate(store)
            return g.figures(tz=tz, start=start, end=end, sla=sla, station=station, window=True)
    rows = load_rows(store, start, end)
    f = compute(rows, tz=tz, start=start, end=end, sla=sla, station=station, operator=operator)
    release_in_slices(rows)
    return f


KV_SNAPSHOT = "stats.aggregate"
SNAPSHOT_AFTER = 20_000  # events folded since the stored snapshot before it is stored again
FOLD_CHUNK = 250_000  # events per read while folding: bounded memory however long the log
_AGG_LOCK = threading.RLock()
_AGGS: dict[str, tuple[Aggregate, int]] = {}  # store path -> (aggregate, last_seq of its stored snapshot)

_SQL_FOLD_ROWS = (
    "SELECT station_id, operator_id, ts_utc_ms, type, kind, order_id, "
    f"{_SQL_EXTRA}, 1, seq, mono_ns "
    f"FROM events WHERE seq > ? AND seq <= ? AND NOT ({_GOOD_ROWS})"
)
# NOT INDEXED: the good scans of a seq range are found along the primary key. Left to itself the planner took the
# covering index ix_events_type_kind and walked every good scan of the log for each fold: 167 ms to fold the 1,000
# events after a snapshot of a million, 2.4 ms along the primary key (2026-12-05).
_SQL_FOLD_GOOD = (
    "SELECT station_id, operator_id, MIN(ts_utc_ms), type, kind, NULL, NULL, COUNT(*), 0, NULL "
    f"FROM events NOT INDEXED WHERE seq > ? AND seq <= ? AND {_GOOD_ROWS} "
    f"GROUP BY station_id, operator_id, kind, ts_utc_ms / {QUARTER_MS}"
)


def station_aggregate(store) -> Aggregate:
    """The aggregate of the store's whole log, brought up to its last event: from memory, else from the
    snapshot in kv, else from scratch; the events after it are folded in chunks of FOLD_CHUNK, each in
    time order. The snapshot is stored again once SNAPSHOT_AFTER more events were folded."""
    with _AGG_LOCK:
        key = str(store.path)
        g, saved = _AGGS.get(key, (None, 0))
        with store.read() as c:
            raw = c.connection.dbapi_connection
            if g is not None and not _same_log(raw, g):
                g = None  # another database at the same path (tests, a restored backup)
            if g is None:
                g = _load_snapshot(store)
                if not _same_log(raw, g):
                    g = Aggregate()
                saved = g.last_seq
            last = raw.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
            while g.last_seq < last:
                upto = min(last, g.last_seq + FOLD_CHUNK)
                # append order (a clock set back never ends a step before it began): good-scan counts (seq 0)
                # first, the rest along the primary key (no sort, in Python or in SQLite)
                rows = raw.execute(_SQL_FOLD_GOOD, (g.last_seq, upto)).fetchall()
                rows += raw.execute(_SQL_FOLD_ROWS + " ORDER BY seq", (g.last_seq, upto)).fetchall()
                g.fold(rows)
                release_in_slices(rows)
                g.last_seq = upto
                g.last_id = _id_at(raw, upto)
        if g.last_seq - saved >= SNAPSHOT_AFTER:
            try:
                _store_snapshot(store, g)
                saved = g.last_seq
            except Exception:  # a snapshot is an optimisation: never fail the figures for it
                log.exception("statistics snapshot not stored")
        _AGGS[key] = (g, saved)
        return g


def snapshot_text(d: dict) -> str:
    """The JSON text of a snapshot (`Aggregate.to_json()`) with its base64 columns spliced in as they are
    (base64 needs no escaping): json.dumps escaping megabytes of them held the GIL ~75 ms at 1M events."""
    cols = ("scans", "orders", "errors")
    rest = {k: v for k, v in d.items() if k not in cols and k != "pairs"}
    parts = [json.dumps(rest)[:-1]]
    for k in cols:
        parts += [f', "{k}": "', d[k], '"']
    parts.append(', "pairs": [')
    parts.append(", ".join(f'[{json.dumps(step)}, {json.dumps(sid)}, "{a}", "{b}", "{w}"]'
                           for step, sid, a, b, w in d["pairs"]))
    parts.append("]}")
    return "".join(parts)


_SQL_PUT_SNAPSHOT = ("INSERT INTO kv (key, value, updated_at_ms) VALUES (?, ?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms")


def _store_snapshot(store, g: Aggregate) -> None:
    """The snapshot into kv as `Store.set_kv` stores a value (JSON text; `get_kv` reads it)."""
    text = snapshot_text(g.to_json())
    with store.write() as c:
        c.connection.dbapi_connection.execute(_SQL_PUT_SNAPSHOT, (KV_SNAPSHOT, text, time.time_ns() // 1_000_000))


def _same_log(raw, g: Aggregate) -> bool:
    """Is `g` a fold of this log? (its last folded event is here, under the same id)"""
    return g.last_seq == 0 or _id_at(raw, g.last_seq) == g.last_id


def _id_at(raw, seq: int) -> str | None:
    """The id of the last event at or before seq."""
    row = raw.execute("SELECT id FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    return row[0] if row else None


def _load_snapshot(store) -> Aggregate:
    try:
        d = store.get_kv(KV_SNAPSHOT)
        if isinstance(d, dict) and d.get("definition") != DEFINITION:
            log.info("statistics snapshot made under another definition of the figures: folding the log again")
            return Aggregate()
        if d is not None:
            return Aggregate.from_json(d)
    except Exception:
        log.exception("statistics snapshot unreadable; folding the log again")
    return Aggregate()
