"""Camera worker fed from real files (images written to tmp, a video file, a corpus photo read in place)."""

from __future__ import annotations

import queue
import time

import cv2
import numpy as np
import pytest
import zxingcpp

from app.config import CameraSettings
from app.scans import ScanSource
from hardware.benchmarks import CORPUS
from hardware.camera import CameraScanner
from hardware.decode import FrameDecoder


def frame_with(text: str | None, fmt=zxingcpp.BarcodeFormat.EAN13) -> np.ndarray:
    frame = np.full((480, 640), 150, np.uint8)
    if text:
        sym = np.asarray(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, fmt), scale=3))
        y, x = (480 - sym.shape[0]) // 2, (640 - sym.shape[1]) // 2
        frame[y:y + sym.shape[0], x:x + sym.shape[1]] = sym
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def write_folder(tmp_path, codes):
    d = tmp_path / "frames"
    d.mkdir()
    for i, c in enumerate(codes):
        text, fmt = c if isinstance(c, tuple) else (c, zxingcpp.BarcodeFormat.EAN13)
        cv2.imwrite(str(d / f"{i:03d}.png"), frame_with(text, fmt))
    return d


def run_until_finished(cam, timeout=20):
    scans, statuses, previews = [], queue.Queue(), []
    cam.start(scans.append, statuses.put, on_preview=lambda f, o: previews.append((f.shape, o)))
    assert cam.finished.wait(timeout)
    cam.stop()
    return scans, previews


def test_folder_of_images_confirmed_once_per_appearance(tmp_path):
    qr = ("https://example.com/o/42", zxingcpp.BarcodeFormat.QRCode)
    d = write_folder(tmp_path, ["4006381333931", "4006381333931", None, None, None, qr])
    cam = CameraScanner.from_settings(CameraSettings(kind="files", device=str(d)), frames_per_image=2,
                                      confirm_frames=2, gone_frames=3, preview_fps=1000)
    scans, previews = run_until_finished(cam)
    assert [(s.text, s.source, s.symbology) for s in scans] == [
        ("4006381333931", ScanSource.CAMERA, "]E0"), ("https://example.com/o/42", ScanSource.CAMERA, "]Q1")]
    assert any(o and len(o[0]) == 4 for _shape, o in previews)  # preview carries the symbol outline
    assert previews[0][0] == (480, 640, 3)


def test_a_code_seen_in_single_frames_more_than_a_ladder_cycle_apart_is_not_accepted(tmp_path):
    gap = [None] * (len(FrameDecoder.STEPS) + 3)
    d = write_folder(tmp_path, ["4006381333931", *gap, "4006381333931", None])
    cam = CameraScanner(str(d), "files", frames_per_image=1, confirm_frames=2)
    scans, _ = run_until_finished(cam)
    assert scans == []


def test_code_out_of_view_for_two_ladder_cycles_and_back_is_emitted_again(tmp_path):
    """Gone = unread for two ladder cycles (36 frames, 1.2 s at 30 fps): then the same code shown again counts."""
    ean8 = ("96385074", zxingcpp.BarcodeFormat.EAN8)
    d = write_folder(tmp_path, [ean8, None, None, ean8])
    cam = CameraScanner(str(d), "files", frames_per_image=20, confirm_frames=2)
    scans, _ = run_until_finished(cam)
    assert [s.text for s in scans] == ["96385074", "96385074"]


def test_a_upc_e_label_is_scanned_as_its_eight_digits_and_matches_its_product(tmp_path):
    """zxing-cpp 3 reports a UPC-E as its GTIN-13 expansion, which failed the 8-digit UPC-E check: every UPC-E the
    first pass read was dropped as a bad check digit (only zbar's rung, one frame in sixteen, still read some).
    The label's own 8 digits are scanned, as a wedge types them, and they match the product's GTIN."""
    from app.barcodes import normalise

    upce = ("01234565", zxingcpp.BarcodeFormat.UPCE)
    d = write_folder(tmp_path, [upce, upce])
    cam = CameraScanner(str(d), "files", frames_per_image=2, confirm_frames=2)
    scans, _ = run_until_finished(cam)
    assert [(s.text, s.symbology) for s in scans] == [("01234565", "]E0")]
    assert normalise(scans[0]).code == "00012345000065"  # UPC-A 012345000065


