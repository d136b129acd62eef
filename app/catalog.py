"""Code -> product/variant index, built once per order or refresh, never per scan.

Two indexes, both plain dicts keyed by the match keys of `app.barcodes` (GTIN-14 for GTINs, so a
stored EAN-13 matches a scanned GTIN-14 with a leading 0):

* `OrderIndex`: one pick list's line barcodes (with qty_per_scan), bin barcodes and siblings.
* `Catalog`: every product the station knows (the `products` table, JSON docs from the OMS), so
  that a code that is not on the order is told apart: a known product (WRONG_ITEM), a sibling
  variant of a wanted style (SIBLING_VARIANT) or nothing at all (UNKNOWN).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app import schema
from app.barcodes import gs1_check_ok, gtin_key
from app.picklist import PickList
from app.store import Store

log = logging.getLogger(__name__)


def code_keys(code: str) -> tuple[str, ...]:
    """The keys a stored code matches under: the same answer as `app.barcodes.gtin_key`, but a plain
    GTIN-12/13/14 with a valid check digit (nearly every catalogue code) is keyed here in a few
    microseconds instead of going through biip; anything else (8 digits: EAN-8 or UPC-E, bad check
    digits, GS1 element strings, text) goes through `normalise` as before."""
    c = code.strip(" \t\r\n\x00")  # what normalise strips (not str.strip(): that drops GS too)
    if len(c) in (12, 13, 14) and c.isascii() and c.isdigit() and gs1_check_ok(c):
        k = c.zfill(14)
        return (k,) if k == c else (k, c)
    return gtin_key(code)


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


class CodeIndex:
    """Values by barcode, matched exactly as if every stored code had been keyed with `code_keys`,
    but built without computing keys for the plain GTIN-12/13/14 digit strings that nearly every code
    is: those are kept as they are, and a lookup key (a GTIN-14) also tries itself without its leading
    zeros. A code maps to the position of its value (a plain int, which the cyclic garbage collector
    does not track: a 50,000-code order used to spend more time in collections than in indexing);
    anything else (8 digits, GS1 element strings, text) is keyed with `code_keys` when added."""

    def __init__(self) -> None:
        self.values: list = []
        self.raw: dict[str, int] = {}  # 12/13/14-digit code as stored -> position of its first value
        self.more: dict[str, list[int]] = {}  # the same code stored again (another line) -> positions
        self.keyed: dict[str, list[int]] = {}  # code_keys key -> positions

    def add(self, code: str, value: object) -> None:
        pos = len(self.values)
        self.values.append(value)
        c = code.strip(" \t\r\n\x00")
        if len(c) in (12, 13, 14) and c.isascii() and c.isdigit():
            if self.raw.setdefault(c, pos) != pos:
                self.more.setdefault(c, []).append(pos)
        else:
            for k in code_keys(code):
                self.keyed.setdefault(k, []).append(pos)

    def add_all(self, codes: list[str], values: Sequence) -> None:
        """`add(code, value)` for each pair, in order. A list of plain 12/13/14-digit codes (an order's barcodes, nearly
        always) is checked by one regular expression over the codes joined and stored by one dict build, instead of a
        Python call per code (a 10,000-line order's 60,000 codes: 37 ms instead of 83-88 on the development machine)."""
        if len(codes) != len(values):
            raise ValueError("codes and values differ in length")
        joined = "\n".join(codes)
        if self.values or joined.count("\n") != len(codes) - 1 or not _ALL_PLAIN.fullmatch(joined):
            for code, value in zip(codes, values, strict=True):
                self.add(code, value)
            return
        self.values = list(values)
        n = len(codes)
        # built last to first, so a code stored twice keeps its first position, as add() does
        self.raw = dict(zip(reversed(codes), range(n - 1, -1, -1), strict=True))
        if len(self.raw) != n:  # the same code on two lines: the later positions, in order
            for pos, code in enumerate(codes):
                if self.raw[code] != pos:
                    self.more.setdefault(code, []).append(pos)

    def get(self, key: str) -> list:
        """Values stored under codes whose keys include `key`, in the order they were added."""
        found = list(self.keyed.get(key, ()))
        for c in _stored_forms(key):
            p = self.raw.get(c)
            if p is not None:
                found.append(p)
                found += self.more.get(c, ())
        if len(found) > 1:
            found.sort()
        return [self.values[p] for p in found]


# Codes that add() keeps as they are: 12-14 ASCII digits with nothing to strip, one per line of the joined list.
_ALL_PLAIN = re.compile(r"(?:[0-9]{12,14}\n)*[0-9]{12,14}")


@functools.lru_cache(maxsize=4096)  # one scan looks its key up in the order, its siblings and the catalogue
def _stored_forms(key: str) -> tuple[str, ...]:
    """`key` and, for a valid GTIN-14 key, the same digits as stored as GTIN-13 or GTIN-12 (a stored code with a
    bad check digit is keyed only as itself: its zero-padded form is never valid)."""
    if len(key) == 14 and key[0] == "0" and key.isascii() and key.isdigit() and gs1_check_ok(key):
        return (key, key[1:], key[2:]) if key[1] == "0" else (key, key[1:])
    return (key,)


class OrderIndex:
    """One pick list's codes: line refs (with qty_per_scan) by code in walking order, bins, siblings."""

    def __init__(self, picklist: PickList) -> None:
        self._build(picklist)

    def _build(self, picklist: PickList) -> None:
        self.picklist = picklist
        self._lines = CodeIndex()
        self.bins: dict[str, list[str]] = {}  # bin barcode -> line ids
        self._siblings = CodeIndex()
        self.styles: dict[str, list[str]] = {}  # style -> line ids
        self.skus: dict[str, list[str]] = {}  # sku -> line ids
        # values are ints, each barcode's place in the order's barcodes listed line by line in walking order:
        # nothing for the cyclic GC to walk, no list of values to build; `_ends` (where each line's barcodes end)
        # turns a place back into its line and barcode, and the ProductRef is made on the first lookup that finds
        # it, one per line and pack size
        self._walk = walk = picklist.walk  # sorted once per pick list, shared with the order's session
        self._refs: dict[tuple[str, int, str], ProductRef] = {}
        self._ends = list(itertools.accumulate(len(ln.barcodes) for ln in walk))
        self._lines.add_all([bc.code for ln in walk for bc in ln.barcodes], range(self._ends[-1] if walk else 0))
        for ln in walk:
            if ln.bin_barcode:
                self.bins.setdefault(ln.bin_barcode.strip(), []).append(ln.id)
            if ln.style:
                self.styles.setdefault(ln.style, []).append(ln.id)
            self.skus.setdefault(ln.sku, []).append(ln.id)
        self._siblings.add_all([s.get("code", "") for s in picklist.siblings], range(len(picklist.siblings)))
        self._sib_refs: dict[int, ProductRef] = {}
        self.order_codes = {picklist.id, picklist.order_no}

    def lines(self, keys: Iterable[str]) -> list[ProductRef]:
        for k in keys:
            hit = self._lines.get(k)
            if hit:
                return [self._ref(v) for v in hit]
        return []

    def _ref(self, v: int) -> ProductRef:
        li = bisect.bisect_right(self._ends, v)
        ln = self._walk[li]
        bc = ln.barcodes[v - (self._ends[li - 1] if li else 0)]
        key = (ln.id, bc.qty_per_scan, bc.kind)
        ref = self._refs.get(key)
        if ref is None:
            ref = self._refs[key] = ProductRef(ln.sku, ln.name, ln.style, ln.color, ln.size, bc.qty_per_scan,
                                               bc.kind, ln.id)
        return ref

    def sibling(self, keys: Iterable[str]) -> ProductRef | None:
        for k in keys:
            hit = self._siblings.get(k)
            if hit:
                ref = self._sib_refs.get(hit[0])
                if ref is None:
                    s = self.picklist.siblings[hit[0]]
                    ref = self._sib_refs[hit[0]] = ProductRef(s.get("sku", ""), s.get("name", ""), s.get("style", ""),
                                                              s.get("color", ""), s.get("size", ""))
                return ref
        return None


class Catalog:
    """Every known product's codes. `Catalog(docs)` indexes at once; `Catalog.from_store(store)` indexes
    the products table when the index is first needed (a lookup, `by_key`, `count`) or in the background
    after `warm_up()` — so a station with 50,000 products shows its login window without waiting for the
    index (the station warms it at login; a scan that needs it earlier waits for it).

    The index keeps each variant as a plain tuple of strings and ints, made a `ProductRef` when a
    lookup finds it: the cyclic garbage collector stops tracking such a tuple (not a dataclass, not
    even a named tuple), so 100,000 catalogue entries add nothing to a full collection, which
    otherwise walked them for 100-250 ms in the middle of opening a large order."""

    def __init__(self, products: Iterable[dict] = ()) -> None:
        self._by_key: dict[str, tuple] = {}  # key -> ProductRef's fields
        self._count = 0
        self._store: Store | None = None  # set: the index is still to be built from this store
        self._lock = threading.Lock()
        for doc in products:
            self.add(doc)

    @property
    def by_key(self) -> dict[str, ProductRef]:
        """The whole index as ProductRefs (a copy: for tests and tools, not for scans)."""
        self._ensure()
        return {k: ProductRef(*t) for k, t in self._by_key.items()}

    @property
    def count(self) -> int:
        self._ensure()
        return self._count

    def warm_up(self, then: Callable[[], None] | None = None) -> None:
        """Build the index on a background thread now (no-op when it is built or being built); `then` runs
        on that thread after the build, before a caller waiting for the index goes on."""
        if self._store is not None and not self._lock.locked():
            threading.Thread(target=self._ensure, args=(then,), name="catalog-index", daemon=True).start()

    def build(self) -> None:
        """Build the index on this thread now (a worker that is already off the GUI thread)."""
        self._ensure()

    @property
    def ready(self) -> bool:
        return self._store is None

    def _ensure(self, then: Callable[[], None] | None = None) -> None:
        if self._store is None:
            return
        with self._lock:  # a second caller waits for the build in progress
            store = self._store
            if store is None:
                return
            try:
                self._index_store(store)
            except Exception:  # e.g. the store closed under a background build: an empty index, logged
                log.exception("catalogue index could not be built")
            finally:
                self._store = None
            log.info("catalogue: %d products, %d codes", self._count, len(self._by_key))
            if then is not None:
                try:
                    then()
                except Exception:  # the index is built and stays usable whatever the hook does
                    log.exception("after-index hook failed")

    def add(self, doc: dict) -> None:
        if not isinstance(doc, dict) or not isinstance(doc.get("sku"), str):
            log.warning("catalogue: product without sku ignored: %.120r", doc)
            return
        base = (doc["sku"], str(doc.get("name") or ""), str(doc.get("style") or ""),
                str(doc.get("color") or ""), str(doc.get("size") or ""))
        self._count += 1
        for bc in doc.get("barcodes") or ():
            code = bc.get("code") if isinstance(bc, dict) else bc
            if not isinstance(code, str) or not code.strip():
                continue
            qps = bc.get("qty_per_scan", 1) if isinstance(bc, dict) else 1
            kind = bc.get("kind", "unit") if isinstance(bc, dict) else "unit"
            r = base + (qps if isinstance(qps, int) and qps > 0 else 1, str(kind))
            for k in code_keys(code):
                self._by_key.setdefault(k, r)

    def lookup(self, keys: Iterable[str]) -> ProductRef | None:
        self._ensure()
        for k in keys:
            hit = self._by_key.get(k)
            if hit:
                return ProductRef(*hit)
        return None

    @classmethod
    def from_store(cls, store: Store) -> Catalog:
        """The index of the `products` table, built when first needed (see the class)."""
        cat = cls()
        cat._store = store
        return cat

    def _index_store(self, store: Store) -> None:
        """SQLite's JSON functions pull each product's barcodes out of its stored doc (one row per
        barcode), so 50,000 products are indexed without parsing their documents in Python; the keys
        come from `code_keys` (see there). A malformed doc (never written by the product cache) makes
        SQLite refuse the query: then the docs are read one by one."""
        try:
            with store.read() as c:
                self._index_rows(c.connection.dbapi_connection.execute(_SQL_CODES))
        except sqlite3.OperationalError as exc:
            log.warning("catalogue: %s; indexing the product docs one by one", exc)
            self._by_key, self._count = {}, 0
            for doc in self._docs(store):
                self.add(doc)

    def _index_rows(self, rows) -> None:
        by_key = self._by_key
        prev = base = None
        n = 0
        for rowid, sku, name, style, color, size, code, qps, kind in rows:
            if rowid != prev:
                prev, n = rowid, n + 1
                base = (sku, str(name or ""), str(style or ""), str(color or ""), str(size or ""))
            if not isinstance(code, str) or not code.strip():
                continue
            qps = qps if isinstance(qps, int) and qps > 0 else 1
            kind = "unit" if kind is None else str(kind)
            r = base if qps == 1 and kind == "unit" else base + (qps, kind)
            for k in code_keys(code):
                if k not in by_key:
                    by_key[k] = r
        self._count = n

    @staticmethod
    def _docs(store: Store) -> list[dict]:
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
        return docs


# One row per barcode (a product without barcodes: one row with a NULL code), products in table order.
# sku/name/style/colour/size are the products table's own columns, written from the same doc by the
# product cache (a row written otherwise, with NULL columns, has them read from its doc); only the
# barcodes array is read from the JSON (SQLite 3.40 re-parses a doc for every JSON function call).
_SQL_CODES = (
    "SELECT p.rowid, p.sku, p.name, "
    "CASE WHEN p.style IS NULL THEN json_extract(p.doc, '$.style') ELSE p.style END, "
    "CASE WHEN p.color IS NULL THEN json_extract(p.doc, '$.color') ELSE p.color END, "
    "CASE WHEN p.size IS NULL THEN json_extract(p.doc, '$.size') ELSE p.size END, "
    "CASE b.type WHEN 'object' THEN json_extract(b.value, '$.code') WHEN 'text' THEN b.value END, "
    "CASE b.type WHEN 'object' THEN json_extract(b.value, '$.qty_per_scan') END, "
    "CASE b.type WHEN 'object' THEN json_extract(b.value, '$.kind') END "
    "FROM products p LEFT JOIN json_each(p.doc, '$.barcodes') b ON typeof(b.key) = 'integer' "
    "WHERE p.doc IS NOT NULL"
)
