"""`packstation report --from DATE --to DATE --format pdf|csv [--out PATH] [--station S] [--operator O]`. Without
`--out` the report goes into the current folder named as the supervisor screen's exports are
(`app.reports.report_paths`: its days and the time it was written), never over an earlier one."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="weekly error-pattern report (PDF or CSV) from this station's event log")
    p.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD, warehouse time zone")
    p.add_argument("--to", dest="date_to", required=True, help="last day (inclusive), YYYY-MM-DD")
    p.add_argument("--format", choices=["pdf", "csv"], default="pdf")
    p.add_argument("--out")
    p.add_argument("--station")
    p.add_argument("--operator")
    p.set_defaults(func=_report)


def _report(args) -> int:
    import logging
    import sys
    from pathlib import Path

    from app.core import load_settings
    from app.i18n import Msg, bilingual
    from app.operators import OperatorDirectory, operators_matching
    from app.reports import ReportScope, report_paths, write_csv, write_pdf
    from app.stats import day_bounds_ms, figures_from_store
    from app.store import open_store
    from app.warehouse_day import BadDays, checked_days

    log = logging.getLogger(__name__)
    s = load_settings(args)
    try:  # one line and rc 2: 0001-01-01 raised a raw ValueError, 9999-12-31 an OverflowError, reversed days a
        # report of zeros with rc 0
        checked_days(args.date_from, args.date_to, s.station.warehouse_tz)
        a, b = day_bounds_ms(args.date_from, args.date_to, s.station.warehouse_tz)
    except (BadDays, ValueError, OverflowError) as e:
        log.info("bad report dates: %s", e)  # the line below says it: once on the terminal
        said = e.msg if isinstance(e, BadDays) else Msg("bad date (use YYYY-MM-DD)")
        print(f"packstation report: {bilingual(said)}", file=sys.stderr)  # read by English and Chinese operators
        return 2
    store = open_store(s.db_path)
    try:
        known = OperatorDirectory(store).all()
        meant = operators_matching(known, args.operator) if args.operator else []  # a badge or a name, as on the screen
        if len(meant) > 1:  # a report of nobody's figures would look like an operator without errors
            said = Msg("operator {text} could be: {names} (give the badge)", text=args.operator,
                       names=", ".join(o.name_and_badge for o in meant))
            print(bilingual(said), file=sys.stderr)
            return 2
        op_id = meant[0].id if meant else args.operator
        f = figures_from_store(store, tz=s.station.warehouse_tz, start=a, end=b, sla=s.sla,
                               station=args.station, operator=op_id)
    finally:
        store.close()
    if args.out:
        out = Path(args.out)
    else:  # named as F6 names its exports, never over an earlier report (report_<from>_<to> was written over)
        from datetime import datetime
        from zoneinfo import ZoneInfo

        pdf, csv = report_paths(Path.cwd(), args.date_from, args.date_to, datetime.now(ZoneInfo(s.station.warehouse_tz)))
        out = pdf if args.format == "pdf" else csv
    names = {o.id: o.name_and_badge for o in known}
    scope = ReportScope(args.date_from, args.date_to, s.station.warehouse_tz, "station", args.station, op_id)
    if args.format == "pdf":
        write_pdf(f, out, operators=names, scope=scope)
    else:
        write_csv(f, out, operators=names, scope=scope)
    print(out)
    return 0
