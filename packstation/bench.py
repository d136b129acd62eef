"""`packstation bench`: figures, not tests. Each layer lists its figures in its `benchmarks`
module as FIGURES = {name: fn(workdir: Path) -> float}; the long ones are named in FULL_ONLY = {name, ...}
or kept in FULL_FIGURES = {name: fn}, and run only with `--full` (or when named with `--only`); the 30-minute
soak is kept in SOAK_FIGURES and runs only with `--soak` (or `--only soak`), so that `--full` stays a quarter of
an hour. A figure that fails is reported as {"name_error": "..."} rather than hiding the others."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def _core() -> list[ModuleType]:
    from app import benchmarks, stats_benchmarks

    return [benchmarks, stats_benchmarks]


def _sync() -> list[ModuleType]:
    from sync import benchmarks

    return [benchmarks]


def _devices() -> list[ModuleType]:
    from hardware import benchmarks
    from hardware.printing import benchmarks as printing_benchmarks

    return [benchmarks, printing_benchmarks]


def _floor() -> list[ModuleType]:
    from floor import benchmarks

    return [benchmarks]


def _ui() -> list[ModuleType]:
    from ui import benchmarks, soak_benchmarks

    return [benchmarks, soak_benchmarks]


BENCH_SOURCES = (_core, _sync, _devices, _floor, _ui)


def _modules() -> list[ModuleType]:
    from packstation.cli import load_optional

    out: list[ModuleType] = []
    for source in BENCH_SOURCES:
        out.extend(load_optional(source, f"{source.__name__.strip('_')} benchmarks"))
    return out


def full_only() -> set[str]:
    """The long figures: run with --full, or when named with --only."""
    out: set[str] = set()
    for mod in _modules():
        out |= set(getattr(mod, "FULL_ONLY", ())) | set(getattr(mod, "FULL_FIGURES", {}))
    return out


def soak_only() -> set[str]:
    """The soak: run with --soak, or when named with --only."""
    return {name for mod in _modules() for name in getattr(mod, "SOAK_FIGURES", {})}


def all_figures() -> dict[str, Callable[[Path], Any]]:
    out: dict[str, Callable[[Path], Any]] = {}
    for mod in _modules():
        out.update(getattr(mod, "FIGURES", {}))
        out.update(getattr(mod, "FULL_FIGURES", {}))
        out.update(getattr(mod, "SOAK_FIGURES", {}))
    return out


def selected(only: list[str] | None = None, *, full: bool = False, soak: bool = False) -> dict[str, Callable]:
    """The figures a run does: the named ones; else the short ones, the long ones with `full`, the soak with
    `soak`."""
    figs = all_figures()
    if only:
        unknown = [n for n in only if n not in figs]
        if unknown:
            raise SystemExit(f"packstation bench: unknown figure(s): {', '.join(unknown)}")
        return {n: figs[n] for n in only}
    left_out = (set() if full else full_only()) | (set() if soak else soak_only())
    return {n: f for n, f in figs.items() if n not in left_out}


def default_dir(config_path: str | None = None) -> Path:
    """Where the figures' files go by default: a folder in the station's data dir, on the disk the station writes
    its event log to. Not the system's temporary folder: on many machines (Debian 13, Fedora, Arch) /tmp is tmpfs,
    memory, where a durable commit's fsync costs nothing — the raw commit that `verdict_p99_ms` and
    `event_append_per_s` are held to took 0.06 ms there against 0.35 on this machine's disk, and the ratios
    described no station (a station's log is never in memory: it would be gone at the next restart)."""
    import platformdirs

    from app.config import APP_NAME, ConfigError, load

    try:
        return load(config_path).data_dir / "bench"
    except (ConfigError, OSError):  # the bench measures the disk even where the configuration is broken
        return Path(platformdirs.user_data_dir(APP_NAME)) / "bench"


def _default_writable(root: Path) -> Path:
    """The default folder, or the system's temporary folder where this user cannot write it (a read-only home): the
    figures still come, `bench_fs` says what they were measured on."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        return root
    except OSError as exc:
        tmp = Path(tempfile.gettempdir()) / "packstation-bench"
        print(f"packstation bench: cannot write {root} ({exc.strerror or exc}); measuring in {tmp}", file=sys.stderr)
        return tmp


def disk_figures(root: Path) -> dict[str, Any]:
    """What the figures were measured on: `bench_dir` and its filesystem `bench_fs` ("ext4", "tmpfs"), and
    `bench_fs_in_memory` (true on tmpfs/ramfs: the durable-commit figures there say nothing of a station)."""
    from app.store import RAM_FILESYSTEMS, filesystem_of

    fs = filesystem_of(root)
    return {"bench_dir": str(root), "bench_fs": fs, "bench_fs_in_memory": fs in RAM_FILESYSTEMS}


def run(only: list[str] | None = None, progress=None, *, full: bool = False, soak: bool = False,
        in_process: bool = False, root: Path | None = None) -> dict[str, Any]:
    """The figures, each in a fresh process of its own (`in_process=False`): what one figure leaves behind — a
    Qt application, server threads, megabytes of objects for the garbage collector to walk, a warm import
    cache — must not slow or speed up the next (a supervisor stall of 163 ms after the others had run, 21 ms
    alone; a cold start of 1.07 s beside a leftover thread, 0.76 s alone). Each figure's files go in a folder of
    its own under `root` (default: `default_dir()`), removed after it."""
    figs = selected(only, full=full, soak=soak)
    once: dict[Callable, str] = {}  # a function that measures several figures (named by each) runs once
    for name, fn in figs.items():
        once.setdefault(fn, name)
    figs = {name: fn for fn, name in once.items()}
    root = Path(root) if root is not None else default_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SystemExit(f"packstation bench: cannot write {root} ({exc.strerror or exc}): give --dir a folder "
                         "this user can write, on the disk the station's data is on") from None
    if not in_process:
        return _run_isolated(list(figs), progress, root)
    results: dict[str, Any] = {}
    for name, fn in figs.items():
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-", dir=root) as d:
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


def _run_isolated(names: list[str], progress, root: Path) -> dict[str, Any]:
    import subprocess

    results: dict[str, Any] = {}
    for name in names:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "packstation", "bench", "--json", "--in-process", "--only", name,
                            "--dir", str(root)],
                           capture_output=True, text=True)
        try:
            value = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            tail = " | ".join(p.stderr.strip().splitlines()[-3:])
            value = {f"{name}_error": f"exit {p.returncode}: {tail}"}
        results.update(value)
        if progress:
            print(f"  {name}: {value} ({time.perf_counter() - t0:.1f} s)", file=progress)
    return results


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("bench", help="run the benchmarks and print their figures")
    b.add_argument("--json", action="store_true", help="one JSON object of figures on stdout")
    b.add_argument("--only", help="comma-separated figure names")
    b.add_argument("--list", action="store_true", help="list the figure names")
    b.add_argument("--full", action="store_true",
                   help="also the long figures: 5M events, 100k drain, outage, the 300-station OMS load "
                        "(under 15 minutes on 2 cores)")
    b.add_argument("--soak", action="store_true",
                   help="also the soak: a station driven at scanner speed for 30 minutes (PACKSTATION_SOAK_MINUTES)")
    b.add_argument("--in-process", action="store_true",
                   help="run the figures one after another in this process (default: each in a fresh process)")
    b.add_argument("--dir", metavar="DIR",
                   help="where the figures' files go (default: a folder in the station's data dir, on the disk "
                        "its event log is on; never a tmpfs /tmp, where a durable commit costs nothing)")
    b.set_defaults(func=_bench)


def _bench(args) -> int:
    if args.list:
        for name in all_figures():
            print(name)
        return 0
    only = [x.strip() for x in args.only.split(",")] if args.only else None
    root = Path(args.dir) if args.dir else _default_writable(default_dir(getattr(args, "config", None)))
    figures = run(only, progress=None if args.json else sys.stderr, full=args.full, soak=args.soak,
                  in_process=args.in_process, root=root)
    figures.update(disk_figures(root))
    try:
        root.rmdir()  # each figure removed its own folder; the bench's own goes too unless something is left
    except OSError:
        pass
    if not args.in_process and figures.get("bench_fs_in_memory"):
        print(f"packstation bench: {root} is on {figures['bench_fs']} (memory): the durable-commit figures "
              "(verdict_p99_ms, event_append_per_s and their raw references) say nothing of a station's disk; "
              "give --dir a folder on the disk the station's data is on", file=sys.stderr)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for k, v in sorted(figures.items()):
            print(f"{k:36} {v}")
    # The UI figures leave Qt objects behind whose destruction order at interpreter shutdown can crash
    # PySide6; every figure has already closed its own files and servers, so leave without finalising.
    sys.stdout.flush()
    sys.stderr.flush()
    import os

    os._exit(0)
