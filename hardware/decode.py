"""The barcode decoding pipeline shared by the live camera and `packstation decode`.

decode_image(image) -> list[Decoded]
  Texts are the symbol's raw content (zxing-cpp TextMode.Plain): GS1 element strings with FNC1 as \x1d, ISO 15434
  envelopes with \x1e/\x1d/\x04, exactly what a wedge scanner would type, so downstream parsing (biip) is the same
  for every source.
  0. a cheap pre-check (`candidate_regions`): nothing with a bar/module texture -> no decoding at all;
  1. zxing-cpp restricted to the warehouse formats (EAN-13/8, UPC-A/E, Code128, Code39, ITF, QR, DataMatrix,
     GS1 DataBar), on the grey frame;
  2. a fixed retry ladder (`LADDER`) on the region the pre-check found: other binarizers, the negative, CLAHE, deskew, upscales,
     sharpening, rotations, 0.5x, then pyzbar (EAN/UPC only) - until a step leaves a confirmed result. No clock:
     the same image gives the same results under any CPU load. `FrameDecoder` (the live camera) runs one ladder
     step a frame, in turn, so every frame costs about the same;
  3. confirmation (see `_Support`): EAN/UPC/ITF/Code39 texts need several agreeing scan lines in two steps (or one
     thick read from unmodified pixels) and more support than any rival text at the same place; pyzbar's texts
     need zbar to repeat them on perturbed copies. No wrong read on the public corpus.
Every result must pass its check digit (EAN/UPC via GS1 mod-10, ITF-14 likewise) or it is dropped.
GS1 is flagged from the AIM symbology identifier (]C1 GS1-128, ]d2 GS1 DataMatrix, ]Q3 GS1 QR, ]J1) and for
GS1 DataBar (]e0), which is GS1 by definition. EAN/UPC (]E0, ]E4) are GTINs but not flagged GS1.
The `backend="pyzbar"` variant runs pyzbar first and zxing-cpp as the ladder.
"""

from __future__ import annotations

import logging
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
    """8-bit grey from a BGR, BGRA, grey + alpha or grey array of any integer or float depth (a 16-bit PNG, a frame
    a driver hands over as float): OpenCV's colour conversions raised on the others (QA fuzz)."""
    if image.dtype != np.uint8:
        top = float(np.nanmax(image)) if image.size else 0.0
        image = cv2.convertScaleAbs(np.nan_to_num(image.astype(np.float32)), alpha=255.0 / top if top > 255 else 1.0)
    if image.ndim == 3:
        if image.shape[2] == 4:
            return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
        if image.shape[2] == 3:
            return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return np.ascontiguousarray(image[:, :, 0])  # grey + alpha (or one channel): the grey
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
        text = b.text
        if b.format == _F.UPCE:  # zxing-cpp 3 gives its GTIN-13 expansion; the 8 digits are what the label prints,
            text = (getattr(b, "extra", None) or {}).get("UPCE", text)  # a wedge types and zbar reads
        p = b.position
        outline = tuple((int(pt.x), int(pt.y)) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        out.append(Decoded(text, fmt, gs1, aim, outline))
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


def _rotate(gray: np.ndarray, deg: float, interp: int = cv2.INTER_LINEAR) -> tuple[np.ndarray, np.ndarray]:
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(gray, m, (nw, nh), flags=interp, borderValue=255), m


_LA = zxingcpp.Binarizer.LocalAverage
_CLAHE = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))

# --- 1. the cheap "anything barcode-like here?" test --------------------------------------------------------------
PRECHECK_SIDE = 640  # the frame is looked at ~640 px wide: a 2 px module stays visible, 4x fewer pixels at 720p
EDGE_MIN = 24  # Sobel max(|gx|,|gy|)/2 a bar edge reaches on the small image; blurred sensor noise stays < 10
WINDOW = 9  # px of the small image (18 px of 720p)
DENSITY_MIN = 0.45  # share of edge pixels in the window: bars/modules give many edges, one carton edge < 0.35
AREA_MIN = 40  # small-image pixels of such texture (a 13-digit EAN at 2 px a module covers thousands)


