"""`packstation print-test`: what a technician runs when a station is set up — the printer's status
first, then a test label and a test slip (a built-in demo order, or a cached pick list).

Each line is said in English and in the station's language (settings.station.language; Chinese when the station
is English), both rendered from the same message (app.i18n, devices.po): the technician and the packer beside
them read the same line."""

from __future__ import annotations

import argparse
import sys

from app.i18n import N_, Msg, bilingual, second_language
from hardware.devices import NO_DETAIL


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("print-test", help="show the printer status, then print a test label and packing slip")
    p.add_argument("--printer", metavar="URI",
                   help="tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyX, file:PATH, cups://QUEUE, simulated:DIR "
                        "(default: the configured label and slip printers)")
    p.add_argument("--order", metavar="ID", help="a cached pick list (id or order number) instead of the demo order")
    p.add_argument("--only", choices=["label", "slip"], help="print only the label or only the slip")
    p.add_argument("--chinese", choices=["gb18030", "image"], help="override the printer's Chinese mode")
    p.add_argument("--dots", type=int, help="override the printable width in dots (576, 512, 832...)")
    p.add_argument("--kind", choices=["receipt", "label"], help="override the printer kind")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the jobs (default 20)")
    p.set_defaults(func=_print_test)


def _second_language(settings) -> str:
    return second_language(getattr(getattr(settings, "station", None), "language", None))


def _say(msg: Msg, language: str, prefix: str = "") -> None:
    """One line: `prefix` (technical: names, URIs, states) and the message in English / the second language."""
    print(prefix + bilingual(msg, language))


WHAT = {"label": N_("label"), "slip": N_("slip")}


def _load_order(core, key: str):
    import json

    from sqlalchemy import or_, select

    from app import schema
    from app.picklist import PickList, PickListError

    with core.store.read() as c:
        row = c.execute(select(schema.picklists.c.doc).where(
            or_(schema.picklists.c.id == key, schema.picklists.c.order_no == key))).first()
    if row is None:
        return None
    try:
        return PickList.from_dict(json.loads(row[0]))
    except (ValueError, PickListError) as exc:
        print(f"packstation: cached pick list {key} is not readable: {exc}", file=sys.stderr)
        return None


def _print_test(args) -> int:
    import dataclasses
    import logging
    import tempfile
    from pathlib import Path

    from app.core import load_settings, open_core
    from hardware.printing.connections import make_printer
    from hardware.printing.demo_order import demo_picklist
    from hardware.printing.label import build_label
    from hardware.printing.slip import build_slip_pdf, pdf_to_escpos
    from hardware.printing.spool import PrintSpool

    log = logging.getLogger("packstation.print-test")
    settings = load_settings(args)
    core = open_core(settings)
    try:
        printers = {}
        for name in ("label_printer", "slip_printer"):
            ps = dataclasses.replace(getattr(settings.devices, name))
            if args.printer:
                ps.uri = args.printer
            if args.chinese:
                ps.chinese = args.chinese
            if args.dots:
                ps.dots = args.dots
            if args.kind:
                ps.kind = args.kind
            try:
                printers[name] = make_printer(ps, data_dir=settings.data_dir)
            except ValueError as exc:
                print(f"packstation: {exc}", file=sys.stderr)
                return 2
        if args.printer:  # one printer for both jobs
            printers["slip_printer"] = printers["label_printer"]
        order = demo_picklist()
        lang = _second_language(settings)
        if args.order:
            order = _load_order(core, args.order)
            if order is None:
                _say(Msg("No cached pick list {order}", order=repr(args.order)), lang)
                return 1
        healthy = True
        seen = set()
        for name, p in printers.items():
            if id(p) in seen:
                continue
            seen.add(id(p))
            st = p.status(timeout_s=1.5)
            _say(st.detail, lang, prefix=f"{name} {p.uri}: {st.state} — ")
            healthy = healthy and st.ok
        if not healthy:
            _say(Msg("Printer not ready: fix it and run print-test again"), lang)
            return 1
        station = settings.station.id
        tz = settings.station.warehouse_tz
        # The test's own spool, in a scratch database: on the station's, its worker took the station's jobs too. A
        # label held for paper at the station printed on the printer given by --printer, recorded `label_printed`
        # for the order (the packer never got it), and a job the running station was sending was marked failed by
        # the test spool's crash recovery. The station's jobs, faults and figures are the station's alone.
        scratch = tempfile.TemporaryDirectory(prefix="packstation-print-test-")
        test_core = open_core(settings, Path(scratch.name) / "print-test.sqlite3")
        try:
            spool = PrintSpool(test_core, printers, poll_interval_s=3600)
            jobs = []
            if args.only != "slip":
                lp = printers["label_printer"]
                data = build_label(order, lp.settings, station=station, operator="print-test", tz=tz)
                jobs.append(("label", spool.submit_raw("label_printer", "test", data, "escpos", order_id=None)))
            if args.only != "label":
                sp = printers["slip_printer"]
                pdf = build_slip_pdf(order, None, page="80mm", station=station, operator="print-test", tz=tz)
                payload, ctype = (pdf, "pdf") if sp.accepts_pdf else (pdf_to_escpos(pdf, sp.settings), "escpos")
                jobs.append(("slip", spool.submit_raw("slip_printer", "test", payload, ctype, order_id=None)))
            spool.start()
            spool.wait_idle(args.timeout)
            spool.stop()
            ok = True
            for what, jid in jobs:
                j = spool.job(jid)
                if j["state"] in ("queued", "held"):
                    spool.cancel(jid, "print-test ended")  # a test job must not print later by surprise
                if j["state"] == "done":
                    _say(Msg("{what}: printed ({size} bytes, job {job})", what=Msg(WHAT[what]), size=j["size"], job=jid),
                         lang)
                else:
                    ok = False
                    _say(j["message"] or NO_DETAIL, lang, prefix=f"{what}: {j['state']} — ")
                    log.error("print-test %s job %s %s: %s", what, jid, j["state"], j["last_error"])
            return 0 if ok else 1
        finally:
            test_core.close()
            scratch.cleanup()
    finally:
        core.close()
