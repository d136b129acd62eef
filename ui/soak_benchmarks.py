"""The soak, run by `packstation bench --soak` (or `--only soak`; scripts/soak.py): a station driven at
scanner speed with normal garbage collection for PACKSTATION_SOAK_MINUTES (default 30), the reference
OMS in its own process. Figures: crashes, RSS at start and end, RSS growth per hour after a warm-up,
event-loop stalls over 100 ms (count, max ms), orders and scans done, events left unsent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def soak(workdir: Path) -> dict:
    minutes = float(os.environ.get("PACKSTATION_SOAK_MINUTES", "30"))
    out = workdir / "soak.json"
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "soak.py"), "--minutes", str(minutes),
                    "--workdir", str(workdir / "run"), "--json", str(out)], env=env, cwd=ROOT,
                   timeout=minutes * 60 + 600, check=False, stdout=subprocess.DEVNULL)
    r = json.loads(out.read_text())
    return {
        "soak_minutes": r["soak_minutes"],
        "soak_crashes": r["crashes"],
        "soak_orders": r["orders"],
        "soak_scans": r["scans"],
        "soak_rss_start_mb": r["rss_start_mb"],
        "soak_rss_end_mb": r["rss_end_mb"],
        "soak_rss_growth_mb_per_h": r["soak_rss_growth_mb_per_h"],
        # glibc's own heap figures (mallinfo2): what it holds from the system, and what of it is in use
        "soak_malloc_held_growth_mb_per_h": r.get("malloc_held_growth_mb_per_h"),
        "soak_malloc_in_use_growth_mb_per_h": r.get("malloc_in_use_growth_mb_per_h"),
        "soak_event_loop_stalls_over_100ms": r["event_loop_stalls_over_100ms"],
        "soak_event_loop_max_stall_ms": r["event_loop_max_stall_ms"],
        "soak_errors_logged": r["errors_logged"],
        "soak_queue_left": r["queue_left"],
        "soak_stuck_orders": r["stuck_orders"],
        "soak_action_misses": sum(r["action_misses"].values()),  # action barcodes that needed a second scan
    }


FIGURES: dict = {}
SOAK_FIGURES = {"soak": soak}