@pytest.mark.skipif(not (CORPUS / "manifest.csv").exists(), reason="barcode corpus not present")
def test_corpus_photo_as_camera(tmp_path):
    # a real pack: its printed text passes the pre-check too, so the code waits a ladder cycle for a second one
    cam = CameraScanner(str(CORPUS / "ean13-1" / "10.webp"), "files", frames_per_image=20, confirm_frames=2)
    scans, _ = run_until_finished(cam)
    assert [s.text for s in scans] == ["8480010001136"]


def test_no_camera_is_reported_at_once(tmp_path):
    statuses = []
    cam = CameraScanner(str(tmp_path / "no-such-camera.avi"), "opencv")
    cam.start(lambda s: None, statuses.append)
    assert statuses and statuses[-1].state == "no_device" and not statuses[-1].ok
    assert "摄像头" in statuses[-1].text("zh_CN") and "No camera" in statuses[-1].en
    cam.stop()


def test_camera_lost_mid_shift_is_reported_and_reopened(tmp_path):
    video = tmp_path / "cam.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    assert w.isOpened()
    for _ in range(4):
        w.write(frame_with("4006381333931"))
    w.release()
    statuses = queue.Queue()
    scans = []
    cam = CameraScanner(str(video), "opencv", retry_s=0.05, confirm_frames=2)
    cam.start(scans.append, statuses.put)
    try:
        seen = []
        end = time.monotonic() + 10
        while time.monotonic() < end and "ready-again" not in seen:
            st = statuses.get(timeout=max(0.01, end - time.monotonic()))
            if st.state == "disconnected":
                seen.append("disconnected")
            elif st.state == "ready" and "disconnected" in seen:
                seen.append("ready-again")
        assert seen[:2] == ["disconnected", "ready-again"]
        assert scans and scans[0].text == "4006381333931"
    finally:
        cam.stop()


# --- what one presentation counts (QA: one unit held still counted 4 times, a dual-marked pack twice) ------------

def label(text: str, fmt, scale: int, angle: float = 0.0, gs1: bool = False, ink: int = 0, paper: int = 250):
    """A printed label: the symbol (zxing-cpp's writer) on white card with a quiet margin, turned by `angle`;
    `ink`/`paper` set its contrast. Returns (grey image, mask of the card)."""
    sym = np.asarray(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, fmt, gs1=gs1), scale=scale))
    pad = max(10, sym.shape[0] // 8)
    card = np.full((sym.shape[0] + 2 * pad, sym.shape[1] + 2 * pad), paper, np.uint8)
    card[pad:pad + sym.shape[0], pad:pad + sym.shape[1]] = np.where(sym < 128, ink, paper)
    h, w = card.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    img = cv2.warpAffine(card, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=0)
    mask = cv2.warpAffine(np.full_like(card, 255), m, (nw, nh), flags=cv2.INTER_NEAREST, borderValue=0)
    return img, mask


def bench(*placed) -> np.ndarray:
    """A 1280x720 grey pack bench with labels centred at (x, y) fractions of the frame."""
    frame = np.full((720, 1280), 110, np.uint8)
    for (img, mask), (fx, fy) in placed:
        h, w = img.shape
        x, y = int(1280 * fx - w / 2), int(720 * fy - h / 2)
        roi = frame[y:y + h, x:x + w]
        roi[mask > 0] = img[mask > 0]
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def shown(tmp_path, frames_per_image: int, *frames):
    """Scans and statuses of the camera (default settings, as the station makes it) shown these frames in turn."""
    d = tmp_path / "shown"
    d.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(d / f"{i:03d}.png"), f)
    cam = CameraScanner.from_settings(CameraSettings(kind="files", device=str(d)), frames_per_image=frames_per_image)
    scans, statuses = [], []
    cam.start(scans.append, statuses.append)
    assert cam.finished.wait(120)
    cam.stop()
    return [s.text for s in scans], statuses


