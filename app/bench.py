"""`packstation bench`: figures, not tests. Each layer lists its figures in its `benchmarks`
module as FIGURES = {name: fn(workdir: Path) -> float}. A figure that fails is reported as
{"name_error": "..."} rather than hiding the others."""

from __future__ import annotations

import importlib
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_MODULES = (
    "app.benchmarks",
    "app.stats_benchmarks",
    "sync.benchmarks",
    "hardware.benchmarks",
    "hardware.printing.benchmarks",
    "ui.benchmarks",
    "floor.benchmarks",
)


def all_figures() -> dict[str, Callable[[Path], Any]]:
    out: dict[str, Callable[[Path], Any]] = {}
    for name in BENCH_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise  # a real import error inside an existing module
            continue
        out.update(mod.FIGURES)
    return out


def run(only: list[str] | None = None, progress=None) -> dict[str, Any]:
    figs = all_figures()
    if only:
        unknown = [n for n in only if n not in figs]
        if unknown:
            raise SystemExit(f"packstation bench: unknown figure(s): {', '.join(unknown)}")
        figs = {n: figs[n] for n in only}
    results: dict[str, Any] = {}
    for name, fn in figs.items():
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as d:
            try:
                value = fn(Path(d))
            except Exception as exc:  # report, don't hide the other figures
                results[f"{name}_error"] = f"{type(exc).__name__}: {exc}"
                if progress:
                    traceback.print_exc(file=progress)
                continue
        if isinstance(value, dict):
            results.update(value)
        else:
            results[name] = round(float(value), 4)
        if progress:
            print(f"  {name}: {results.get(name, value)} ({time.perf_counter() - t0:.1f} s)", file=progress)
    return results