def candidate_regions(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h, in `gray` pixels) where something with a bar/module texture is: many strong edges close
    together. Empty list = nothing barcode-like, the frame is not decoded at all. Deterministic, ~1-2 ms at 720p.
    Looked at twice: ~640 px wide, then 3x coarser for symbols with big modules (a QR filling the view)."""
    h, w = gray.shape[:2]
    s = max(1, int(round(max(h, w) / PRECHECK_SIDE)))
    return _regions(gray, s) or _regions(gray, s * 3)


def _regions(gray: np.ndarray, s: int) -> list[tuple[int, int, int, int]]:
    h, w = gray.shape[:2]
    small = cv2.resize(gray, (max(1, w // s), max(1, h // s)), interpolation=cv2.INTER_AREA) if s > 1 else gray
    gx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3), alpha=0.5)
    gy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3), alpha=0.5)
    edges = (cv2.max(gx, gy) >= EDGE_MIN).astype(np.float32)
    density = cv2.boxFilter(edges, -1, (WINDOW, WINDOW))
    mask = (density >= DENSITY_MIN).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, _labels, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    area_min = min(AREA_MIN, max(1, small.shape[0] * small.shape[1] // 50))  # tiny crops (line scans) too
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area >= area_min:
            out.append((x * s, y * s, bw * s, bh * s))
    return out


def _bbox(outline, grow: float = 0.0, pad: float = 0.0) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a symbol's outline, grown by `pad` px + `grow` of its long side."""
    xs = [x for x, _y in outline]
    ys = [y for _x, y in outline]
    slack = pad + grow * max(max(xs) - min(xs), max(ys) - min(ys))
    return min(xs) - slack, min(ys) - slack, max(xs) + slack, max(ys) + slack


