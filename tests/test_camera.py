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


def test_a_code_seen_in_a_single_frame_is_not_accepted(tmp_path):
    d = write_folder(tmp_path, ["4006381333931", None, "4006381333931", None])
    cam = CameraScanner(str(d), "files", frames_per_image=1, confirm_frames=2)
    scans, _ = run_until_finished(cam)
    assert scans == []


def test_code_leaving_view_and_returning_is_emitted_again(tmp_path):
    ean8 = ("96385074", zxingcpp.BarcodeFormat.EAN8)
    d = write_folder(tmp_path, [ean8, None, None, ean8])
    cam = CameraScanner(str(d), "files", frames_per_image=2, confirm_frames=2, gone_frames=3)
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
    cam = CameraScanner(str(CORPUS / "ean13-1" / "10.webp"), "files", frames_per_image=3, confirm_frames=2)
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
