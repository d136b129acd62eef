"""Weekly error-pattern report as CSV and PDF, both rendered from one `Figures` object."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from app.stats import Figures


def figures_rows(f: Figures) -> list[list]:
    """The flat (section, key, value) rows that the CSV holds and the PDF tables show."""
    rows: list[list] = [["total", "scans", f.scans], ["total", "orders", f.orders], ["total", "errors", f.errors]]
    for k, v in f.by_type.items():
        rows.append(["error_type", k, v])
        rows.append(["per_1000_scans", k, f.per_1000_scans.get(k, "")])
        rows.append(["per_1000_orders", k, f.per_1000_orders.get(k, "")])
    rows += [["station", k, v] for k, v in f.by_station.items()]
    rows += [["operator", k, v] for k, v in f.by_operator.items()]
    rows += [["hour", f"{h:02d}", v] for h, v in enumerate(f.by_hour)]
    rows += [["day", k, v] for k, v in f.by_day.items()]
    for s, sf in f.steps.items():
        rows += [[f"step_{s}", "n", sf.n], [f"step_{s}", "median_s", sf.median_s],
                 [f"step_{s}", "p90_s", sf.p90_s], [f"step_{s}", "sla_s", sf.sla_s],
                 [f"step_{s}", "late_share", sf.late_share]]
    for c, hours in f.throughput.items():
        rows += [[f"throughput_{c}", h, v] for h, v in hours.items()]
    return rows


def write_csv(f: Figures, out: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "key", "value"])
    w.writerows(figures_rows(f))
    Path(out).write_text(buf.getvalue(), encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
    return Path(out)


def write_pdf(f: Figures, out: Path) -> Path:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    ss = getSampleStyleSheet()
    h = ss["Heading1"].clone("h", fontName="STSong-Light")
    body = ss["Normal"].clone("b", fontName="STSong-Light")
    story = [Paragraph("错误模式报告 / Error-pattern report", h),
             Paragraph(f"{f.start} - {f.end} ({f.tz}) | scans {f.scans} | orders {f.orders} | "
                       f"errors {f.errors}", body), Spacer(1, 8)]

    def bars(title: str, labels: list[str], values: list[int]) -> Drawing:
        d = Drawing(480, 170)
        c = VerticalBarChart()
        c.x, c.y, c.width, c.height = 40, 40, 420, 110
        c.data = [values or [0]]
        c.categoryAxis.categoryNames = labels or [""]
        c.categoryAxis.labels.fontSize = 6
        c.categoryAxis.labels.angle = 30 if len(labels) < 24 else 0
        c.categoryAxis.labels.boxAnchor = "ne" if len(labels) < 24 else "n"
        c.valueAxis.valueMin = 0
        c.bars[0].fillColor = colors.HexColor("#c0392b")
        d.add(c)
        story.append(Paragraph(title, body))
        return d

    story.append(bars("按类型 / By error type", list(f.by_type), list(f.by_type.values())))
    story.append(bars("按小时 / By hour of day", [f"{i:02d}" for i in range(24)], f.by_hour))
    tbl = [["type", "count", "/1000 scans", "/1000 orders"]] + [
        [k, v, f.per_1000_scans.get(k, ""), f.per_1000_orders.get(k, "")] for k, v in f.by_type.items()]
    tbl += [["operator", "errors", "", ""]] + [[k, v, "", ""] for k, v in f.by_operator.items()]
    tbl += [["step", "median s / p90 s", "SLA s", "late share"]] + [
        [s, f"{sf.median_s} / {sf.p90_s}", sf.sla_s, sf.late_share] for s, sf in f.steps.items()]
    t = Table(tbl, repeatRows=1)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 8),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    story.append(t)
    SimpleDocTemplate(str(out), pagesize=A4, title="packstation error-pattern report").build(story)
    return Path(out)