def _meet(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two (left, top, right, bottom) boxes intersect."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def under(box: tuple[int, int, int, int], outline) -> bool:
    """Whether a pre-check box touches a symbol's outline, its bounding box grown by 8 px + 15 % of its long side
    (guard bars, the card's edge around a symbol): the box is that symbol's texture, not something else
    barcode-like. A second symbol closer than that to the first is taken for part of it."""
    if not outline:
        return True
    x, y, w, h = box
    return _meet((x, y, x + w, y + h), _bbox(outline, 0.15, 8))


def _roi(gray: np.ndarray, boxes) -> tuple[np.ndarray, int, int]:
    """The part of the frame holding every candidate box (padded), with its offset."""
    h, w = gray.shape[:2]
    if not boxes:
        return gray, 0, 0
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    pad = 16 + (max(x1 - x0, y1 - y0)) // 10
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    return gray[y0:y1, x0:x1], x0, y0


# --- 2. the retry ladder: a fixed sequence, no clock ---------------------------------------------------------------
MILD_STEPS = ("first", "global-histogram", "fixed-threshold", "clahe")  # same pixels, another threshold
LADDER = ("global-histogram", "fixed-threshold", "invert", "clahe", "deskew", "up2", "deskew-up2", "clahe-up2", "clahe-up3",
          "up1.5", "sharpen", "rot+22.5", "rot-22.5", "rot+10", "rot-10", "down2", "pyzbar")


def bar_angle(gray: np.ndarray) -> float:
    """Dominant edge direction (degrees) of the strong edges in `gray`, from the gradient structure tensor: 0 when
    bars are vertical. A tilted Code128/GS1-128 is turned upright in one step instead of trying many angles."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    mag2 = gx * gx + gy * gy
    strong = mag2 > np.percentile(mag2, 90)
    if not strong.any():
        return 0.0
    jxx, jyy, jxy = float((gx * gx)[strong].sum()), float((gy * gy)[strong].sum()), float((gx * gy)[strong].sum())
    return float(np.degrees(0.5 * np.arctan2(2 * jxy, jxx - jyy)))


def _rotated(gray: np.ndarray, deg: float, pre: float = 1.0):
    """`gray` (optionally scaled by `pre`) rotated by `deg` (cubic: 2-3 px modules survive), and the map from its
    points back to `gray`. Upscaled, it is sharpened after the rotation (the two interpolations blur thin bars)."""
    src = gray if pre == 1.0 else cv2.resize(gray, None, fx=pre, fy=pre, interpolation=cv2.INTER_CUBIC)
    img, m = _rotate(src, deg, cv2.INTER_CUBIC)
    if pre != 1.0:
        img = cv2.addWeighted(img, 1.8, cv2.GaussianBlur(img, (0, 0), 2), -0.8, 0)
    inv = cv2.invertAffineTransform(m)

    def back(pts, inv=inv):
        return tuple((int((inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]) / pre),
                      int((inv[1, 0] * x + inv[1, 1] * y + inv[1, 2]) / pre)) for x, y in pts)
    return img, _LA, back


def _ladder_step(name: str, gray: np.ndarray):
    """(image, binarizer, to_original) for one ladder step, or None when the step does not apply to this size;
    to_original maps outline points of the step's image back to `gray`."""
    def ident(pts):
        return pts

    h, w = gray.shape[:2]
    if name == "global-histogram":
        return gray, zxingcpp.Binarizer.GlobalHistogram, ident
    if name == "fixed-threshold":
        return gray, zxingcpp.Binarizer.FixedThreshold, ident
    if name == "clahe":
        return _CLAHE.apply(gray), _LA, ident
    if name == "invert":  # light bars on a dark ground: zxing-cpp's try_invert covers 2D codes, not 1D ones
        return cv2.bitwise_not(gray), _LA, ident
    if name == "up2":
        if max(h, w) >= 1600:
            return None
        return cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), _LA, \
            (lambda pts: tuple((x // 2, y // 2) for x, y in pts))
    if name == "clahe-up2":  # small, low-contrast retail codes: contrast first, then more pixels per module
        if max(h, w) >= 1600:
            return None
        return _CLAHE.apply(cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)), _LA, \
            (lambda pts: tuple((x // 2, y // 2) for x, y in pts))
    if name == "clahe-up3":  # the same idea at another scale: an independent second read of a small code
        if max(h, w) >= 1000:
            return None
        return _CLAHE.apply(cv2.resize(gray, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)), _LA, \
            (lambda pts: tuple((x // 3, y // 3) for x, y in pts))
    if name == "up1.5":  # module sizes that fall between the first pass and up2 (small DataMatrix)
        if max(h, w) >= 1600:
            return None
        return cv2.resize(gray, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC), _LA, \
            (lambda pts: tuple((int(x / 1.5), int(y / 1.5)) for x, y in pts))
    if name == "sharpen":
        blur = cv2.GaussianBlur(gray, (0, 0), 2)
        return cv2.addWeighted(gray, 1.8, blur, -0.8, 0), _LA, ident
    if name in ("deskew", "deskew-up2"):
        ang = bar_angle(gray)
        if abs(ang) < 4 or (name == "deskew-up2" and max(h, w) >= 1600):
            return None  # upright already: the first pass saw it as it is
        return _rotated(gray, ang, 2.0 if name == "deskew-up2" else 1.0)
    if name.startswith("rot"):
        img, m = _rotate(gray, float(name[3:]))
        inv = cv2.invertAffineTransform(m)

        def back(pts, inv=inv):
            return tuple((int(inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]),
                          int(inv[1, 0] * x + inv[1, 1] * y + inv[1, 2])) for x, y in pts)
        return img, _LA, back
    if name == "down2":
        if max(h, w) <= 800:
            return None
        return cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), _LA, \
            (lambda pts: tuple((x * 2, y * 2) for x, y in pts))
    return None


# --- 3. confirmation: no wrong reads ------------------------------------------------------------------------------
# Formats whose only protection is a weak check digit (or none): EAN/UPC, ITF, Code39. Their misreads come from a
# few damaged scan lines (through the printed digits, a crease, glare): zxing then reports an outline only a few
# pixels thick, and the same lines often misread the same way after a contrast change, a rotation, or in pyzbar.
# So a text of these formats counts only with *support*: the distinct steps that read it over at least THICK_MIN px
# across the bars (several agreeing scan lines), the same-pixels steps (SAME_PIXELS: first pass, other binarizers,
# CLAHE - one threshold or another over the very same pixels) counting as ONE: they misread together (QA: the
# fixed-threshold and CLAHE steps agreed on 0309525945590 for a UPC-A 309545925190 that upscaled steps read right).
# It counts with support from two, or from the raw first pass alone when that read covers REL_THICK of the symbol's
# length; another same-pixels step's read that thick counts alone only once the whole ladder has run (the camera:
# a whole cycle) without any other text read at that place. And always only with 2 more support than any other text
# read at the same place (a rival read by one step blocks a text read by two): where steps disagree nothing counts.
# pyzbar's texts (the second backend) need zbar to repeat them on two of four perturbed copies of the image.
# Code128 (mod-103 + structure), QR/DataMatrix (Reed-Solomon) and DataBar protect themselves and count at once.
WEAK_FORMATS = RETAIL | {"ITF", "Code39"}
THICK_MIN = 5.0  # px (in the input image) across the bars covered by the agreeing scan lines (capped by the image)
REL_THICK = 0.1  # of the symbol's length: a read this thick from the unmodified pixels counts alone
SAME_PIXELS = ("first", "whole-frame", "global-histogram", "fixed-threshold", "clahe", "invert")  # one piece of evidence
RAW_STEPS = ("first", "whole-frame", "invert")  # zxing-cpp's own binarizer on the unmodified pixels (or their negative)


def _thickness(outline) -> float:
    if len(outline) != 4:
        return 0.0
    o = np.float64(outline)
    return float(min(np.hypot(*(o[3] - o[0])), np.hypot(*(o[2] - o[1]))))


def _length(outline) -> float:
    if len(outline) != 4:
        return 0.0
    o = np.float64(outline)
    return float(max(np.hypot(*(o[1] - o[0])), np.hypot(*(o[2] - o[3]))))


def _overlap(a, b) -> bool:
    """Two reads that may be of one linear symbol: their bounding boxes grown by 8 px + 40% of the long side meet
    (two lines read across one symbol can be as far apart as its bars are tall: an EAN's are ~70% of its width)."""
    if not a or not b:
        return True
    return _meet(_bbox(a, 0.4, 8), _bbox(b, 0.4, 8))


class _Support:
    """Weak-format candidates seen so far (outlines in input coordinates), by step, and their support."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.cands: list[tuple[Decoded, str, bool, bool]] = []  # (result, step, thick, alone)
        # an image only a few px tall (a line-scan crop) cannot give more: then all of it must have agreed
        self.thick_min = min(THICK_MIN, max(0, min(shape[:2]) - 1))

    def add(self, results: list[Decoded], step: str) -> None:
        for r in results:
            t = _thickness(r.outline)
            thick = t >= self.thick_min
            alone = thick and step in MILD_STEPS + RAW_STEPS and (
                t >= REL_THICK * _length(r.outline) or self.thick_min < THICK_MIN)
            self.cands.append((r, step, thick, alone))

    def accepted(self, complete: bool = False) -> list[Decoded]:
        """The confirmed texts; `complete`: every step has run (a thick same-pixels read may then count alone)."""
        steps: dict[str, set[str]] = {}
        alone: set[str] = set()
        for r, step, thick, al in self.cands:
            if thick:
                steps.setdefault(r.text, set()).add("same-pixels" if step in SAME_PIXELS else step)
            if al and (complete or step in RAW_STEPS or self.thick_min < THICK_MIN):
                alone.add(r.text)
        support = {t: len(v) for t, v in steps.items()}
        out: list[Decoded] = []
        for r, _step, thick, _al in self.cands:
            n = support.get(r.text, 0)
            if not thick or any(o.text == r.text for o in out) or not (n >= 2 or r.text in alone):
                continue
            rivals = [support.get(o.text, 0) for o, _s, _t, _a in self.cands
                      if o.text != r.text and _overlap(o.outline, r.outline)]
            if all(v == 0 or n >= v + 2 for v in rivals):
                out.append(r)
        return out


def _same_place(a, b) -> bool:
    """Two outlines whose bounding boxes intersect: two reads of one symbol."""
    if not a or not b:
        return False
    return _meet(_bbox(a), _bbox(b))


def _undisputed(strong: list[Decoded], pool: list[Decoded]) -> list[Decoded]:
    """Code 128 texts no other Code 128 text was read over in `pool`. Mod-103 does not catch every misread: the
    sharpen step read SO-11488 as "SO-'$.x" (held-out stress frame) where the deskew step read it right. Where two
    steps disagree on one symbol, neither counts (the GS1 DataMatrix/QR and DataBar checks are far stronger)."""
    return [r for r in strong if r.format != "Code128" or not any(
        o.format == r.format and o.text != r.text and _same_place(o.outline, r.outline) for o in pool)]


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


def _run_step(gray: np.ndarray, step: str, *, fast: bool = False) -> list[Decoded]:
    """One step on `gray`: check-digit-valid results, outlines in `gray` coordinates (not yet confirmed)."""
    if step == "first":
        return _checked(_zxing(gray, fast=fast))
    if step == "pyzbar":
        return _checked(_pyzbar_confirmed(gray))
    made = _ladder_step(step, gray)
    if made is None:
        return []
    img, binarizer, back = made
    return [Decoded(r.text, r.format, r.gs1, r.symbology, back(r.outline))
            for r in _checked(_zxing(img, binarizer=binarizer))]


def _pyzbar_texts(gray: np.ndarray) -> set[str]:
    return {d.text for d in _pyzbar(gray, retail_only=True)}


def _pyzbar_confirmed(gray: np.ndarray) -> list[Decoded]:
    """pyzbar's retail reads that zbar repeats on at least two of: 0.8x, +-4 deg, a slight blur."""
    found = [d for d in _pyzbar(gray, retail_only=True) if check_digit_ok(d.text, d.format)]
    if not found:
        return []
    again = [_pyzbar_texts(cv2.resize(gray, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)),
             _pyzbar_texts(_rotate(gray, 4)[0]), _pyzbar_texts(_rotate(gray, -4)[0]),
             _pyzbar_texts(cv2.GaussianBlur(gray, (3, 3), 0))]
    return [d for d in found if sum(d.text in t for t in again) >= 2]


def _shift(results: list[Decoded], dx: int, dy: int) -> list[Decoded]:
    if not dx and not dy:
        return results
    return [Decoded(r.text, r.format, r.gs1, r.symbology, tuple((x + dx, y + dy) for x, y in r.outline))
            for r in results]


def _settle(results: list[Decoded], support: _Support, step: str) -> list[Decoded]:
    """Strong-format results count at once; weak ones join `support`; the confirmed set so far."""
    strong = [r for r in results if r.format not in WEAK_FORMATS]
    support.add([r for r in results if r.format in WEAK_FORMATS], step)
    weak = support.accepted()
    return strong + [w for w in weak if all(w.text != s.text for s in strong)]


def decode_image(image: np.ndarray, *, backend: str = "zxing", fast: bool = False,
                 budget_ms: float | None = None) -> list[Decoded]:
    """Decode one image (BGR, BGRA or grey numpy array): the pre-check, the first pass, then the fixed ladder until a
    step leaves a confirmed result. Same input, same output, whatever the machine's load (`budget_ms` is accepted
    for compatibility and ignored: there is no clock in the pipeline). An empty or shapeless array decodes to []."""
    if image is None or image.size == 0 or image.ndim not in (2, 3) or min(image.shape[:2]) == 0:
        return []
    gray = _gray(image)
    boxes = candidate_regions(gray)
    if not boxes:
        return []
    support = _Support(gray.shape)
    if backend == "pyzbar":
        out = _run_step(gray, "pyzbar")
        if out:
            return out
    else:
        out = _settle(_run_step(gray, "first", fast=fast), support, "first")
        if out:
            return out
    roi, dx, dy = _roi(gray, boxes)
    for step in LADDER:
        if backend == "pyzbar" and step == "pyzbar":
            continue
        if step == "pyzbar":
            out = _run_step(roi, step)
        else:
            out = _settle(_shift(_run_step(roi, step), dx, dy), support, step)
        if out:
            return _shift(out, dx, dy) if step == "pyzbar" else out
    return support.accepted(complete=True)  # the whole ladder ran: a thick same-pixels read without rival counts


class FrameDecoder:
    """The live camera's decoder: the same steps as decode_image, spread over consecutive frames so that every frame
    costs at most the pre-check, the first pass and ONE more step (frame n runs STEPS[n mod cycle]: the first pass on
    the whole frame - the pre-check may box only part of a low-contrast code, and the first pass of every frame sees
    only its boxes - then the ladder); support for weak-format texts is pooled over the last `cycle` frames, so that
    every step has had its say. Nothing depends on the clock: a recorded frame sequence decodes the same under any
    load. `regions` holds the pre-check's boxes of the last frame (the camera asks whether anything else
    barcode-like is in view)."""

    STEPS = ("whole-frame",) + LADDER

    def __init__(self, backend: str = "zxing") -> None:
        self.backend = backend
        self._n = 0
        self._recent: list[list[tuple[str, list[Decoded]]]] = []
        self.regions: list[tuple[int, int, int, int]] = []

    @property
    def cycle(self) -> int:
        """Frames for every step to run once."""
        return len(self.STEPS)

    def decode(self, image: np.ndarray) -> list[Decoded]:
        gray = _gray(image)
        boxes = self.regions = candidate_regions(gray)
        if not boxes:
            self._recent.clear()
            return []
        step = self.STEPS[self._n % self.cycle]
        self._n += 1
        roi, dx, dy = _roi(gray, boxes)
        if self.backend == "pyzbar":
            first = _shift(_run_step(roi, "pyzbar"), dx, dy)
            if first:
                return first
        else:
            first = _shift(_run_step(roi, "first"), dx, dy)
        done = _settle(first, _Support(gray.shape), "first")
        # the ladder step is skipped only when the first pass explains every barcode-like box: a second code beside
        # one the first pass reads must still be looked for (the camera counts nothing while two are in view)
        explained = bool(done) and all(any(under(b, r.outline) for r in done) for b in boxes)
        got = [("first", first)]
        if step == "whole-frame":
            if roi.shape != gray.shape:  # else the first pass above was this step
                got.append((step, _run_step(gray, "first")))
        elif not explained and not (step == "pyzbar" and self.backend == "pyzbar"):
            got.append((step, _shift(_run_step(roi, step), dx, dy)))
        self._recent = (self._recent + [got])[-self.cycle:]
        support = _Support(gray.shape)
        strong: list[Decoded] = []
        for frame in self._recent:
            for st, results in frame:
                strong += [r for r in results if r.format not in WEAK_FORMATS and r.text not in {x.text for x in strong}]
                support.add([r for r in results if r.format in WEAK_FORMATS], st)
        strong = _undisputed(strong, [r for frame in self._recent for _st, results in frame for r in results])
        now = {r.text for _st, results in got for r in results}
        # only what this frame saw is reported; the support pooled over recent frames decides whether a weak text counts
        weak = support.accepted(complete=len(self._recent) >= self.cycle)
        return [r for r in strong if r.text in now] + [w for w in weak if w.text in now]


def load_image(path: str | Path) -> np.ndarray | None:
    """Read any image OpenCV or Pillow can (webp, png, jpg, gif...); None if unreadable."""
    p = str(path)
    if not Path(p).is_file():
        return None
    try:
        img = cv2.imread(p, cv2.IMREAD_COLOR)
    except cv2.error:  # a header claiming 60000×60000: OpenCV refuses it with an assertion, Pillow as a bomb
        img = None
    if img is not None:
        return img
    try:
        from PIL import Image

        with Image.open(p) as im:
            return cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)
    except Exception:
        return None


def decode_file(path: str | Path, **kw) -> list[Decoded]:
    if Path(path).is_dir():  # "no such file" for a folder that is there sent the technician looking for it
        raise ValueError(f"a folder, not an image file: {path} (name the images in it: {Path(path) / '*.png'})")
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
