"""Weekly error-pattern report as CSV and PDF, both rendered from one `Figures` object.

The PDF embeds every font it uses (subsets, app.pdf_fonts): Latin text in a TrueType sans (DejaVu Sans), Chinese in
a TrueType CJK font (Droid Sans Fallback), as the packing slips and the station sheet. A non-embedded font (reportlab's
STSong-Light CID font, Helvetica) reads only where the viewer happens to have it: on Debian without
poppler-data the tables render blank and `pdftotext` finds none of their text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from app.i18n import N_, Msg, bilingual
from app.messages import step_word
from app.pdf_fonts import PdfFonts, pdf_fonts
from app.scans import visible_text
from app.stats import ERROR_NAMES, Figures


class FontMissing(RuntimeError):
    """No embeddable TrueType font for the report (message names the package to install)."""


def report_fonts() -> PdfFonts:
    """The station's PDF fonts (app.pdf_fonts), which a report needs embedded."""
    f = pdf_fonts()
    if not f.embedded:
        raise FontMissing("the PDF report needs TrueType fonts to embed: install fonts-dejavu-core and "
                          "fonts-droid-fallback (bash scripts/setup.sh does)")
    return f


def mixed(text: object) -> str:
    """Paragraph markup: runs the Latin font lacks (Chinese) switch to the CJK font; control and bidi-override
    characters shown as escapes (`visible_text`: an operator id from the OMS cannot show other text than it holds)."""
    fonts = report_fonts()
    return "".join(f'<font face="{f}">{escape(run)}</font>' if f == fonts.cjk else escape(run)
                   for f, run in fonts.runs(visible_text(str(text))))


# The report's headings, in both languages (Chinese first, as the warehouse reads it): ids in the catalog.
TITLE = N_("Error-pattern report")
BY_TYPE = N_("By error type")
BY_HOUR = N_("By hour of day")
NO_ERRORS = N_("No errors on these days")
SUMMARY = N_("scans {scans} · orders {orders} · errors {errors}")  # as the supervisor screen says it
# the table's sections and their columns
TYPE_COLUMNS = (N_("Error type"), N_("Count"), N_("Per 1,000 scans"), N_("Per 1,000 orders"))
STATION, OPERATOR = N_("Station"), N_("Operator")
OPERATOR_COLUMNS = (OPERATOR, N_("Errors"))
STATION_COLUMNS = (STATION, N_("Errors"))
NOT_PER_OPERATOR = N_("{count} errors are nobody's and not counted per operator: orders stopped by the OMS, printer "
                      "faults")
STEP_COLUMNS = (N_("Step"), N_("Median / p90, s"), N_("SLA, s"), N_("Late share"))


SOURCE = N_("Source")
THIS_STATION = N_("this station's own log")
ALL_STATIONS = N_("all stations, from the OMS")


@dataclass(frozen=True)
class ReportScope:
    """What a report's figures are: their days (the warehouse's dates, first and last, inclusive) in the zone `tz`,
    where they come from ("station": this station's own log; "oms": all stations, from the OMS), and the filter they
    were computed with (`operator` by id). The supervisor screen keeps it with the figures it shows, so F6 names and
    titles a report by the figures it holds, never by date fields changed since."""

    d_from: str
    d_to: str
    tz: str
    source: str = "station"
    station: str | None = None
    operator: str | None = None

    @classmethod
    def of(cls, f: Figures, **kw) -> ReportScope:
        """The scope read from the figures' own bounds (`local_days`), for a caller that has no other."""
        first, _sep, last = local_days(f).partition(" – ")
        return cls(first, last or first, f.tz, **kw)

    def days(self) -> str:
        return self.d_from if self.d_from == self.d_to else f"{self.d_from} – {self.d_to}"

    def source_words(self) -> str:
        return THIS_STATION if self.source == "station" else ALL_STATIONS


def both(message_id: str) -> str:
    """'<Chinese> / <English>' for a heading: the Simplified Chinese from the catalog, then the English id."""
    return bilingual(Msg(message_id), other_first=True)


