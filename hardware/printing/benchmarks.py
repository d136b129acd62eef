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


def slip_pdf_10_images_ms(workdir: Path) -> float:
    from PIL import Image

    from app.picklist import PickList
    from hardware.printing.demo_order import DEMO_DOC
    from hardware.printing.slip import build_slip_pdf

    paths = {}
    for i in range(10):
        p = workdir / f"product-{i}.jpg"
        # photo-like content (noise over a colour), not a flat colour that JPEG compresses to nothing
        noise = Image.effect_noise((800, 800), 40).convert("RGB")
        Image.blend(Image.new("RGB", (800, 800), (20 * i, 120, 200 - 10 * i)), noise, 0.5).save(p, quality=85)
        paths[f"https://cdn.example/p/{i}.jpg"] = p
    doc = dict(DEMO_DOC)
    doc["lines"] = [dict(DEMO_DOC["lines"][i % 3], id=str(i), sku=f"SKU-{i}", image_url=f"https://cdn.example/p/{i}.jpg")
                    for i in range(10)]
    pl = PickList.from_dict(doc)
    return _median_ms(lambda: build_slip_pdf(pl, paths.get, page="a4", station="ST-01", operator="bench"), 5)


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
    "slip_pdf_10_images_ms": slip_pdf_10_images_ms,
    "label_image_mode_ms": label_image_mode_ms,
    "label_4in_raster_ms": label_4in_raster_ms,
}
