"""Builds everything a station window needs from the settings (the composition root of the GUI):
core + workflow, sync service, print spool, scanner and scale — real or simulated as configured.
The demo adds the reference OMS on loopback behind a fault proxy (its "offline" toggle)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import Settings
from app.core import StationCore, open_core
from app.workflow import Station

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    core: StationCore
    station: Station
    sync: Any = None  # sync.service.SyncService
    spool: Any = None  # hardware.printing.spool.PrintSpool
    scale: Any = None
    scanner: Any = None
    sim_scanner: Any = None  # demo: the virtual scanner panel's device
    camera: Any = None  # hardware.camera.CameraScanner (configured kind != "none")
    camera_autostart: bool = True  # False: a file stand-in played on demand (the demo's "show to camera")
    oms: Any = None  # demo: reference OMS handle
    proxy: Any = None  # demo: FaultProxy between station and OMS
    extras: dict = field(default_factory=dict)
    preview_sinks: list = field(default_factory=list)  # fn(frame_rgb, outlines), called on the camera's thread
    camera_frames: int = 0  # frames the running camera has delivered (the station check's proof of life)
    camera_status_sinks: list = field(default_factory=list)  # fn(DeviceStatus), called on the camera's thread
    _bridge: Any = None

    def _on_camera_frame(self, frame, outlines) -> None:
        self.camera_frames += 1
        for sink in list(self.preview_sinks):
            sink(frame, outlines)

    def start_camera(self) -> None:
        """(Re)start the camera: its scans take the wedge's path (bridge.scan → the window's on_scan)."""
        if self.camera is None or self._bridge is None:
            return
        self.camera.stop()
        self.camera.start(self._bridge.on_scan, self._on_camera_status, self._on_camera_frame)

    def _on_camera_status(self, st) -> None:
        for sink in list(self.camera_status_sinks):  # the preview says "two codes in view" (it was thrown away)
            sink(st)

    def camera_running(self) -> bool:
        st = self.camera.status() if self.camera is not None else None
        return st is not None and st.ok and st.state in ("ready",)

    def image_for(self, url: str, *, screen: bool = False) -> Path | None:
        """The cached file of a product image (what the slip prints from), or with `screen` the work screen's
        rendition of it (`sync.images.screen_rendition`: it may decode a photo, so call it off the GUI thread).
        None when it is not cached or cannot be shown."""
        if not url or self.sync is None:
            return None
        images = self.sync.images
        try:
            return images.screen_path_for(url) if screen else images.path_for(url)
        except Exception:
            log.exception("picture %s not found", url)
            return None

    def start(self, bridge) -> None:
        """Start the worker threads; their callbacks go through the bridge to the GUI thread."""
        self._bridge = bridge
        if self.camera is not None and self.camera_autostart:
            self.start_camera()
        if self.sync is not None:
            self.sync.add_listener(bridge.on_sync)
            self.sync.start()
        if self.spool is not None:
            self.spool.on_update = bridge.on_print_update
            self.spool.on_status = bridge.on_printer_status
            self.spool.start()
        if self.scanner is not None:
            self.scanner.start(bridge.on_scan, bridge.on_scanner_status)
        if self.sim_scanner is not None:
            self.sim_scanner.start(bridge.on_scan, bridge.on_scanner_status)
        if self.scale is not None:
            self.scale.start(bridge.on_weight, bridge.on_scale_status)

    def close(self) -> None:
        for name in ("scale", "scanner", "sim_scanner", "camera"):
            dev = getattr(self, name)
            if dev is not None:
                try:
                    dev.stop()
                except Exception:
                    log.exception("stopping %s", name)
        if self.spool is not None:
            self.spool.stop()
        if self.sync is not None:
            self.sync.stop()
        if self.proxy is not None:
            self.proxy.stop()
        if self.oms is not None:
            self.oms.stop()
        self.core.close()


def build_services(settings: Settings, *, demo: bool = False) -> Services:
    oms = proxy = sim_scanner = None
    if demo:
        from sync.oms_server import serve_in_thread
        from sync.proxy import FaultProxy

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        oms = serve_in_thread(settings.data_dir / "oms.sqlite3", seed="demo")
        proxy = FaultProxy(oms.port).start()
        settings.oms.url = proxy.url
        # the demo OMS issues this station's own credential (0600 file), as an OMS administrator would
        settings.oms.token_file = str(oms.write_token_file(settings.station.id, settings.data_dir / "oms-token"))
        if settings.devices.camera.kind == "files" and settings.devices.camera.device.endswith(DEMO_VIDEO):
            demo_camera_video(settings)
    core = open_core(settings)
    station = Station(core)
    sync = spool = scale = scanner = None
    try:
        from sync.service import SyncService

        sync = SyncService(core, settings)
    except Exception as exc:  # e.g. a token file with bad permissions: say so, work offline
        log.error("OMS sync unavailable: %s", exc)
    from hardware.printing import make_printers
    from hardware.printing.spool import PrintSpool

    svc = Services(settings=settings, core=core, station=station, sync=sync, oms=oms, proxy=proxy)
    spool = PrintSpool(core, make_printers(settings), image_for=svc.image_for, poll_interval_s=5.0)
    from hardware.scale import make_scale
    from hardware.scanners import make_scanner

    scale = make_scale(settings.devices.scale)
    scanner = make_scanner(settings.devices.scanner)
    if demo:
        from hardware.simulated import SimulatedScanner

        sim_scanner = SimulatedScanner()
    svc.spool, svc.scale, svc.scanner, svc.sim_scanner = spool, scale, scanner, sim_scanner
    svc.camera, svc.camera_autostart = make_camera(settings, demo=demo)
    return svc


def make_camera(settings: Settings, *, demo: bool = False):
    """The configured camera, or None. A video file or image folder plays at its own pace (10 frames a second),
    a live camera as fast as frames are decoded. In the demo a file camera plays when the panel asks."""
    cam = settings.devices.camera
    if cam.kind == "none":
        return None, False
    from hardware.camera import CameraScanner

    is_file = cam.kind == "files" or not cam.device.isdigit() and Path(cam.device).exists()
    try:
        return CameraScanner.from_settings(cam, fps=10.0 if is_file else 0.0), not (demo and is_file)
    except Exception as exc:  # a bad setting: the station check says so, the station runs on the wedge
        log.error("camera unavailable: %s", exc)
        return None, False


def demo_settings(data_dir: Path, base: Settings | None = None) -> Settings:
    """The demo station's settings: `base` (a station TOML given with --config: the idle logout, the steps, the
    weight tolerance, the language …; defaults without it), with the demo's own data folder, station, simulated
    devices and printers (its reference OMS is set up by `build_services`). --config was accepted and ignored."""
    s = base if base is not None else Settings()
    s.station.data_dir = str(data_dir)
    s.station.id = "DEMO-01"
    s.station.name = "Demo station"
    s.oms.poll_interval_s = 5.0
    s.devices.scale.kind = "simulated"
    s.devices.label_printer.uri = f"simulated:{data_dir / 'printed'}"
    s.devices.slip_printer.uri = f"simulated:{data_dir / 'printed'}"
    s.devices.camera.kind = "files"  # a short video stands in for the camera (demo panel: "show to the camera")
    s.devices.camera.device = str(Path(data_dir) / "camera" / DEMO_VIDEO)
    return s


DEMO_VIDEO = "demo-camera.avi"
DEMO_CODE = "4006381333931"  # a barcode the demo's catalogue does not know, until an item is shown


def demo_camera_video(settings: Settings, code: str = DEMO_CODE) -> Path:
    """(Re)write the demo camera's video with `code` held under the lens."""
    from ui.demo_video import make_barcode_video

    return make_barcode_video(Path(settings.devices.camera.device), code)