EAN13 = zxingcpp.BarcodeFormat.EAN13


def test_packer_holds_one_tilted_unit_still_for_2_s_and_it_counts_once(tmp_path):
    """One EAN-13 tilted 45°: only the deskew, rotation and zbar steps read it, one ladder step a frame, so it was
    read in bursts 16 frames apart and each gap (>= 3 frames) was taken for the item leaving: 60 frames, 4 scans."""
    scans, _ = shown(tmp_path, 60, bench((label("4006381333931", EAN13, 3, 45), (0.5, 0.5))))
    assert scans == ["4006381333931"]


@pytest.mark.parametrize("name, make, want", [
    ("EAN-13 at 30°", lambda: label("4006381333931", EAN13, 3, 30), "4006381333931"),
    ("GS1-128 at 30°", lambda: label("(01)09506000134352(17)271231(10)D9T", zxingcpp.BarcodeFormat.Code128, 3, 30,
                                     gs1=True), "01095060001343521727123110D9T"),
    ("Code 128 at 20 grey levels of contrast", lambda: label("SO-1006", zxingcpp.BarcodeFormat.Code128, 3, 0,
                                                              ink=150, paper=170), "SO-1006"),
])
def test_a_code_only_some_ladder_steps_read_is_still_sent_once(tmp_path, name, make, want):
    """Confirmation wanted two consecutive frames, but these are read by one ladder step in a cycle (or, low
    contrast, only by a first pass over the whole frame, where the pre-check boxed part of it): 48 frames, no scan."""
    scans, _ = shown(tmp_path, 48, bench((make(), (0.5, 0.5))))
    assert scans == [want], name


def test_a_dual_marked_pack_ean_and_gs1_datamatrix_of_one_gtin_counts_once_with_its_lot(tmp_path):
    ean = label("6900000000311", EAN13, 3)
    dm = label("(01)06900000000311(17)271231(10)L1", zxingcpp.BarcodeFormat.DataMatrix, 6, gs1=True)
    scans, statuses = shown(tmp_path, 60, bench((ean, (0.35, 0.5)), (dm, (0.72, 0.5))))
    assert scans == ["0106900000000311172712311" "0L1"]  # the DataMatrix: GTIN, expiry and lot in one scan
    assert not any("Two codes" in s.en for s in statuses)


def test_a_unit_beside_its_case_label_counts_nothing_until_the_case_label_is_taken_away(tmp_path):
    """A unit's EAN-13 and its case's GS1-128 (another GTIN, 12 inside) in view: the station counted 1 + 12.
    Now nothing is sent and the camera says to show one at a time; with the case label gone the unit counts."""
    unit = label("4006381333931", EAN13, 3)
    case = label("(01)14006381333938(30)12", zxingcpp.BarcodeFormat.Code128, 2, gs1=True)
    both = bench((unit, (0.3, 0.3)), (case, (0.5, 0.75)))
    scans, statuses = shown(tmp_path, 45, both, bench((unit, (0.3, 0.3))))
    assert scans == ["4006381333931"]
    said = [s.en for s in statuses]
    two = said.index("Two codes in view: show one at a time")
    assert any(t.startswith("Camera ready (") for t in said[two + 1:])  # said until the case label is gone


def test_two_different_items_in_view_count_nothing(tmp_path):
    a, b = label("4006381333931", EAN13, 3), label("6901234567892", EAN13, 3)
    scans, statuses = shown(tmp_path, 60, bench((a, (0.3, 0.5)), (b, (0.72, 0.5))))
    assert scans == []
    two = [s for s in statuses if s.en == "Two codes in view: show one at a time"]
    assert two and two[0].ok and two[0].state == "ready"  # the camera still works: nothing to fix but the view
    assert two[0].text("zh_CN") != two[0].en  # the packer reads it in Chinese too
