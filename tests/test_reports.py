"""CSV, PDF and figures agree: all render one Figures object; the CLI writes both formats."""

import csv
import subprocess

from app.config import SlaSettings
from app.events import EventLog
from app.reports import figures_rows, write_csv, write_pdf
from app.stats import day_bounds_ms, figures_from_store
from tests.conftest import run_cli
from tests.test_stats import TZ, utc_ms


def _figs(store):
    now = {"t": 0}
    log = EventLog(store, "ST1", clock_ms=lambda: now["t"])
    for i, kind in enumerate(["accepted", "wrong_item", "wrong_item", "over_scan"]):
        now["t"] = utc_ms(2026, 11, 16, 3, i)
        log.append("scan", {"verdict": {"kind": kind}}, operator_id="op1", order_id="SO1", kind=kind)
    now["t"] = utc_ms(2026, 11, 16, 4, 0)
    log.append("order_completed", {"complexity": "mixed"}, operator_id="op1", order_id="SO1")
    a, b = day_bounds_ms("2026-11-16", "2026-11-22", TZ)
    return figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings())


def test_csv_matches_figures(store, tmp_path):
    f = _figs(store)
    out = write_csv(f, tmp_path / "r.csv")
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    got = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert got[("error_type", "wrong_item")] == "2"
    assert got[("per_1000_scans", "wrong_item")] == "500.0"
    assert got[("per_1000_orders", "over_scan")] == "1000.0"
    assert got[("hour", "11")] == "3"  # 03:xx UTC = 11:xx Shanghai
    assert len(rows) - 1 == len(figures_rows(f))


def test_pdf_renders_with_the_same_counts(store, tmp_path):
    f = _figs(store)
    out = write_pdf(f, tmp_path / "r.pdf")
    txt = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "wrong_item" in txt and "over_scan" in txt
    assert "errors 3" in txt


def test_cli_report_bad_date_is_a_message():
    r = run_cli("report", "--from", "16/11/2026", "--to", "2026-11-22", "--format", "csv")
    assert r.returncode == 2
    assert "YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr
