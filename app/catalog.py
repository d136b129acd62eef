"""Code -> product/variant index, built once per order or refresh, never per scan.

Two indexes, both plain dicts keyed by the match keys of `app.barcodes` (GTIN-14 for GTINs, so a
stored EAN-13 matches a scanned GTIN-14 with a leading 0):

* `OrderIndex`: one pick list's line barcodes (with qty_per_scan), bin barcodes and siblings.
* `Catalog`: every product the station knows (the `products` table, JSON docs from the OMS), so
  that a code that is not on the order is told apart: a known product (WRONG_ITEM), a sibling
  variant of a wanted style (SIBLING_VARIANT) or nothing at all (UNKNOWN).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from app import schema
from app.barcodes import gtin_key
from app.picklist import PickList
from app.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProductRef:
    """What a code names: a product variant (and, for order codes, the line and pack size)."""

    sku: str
    name: str = ""
    style: str = ""
    color: str = ""
    size: str = ""
    qty_per_scan: int = 1
    kind: str = "unit"
    line_id: str | None = None

    @property
    def variant(self) -> str:
        return " / ".join(x for x in (self.color, self.size) if x)


class OrderIndex:
    """One pick list's codes. lines_by_key: key -> [(line_id, qty_per_scan, kind)] in walking order."""

    def __init__(self, picklist: PickList) -> None:
        self.picklist = picklist
        self.lines_by_key: dict[str, list[ProductRef]] = {}
        self.bins: dict[str, list[str]] = {}  # bin barcode -> line ids
        self.siblings: dict[str, ProductRef] = {}
        self.styles: dict[str, list[str]] = {}  # style -> line ids
        for ln in picklist.walking_order():
            for bc in ln.barcodes:
                ref = ProductRef(ln.sku, ln.name, ln.style, ln.color, ln.size, bc.qty_per_scan, bc.kind, ln.id)
                for k in gtin_key(bc.code):
                    self.lines_by_key.setdefault(k, []).append(ref)
            if ln.bin_barcode:
                self.bins.setdefault(ln.bin_barcode.strip(), []).append(ln.id)
            if ln.style:
                self.styles.setdefault(ln.style, []).append(ln.id)
        for s in picklist.siblings:
            ref = ProductRef(s.get("sku", ""), s.get("name", ""), s.get("style", ""), s.get("color", ""),
                             s.get("size", ""))
            for k in gtin_key(s.get("code", "")):
                self.siblings.setdefault(k, ref)
        self.order_codes = {picklist.id, picklist.order_no}

    def lines(self, keys: Iterable[str]) -> list[ProductRef]:
        for k in keys:
            hit = self.lines_by_key.get(k)
            if hit:
                return hit
        return []

    def sibling(self, keys: Iterable[str]) -> ProductRef | None:
        for k in keys:
            hit = self.siblings.get(k)
            if hit:
                return hit
        return None


class Catalog:
    """Every known product's codes. Build with `Catalog.from_store(store)` or `Catalog(docs)`."""

    def __init__(self, products: Iterable[dict] = ()) -> None:
        self.by_key: dict[str, ProductRef] = {}
        self.count = 0
        for doc in products:
            self.add(doc)

    def add(self, doc: dict) -> None:
        if not isinstance(doc, dict) or not isinstance(doc.get("sku"), str):
            log.warning("catalogue: product without sku ignored: %.120r", doc)
            return
        ref = ProductRef(doc["sku"], str(doc.get("name") or ""), str(doc.get("style") or ""),
                         str(doc.get("color") or ""), str(doc.get("size") or ""))
        self.count += 1
        for bc in doc.get("barcodes") or ():
            code = bc.get("code") if isinstance(bc, dict) else bc
            if not isinstance(code, str) or not code.strip():
                continue
            qps = bc.get("qty_per_scan", 1) if isinstance(bc, dict) else 1
            kind = bc.get("kind", "unit") if isinstance(bc, dict) else "unit"
            r = ProductRef(ref.sku, ref.name, ref.style, ref.color, ref.size,
                           qps if isinstance(qps, int) and qps > 0 else 1, str(kind))
            for k in gtin_key(code.strip()):
                self.by_key.setdefault(k, r)

    def lookup(self, keys: Iterable[str]) -> ProductRef | None:
        for k in keys:
            hit = self.by_key.get(k)
            if hit:
                return hit
        return None

    @classmethod
    def from_store(cls, store: Store) -> Catalog:
        docs = []
        with store.read() as c:
            for row in c.execute(select(schema.products.c.sku, schema.products.c.doc)):
                try:
                    doc = json.loads(row.doc) if row.doc else None
                except ValueError:
                    log.warning("catalogue: product %s has a malformed doc", row.sku)
                    continue
                if doc is not None:
                    docs.append(doc)
        cat = cls(docs)
        log.info("catalogue: %d products, %d codes", cat.count, len(cat.by_key))
        return cat
