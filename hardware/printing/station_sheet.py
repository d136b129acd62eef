"""The printable station sheet: an A4 PDF with one Code 128 barcode per action, short-pick reason, reprint reason
and carton, each labelled in English and Chinese, so a packer can drive the station with the scanner alone.

The caller supplies the sections (what to print and the labels in both languages, see ui/station_sheet.py); this
module only lays them out. Every font is embedded (app.pdf_fonts, as the slips and reports: a TrueType sans for Latin, a
TrueType CJK font for Chinese), and the barcodes are drawn without reportlab's built-in Helvetica caption."""

from __future__ import annotations

import io
from dataclasses import dataclass

from app.pdf_fonts import pdf_fonts


@dataclass(frozen=True)
class SheetEntry:
    code: str  # the barcode text, e.g. "@@CARTON:M"
    en: str
    zh: str


@dataclass(frozen=True)
class SheetSection:
    title_en: str
    title_zh: str
    entries: tuple[SheetEntry, ...]


def build_station_sheet_pdf(sections: list[SheetSection], *, title_en: str, title_zh: str,
                            subtitle: str = "") -> bytes:
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    fonts = pdf_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=fonts.latin)  # no stray Helvetica
    c.setTitle(f"{title_en} / {title_zh}")
    page_w, page_h = A4
    margin, gap = 12 * mm, 6 * mm
    col_w = (page_w - 2 * margin - gap) / 2
    entry_h = 28 * mm
    bar_h, bar_w = 12 * mm, 0.3 * mm  # 0.3 mm modules: every code fits a column and reads from arm's length

    def text(x: float, y: float, s: str, size: float) -> None:
        for f, t in fonts.runs(s):
            c.setFont(f, size)
            c.drawString(x, y, t)
            x += c.stringWidth(t, f, size)

    def header() -> float:
        text(margin, page_h - margin - 16, f"{title_en} / {title_zh}", 18)
        if subtitle:
            text(margin, page_h - margin - 30, subtitle, 9)
        return page_h - margin - 44

    y = header()
    for sec in sections:
        if y - 10 * mm - entry_h < margin:
            c.showPage()
            y = header()
        text(margin, y - 12, f"{sec.title_en} / {sec.title_zh}", 13)
        c.setLineWidth(0.5)
        c.line(margin, y - 16, page_w - margin, y - 16)
        y -= 10 * mm
        col = 0
        for e in sec.entries:
            bc = Code128(e.code, barHeight=bar_h, barWidth=bar_w, humanReadable=False, quiet=1)
            wide = bc.width > col_w  # a long code keeps its module width and takes the whole row
            if col == 1 and wide:
                y, col = y - entry_h, 0
            if col == 0 and y - entry_h < margin:
                c.showPage()
                y = header()
            x = margin + col * (col_w + gap)
            bc.drawOn(c, x, y - bar_h)
            text(x + bc.lquiet, y - bar_h - 13, e.en, 11)
            text(x + bc.lquiet, y - bar_h - 27, e.zh, 11)
            text(x + bc.lquiet, y - bar_h - 37, e.code, 7)
            col = 0 if (wide or col == 1) else 1
            if col == 0:
                y -= entry_h
        if col == 1:
            y -= entry_h
        y -= 3 * mm
    c.showPage()
    c.save()
    return buf.getvalue()
