"""Pick-list and product cache in the station store: readable offline, without a SyncService."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, select, text, true, update
from sqlalchemy.dialects.sqlite import insert

from app import schema
from app.picklist import PickList, PickListError
from app.store import Store, now_ms

log = logging.getLogger(__name__)

ACTIVE = ("open", "claimed", "in_progress", "held")
T = schema.picklists


# Offline claims not yet confirmed: `provisional = 1` as ix_picklists_provisional's own condition says it, so the
# planner reads that index (a handful of rows) instead of every cached pick list with its document.
PROVISIONAL = select(T.c.id).where(text("provisional = 1"))


def received_version(updated_at: str, doc: str, claimed_by: str | None) -> str:
    """A pick list as the OMS sent it, in the `server_updated_at` column: its stamp, and a digest of the document and
    the claim. The stamp alone does not tell two versions apart: ISO-8601 stamps in whole seconds give a cancellation
    a moment after a change the same stamp."""
    digest = hashlib.blake2b(f"{claimed_by or ''}\n{doc}".encode(), digest_size=8).hexdigest()
    return f"{updated_at[:40]}#{digest}"


class PickListCache:
    def __init__(self, store: Store, station_id: str | None = None) -> None:
        self.store = store
        self.station_id = station_id  # when set, orders claimed by other stations are not "open" here
        # open_picklists' parsed lists by id, with the stored document they came from: the queue is re-read
        # after every finished order and on every OMS poll, and an unchanged document is not parsed again
        # (800 open lists: 110-180 ms of Python on a worker, which the GUI thread waits for through the GIL).
        # Rebuilt on every call, so it holds exactly the open lists (PickList is immutable: safe to share).
        self._parsed: dict[str, tuple[str, PickList]] = {}

    def _parse(self, doc: str) -> PickList | None:
        try:
            return PickList.from_dict(json.loads(doc))
        except (PickListError, ValueError) as e:  # cannot happen for what we wrote; never crash a screen
            log.error("cached pick list unreadable: %s", e)
            return None

    def open_picklists(self) -> list[PickList]:
        with self.store.read() as c:
            q = select(T.c.id, T.c.doc).where(T.c.status.in_(ACTIVE)).order_by(T.c.id)
            if self.station_id:
                q = q.where(T.c.claimed_by.is_(None) | (T.c.claimed_by == self.station_id))
            rows = c.execute(q).all()
        memo, fresh = self._parsed, {}
        out = []
        for r in rows:
            hit = memo.get(r.id)
            p = hit[1] if hit is not None and hit[0] == r.doc else self._parse(r.doc)
            if p is not None:
                fresh[r.id] = (r.doc, p)
                out.append(p)
        self._parsed = fresh
        return out

    def _active(self, q):
        q = q.where(T.c.status.in_(ACTIVE))
        if self.station_id:
            q = q.where(T.c.claimed_by.is_(None) | (T.c.claimed_by == self.station_id))
        return q

    def open_lazy(self) -> OpenPickLists:
        """The open pick lists as a mapping id -> PickList that parses a pick list only when it is
        looked up (login asks which open orders to resume: it needs the ids, and one or two lists)."""
        with self.store.read() as c:
            ids = list(c.execute(self._active(select(T.c.id)).order_by(T.c.id)).scalars())
        return OpenPickLists(self, ids)

    def open_image_urls(self) -> set[str]:
        """Image URLs of the open pick lists' lines, read by SQLite's JSON functions (nothing parsed here)."""
        j = func.json_each(T.c.doc, "$.lines").table_valued("value").alias("ln")
        q = self._active(select(func.json_extract(j.c.value, "$.image_url")).select_from(T).join(j, true()))
        with self.store.read() as c:
            return {u for u in c.execute(q.distinct()).scalars() if isinstance(u, str) and u}

    def get(self, order_id: str) -> PickList | None:
        with self.store.read() as c:
            row = c.execute(select(T.c.doc).where(T.c.id == order_id)).first()
        return self._parse(row.doc) if row else None

    def row(self, order_id: str) -> dict[str, Any] | None:
        with self.store.read() as c:
            row = c.execute(select(T).where(T.c.id == order_id)).first()
        return dict(row._mapping) if row else None

    def rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The cached rows (without their documents) of these pick lists, by id: one query for a page of a pull."""
        if not ids:
            return {}
        with self.store.read() as c:
            q = select(T.c.id, T.c.status, T.c.claimed_by, T.c.provisional, T.c.server_updated_at).where(
                T.c.id.in_(ids))
            return {r.id: dict(r._mapping) for r in c.execute(q)}

    def settled_open_ids(self) -> list[str]:
        """The pick lists this station could work (open, or claimed here) that are not offline claims: those an OMS's
        full listing names, unless they changed meanwhile."""
        with self.store.read() as c:
            q = self._active(select(T.c.id)).where(text("provisional = 0")).order_by(T.c.id)
            return list(c.execute(q).scalars())

    def find_by_code(self, code: str) -> PickList | None:
        code = code.strip()
        with self.store.read() as c:
            row = c.execute(select(T.c.doc).where((T.c.id == code) | (T.c.order_no == code)
                                                  | (T.c.order_no == "#" + code))).first()
        return self._parse(row.doc) if row else None

    def upsert(self, items: list[tuple[PickList, str | None]], conn=None, *,
               known: Mapping[str, str | None] | None = None) -> list[str]:
        """items: (PickList, claimed_by). Keeps a local provisional claim and a review flag. `known`: the stored
        `server_updated_at` by id (`rows`); a pick list the OMS sends again as it was (the same stamp, document and
        claim) is not written again, so what the station did to it meanwhile stands. -> the ids written."""
        if not items:
            return []
        t = now_ms()
        rows = []
        for p, cb in items:
            doc = json.dumps(p.to_dict(), ensure_ascii=False, separators=(",", ":"))
            version = received_version(p.updated_at, doc, cb)
            if known is not None and known.get(p.id) == version:
                continue
            rows.append({"id": p.id, "order_no": p.order_no, "status": p.status, "claimed_by": cb,
                         "provisional": False, "server_updated_at": version, "fetched_at_ms": t, "doc": doc})
        if not rows:
            return []
        stmt = insert(T)
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={
            k: stmt.excluded[k] for k in ("order_no", "status", "claimed_by", "server_updated_at", "fetched_at_ms",
                                          "doc")})
        if conn is not None:
            conn.execute(stmt, rows)
        else:
            with self.store.write() as c:
                c.execute(stmt, rows)
        return [r["id"] for r in rows]

    def mark_claimed(self, order_id: str, station_id: str, *, provisional: bool) -> None:
        with self.store.write() as c:
            c.execute(update(T).where(T.c.id == order_id).values(claimed_by=station_id, provisional=provisional,
                                                                 status="claimed"))

    def set_status(self, order_id: str, status: str, *, claimed_by: str | None = None,
                   provisional: bool = False) -> None:
        with self.store.write() as c:
            # the stored document says the same as the row: a cancelled order never opens as "open"
            c.execute(update(T).where(T.c.id == order_id).values(status=status, claimed_by=claimed_by,
                                                                 provisional=provisional,
                                                                 doc=func.json_set(T.c.doc, "$.status", status)))

    def provisional(self) -> list[str]:
        with self.store.read() as c:
            return list(c.execute(PROVISIONAL).scalars())

    def set_review_flag(self, order_id: str, text: str) -> None:
        with self.store.write() as c:
            c.execute(update(T).where(T.c.id == order_id).values(review_flag=text))

    def review_flag(self, order_id: str) -> str | None:
        r = self.row(order_id)
        return r["review_flag"] if r else None


