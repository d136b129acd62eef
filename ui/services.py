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
    oms: Any = None  # demo: reference OMS handle
    proxy: Any = None  # demo: FaultProxy between station and OMS
    extras: dict = field(default_factory=dict)

    def image_for(self, url: str) -> Path | None:
        if not url or self.sync is None:
            return None
        try:
            return self.sync.images.path_for(url)
        except Exception:
            return None

    def start(self, bridge) -> None:
        """Start the worker threads; their callbacks go through the bridge to the GUI thread."""
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
        for name in ("scale", "scanner", "sim_scanner"):
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
    return svc


def demo_settings(data_dir: Path) -> Settings:
    s = Settings()
    s.station.data_dir = str(data_dir)
    s.station.id = "DEMO-01"
    s.station.name = "Demo station"
    s.oms.poll_interval_s = 5.0
    s.devices.scale.kind = "simulated"
    s.devices.label_printer.uri = f"simulated:{data_dir / 'printed'}"
    s.devices.slip_printer.uri = f"simulated:{data_dir / 'printed'}"
    return s
