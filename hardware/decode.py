"""The barcode decoding pipeline shared by the live camera and `packstation decode`.

decode_image(image) -> list[Decoded]
  Texts are the symbol's raw content (zxing-cpp TextMode.Plain): GS1 element strings with FNC1 as \x1d, ISO 15434
  envelopes with \x1e/\x1d/\x04, exactly what a wedge scanner would type, so downstream parsing (biip) is the same
  for every source.
  1. zxing-cpp restricted to the warehouse formats (EAN-13/8, UPC-A/E, Code128, Code39, ITF, QR, DataMatrix,
     GS1 DataBar), on the grey frame;
  2. when nothing was found, a retry ladder inside a time budget: global-histogram and fixed-threshold binarizers,
     CLAHE contrast, unsharp-mask sharpening, 2x upscale,
     small rotations (+-10 deg, +-22.5 deg), 0.5x downscale; the first step that reads wins. A step starts only
     while the frame budget (`budget_ms`, default 40 ms = a 25 fps camera) is not spent;
  3. still nothing and budget left: pyzbar as a second pass for EAN/UPC only (it reads some blurred retail codes
     zxing misses; reading it first costs more correct reads than it rescues on the corpus).
Every result must pass its check digit (EAN/UPC via GS1 mod-10, ITF-14 likewise) or it is dropped.
GS1 is flagged from the AIM symbology identifier (]C1 GS1-128, ]d2 GS1 DataMatrix, ]Q3 GS1 QR, ]J1) and for
GS1 DataBar (]e0), which is GS1 by definition. EAN/UPC (]E0, ]E4) are GTINs but not flagged GS1.
The `backend="pyzbar"` variant runs pyzbar first and zxing-cpp as the ladder.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

_F = zxingcpp.BarcodeFormat
WAREHOUSE_FORMATS = (_F.EAN13, _F.EAN8, _F.UPCA, _F.UPCE, _F.Code128, _F.Code39, _F.ITF, _F.QRCode,
                     _F.DataMatrix, _F.DataBar, _F.DataBarExp, _F.DataBarLtd)

# zxing-cpp format -> our format name (stable strings for JSON / events)
_FORMAT_NAMES = {
    _F.EAN13: "EAN13", _F.EAN8: "EAN8", _F.UPCA: "UPCA", _F.UPCE: "UPCE", _F.Code128: "Code128",
    _F.Code39: "Code39", _F.ITF: "ITF", _F.QRCode: "QRCode", _F.DataMatrix: "DataMatrix",
    _F.DataBar: "DataBar", _F.DataBarExp: "DataBarExpanded", _F.DataBarLtd: "DataBarLimited",
}
_PYZBAR_FORMATS = {"EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "CODE128": "Code128",
                   "CODE39": "Code39", "I25": "ITF", "QRCODE": "QRCode"}
_PYZBAR_AIM = {"EAN13": "]E0", "EAN8": "]E4", "UPCA": "]E0", "UPCE": "]E0", "CODE128": "]C0", "CODE39": "]A0",
               "I25": "]I0", "QRCODE": "]Q1"}
RETAIL = {"EAN13", "EAN8", "UPCA", "UPCE"}
GS1_AIM = ("]C1", "]e0", "]d2", "]Q3", "]J1")


@dataclass(frozen=True)
class Decoded:
    text: str
    format: str
    gs1: bool
    symbology: str | None = None  # AIM identifier, e.g. "]E0"
    outline: tuple[tuple[int, int], ...] = field(default=(), compare=False)  # corners in the input image

    def as_json(self) -> dict:
        return {"text": self.text, "format": self.format, "gs1": self.gs1}


def gs1_mod10_ok(digits: str) -> bool:
    """GS1 mod-10 check digit (EAN-13/8, UPC-A, GTIN-14/ITF-14)."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E (number system + 6 + check) to UPC-A."""
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def check_digit_ok(text: str, fmt: str) -> bool:
    if fmt in ("EAN13", "EAN8", "UPCA"):
        return gs1_mod10_ok(text)
    if fmt == "UPCE":
        return len(text) == 8 and text.isdigit() and gs1_mod10_ok(upce_to_upca(text))
    if fmt == "ITF" and len(text) == 14:
        return gs1_mod10_ok(text)
    return bool(text)  # other symbologies carry their own internal checks (RS / mod-103 / ...)


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        if image.shape[2] == 4:
            return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def _zxing(gray: np.ndarray, *, fast: bool = False, binarizer=zxingcpp.Binarizer.LocalAverage) -> list[Decoded]:
    out = []
    for b in zxingcpp.read_barcodes(gray, formats=WAREHOUSE_FORMATS, try_rotate=not fast, binarizer=binarizer,
                                    try_downscale=True, try_invert=not fast, text_mode=zxingcpp.TextMode.Plain):
        if not b.valid:
            continue
        fmt = _FORMAT_NAMES.get(b.format, str(b.format).split(".")[-1])
        aim = b.symbology_identifier or None
        gs1 = bool(aim and aim.startswith(GS1_AIM)) or fmt.startswith("DataBar")
        p = b.position
        outline = tuple((int(pt.x), int(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        out.append(Decoded(b.text, fmt, gs1, aim, outline))
    return out


def _pyzbar(gray: np.ndarray, *, retail_only: bool) -> list[Decoded]:
    try:
        from pyzbar import pyzbar
    except Exception as exc:  # libzbar0 missing
        log.warning("pyzbar unavailable: %s", exc)
        return []
    from pyzbar.pyzbar import ZBarSymbol

    wanted = ["EAN13", "EAN8", "UPCA", "UPCE"] if retail_only else list(_PYZBAR_FORMATS)
    out = []
    for sym in pyzbar.decode(gray, symbols=[ZBarSymbol[n] for n in wanted]):
        fmt = _PYZBAR_FORMATS.get(sym.type)
        if fmt is None or (retail_only and fmt not in RETAIL):
            continue
        text = sym.data.decode("utf-8", "replace")
        if fmt == "EAN13" and len(text) == 13 and text.startswith("0"):
            fmt, text = "UPCA", text[1:]  # zbar reports UPC-A as EAN-13 with a leading 0
        r = sym.rect
        outline = ((r.left, r.top), (r.left + r.width, r.top), (r.left + r.width, r.top + r.height),
                   (r.left, r.top + r.height))
        out.append(Decoded(text, fmt, False, _PYZBAR_AIM.get(sym.type), outline))
    return out


def _rotate(gray: np.ndarray, deg: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(gray, m, (nw, nh), borderValue=255), m


_LA = zxingcpp.Binarizer.LocalAverage
_CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))


def _ladder(gray: np.ndarray):
    """Yield (name, image, binarizer, to_original) variants; to_original maps outline points back to the input."""
    def ident(pts):
        return pts

    yield "global-histogram", gray, zxingcpp.Binarizer.GlobalHistogram, ident
    yield "fixed-threshold", gray, zxingcpp.Binarizer.FixedThreshold, ident
    yield "clahe", _CLAHE.apply(gray), _LA, ident
    h, w = gray.shape[:2]
    if max(h, w) < 1600:
        yield "up2", cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), _LA, \
            (lambda pts: tuple((x // 2, y // 2) for x, y in pts))
    blur = cv2.GaussianBlur(gray, (0, 0), 2)
    yield "sharpen", cv2.addWeighted(gray, 1.8, blur, -0.8, 0), _LA, ident
    for deg in (22.5, -22.5, 10, -10):
        img, m = _rotate(gray, deg)
        inv = cv2.invertAffineTransform(m)

        def back(pts, inv=inv):
            return tuple((int(inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]), int(inv[1, 0] * x + inv[1, 1] * y
                                                                                 + inv[1, 2])) for x, y in pts)
        yield f"rot{deg:+g}", img, _LA, back
    if max(h, w) > 800:
        yield "down2", cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), _LA, \
            (lambda pts: tuple((x * 2, y * 2) for x, y in pts))


def _checked(results: list[Decoded]) -> list[Decoded]:
    seen, out = set(), []
    for r in results:
        if not check_digit_ok(r.text, r.format):
            log.info("dropped %s %r: bad check digit", r.format, r.text)
            continue
        if (r.text, r.format) in seen:
            continue
        seen.add((r.text, r.format))
        out.append(r)
    return out


def decode_image(image: np.ndarray, *, backend: str = "zxing", budget_ms: float = 40.0,
                 fast: bool = False) -> list[Decoded]:
    """Decode one frame (BGR, BGRA or grey numpy array). `budget_ms` bounds the retry ladder (the first pass and
    at least one ladder step always run); `fast` skips rotation/inversion search in the first pass (live 720p)."""
    gray = _gray(image)
    t0 = time.perf_counter()
    first = _pyzbar(gray, retail_only=False) if backend == "pyzbar" else _zxing(gray, fast=fast)
    res = _checked(first)
    if res:
        return res
    def elapsed_ms() -> float:
        return (time.perf_counter() - t0) * 1000

    for i, (_name, img, binarizer, back) in enumerate(_ladder(gray)):
        if i and elapsed_ms() > budget_ms:
            break
        found = _checked(_zxing(img, binarizer=binarizer))
        if found:
            return [Decoded(r.text, r.format, r.gs1, r.symbology, back(r.outline)) for r in found]
    if backend != "pyzbar" and elapsed_ms() <= budget_ms:
        return _checked(_pyzbar(gray, retail_only=True))
    return []


def load_image(path: str | Path) -> np.ndarray | None:
    """Read any image OpenCV or Pillow can (webp, png, jpg, gif...); None if unreadable."""
    p = str(path)
    if not Path(p).is_file():
        return None
    img = cv2.imread(p, cv2.IMREAD_COLOR)
    if img is not None:
        return img
    try:
        from PIL import Image

        with Image.open(p) as im:
            return cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)
    except Exception:
        return None


def decode_file(path: str | Path, **kw) -> list[Decoded]:
    if not Path(path).is_file():
        raise ValueError(f"no such file: {path}")
    img = load_image(path)
    if img is None:
        raise ValueError(f"not an image (or unsupported format): {path}")
    return decode_image(img, **kw)


def bare_zxing_file(path: str | Path) -> list[str]:
    """zxing-cpp used bare (defaults, all formats): the comparison figure."""
    img = load_image(path)
    return [] if img is None else [b.text for b in zxingcpp.read_barcodes(img)]
