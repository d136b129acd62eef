"""Webcam scanner on a worker thread (plain threading), with files standing in for a camera.

    cam = CameraScanner.from_settings(settings.devices.camera)   # kind "opencv" (index or URL) / "files"
    cam.start(on_scan, on_status, on_preview=fn(frame_rgb, outlines))
    cam.stop()

- Frames come from cv2.VideoCapture (camera index, video file, stream URL) or a folder of images (each image is
  shown for `frames_per_image` frames, as if a label were held in front of the lens).
- Each frame goes through hardware.decode.FrameDecoder: the same steps as `packstation decode`, but at most the
  pre-check, the first pass and one ladder step a frame (the ladder is spread over consecutive frames; no clock),
  so an empty frame costs ~2 ms and a recorded sequence gives the same scans under any CPU load.
- What counts (hardware.presentation.Presentations): a code read in `confirm_frames` (2) frames within a ladder
  cycle of each other is sent once while it stays in view; it has left when unread for `gone_frames` (default two
  ladder cycles, 36 frames: 1.2 s at 30 fps, never less than a cycle + 2). Codes of one item (same GTIN) count once;
  with codes of two different items in view nothing is sent and the status says "Two codes in view: show one at a
  time" (state stays "ready").
- on_preview gets an RGB frame and the outlines (4 corner points) of the symbols found, at most `preview_fps` a
  second.
- "No camera" is reported at once by start() (isOpened() false): status "no_device"; a camera that stops
  delivering frames mid-shift is reported ("disconnected") and reopened every `retry_s` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2

from app.i18n import N_, Msg
from app.scans import RawScan, ScanSource
from hardware.decode import FrameDecoder, load_image
from hardware.devices import CallbackSink, DeviceStatus, status
from hardware.presentation import Presentations

log = logging.getLogger(__name__)
# the camera's status while codes of two different items are in view (nothing is sent): the preview says it
TWO_CODES = N_("Two codes in view: show one at a time")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".pgm"}


class FolderSource:
    """A folder (or list) of images as a camera: read() -> (ok, frame); ends when the images are exhausted."""

    def __init__(self, paths, frames_per_image: int = 3, loop: bool = False):
        self.paths = list(paths)
        self.frames_per_image = max(1, frames_per_image)
        self.loop = loop
        self._i = 0
        self._frame = None

    def isOpened(self) -> bool:  # noqa: N802 (cv2 API)
        return bool(self.paths)

    def read(self):
        n = len(self.paths) * self.frames_per_image
        if self._i >= n:
            if not self.loop or not n:
                return False, None
            self._i = 0
        idx, sub = divmod(self._i, self.frames_per_image)
        if sub == 0:
            self._frame = load_image(self.paths[idx])
        self._i += 1
        return self._frame is not None, self._frame

    def release(self) -> None:
        pass


def open_source(device: str, kind: str, width: int = 1280, height: int = 720, frames_per_image: int = 3,
                loop: bool = False):
    p = Path(device)
    if kind == "files" and p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        return FolderSource(files, frames_per_image, loop)
    if kind == "files" and p.suffix.lower() in IMAGE_SUFFIXES:
        return FolderSource([p], frames_per_image, loop)
    cap = cv2.VideoCapture(int(device) if device.isdigit() else device)
    if kind == "opencv" and device.isdigit():
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # decode the newest frame, not a queue of stale ones
    return cap


class CameraScanner:
    def __init__(self, device: str = "0", kind: str = "opencv", backend: str = "zxing", *, width: int = 1280,
                 height: int = 720, confirm_frames: int = 2, gone_frames: int | None = None, frames_per_image: int = 3,
                 loop: bool = False, fps: float = 0.0, retry_s: float = 2.0, preview_fps: float = 10.0,
                 budget_ms: float | None = None):
        self.device, self.kind, self.backend = str(device), kind, backend
        self.name = f"camera:{device}"
        self.width, self.height = width, height
        self.confirm_frames, self.gone_frames = max(1, confirm_frames), gone_frames  # None: two ladder cycles
        self.frames_per_image, self.loop, self.fps = frames_per_image, loop, fps
        self.retry_s, self.preview_fps = retry_s, preview_fps  # budget_ms: accepted, unused (no clock in decoding)
        self._sink = CallbackSink()
        self._on_preview = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cap = None
        self.finished = threading.Event()  # a file source has been played to the end
        self.frames = 0

    @classmethod
    def from_settings(cls, s, **kw) -> CameraScanner:
        return cls(s.device, s.kind, s.backend, width=s.width, height=s.height, **kw)

    def status(self) -> DeviceStatus:
        return self._sink.current

    def start(self, on_scan, on_status, on_preview=None) -> None:
        self._sink.on_value, self._sink.on_status, self._on_preview = on_scan, on_status, on_preview
        self._cap = self._open()
        if self._cap is None:
            self._sink.set_status(status(False, "no_device", Msg("No camera at {device}", device=repr(self.device))))
            return
        self._sink.set_status(status(True, "ready", Msg("Camera ready ({device})", device=self.device)))
        self._stop.clear()
        self.finished.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Camera stopped")))

    def _open(self):
        try:
            cap = open_source(self.device, self.kind, self.width, self.height, self.frames_per_image, self.loop)
        except Exception as exc:
            log.warning("camera %s: %s", self.device, exc)
            return None
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def _run(self) -> None:
        decoder = FrameDecoder(self.backend)
        seen = Presentations(decoder.cycle, self.confirm_frames, hysteresis=self.gone_frames)
        conflict: tuple[str, ...] = ()
        last_preview = 0.0
        period = 1.0 / self.fps if self.fps > 0 else 0.0
        while not self._stop.is_set():
            t0 = time.monotonic()
            ok, frame = self._cap.read()
            if not ok or frame is None:
                if isinstance(self._cap, FolderSource) or self.kind == "files":
                    self._sink.set_status(status(True, "finished", Msg("Camera stand-in files finished")))
                    self.finished.set()
                    return
                self._reconnect()
                continue
            self.frames += 1
            try:
                results = decoder.decode(frame)
            except Exception:
                log.exception("decode failed on a frame")
                results = []
            for r in seen.frame(self.frames, results, decoder.regions):
                self._sink.value(RawScan(r.text, source=ScanSource.CAMERA, symbology=r.symbology))
            if seen.conflict != conflict:
                conflict = seen.conflict
                if conflict:  # nothing is sent while they are; the packer reads why, the log says which
                    log.info("camera: codes of different items in view at once: %s", ", ".join(conflict))
                self._sink.set_status(status(True, "ready", Msg(TWO_CODES)) if conflict
                                      else status(True, "ready", Msg("Camera ready ({device})", device=self.device)))
            if self._on_preview is not None and time.monotonic() - last_preview >= 1.0 / self.preview_fps:
                last_preview = time.monotonic()
                try:
                    self._on_preview(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), [r.outline for r in results])
                except Exception:
                    log.exception("preview callback failed")
            if period:
                self._stop.wait(max(0.0, period - (time.monotonic() - t0)))

    def _reconnect(self) -> None:
        self._sink.set_status(status(False, "disconnected", Msg(
            "Camera {device} stopped sending frames; retrying", device=repr(self.device))))
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        while not self._stop.is_set():
            self._stop.wait(self.retry_s)
            if self._stop.is_set():
                return
            cap = self._open()
            if cap is not None:
                self._cap = cap
                self._sink.set_status(status(True, "ready", Msg("Camera ready again ({device})", device=self.device)))
                return
