"""Printing figures for `packstation bench`: building a label's ESC/POS bytes, and a packing slip
PDF with 10 product images."""

from __future__ import annotations

import statistics
import time
from pathlib import Path


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: imports, font registration
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def label_bytes_ms(workdir: Path) -> float:
    from app.config import PrinterSettings
    from hardware.printing.demo_order import demo_picklist
    from hardware.printing.label import build_label

    pl = demo_picklist()
    ps = PrinterSettings()
    return _median_ms(lambda: build_label(pl, ps, station="ST-01", operator="bench"), 20)


def _slip_images(workdir: Path, tag: str, n: int = 10) -> dict[str, Path]:
    from PIL import Image

    paths = {}
    for i in range(n):
        p = workdir / f"product-{tag}-{i}.jpg"
        # photo-like content (noise over a colour), not a flat colour that JPEG compresses to nothing
        noise = Image.effect_noise((800, 800), 40).convert("RGB")
        Image.blend(Image.new("RGB", (800, 800), (20 * i, 120, 200 - 10 * i)), noise, 0.5).save(p, quality=85)
        paths[f"https://cdn.example/{tag}/{i}.jpg"] = p
    return paths


def _slip_order(paths: dict[str, Path]):
    from app.picklist import PickList
    from hardware.printing.demo_order import DEMO_DOC

    doc = dict(DEMO_DOC)
    doc["lines"] = [dict(DEMO_DOC["lines"][i % 3], id=str(i), sku=f"SKU-{i}", image_url=url)
                    for i, url in enumerate(paths)]
    return PickList.from_dict(doc)


def slip_child(workdir: str) -> None:
    """In a fresh process, as a station's print spool sees it: the product images are in the station's
    image cache (stored by the sync poller through `ImageCache.put`, 800x800 JPEG photos), the start-up
    warm-up has run (the spool starts it a few seconds after start); then the first A4 slip with 10
    product images never printed before; then 5 more slips, each with 10 other new images, every one
    timed. Prints the figures as JSON."""
    import json

    from app.store import open_store
    from hardware.printing.slip import build_slip_pdf, warm_up
    from sync.images import ImageCache

    wd = Path(workdir)
    store = open_store(wd / "station.sqlite3")
    cache = ImageCache(store, wd / "data")
    sets = []
    for k in range(6):
        paths = _slip_images(wd, f"s{k}")
        for url, p in paths.items():
            cache.put(url, p.read_bytes(), "image/jpeg")
        sets.append(paths)
    warm_up()

    def one(paths) -> float:
        pl = _slip_order(paths)
        t = time.perf_counter()
        build_slip_pdf(pl, cache.path_for, page="a4", station="ST-01", operator="bench")
        return (time.perf_counter() - t) * 1000

    first = one(sets[0])
    new = [one(p) for p in sets[1:6]]
    store.close()
    print(json.dumps({"slip_pdf_first_ms": round(first, 2), "slip_pdf_10_images_ms": round(statistics.median(new), 2)}))


def slip_pdf_10_images_ms(workdir: Path) -> dict[str, float]:
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", f"from hardware.printing.benchmarks import slip_child; "
                          f"slip_child({str(workdir)!r})"], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parents[2])
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def label_image_mode_ms(workdir: Path) -> float:
    """The same label with Chinese rendered as images (PrinterSettings.chinese = "image")."""
    from app.config import PrinterSettings
    from hardware.printing.demo_order import demo_picklist
    from hardware.printing.label import build_label

    pl = demo_picklist()
    ps = PrinterSettings(chinese="image")
    return _median_ms(lambda: build_label(pl, ps, station="ST-01", operator="bench"), 10)


def label_4in_raster_ms(workdir: Path) -> float:
    """A 100x150 mm label rendered as one raster image for an 832-dot label printer."""
    from app.config import PrinterSettings
    from hardware.printing.demo_order import demo_picklist
    from hardware.printing.label import build_label

    pl = demo_picklist()
    ps = PrinterSettings(kind="label", dots=832)
    return _median_ms(lambda: build_label(pl, ps, station="ST-01", operator="bench"), 10)


FIGURES = {
    "label_bytes_ms": label_bytes_ms,
    "slip_pdf_10_images_ms": slip_pdf_10_images_ms,  # also slip_pdf_first_ms
    "label_image_mode_ms": label_image_mode_ms,
    "label_4in_raster_ms": label_4in_raster_ms,
}