def scope_rows(scope: ReportScope, operators: dict[str, str] | None = None) -> list[list]:
    """The rows that say what the figures are, first in the CSV: a supervisor opening it in Excel sees their days,
    zone, source and filter (the CSV said none of them)."""
    names = operators or {}
    return [["report", "from", scope.d_from], ["report", "to", scope.d_to], ["report", "time_zone", scope.tz],
            ["report", "source", scope.source_words()], ["report", "station", scope.station or "all"],
            ["report", "operator", names.get(scope.operator, scope.operator) if scope.operator else "all"]]


def figures_rows(f: Figures, operators: dict[str, str] | None = None, scope: ReportScope | None = None
                 ) -> list[list]:
    """The flat (section, key, value) rows that the CSV holds and the PDF tables show, after the rows of what they
    are (`scope_rows`; `ReportScope.of(f)` without a scope); an operator by name and badge where `operators`
    (id -> "Zhang Min (K-001)") knows them, as the screen and the PDF name them, else by id."""
    names = operators or {}
    rows: list[list] = scope_rows(scope or ReportScope.of(f), names)
    rows += [["total", "scans", f.scans], ["total", "orders", f.orders], ["total", "errors", f.errors]]
    for k, v in f.by_type.items():
        rows.append(["error_type", k, v])
        rows.append(["per_1000_scans", k, f.per_1000_scans.get(k, "")])
        rows.append(["per_1000_orders", k, f.per_1000_orders.get(k, "")])
    rows += [["station", k, v] for k, v in f.by_station.items()]
    rows += [["operator", names.get(k, k), v] for k, v in f.by_operator.items()]
    rows += [["hour", f"{h:02d}", v] for h, v in enumerate(f.by_hour)]
    rows += [["day", k, v] for k, v in f.by_day.items()]
    for s, sf in f.steps.items():  # seconds to the millisecond (a median of two read 2.9619999999999997)
        rows += [[f"step_{s}", "n", sf.n], [f"step_{s}", "median_s", _ms(sf.median_s)],
                 [f"step_{s}", "p90_s", _ms(sf.p90_s)], [f"step_{s}", "sla_s", _ms(sf.sla_s)],
                 [f"step_{s}", "late_share", _ms(sf.late_share)]]
    for c, hours in f.throughput.items():
        rows += [[f"throughput_{c}", h, v] for h, v in hours.items()]
    return rows


def _ms(x: float | None) -> float | str:
    return "" if x is None else round(x, 3)


def _num(x: float | None, fmt: str = ".1f") -> str:
    """A figure as the report prints it: "" for none, else `fmt` (seconds to a tenth, shares in per cent)."""
    return "" if x is None else format(x, fmt)


def local_days(f: Figures) -> str:
    """The report's days in the warehouse's zone ("2026-11-16 – 2026-11-22"): the figures' bounds are UTC instants,
    and read as dates they start the day before in a zone east of UTC."""
    try:
        z = ZoneInfo(f.tz)
        a = datetime.fromisoformat(f.start).astimezone(z).date()
        b = (datetime.fromisoformat(f.end) - timedelta(milliseconds=1)).astimezone(z).date()
    except (ValueError, TypeError, KeyError):  # an OMS's figures with bounds this station cannot read
        return f"{f.start} – {f.end}"
    return str(a) if a == b else f"{a} – {b}"


def _slanted(x: float, y: float, text: str, fonts: PdfFonts, size: float = 6, degrees: float = 30):
    """A chart label ending at (x, y), rising to the left at `degrees`, its Latin and Chinese runs each in its own
    font (a reportlab String has one: DejaVu Sans draws Chinese as empty boxes, the CJK font Latin ones)."""
    import math

    from reportlab.graphics.shapes import Group, String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    g, dx = Group(), 0.0
    for font, run in fonts.runs(text):
        g.add(String(dx, 0, run, fontName=font, fontSize=size))
        dx += stringWidth(run, font, size)
    for part in g.contents:  # the text ends at the tick
        part.x -= dx
    a = math.radians(degrees)
    g.transform = (math.cos(a), math.sin(a), -math.sin(a), math.cos(a), x, y - size)
    return g


