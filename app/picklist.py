"""Pick lists and their lines, as the station works them.

A `PickList` is one order to pick and pack: its lines (SKU, name, colour/size, image, quantity,
bin, barcodes with quantity per scan, lot/expiry rule, gift/fragile/serial flags), the carrier
chosen by the OMS (printed, never chosen at the station), the ship-to and the expected weight.

`PickList.from_dict` is also the validator of what the OMS sends: a malformed document raises
`PickListError` naming the field, never a KeyError deep in a screen.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_core import to_jsonable_python

BarcodeKind = Literal["unit", "inner", "case"]
ShortReason = Literal["insufficient_stock", "wrong_item_in_location", "damaged", "not_found"]
SHORT_REASONS: tuple[str, ...] = ("insufficient_stock", "wrong_item_in_location", "damaged", "not_found")
ORDER_STATUSES = ("open", "claimed", "in_progress", "done", "cancelled", "held")


class PickListError(ValueError):
    """A pick list document that does not follow the contract."""


@dataclass(frozen=True)
class Barcode:
    code: str
    qty_per_scan: int = 1
    kind: BarcodeKind = "unit"


@dataclass(frozen=True)
class LotRule:
    required: bool = False  # a lot must be scanned (GS1 AI 10) for this line
    allowed: tuple[str, ...] = ()  # empty: any lot
    min_days_to_expiry: int | None = None  # reject lots expiring sooner than this (0: reject expired)


NO_LOT_RULE = LotRule()


@dataclass(frozen=True)
class ShipTo:
    name: str = ""
    phone: str = ""
    address_lines: tuple[str, ...] = ()
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    warnings: tuple[str, ...] = ()  # OMS address warnings ("address changed after payment", ...)


def variant_beyond(name: str, variant: str) -> str:
    """The parts of `variant` ('BLACK / M') that `name` does not already hold as words: item names often carry their
    colour and size ('Phone case Y5 BLACK'), and "{name} {variant}" read "Phone case Y5 BLACK BLACK +1"."""
    words = set(name.casefold().split())
    return " / ".join(p for p in (x.strip() for x in variant.split("/")) if p and p.casefold() not in words)


@dataclass(frozen=True)
class PickLine:
    id: str
    sku: str
    name: str
    qty: int
    bin: str = ""
    bin_barcode: str = ""
    bin_order: int = 0  # position on the walking path
    style: str = ""  # variants of one style share it (same style, other colour/size)
    color: str = ""
    size: str = ""
    image_url: str = ""
    unit: str = "pcs"
    barcodes: tuple[Barcode, ...] = ()
    lot: LotRule = field(default_factory=LotRule)
    gift: bool = False  # gift or insert: must be scanned or explicitly confirmed
    fragile: bool = False
    serial_required: bool = False
    weight_g: float | None = None

    @property
    def variant(self) -> str:
        """'RED / M' — how the floor names a variant."""
        return " / ".join(x for x in (self.color, self.size) if x)

    @functools.cached_property  # said on every accepted scan; a line never changes (frozen)
    def variant_beyond_name(self) -> str:
        """The variant as far as the name does not already say it, for a message that puts the two side by side."""
        return variant_beyond(self.name, self.variant)


@dataclass(frozen=True)
class PickList:
    id: str
    order_no: str
    lines: tuple[PickLine, ...]
    status: str = "open"
    carrier: str = ""
    service: str = ""
    ship_to: ShipTo = field(default_factory=ShipTo)
    expected_weight_g: float | None = None
    weight_tolerance_g: float | None = None
    priority: int = 0
    notes: str = ""
    updated_at: str = ""  # OMS version marker, opaque to the station
    # the latest moment the parcel may leave for the carrier (UTC ms; the platform's "latest ship time"): the queue
    # puts the earliest first and says how late an order is. None: the OMS sets none
    ship_by_ms: int | None = None
    # Barcodes of sibling variants (same style, other colour/size) not on this order, so that a wrong
    # colour scan can be named: [{"code":..., "sku":..., "style":..., "color":..., "size":..., "name":...}]
    siblings: tuple[dict[str, str], ...] = ()

    @functools.cached_property
    def walk(self) -> tuple[PickLine, ...]:
        """Lines in the order a picker walks the aisles: by bin path position, then bin, then SKU. Sorted once per
        pick list (it is frozen): the screen reads it after every scan, and a 10,000-line order took 5.7 ms a sort."""
        return tuple(sorted(self.lines, key=lambda ln: (ln.bin_order, ln.bin, ln.sku, ln.id)))

    @functools.cached_property
    def gift_lines(self) -> tuple[PickLine, ...]:
        """The gift/insert lines, in walking order."""
        return tuple(ln for ln in self.walk if ln.gift)

    def walking_order(self) -> list[PickLine]:
        """`walk` as a list of its own."""
        return list(self.walk)

    def line(self, line_id: str) -> PickLine:
        for ln in self.lines:
            if ln.id == line_id:
                return ln
        raise KeyError(line_id)

    @property
    def units(self) -> int:
        return sum(ln.qty for ln in self.lines)

    @property
    def complexity(self) -> str:
        """single_item (1 unit), single_sku_multi (one SKU, several units) or mixed."""
        skus = {ln.sku for ln in self.lines}
        if self.units <= 1:
            return "single_item"
        if len(skus) == 1:
            return "single_sku_multi"
        return "mixed"

    def to_dict(self) -> dict[str, Any]:
        """The document the cache stores (`from_dict` reads it back): dicts, lists (tuples as JSON has them) and
        leaves, by pydantic-core's serializer (0.11 ms for the demo's longest list, against 0.30 for a walker of our own
        and 0.65 for `dataclasses.asdict`, which deep-copies every leaf: the soak's first pull of 800 lists spent 1.7 s
        of the pull thread in that)."""
        return to_jsonable_python(self)

    @classmethod
    def from_dict(cls, d: Any) -> PickList:
        return _parse_picklist(d)


# -- validation of OMS documents -------------------------------------------------------------------

def _req(d: dict, key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in d or d[key] is None:
        raise PickListError(f"{where}.{key}: missing")
    v = d[key]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        raise PickListError(f"{where}.{key}: expected {_tname(typ)}, got {type(v).__name__}")
    return v


def _opt(d: dict, key: str, typ: type | tuple[type, ...], default: Any, where: str) -> Any:
    v = d.get(key)
    if v is None:
        return default
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        raise PickListError(f"{where}.{key}: expected {_tname(typ)}, got {type(v).__name__}")
    return v


def _tname(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def _str_list(d: dict, key: str, where: str) -> tuple[str, ...]:
    v = _opt(d, key, list, [], where)
    if not all(isinstance(x, str) for x in v):
        raise PickListError(f"{where}.{key}: expected a list of strings")
    return tuple(v)


def _parse_picklist(d: Any) -> PickList:
    where = "picklist"
    if not isinstance(d, dict):
        raise PickListError(f"{where}: expected an object, got {type(d).__name__}")
    pid = _req(d, "id", str, where)
    where = f"picklist[{pid}]"
    lines_raw = _req(d, "lines", list, where)
    lines = tuple(_parse_line(x, f"{where}.lines[{i}]") for i, x in enumerate(lines_raw))
    ids = [ln.id for ln in lines]
    if len(set(ids)) != len(ids):
        raise PickListError(f"{where}.lines: duplicate line id")
    st = _opt(d, "ship_to", dict, {}, where)
    ship_to = ShipTo(
        name=_opt(st, "name", str, "", f"{where}.ship_to"),
        phone=_opt(st, "phone", str, "", f"{where}.ship_to"),
        address_lines=_str_list(st, "address_lines", f"{where}.ship_to"),
        city=_opt(st, "city", str, "", f"{where}.ship_to"),
        region=_opt(st, "region", str, "", f"{where}.ship_to"),
        postcode=_opt(st, "postcode", str, "", f"{where}.ship_to"),
        country=_opt(st, "country", str, "", f"{where}.ship_to"),
        warnings=_str_list(st, "warnings", f"{where}.ship_to"),
    )
    status = _opt(d, "status", str, "open", where)
    if status not in ORDER_STATUSES:
        raise PickListError(f"{where}.status: unknown status {status!r}")
    sib_raw = _opt(d, "siblings", list, [], where)
    siblings = []
    for i, s in enumerate(sib_raw):
        if not isinstance(s, dict) or not isinstance(s.get("code"), str) or not isinstance(s.get("sku"), str):
            raise PickListError(f"{where}.siblings[{i}]: expected an object with code and sku")
        siblings.append({k: str(v) for k, v in s.items() if isinstance(v, str | int | float)})
    return PickList(
        id=pid,
        order_no=_opt(d, "order_no", str, pid, where),
        lines=lines,
        status=status,
        carrier=_opt(d, "carrier", str, "", where),
        service=_opt(d, "service", str, "", where),
        ship_to=ship_to,
        expected_weight_g=_grams(d, "expected_weight_g", where),
        weight_tolerance_g=_grams(d, "weight_tolerance_g", where),
        priority=_opt(d, "priority", int, 0, where),
        notes=_opt(d, "notes", str, "", where),
        updated_at=str(_opt(d, "updated_at", (str, int), "", where)),
        siblings=tuple(siblings),
        ship_by_ms=_ship_by(d, where),
    )


SHIP_BY_RANGE_MS = (946_684_800_000, 4_102_444_800_000)  # 2000-01-01 .. 2100-01-01 UTC: a time in ms, not in s or µs


def _ship_by(d: dict, where: str) -> int | None:
    """The order's latest ship time: UTC milliseconds within SHIP_BY_RANGE_MS, or absent. A number in seconds or
    microseconds (a unit mix-up at the OMS) would sort the order first or last for ever: refused, as a weight is."""
    v = _opt(d, "ship_by_ms", int, None, where)
    if v is not None and not SHIP_BY_RANGE_MS[0] <= v <= SHIP_BY_RANGE_MS[1]:
        raise PickListError(f"{where}.ship_by_ms: {v} is not a time in UTC milliseconds between 2000 and 2100")
    return v


MAX_GRAMS = 1_000_000.0  # a tonne: nothing a packing station weighs is heavier


def _grams(d: dict, key: str, where: str) -> float | None:
    """A weight in grams: a finite number from 0 to a tonne, or absent. JSON from the OMS may carry
    NaN or Infinity (Python's parser accepts them); such a value would end up in a weight_recorded
    event that no strict JSON parser accepts, and block the outbox: refused here, where it enters."""
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise PickListError(f"{where}.{key}: expected a number, got {type(v).__name__}")
    if not math.isfinite(v):
        raise PickListError(f"{where}.{key}: {v} is not a weight (NaN/Infinity refused)")
    if not 0 <= v <= MAX_GRAMS:
        raise PickListError(f"{where}.{key}: {v} g is outside 0..{MAX_GRAMS:.0f} g")
    return float(v)


MAX_MIN_DAYS_TO_EXPIRY = 3650  # ten years of shelf life left: no lot rule asks for more


def _min_days(lot: dict, where: str) -> int | None:
    """A lot rule's minimum shelf life left, in days: 0 (refuse only expired lots) to MAX_MIN_DAYS_TO_EXPIRY. 10**12
    from the OMS made every expiry scan of the line fail in the date arithmetic ("could not be checked": the line
    could never be scanned). Such a rule is the OMS's mistake, not a shelf life: the pick list is refused, as a NaN
    weight is, rather than clamped into a rule that would call every lot expired."""
    v = _opt(lot, "min_days_to_expiry", int, None, where)
    if v is not None and not 0 <= v <= MAX_MIN_DAYS_TO_EXPIRY:
        raise PickListError(f"{where}.min_days_to_expiry: {v} days is outside 0..{MAX_MIN_DAYS_TO_EXPIRY}")
    return v


def _parse_line(d: Any, where: str) -> PickLine:
    if not isinstance(d, dict):
        raise PickListError(f"{where}: expected an object")
    qty = _req(d, "qty", int, where)
    if qty < 0:
        raise PickListError(f"{where}.qty: must not be negative")
    bcs = []
    for i, b in enumerate(_opt(d, "barcodes", list, [], where)):
        w = f"{where}.barcodes[{i}]"
        if isinstance(b, str):  # a bare code is a unit barcode
            b = {"code": b}
        if not isinstance(b, dict):
            raise PickListError(f"{w}: expected an object")
        qps = _opt(b, "qty_per_scan", int, 1, w)
        if qps < 1:
            raise PickListError(f"{w}.qty_per_scan: must be at least 1")
        kind = _opt(b, "kind", str, "unit", w)
        if kind not in ("unit", "inner", "case"):
            raise PickListError(f"{w}.kind: expected unit, inner or case")
        code = _req(b, "code", str, w)
        if not code.strip():
            raise PickListError(f"{w}.code: empty")
        bcs.append(Barcode(code=code.strip(), qty_per_scan=qps, kind=kind))  # type: ignore[arg-type]
    lot_d = _opt(d, "lot", dict, {}, where)
    lot = LotRule(
        required=bool(_opt(lot_d, "required", bool, False, f"{where}.lot")),
        allowed=_str_list(lot_d, "allowed", f"{where}.lot"),
        min_days_to_expiry=_min_days(lot_d, f"{where}.lot"),
    )
    if lot == NO_LOT_RULE:  # most lines: one shared rule, not one object per line for the GC to walk
        lot = NO_LOT_RULE
    w = _grams(d, "weight_g", where)
    return PickLine(
        id=str(_req(d, "id", (str, int), where)),
        sku=_req(d, "sku", str, where),
        name=_opt(d, "name", str, "", where),
        qty=qty,
        bin=_opt(d, "bin", str, "", where),
        bin_barcode=_opt(d, "bin_barcode", str, "", where),
        bin_order=_opt(d, "bin_order", int, 0, where),
        style=_opt(d, "style", str, "", where),
        color=_opt(d, "color", str, "", where),
        size=_opt(d, "size", str, "", where),
        image_url=_opt(d, "image_url", str, "", where),
        unit=_opt(d, "unit", str, "pcs", where),
        barcodes=tuple(bcs),
        lot=lot,
        gift=bool(_opt(d, "gift", bool, False, where)),
        fragile=bool(_opt(d, "fragile", bool, False, where)),
        serial_required=bool(_opt(d, "serial_required", bool, False, where)),
        weight_g=w,
    )