class OpenPickLists(Mapping):
    """Open pick list ids, each parsed from the cache on first lookup (see PickListCache.open_lazy)."""

    def __init__(self, cache: PickListCache, ids: list[str]) -> None:
        self._cache, self._ids, self._set = cache, ids, set(ids)
        self._parsed: dict[str, PickList] = {}

    def __getitem__(self, order_id: str) -> PickList:
        if order_id not in self._set:
            raise KeyError(order_id)
        pl = self._parsed.get(order_id)
        if pl is None:
            pl = self._cache.get(order_id)
            if pl is None:
                raise KeyError(order_id)
            self._parsed[order_id] = pl
        return pl

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._set

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class ProductCache:
    def __init__(self, store: Store) -> None:
        self.store = store

    def upsert(self, products: list[dict]) -> None:
        if not products:
            return
        t = now_ms()
        rows = []
        for p in products:
            w = p.get("weight_g")
            rows.append({"sku": p["sku"], "name": p["name"], "style": p.get("style") or "",
                         "color": p.get("color") or "", "size": p.get("size") or "",
                         "image_url": p.get("image_url") or "",
                         "weight_g": float(w) if isinstance(w, int | float) and not isinstance(w, bool) else None,
                         "doc": json.dumps(p, ensure_ascii=False), "updated_at_ms": t})
        stmt = insert(schema.products)
        stmt = stmt.on_conflict_do_update(index_elements=["sku"], set_={
            k: stmt.excluded[k] for k in ("name", "style", "color", "size", "image_url", "weight_g", "doc",
                                          "updated_at_ms")})
        with self.store.write() as c:
            c.execute(stmt, rows)

    def get(self, sku: str) -> dict | None:
        with self.store.read() as c:
            row = c.execute(select(schema.products.c.doc).where(schema.products.c.sku == sku)).first()
        return json.loads(row.doc) if row and row.doc else None
