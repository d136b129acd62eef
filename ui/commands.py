"""GUI sub-commands: the station, the demo, screenshots."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("run", help="start the station (configured devices and OMS)")
    r.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    r.set_defaults(func=_run)
    d = sub.add_parser("demo", help="start a demo station: reference OMS + simulated devices, no hardware")
    d.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    d.add_argument("--data-dir", help="where the demo keeps its files (default: a fresh temporary folder)")
    d.add_argument("--lang", choices=["en", "zh_CN"], help="language (default: English)")
    d.add_argument("--camera", metavar="PATH", help="a video file or a folder of images as the demo's camera "
                                                     "(default: a generated video of the current item's barcode)")
    d.set_defaults(func=_demo)
    s = sub.add_parser("screenshots", help="render every screen (English and Chinese) to PNG files, offscreen")
    s.add_argument("--out", default="docs/screenshots")
    s.set_defaults(func=_screenshots)
    sh = sub.add_parser("station-sheet", help="write the printable station sheet (A4 PDF): every action, reason "
                                              "and carton as a barcode, in English and Chinese")
    sh.add_argument("--out", default="station-sheet.pdf", help="PDF file to write (default station-sheet.pdf)")
    sh.set_defaults(func=_station_sheet)


def _refusing_broken_binding(start) -> int:
    """Start a window, or say in one line why the Qt binding cannot be trusted (exit 3)."""
    import sys

    from ui.binding_check import BrokenBinding

    try:
        return start()
    except BrokenBinding as exc:
        print(f"packstation: {exc}", file=sys.stderr)
        return 3


def _run(args) -> int:
    from app.config import ConfigError, Settings
    from app.config import load as load_config
    from ui.shell import CANNOT_START_RC, can_show, make_app, run_station, show_cannot_start

    def start() -> int:
        while True:
            try:
                settings = load_config(getattr(args, "config", None))  # app.config alone: app.core would load the event log here
            except ConfigError as exc:
                # a kiosk with a broken configuration says so on its screen (in a restart loop behind a blank screen
                # the reason was only in the journal); F5 reads the file again. Without a display: the CLI's line.
                fallback = Settings()
                fallback.station.kiosk = True
                make_app(fallback.station.language)
                if not can_show(args.exit_when_shown):
                    raise
                if show_cannot_start(fallback, exc, exit_when_shown=args.exit_when_shown) != CANNOT_START_RC:
                    raise
                continue
            return run_station(settings, exit_when_shown=args.exit_when_shown, verbose=args.verbose)

    return _refusing_broken_binding(start)


def _demo(args) -> int:
    from ui.shell import run_demo

    return _refusing_broken_binding(
        lambda: run_demo(data_dir=args.data_dir, exit_when_shown=args.exit_when_shown, verbose=args.verbose,
                         language=args.lang, camera=args.camera, config=getattr(args, "config", None)))


def _screenshots(args) -> int:
    from ui.screenshots import main

    return main(args.out)


def _station_sheet(args) -> int:
    from pathlib import Path

    from ui.station_sheet import write_station_sheet

    print(write_station_sheet(Path(args.out)))
    return 0
