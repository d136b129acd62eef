"""Device figures for `packstation bench`: decoder speed, hit rate on the public corpus, false positives.

Matching rule (used for our pipeline AND for zxing-cpp bare, so the comparison is fair): an image is a hit when any
result equals the manifest's expected text after normalisation: line ends (\\r\\n -> \\n) and surrounding blanks,
control characters rendered as <GS> or as Unicode control pictures compared as the character itself,
GS1 element strings compared without HRI parentheses / FNC1 separators, retail numbers (EAN/UPC) compared as GTIN-14
(UPC-E expanded to UPC-A first).
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path



def _find_corpus() -> Path:
    """`../shared/corpus/barcodes/zxing` beside the checkout; from a git worktree, beside the main checkout;
    $PACKSTATION_CORPUS overrides."""
    import os

    if os.environ.get("PACKSTATION_CORPUS"):
        return Path(os.environ["PACKSTATION_CORPUS"])
    root = Path(__file__).resolve().parent.parent
    rel = Path("shared") / "corpus" / "barcodes" / "zxing"
    cand = root.parent / rel
    dotgit = root / ".git"
    if not cand.exists() and dotgit.is_file():  # a worktree: .git says "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dotgit.read_text(encoding="utf-8").split("gitdir:", 1)[-1].strip())
        if gitdir.parent.name == "worktrees":
            cand = gitdir.parent.parent.parent.parent / rel
    return cand


CORPUS = _find_corpus()
RETAIL = {"EAN13", "EAN8", "UPCA", "UPCE"}
_ASCII_CTRL = ["NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
               "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"]
_CTRL_NAMES = re.compile("<(" + "|".join(_ASCII_CTRL) + ")>")


def normalise(text: str, fmt: str = "") -> str:
    from hardware.decode import gs1_mod10_ok, upce_to_upca

    t = _CTRL_NAMES.sub(lambda m: chr(_ASCII_CTRL.index(m.group(1))), text)
    t = "".join(chr(ord(c) - 0x2400) if 0x2400 <= ord(c) <= 0x241F else c for c in t)  # control pictures
    t = t.replace("\r\n", "\n").strip()
    if t.startswith("(") and ")" in t:  # GS1 HRI "(01)0950..." -> "010950..."
        t = t.replace("(", "").replace(")", "")
    t = t.replace("\x1d", "")
    if t.isdigit():
        if len(t) == 8 and fmt == "UPCE" and gs1_mod10_ok(upce_to_upca(t)):
            t = upce_to_upca(t)
        if len(t) in (8, 12, 13) and gs1_mod10_ok(t):
            t = t.zfill(14)
    return t


def _manifest(name: str = "manifest.csv") -> list[dict]:
    with open(CORPUS / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def hit(expected: str, results: list[tuple[str, str]]) -> bool:
    want = {normalise(expected, f) for _t, f in results} | {normalise(expected)}
    return any(normalise(t, f) in want for t, f in results)


def corpus_rates(pipeline: bool = True) -> dict[str, tuple[int, int]]:
    """{format: (hits, total)} over manifest.csv, for our pipeline or zxing-cpp bare."""
    import zxingcpp

    from hardware.decode import decode_file, load_image

    out: dict[str, list[int]] = {}
    for row in _manifest():
        p = CORPUS / row["path"]
        if pipeline:
            res = [(d.text, d.format) for d in decode_file(p)]
        else:
            img = load_image(p)
            res = [] if img is None else [(b.text, str(b.format).split(".")[-1])
                                          for b in zxingcpp.read_barcodes(img)]
        h = out.setdefault(row["format"], [0, 0])
        h[0] += hit(row["expected_text"], res)
        h[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _rate(rates) -> float:
    return round(sum(h for h, _ in rates.values()) / sum(t for _, t in rates.values()), 4)


def decode_hit_rate_zxing_corpus(workdir: Path) -> float:
    return _rate(corpus_rates(True))


def decode_hit_rate_zxing_bare(workdir: Path) -> float:
    return _rate(corpus_rates(False))


def decode_false_positive_rate(workdir: Path) -> float:
    from hardware.decode import decode_file

    rows = _manifest("manifest_falsepositives.csv")
    return round(sum(1 for r in rows if decode_file(CORPUS / r["path"])) / len(rows), 4)


def make_720p_frame():
    """A 1280x720 camera-like frame: an EAN-13 (rendered by zxing-cpp's writer, 4 px a module) on a grey desk, slightly blurred."""
    import cv2
    import numpy as np
    import zxingcpp

    bc = zxingcpp.create_barcode("4006381333931", zxingcpp.BarcodeFormat.EAN13)
    sym = np.asarray(zxingcpp.write_barcode_to_image(bc, scale=4))
    frame = np.full((720, 1280), 140, np.uint8)
    y, x = (720 - sym.shape[0]) // 2, (1280 - sym.shape[1]) // 2
    frame[y:y + sym.shape[0], x:x + sym.shape[1]] = sym
    frame = cv2.GaussianBlur(frame, (3, 3), 0)
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def decode_fps_720p(workdir: Path) -> float:
    from hardware.decode import decode_image

    frame = make_720p_frame()
    assert decode_image(frame), "benchmark frame did not decode"
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        decode_image(frame)  # exactly what the camera worker calls
        n += 1
    return round(n / (time.perf_counter() - t0), 1)


def decode_ms_720p_no_barcode(workdir: Path) -> float:
    """Worst case per frame: a 1280x720 frame with nothing to read runs the first pass, pyzbar and the retry ladder
    up to its budget. Median ms over 20 frames."""
    import statistics

    import cv2
    import numpy as np

    from hardware.decode import decode_image

    frame = cv2.GaussianBlur(np.random.default_rng(0).integers(90, 170, (720, 1280, 3), dtype=np.uint8), (5, 5), 0)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        decode_image(frame)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


FIGURES = {
    "decode_ms_720p_no_barcode": decode_ms_720p_no_barcode,
    "decode_fps_720p": decode_fps_720p,
    "decode_hit_rate_zxing_corpus": decode_hit_rate_zxing_corpus,
    "decode_hit_rate_zxing_bare": decode_hit_rate_zxing_bare,
    "decode_false_positive_rate": decode_false_positive_rate,
}
