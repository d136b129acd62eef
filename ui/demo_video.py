"""A short demo video for the camera stand-in: a product's barcode (EAN-13 when the code is one, else Code 128)
held under the camera on a grey table for a moment, written with cv2.VideoWriter (Motion-JPEG in .avi, which
every OpenCV build reads back). Deterministic: the same code gives the same frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import zxingcpp

SIZE = (640, 480)  # w, h
FPS = 10


def barcode_image(code: str, scale: int = 3) -> np.ndarray:
    fmt = zxingcpp.BarcodeFormat.EAN13 if len(code) == 13 and code.isdigit() else zxingcpp.BarcodeFormat.Code128
    img = np.array(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(code, fmt), scale=scale))
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def make_barcode_video(path: Path, code: str, *, blank_s: float = 0.5, held_s: float = 2.0) -> Path:
    """blank table, the item with its barcode drifting slowly under the lens, blank table again."""
    w, h = SIZE
    path.parent.mkdir(parents=True, exist_ok=True)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
    if not out.isOpened():
        raise RuntimeError(f"cannot write a video to {path}")
    table = np.full((h, w, 3), (96, 104, 112), np.uint8)
    label = cv2.cvtColor(barcode_image(code), cv2.COLOR_GRAY2BGR)
    lh, lw = label.shape[:2]
    pad = 24
    card = np.full((lh + 2 * pad, lw + 2 * pad, 3), 250, np.uint8)  # the white product label
    card[pad:pad + lh, pad:pad + lw] = label
    ch, cw = card.shape[:2]
    try:
        for _ in range(int(blank_s * FPS)):
            out.write(table)
        n = int(held_s * FPS)
        for i in range(n):
            frame = table.copy()
            x = (w - cw) // 2 + int(10 * np.sin(i / max(n, 1) * np.pi))
            y = (h - ch) // 2 + i % 3
            frame[y:y + ch, x:x + cw] = card
            out.write(frame)
        for _ in range(int(blank_s * FPS)):
            out.write(table)
    finally:
        out.release()
    return path
