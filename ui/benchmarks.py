"""UI figures: process start to main window shown (offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def _time_until_shown(args: list[str], workdir: Path) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "app", *args], stdout=subprocess.PIPE, env=env, text=True)
        assert p.stdout is not None
        for line in p.stdout:
            if line.strip() == "shown":
                best = min(best, time.perf_counter() - t0)
                break
        p.wait(timeout=60)
        if p.returncode:
            raise RuntimeError(f"packstation {' '.join(args)} exited {p.returncode}")
    return best


def cold_start_s(workdir: Path) -> float:
    cfg = workdir / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{workdir / "data"}"\n', encoding="utf-8")
    return _time_until_shown(["--config", str(cfg), "run", "--exit-when-shown"], workdir)


FIGURES = {"cold_start_s": cold_start_s}
