"""Product image cache: files under <data_dir>/images, indexed in the station's images table."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from app import schema
from app.store import Store, now_ms

log = logging.getLogger(__name__)

EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}


class ImageCache:
    def __init__(self, store: Store, data_dir: str | Path) -> None:
        self.store = store
        self.dir = Path(data_dir) / "images"
        self.last_failures = 0  # images the last fetch_missing could not cache (retried on the next poll)
        self._wanted: list[str] = []  # the pictures of an order a packer just took, fetched before any other
        self._wlock = threading.Lock()

    def want(self, urls) -> None:
        """Fetch these next (the order claimed at this station), ahead of the rest of a fetch under way."""
        with self._wlock:
            self._wanted.extend(u for u in urls if u and u not in self._wanted)

    def has_wanted(self) -> bool:
        return bool(self._wanted)

    def _next_wanted(self) -> str | None:
        with self._wlock:
            return self._wanted.pop(0) if self._wanted else None

    def path_for(self, url: str) -> Path | None:
        if not url:
            return None
        with self.store.read() as c:
            row = c.execute(select(schema.images.c.path).where(schema.images.c.url == url)).first()
        if not row:
            return None
        p = self.dir / row.path
        return p if p.is_file() else None

    def put(self, url: str, data: bytes, content_type: str) -> Path:
        ct = content_type.split(";")[0].strip().lower()
        if ct not in EXT:
            raise ValueError(f"image {url}: unexpected content type {ct!r}")
        digest = hashlib.sha256(data).hexdigest()
        name = digest[:32] + EXT[ct]
        self.dir.mkdir(parents=True, exist_ok=True)
        p = self.dir / name
        if not p.exists():
            tmp = p.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(p)
        stmt = insert(schema.images).values(url=url, path=name, content_type=ct, sha256=digest,
                                            fetched_at_ms=now_ms())
        stmt = stmt.on_conflict_do_update(index_elements=["url"], set_={
            k: stmt.excluded[k] for k in ("path", "content_type", "sha256", "fetched_at_ms")})
        with self.store.write() as c:
            c.execute(stmt)
        try:  # the packing slip's thumbnails, made here on the sync thread rather than when a slip prints
            from hardware.printing.slip import prepare_image

            prepare_image(p)
        except Exception as exc:
            log.info("slip thumbnails of %s not made now (made when first printed): %s", url, exc)
        return p

    def fetch_missing(self, client, urls) -> int:
        """Download the pictures of `urls` not cached yet, one at a time, those asked for with `want()` first
        (also when asked while this runs); one that fails is counted in `last_failures` and tried again later."""
        n = failures = 0
        rest = sorted({u for u in urls if u}, reverse=True)
        seen: set[str] = set()  # a wanted picture is often in `rest` too: looked up once
        while (url := self._next_wanted()) is not None or rest:
            url = url or rest.pop()
            if url in seen:
                continue
            seen.add(url)
            if self.path_for(url):
                continue
            try:
                data, ct = client.image(url)
                self.put(url, data, ct)
                n += 1
            except Exception as e:  # one bad image never stops the pull
                failures += 1
                log.warning("image %s not cached: %s", url, e)
        self.last_failures = failures
        return n
