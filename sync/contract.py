"""The OMS contract, written once: pydantic models used by the reference OMS to validate what stations send
and by the station's client to validate what the OMS answers. resources/openapi.yaml is generated from
them (`python -m sync.oms_server.export_openapi`; tests/test_contract.py fails when they drift apart).

Server side the models validate in pydantic's normal (lax) mode; the client validates replies with
`parse_reply(Model, data)` in strict mode (no "5" for 5, no true for 1). Floats never accept NaN or
Infinity. The station id is never part of a request's authority: it comes from the bearer credential
(a `station_id` in a body is optional and must then equal the credential's station).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.picklist import SHIP_BY_RANGE_MS

__all__ = ["I64", "I64_MAX", "ContractError", "parse_reply"]

# SQL engines store 64-bit integers: anything larger from a client is a 422, not an OverflowError (500).
I64_MAX = 2**63 - 1
I64 = Annotated[int, Field(ge=-I64_MAX, le=I64_MAX)]
MS = Annotated[int, Field(ge=0, le=I64_MAX)]
StationId = Annotated[str, Field(min_length=1, max_length=64)]
OrderStatusName = Literal["open", "claimed", "in_progress", "done", "cancelled", "held"]
MAX_BATCH_EVENTS = 5000


class _M(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    # parse_reply refuses a lone surrogate anywhere in the reply (see _lone_surrogate)
    text_checked: ClassVar[bool] = True


class BarcodeM(_M):
    code: str
    qty_per_scan: int = 1
    kind: Literal["unit", "inner", "case"] = "unit"


class LotRuleM(_M):
    required: bool = False
    allowed: list[str] = []
    min_days_to_expiry: int | None = None


class ShipToM(_M):
    name: str = ""
    phone: str = ""
    address_lines: list[str] = []
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    warnings: list[str] = []


class PickLineM(_M):
    id: str
    sku: str
    name: str = ""
    style: str = ""
    color: str = ""
    size: str = ""
    image_url: str = ""
    qty: int
    unit: str = "pcs"
    bin: str = ""
    bin_barcode: str = ""
    bin_order: int = 0
    barcodes: list[BarcodeM] = []
    lot: LotRuleM = LotRuleM()
    gift: bool = False
    fragile: bool = False
    serial_required: bool = False
    weight_g: float | None = None


class SiblingM(_M):
    code: str
    sku: str
    style: str = ""
    color: str = ""
    size: str = ""
    name: str = ""


class PickList(_M):
    id: str
    order_no: str
    status: OrderStatusName
    carrier: str = ""
    service: str = ""
    ship_to: ShipToM = ShipToM()
    expected_weight_g: float | None = None
    weight_tolerance_g: float | None = None
    priority: int = 0
    notes: str = ""
    # the latest moment the parcel may leave for the carrier, UTC ms (app.picklist.SHIP_BY_RANGE_MS)
    ship_by_ms: Annotated[int, Field(ge=SHIP_BY_RANGE_MS[0], le=SHIP_BY_RANGE_MS[1])] | None = None
    lines: list[PickLineM]
    siblings: list[SiblingM] = []
    updated_at: str = ""
    claimed_by: str | None = None


class PageEnvelope(_M):
    """A list reply as the client first checks it: items are validated one by one (a bad one is skipped)."""
    text_checked: ClassVar[bool] = False  # its items are checked one by one, their text too
    items: list[Any]
    next_cursor: str | None
    server_time_ms: int


class PickListPage(_M):
    items: list[PickList]
    next_cursor: str | None
    server_time_ms: int


class Product(_M):
    sku: str
    name: str
    style: str = ""
    color: str = ""
    size: str = ""
    image_url: str = ""
    weight_g: float | None = None
    barcodes: list[BarcodeM] = []


class ProductPage(_M):
    items: list[Product]
    next_cursor: str | None
    server_time_ms: int


class ServerTime(_M):
    server_time_ms: int


class ClaimRequest(_M):
    station_id: StationId | None = None  # optional; when given it must be the credential's station
    provisional: bool = False
    claimed_at_ms: I64 | None = None


class ReleaseRequest(_M):
    station_id: StationId | None = None
    reason: str = Field("", max_length=500)


class ClaimReply(_M):
    id: str
    claimed_by: str | None
    status: OrderStatusName


class ErrorReply(_M):
    error: str
    claimed_by: str | None = None
    status: str | None = None
    detail: Any = None


class WireEvent(_M):
    id: str = Field(min_length=1, max_length=64)
    station_id: StationId
    seq: I64
    operator_id: str | None = Field(None, max_length=64)
    ts_utc_ms: I64
    mono_ns: I64 = 0
    type: str = Field(min_length=1, max_length=64)
    kind: str | None = Field(None, max_length=64)
    order_id: str | None = Field(None, max_length=64)
    payload: dict[str, Any] = {}


class EventBatch(_M):
    station_id: StationId | None = None  # optional; when given it must be the credential's station
    sent_at_ms: I64
    clock_offset_ms: I64 | None = None
    events: list[WireEvent] = Field(max_length=MAX_BATCH_EVENTS)


class EventResult(_M):
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None


class BatchReply(_M):
    results: list[EventResult]
    server_time_ms: int


class OrderStatus(_M):
    id: str
    status: OrderStatusName
    reason: str | None = None


class OperatorM(_M):
    id: str
    badge: str
    name: str
    role: Literal["picker", "packer", "supervisor"]
    pin_hash: str = Field(pattern=r"^scrypt\$")
    active: bool


class OperatorList(_M):
    items: list[OperatorM]


class StationStats(_M):
    received: int
    unique: int
    duplicates: int
    rejected: int
    batches: int
    last_clock_offset_ms: int | None = None


class Stats(_M):
    events_received: int
    events_unique: int
    duplicates: int
    rejected: int
    per_station: dict[str, StationStats]


class ContractError(ValueError):
    """A reply that does not follow the contract; the message names the fields."""


T = TypeVar("T", bound=BaseModel)


def _lone_surrogate(data: Any, path: str = "") -> str | None:
    """Where decoded JSON holds a lone surrogate ("\\ud800" is valid JSON, and Python's parser and pydantic's strict
    str take it), or None. Such a string is not text: SQLite cannot store it (UnicodeEncodeError), nor can a strict
    JSON encoder send it back. One C-speed encode answers for the whole document; the walk only names the field."""
    if path == "":
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
            return None
        except UnicodeEncodeError:
            pass
        except (TypeError, ValueError):  # not a JSON document: the model says what is wrong with it
            return None
    if isinstance(data, str):
        try:
            data.encode("utf-8")
            return None
        except UnicodeEncodeError:
            return path or "(body)"
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        return None
    for k, v in items:
        where = _lone_surrogate(k, path) or _lone_surrogate(v, f"{path}.{k}" if path else str(k))
        if where:
            return where
    return None


def parse_reply(model: type[T], data: Any, what: str) -> T:
    """Strictly validate an OMS reply (already decoded JSON) against the contract model. A lone surrogate in any of
    its strings makes it malformed (a pick list, product or operator so is skipped, as one with a NaN weight is)."""
    if getattr(model, "text_checked", False):
        where = _lone_surrogate(data)
        if where:
            raise ContractError(f"{what}: {where}: a lone surrogate, not text")
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as e:
        probs = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
                          for err in e.errors()[:5])
        raise ContractError(f"{what}: {probs}") from None
