"""Product image cache: files under <data_dir>/images, indexed in the station's images table."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import warnings
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from app import schema
from app.store import Store, now_ms

log = logging.getLogger(__name__)

# Pillow warns on stderr (DecompressionBombWarning) when it reads the header of an image of more than 89 M pixels:
# such an image is refused here, at MAX_PIXELS, and said in the log ("image … not cached, and not asked for again");
# the warning said it a second time, unexplained, outside the log
warnings.filterwarnings("ignore", message=r"Image size \(\d+ pixels\) exceeds limit", module=r"PIL\.Image")

EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}

# The work screen's picture: at most this many pixels a side, about one and a half times its box
# (`ui.screens.work.ProductImage`, 300 px at most) for a sharp picture. A platform's product photo is often 2000-3000
# px, which Qt decoded in 70-150 ms (2026-12-06, this machine): nine of them at the pack step were 797-827 ms on the
# GUI thread; nine of these 26 ms on a worker.
SCREEN_PX = 440
SCREEN_DIR = ".screen"  # beside the product images: one JPEG rendition per image file (files are named by content)
_SHOWN_AS_IS = ("JPEG", "PNG")  # formats every Qt build decodes; anything else is re-encoded, whatever its size
# An image of more pixels than this is not cached (and one cached before is not decoded for the screen): a 6000 x
# 6000 photo is 36 M. A small file can say it is 12,000 x 12,000 (a PNG of one colour), and Pillow only warns below
# 179 M pixels: decoded for the slip's thumbnail or the screen, that one alone was 576 MB of memory.
MAX_PIXELS = 40_000_000


class ImageRefused(ValueError):
    """An image this station does not take: too large a reply, too many pixels, a type that is no image. Asked again,
    the OMS would send the same, so `ImageCache.fetch_missing` does not ask for it again until the station restarts
    (a refused 20 MB reply fetched at every poll was gigabytes an hour)."""


def _over_pixels(size: tuple[int, int]) -> str | None:
    w, h = size
    return f"{w} x {h} pixels, more than {MAX_PIXELS:,}" if w * h > MAX_PIXELS else None


def too_many_pixels(data: bytes) -> str | None:
    """What is wrong with an image of more than MAX_PIXELS (its header read, nothing decoded), or None. A file
    Pillow cannot read at all is not this function's business: it is stored as sent, and the slip and the screen
    say they cannot show it."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return _over_pixels(im.size)
    except Image.DecompressionBombError as exc:
        return str(exc)
    except Exception:
        return None


def screen_rendition(src: Path) -> Path | None:
    """The picture the work screen shows for the cached image `src`: `src` itself when it is a JPEG or PNG no
    larger than SCREEN_PX a side, else a JPEG of it at that size (transparency on white, a GIF's first frame), made
    once beside it. None, with a warning in the log, for a file no one can decode (a broken download) or of more
    than MAX_PIXELS: the screen says "no image". Decodes a photo: never call it
    on the GUI thread."""
    out = src.parent / SCREEN_DIR / (src.stem + ".jpg")
    if out.is_file():
        return out
    from PIL import Image

    try:
        with Image.open(src) as im:
            if im.format in _SHOWN_AS_IS and max(im.size) <= SCREEN_PX:
                return src
            if (wrong := _over_pixels(im.size)) is not None:
                raise ValueError(wrong)
            im.draft("RGB", (SCREEN_PX, SCREEN_PX))  # a JPEG decoded at 1/2, 1/4 or 1/8 of its size when it can
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, "white")
                flat.paste(rgba, mask=rgba.getchannel("A"))
            else:
                flat = im.convert("RGB")
            flat.thumbnail((SCREEN_PX, SCREEN_PX))
            out.parent.mkdir(exist_ok=True)
            tmp = out.with_suffix(f".{threading.get_ident()}.part")
            flat.save(tmp, "JPEG", quality=85)
        tmp.replace(out)  # atomic: a screen looking at the same time sees the whole file or none
        return out
    except Exception as exc:  # Pillow raises many kinds for a bad file; none may reach the screen
        log.warning("product image %s cannot be shown: %s", src.name, exc)
        return None


class ImageCache:
    def __init__(self, store: Store, data_dir: str | Path) -> None:
        self.store = store
        self.dir = Path(data_dir) / "images"
        self.last_failures = 0  # images the last fetch_missing could not cache (retried on the next poll)
        self._wanted: list[str] = []  # the pictures of an order a packer just took, fetched before any other
        self.refused: set[str] = set()  # URLs whose image this station does not take (ImageRefused): not asked again
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

    def screen_path_for(self, url: str) -> Path | None:
        """What the work screen shows for `url`: `screen_rendition` of the cached image (a store read, and for an
        image cached before renditions were made, a decode). Off the GUI thread."""
        p = self.path_for(url)
        return screen_rendition(p) if p is not None else None

    def put(self, url: str, data: bytes, content_type: str) -> Path:
        ct = content_type.split(";")[0].strip().lower()
        if ct not in EXT:
            raise ImageRefused(f"image {url}: unexpected content type {ct!r}")
        if (wrong := too_many_pixels(data)) is not None:
            raise ImageRefused(f"image {url}: {wrong}, not cached")
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
        screen_rendition(p)  # and the screen's, so that showing it never decodes the photo
        return p

    def fetch_missing(self, client, urls) -> int:
        """Download the pictures of `urls` not cached yet, one at a time, those asked for with `want()` first
        (also when asked while this runs); one that fails is counted in `last_failures` and tried again later, one
        refused (`ImageRefused`) is not asked for again while the station runs."""
        n = failures = 0
        rest = sorted({u for u in urls if u}, reverse=True)
        seen: set[str] = set()  # a wanted picture is often in `rest` too: looked up once
        while (url := self._next_wanted()) is not None or rest:
            url = url or rest.pop()
            if url in seen or url in self.refused:
                continue
            seen.add(url)
            if self.path_for(url):
                continue
            try:
                data, ct = client.image(url)
                self.put(url, data, ct)
                n += 1
            except ImageRefused as e:
                failures += 1
                self.refused.add(url)
                log.warning("image %s not cached, and not asked for again: %s", url, e)
            except Exception as e:  # one bad image never stops the pull
                failures += 1
                log.warning("image %s not cached: %s", url, e)
        self.last_failures = failures
        return n