def type_name(key: str) -> str:
    """An error type as both languages read it (the Chinese name / "Wrong item"); its key where it has no name."""
    return bilingual(Msg(ERROR_NAMES[key]), other_first=True) if key in ERROR_NAMES else key


def report_paths(folder: Path, d_from: str, d_to: str, written: datetime) -> tuple[Path, Path]:
    """The PDF's and the CSV's paths of one export: named by its days and the time it was written
    ("errors_2026-12-01_2026-12-07_at_2026-12-07_1141.pdf"), so that an export taken earlier in the shift is kept; a
    second one in the same minute gets "-2", "-3"… (neither of the pair is ever written over)."""
    stem = f"errors_{d_from}_{d_to}_at_{written:%Y-%m-%d_%H%M}"
    n, name = 1, stem
    while (folder / f"{name}.pdf").exists() or (folder / f"{name}.csv").exists():
        n += 1
        name = f"{stem}-{n}"
    return folder / f"{name}.pdf", folder / f"{name}.csv"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a cell starting so is a formula to Excel and LibreOffice


def csv_cell(v: object) -> object:
    """A cell as the CSV writes it: a number as a number; a text shown as `visible_text`, and one that a spreadsheet
    would take for a formula (an operator id "=HYPERLINK(…)" from the OMS) prefixed with a single quote, as OWASP
    advises against CSV injection. No figure is negative, so no number needs the quote."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    text = visible_text(v)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(f: Figures, out: Path, operators: dict[str, str] | None = None, scope: ReportScope | None = None
              ) -> Path:
    """The figures as (section, key, value) rows, after the rows saying their days, zone, source and filter
    (`scope`, else read from the figures); `operators` names the operators by their ids (`figures_rows`)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "key", "value"])
    w.writerows([csv_cell(c) for c in row] for row in figures_rows(f, operators, scope))
    Path(out).write_text(buf.getvalue(), encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
    return Path(out)


def write_pdf(f: Figures, out: Path, operators: dict[str, str] | None = None, *, scope: ReportScope | None = None
              ) -> Path:
    """The report as a PDF; `operators` names the operators by their ids ("Zhang Min (K-001)"), else their ids.
    `scope`: the figures' days, source and filter (an operator by id), said under the title (else read from the
    figures' own bounds, source and filter not said)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fonts = report_fonts()
    latin, bold = fonts.latin, fonts.latin_bold
    ss = getSampleStyleSheet()
    h = ss["Heading1"].clone("h", fontName=bold)
    body = ss["Normal"].clone("b", fontName=latin)
    cell = ss["Normal"].clone("c", fontName=latin, fontSize=8, leading=10)
    story = [Paragraph(mixed(both(TITLE)), h),
             Paragraph(mixed(f"{scope.days() if scope else local_days(f)} ({scope.tz if scope else f.tz}) | "
                             + bilingual(Msg(SUMMARY, scans=f.scans, orders=f.orders, errors=f.errors),
                                         other_first=True)), body)]
    names = operators or {}
    said = [f"{both(SOURCE)}: {bilingual(Msg(scope.source_words()), other_first=True)}"] if scope else []
    if scope and scope.station:
        said.append(f"{both(STATION)}: {scope.station}")
    if scope and scope.operator:
        said.append(f"{both(OPERATOR)}: {names.get(scope.operator, scope.operator)}")
    if said:  # where the figures come from, and a filtered report says so: its totals are not the whole warehouse's
        story.append(Paragraph(mixed(" · ".join(said)), body))
    story.append(Spacer(1, 8))

    def bars(title: str, labels: list[str], values: list[int]) -> Drawing:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        # room below the axis for the slanted labels (sin 30° of the longest, and its height)
        drop = max((sum(stringWidth(run, fnt, 6) for fnt, run in fonts.runs(t)) for t in labels), default=0) / 2 + 12
        c = VerticalBarChart()
        c.x, c.y, c.width, c.height = 40, max(40, int(drop)), 420, 110
        d = Drawing(480, c.y + 130, initialFontName=latin)
        c.data = [values or [0]]
        c.categoryAxis.categoryNames = labels or [""]
        c.categoryAxis.labels.fontSize = 6
        c.categoryAxis.labels.fontName = latin
        c.valueAxis.labels.fontName = latin
        c.categoryAxis.labels.angle = 30 if len(labels) < 24 else 0
        c.categoryAxis.labels.boxAnchor = "ne" if len(labels) < 24 else "n"
        mixed_script = any(fonts.cjk in (fnt for fnt, _run in fonts.runs(t)) for t in labels)
        if mixed_script:  # a chart label takes one font: each is drawn here as its runs, each in its own font
            c.categoryAxis.visibleLabels = 0
            for i, text in enumerate(labels):
                d.add(_slanted(c.x + (i + 0.5) * c.width / len(labels), c.y - 4, text, fonts))
        top = max(values or [0])  # counts: whole-number ticks, 0-1 when there is nothing to count
        step = max(1, -(-top // 5))
        c.valueAxis.valueMin, c.valueAxis.valueStep = 0, step
        c.valueAxis.valueMax = max(1, step * -(-top // step))
        c.valueAxis.labelTextFormat = "%d"
        c.bars[0].fillColor = colors.HexColor("#c0392b")
        d.add(c)
        story.append(Paragraph(mixed(title), body))
        return d

    if f.errors:
        story.append(bars(both(BY_TYPE), [type_name(k) for k in f.by_type], list(f.by_type.values())))
        story.append(bars(both(BY_HOUR), [f"{i:02d}" for i in range(24)], f.by_hour))
    else:  # two empty charts said nothing (an axis from 0 to 1 and no bar)
        story += [Paragraph(mixed(both(NO_ERRORS)), body), Spacer(1, 8)]
    # a table per section (error types, operators, stations, steps), each under its own header row (grey, in both
    # languages) that is repeated at the top of a page the table runs onto; a section with no rows (no errors: no
    # types, operators or stations) is left out. One grid of all of them showed operator rows with two empty columns
    # and the steps' header as a grey row mid-table, and a header could end a page with its rows on the next.
    def table(columns: tuple[str, ...], rows: list[list], widths: tuple[float, ...]) -> None:
        if not rows:
            return
        t = Table([[Paragraph(mixed(both(c)), cell) for c in columns]]
                  + [[Paragraph(mixed(v), cell) for v in row] for row in rows], colWidths=widths, repeatRows=1,
                  hAlign="LEFT")
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), latin), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.extend([t, Spacer(1, 10)])

    table(TYPE_COLUMNS, [[type_name(k), v, _num(f.per_1000_scans.get(k)), _num(f.per_1000_orders.get(k))]
                         for k, v in f.by_type.items()], (170, 80, 110, 110))
    table(OPERATOR_COLUMNS, [[names.get(k, k), v] for k, v in f.by_operator.items()], (250, 80))
    nobodys = f.errors - sum(f.by_operator.values())
    if f.by_operator and nobodys > 0:  # the rows add up to less than the total: said why, under them
        story[-1:-1] = [Paragraph(mixed(bilingual(Msg(NOT_PER_OPERATOR, count=nobodys), other_first=True)), cell)]
    table(STATION_COLUMNS, [[k, v] for k, v in f.by_station.items()], (250, 80))
    table(STEP_COLUMNS, [[bilingual(step_word(s), other_first=True),
                          f"{_num(sf.median_s)} / {_num(sf.p90_s)}" if sf.n else "—", _num(sf.sla_s, "g"),
                          _num(sf.late_share, ".0%")] for s, sf in f.steps.items()], (170, 110, 80, 110))
    # initialFontName: else every page starts in (non-embedded) Helvetica
    SimpleDocTemplate(str(out), pagesize=A4, title="packstation error-pattern report",
                      initialFontName=latin).build(story)
    return Path(out)
