"""The answer to one scan. A verdict is data: the UI paints it, the event log stores it, the
statistics count it. The verifier never raises; garbage gets UNREADABLE/UNKNOWN with a message."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from app.i18n import Msg


class VerdictKind(StrEnum):
    ACCEPTED = "accepted"
    WRONG_ITEM = "wrong_item"
    SIBLING_VARIANT = "sibling_variant"  # same style, other colour/size than the order wants
    OTHER_ORDER = "other_order"  # belongs to another open order on this station
    OVER_SCAN = "over_scan"
    WRONG_LOT = "wrong_lot"  # a lot the line does not allow
    LOT_REQUIRED = "lot_required"  # the line needs its lot (GS1 AI 10) and the scan had none (until 2026-12-04: wrong_lot)
    EXPIRED_LOT = "expired_lot"
    UNKNOWN = "unknown"  # well-formed but matches nothing we know
    UNREADABLE = "unreadable"  # garbage: control bytes, bad check digit, empty
    ACTION = "action"  # an action barcode (complete step, short pick, reprint, log out, undo)
    BIN_CONFIRMED = "bin_confirmed"
    WRONG_BIN = "wrong_bin"
    ORDER_SELECTED = "order_selected"  # the order's own barcode (slip/order number) opened it
    INTERCEPTED = "intercepted"  # order cancelled/held: stop
    NO_ORDER = "no_order"  # an item scanned while no order is open
    SERIAL_REQUIRED = "serial_required"  # the line needs a serial number (GS1 AI 21) and the scan had none


GOOD_KINDS = frozenset({VerdictKind.ACCEPTED, VerdictKind.ACTION, VerdictKind.BIN_CONFIRMED,
                        VerdictKind.ORDER_SELECTED})

# Error kinds as the supervisor statistics name them.
ERROR_KINDS = frozenset(VerdictKind) - GOOD_KINDS


class VerdictMessage(Msg):
    """A verdict's message: a `Msg` that is also called with a language, so that `verdict.message` is the
    message and `verdict.message(language)` its text."""

    __slots__ = ()

    def __call__(self, language: str | None = "en") -> str:
        return self.text(language)

    @classmethod
    def of(cls, m: Msg | str | None) -> VerdictMessage:
        if isinstance(m, Msg):  # the same id and parameters (a Msg's are never changed: shared, not copied)
            out = object.__new__(cls)
            object.__setattr__(out, "id", m.id)
            object.__setattr__(out, "params", m.params)
            return out
        return cls("" if m is None else str(m))


@dataclass(frozen=True)
class ScanVerdict:
    kind: VerdictKind
    message: Msg  # what the packer reads: `v.message` is the Msg, `v.message(language)` its text
    code: str = ""  # the normalised code that was scanned
    line_id: str | None = None
    sku: str | None = None  # the SKU that the code belongs to (if known)
    qty_added: int = 0
    line_complete: bool = False
    order_complete: bool = False
    expected_sku: str | None = None  # what the order wants at this point
    scanned_variant: str = ""  # "RED / M"
    wanted_variant: str = ""  # "BLUE / M"
    other_order_id: str | None = None
    action: str | None = None  # complete_step|short_pick|reprint|logout|undo
    lot: str | None = None
    expiry: str | None = None  # ISO date
    serial: str | None = None  # GS1 AI 21 of the scanned unit
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind in GOOD_KINDS

    def __post_init__(self) -> None:
        m = self.message
        if not isinstance(m, VerdictMessage):
            object.__setattr__(self, "message", VerdictMessage.of(m))

    @classmethod
    def made(cls, kind: VerdictKind, message: VerdictMessage, fields: dict[str, Any]) -> ScanVerdict:
        """The verifier's constructor (every scan): the same instance as `ScanVerdict(kind, message, **fields)`,
        its attributes set in one step in their order, where the frozen dataclass's `__init__` sets its 17 one by
        one (half the cost, on the path every scan takes before its event is written). `fields` are field names
        (the caller's own dict, taken as it is)."""
        attrs = {"kind": kind, "message": message, **_DEFAULTS, "details": {}}
        attrs.update(fields)
        out = object.__new__(cls)
        object.__setattr__(out, "__dict__", attrs)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The stored form (scan events, uploaded to the OMS as they are): the verdict's fields, and its message as
        id and parameters under "message" (`Msg.from_dict` renders it in any language; the id is the English text
        with its fields' names). Rows stored before 2026-12-04 also carry "message_en", its English text."""
        out: dict[str, Any] = {"kind": str(self.kind)}  # a StrEnum's str() is its value (.value: two Python calls)
        # the fields in their order (the instance's own dict holds them so: set by __init__ one by one); empty ones
        # (None, "", False, {}) left out, qty_added kept even when 0
        for name, v in self.__dict__.items():
            if (v or name == "qty_added") and name not in _APART:
                out[name] = dict(v) if name == "details" else v
        out["message"] = self.message.to_dict()
        return out


_APART = frozenset({"kind", "message"})  # stored apart by to_dict (kind first, the message last)
assert [f.name for f in fields(ScanVerdict)][:2] == ["kind", "message"]
_DEFAULTS = {f.name: f.default for f in fields(ScanVerdict)[2:] if f.name != "details"}  # ScanVerdict.made
assert list(_DEFAULTS) + ["details"] == [f.name for f in fields(ScanVerdict)][2:], "details must stay the last field"
