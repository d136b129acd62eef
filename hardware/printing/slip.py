"""Packing slips: a reportlab PDF (A4, A6 or 80 mm wide roll) with the order's Code128 and a QR, and
for each line the product image, name, colour/size, quantity and gift/insert marks.

Images come from the caller's `image_for(url) -> Path | None` (the local image cache: works
offline); a missing or unreadable image gets a drawn placeholder, never a failure. Every font is embedded
(app.pdf_fonts: a TrueType sans for Latin, a TrueType CJK font for Chinese), so a slip rasterised for a roll
printer reads as it does on screen.

`pdf_to_escpos()` rasterises a slip at a receipt printer's dot width (pdftoppm) and wraps it as
ESC/POS raster images; `pdf_first_page_png()` is the preview.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from app.address import address_lines
from app.config import PrinterSettings
from app.i18n import N_, Msg, plural
from app.pdf_fonts import pdf_fonts
from app.picklist import PickLine, PickList
from hardware.printing.chinese import sanitize
from hardware.printing.label import (
    FRAGILE,
    PRINT_LANGUAGE,
    LabelError,
    both,
    code128_text,
    local_time,
    qr_payload,
)

log = logging.getLogger(__name__)
# the slip's own words, printed in English and Chinese from the catalog (devices.po)
PACKING_SLIP, ORDER, GIFT_INSERT = N_("PACKING SLIP"), N_("Order"), N_("GIFT/INSERT")
NOT_IN_PARCEL = N_("NOT IN THIS PARCEL")
NO_IMAGE = Msg("no image")

ImageFor = Callable[[str], "Path | None"]

PAGE_SIZES = {"a4": (210, 297), "a6": (105, 148), "80mm": (80, None)}


THUMB_DIR = ".slip-thumbs"  # next to the product images: one small JPEG per image and slip size


def _prepared_image(path: Path | None, box_pt: float) -> str | None:
    """A product image for the slip: the file name of a JPEG thumbnail (2x the box, in dots), made once
    per image file and size and kept beside it. reportlab embeds a JPEG file as it is (no decoding, no
    recompression), so a slip costs no image work once its products have been printed; None if unusable."""
    if path is None:
        return None
    px = int(box_pt * 2)
    try:
        st = Path(path).stat()
        key = hashlib.sha1(f"{Path(path).resolve()}|{st.st_mtime_ns}|{st.st_size}|{px}".encode()).hexdigest()[:24]
        thumb = _thumb_dir(Path(path)) / f"{key}.jpg"
        if not thumb.is_file():
            _make_thumb(Path(path), thumb, px, box_pt)
        return str(thumb)
    except Exception as exc:
        log.warning("product image %s unusable: %s", path, exc)
        return None


def _thumb_dir(src: Path) -> Path:
    d = src.parent / THUMB_DIR
    try:
        d.mkdir(exist_ok=True)
        return d
    except OSError:  # a read-only image folder: thumbnails in the temp dir
        d = Path(tempfile.gettempdir()) / "packstation-slip-thumbs"
        d.mkdir(exist_ok=True)
        return d


def _make_thumb(src: Path, thumb: Path, px: int, box_pt: float) -> None:
    from PIL import Image

    with Image.open(src) as im:
        im.draft("RGB", (int(box_pt * 3), int(box_pt * 3)))  # fast JPEG decode at reduced size
        im = im.convert("RGB")
        im.thumbnail((px, px))
        tmp = thumb.with_suffix(f".{threading.get_ident()}.part")
        im.save(tmp, "JPEG", quality=88)
    tmp.replace(thumb)  # atomic: a concurrent slip sees the whole file or none


def image_box_pt(page: str) -> float:
    from reportlab.lib.units import mm

    return 16 * mm if page != "a4" else 22 * mm


def prepare_image(path: Path) -> None:
    """Make the slip thumbnails of a product image now (the image cache calls it when it stores an
    image, on the sync thread), so that printing a slip never decodes a product photo."""
    for page in ("a4", "80mm"):
        _prepared_image(path, image_box_pt(page))


_warm = threading.Event()
_warm_lock = threading.Lock()
_warm_started = threading.Event()


def warm_up() -> None:
    """Pay the first slip's one-off costs now: reportlab's modules, the CJK font (parsing the TrueType
    file is most of it), the QR and Code128 code paths. The print spool runs it on its own thread a few
    seconds after start, so the first slip of a shift costs what any slip costs."""
    with _warm_lock:  # one warm-up per process, however many spools start
        if _warm.is_set():
            return
        from hardware.printing.demo_order import demo_picklist

        build_slip_pdf(demo_picklist(), None, page="80mm", station="warm-up")
        _warm.set()


def warm_up_later(delay_s: float = 5.0) -> None:
    """warm_up() on a daemon thread after delay_s (not while the station's window is being built)."""
    def run() -> None:
        time.sleep(delay_s)
        try:
            warm_up()
        except Exception:  # a failed warm-up only means a slower first slip
            log.exception("slip warm-up failed")
    if not _warm_started.is_set():
        _warm_started.set()
        threading.Thread(target=run, name="slip-warm-up", daemon=True).start()


def _draw_qr(c, payload: str, x: float, y: float, size: float) -> None:
    """The QR code of `payload` in a size x size square at (x, y), its 4-module quiet zone included: the matrix from
    the qrcode package (as the label's), each row's dark runs one path of rectangles. reportlab's own QrCodeWidget,
    a Drawing of one shape per dark module with its mask choice in pure Python, was most of a slip: the demo order's
    A4 slip without pictures took 91-99 ms with it and 37 ms this way, which draws the QR in 18 ms (development
    machine, 2026-12-05)."""
    import qrcode

    q = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(payload)
    q.make(fit=True)
    matrix = q.get_matrix()
    m = size / len(matrix)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        top, col = y + size - (r + 1) * m, 0
        for dark, run in itertools.groupby(row):
            n = len(list(run))
            if dark:
                path.rect(x + col * m, top, n * m, m)
            col += n
    c.saveState()
    c.setFillColorRGB(0, 0, 0)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


ROLL_PAGE_MAX_PT = 14_000.0  # a roll slip's page height at most (PDF viewers refuse pages over 14,400 pt)
PAGE_OF = N_("page {page} / {pages}")  # on every page, beside the order number (its catalog text: devices.po)
CONTINUED = N_("continued")


def build_slip_pdf(picklist: PickList, image_for: ImageFor | None = None, *, page: str = "80mm",
                   station: str = "", operator: str = "", tz: str = "Asia/Shanghai",
                   when: datetime | None = None, missing: Sequence[PickLine] = ()) -> bytes:
    """The packing slip as PDF bytes. `page` is "a4", "a6" or "80mm" (a roll: each page as tall as its content,
    at most ROLL_PAGE_MAX_PT). `missing`: lines ordered but not in this parcel (a short pick), each at the quantity
    it lacks, listed under the lines so the customer reads what is missing instead of wondering.

    The slip is laid out as blocks (the header, each line, the missing list's heading and rows, the totals) put on
    pages before anything is drawn, so every line lands on a page however many there are, and every page carries
    the order number and "page x / y" at its foot; pages after the first open with the title and order number."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    if page not in PAGE_SIZES:
        raise ValueError(f"slip page {page!r}: expected one of {', '.join(PAGE_SIZES)}")
    fonts = pdf_fonts()  # embedded: the slip reads the same on paper, on screen and rasterised for a roll printer
    w_mm, h_mm = PAGE_SIZES[page]
    W = w_mm * mm
    margin = 4 * mm if page != "a4" else 12 * mm
    img_box = image_box_pt(page)
    row_h = img_box + 3 * mm
    address = list(address_lines(picklist.ship_to)) or [""]  # as the destination country writes it, 4 lines at most
    if len(address) > 4:
        address[3:] = [", ".join(address[3:])]
    missing = [ln for ln in missing if ln.qty > 0]
    foot_h = 5 * mm  # "order · page x / y" under the content of every page

    # the blocks, top to bottom, each (kind, item, height in pt)
    header_h = 54 + 9 * (len(address) - 1) + 4 + 11 * mm + 10 + 6 * mm + 3 * mm  # as header() moves down
    cont_h = 13 + 4 * mm
    missing_head_h, missing_row_h = 5 * mm, 4 * mm
    blocks: list[tuple[str, object, float]] = [("line", ln, row_h) for ln in picklist.lines]
    blocks.append(("rule", None, 0.0))
    if missing:
        blocks.append(("missing_head", False, missing_head_h))
        blocks += [("missing", ln, missing_row_h) for ln in missing]
        blocks.append(("missing_end", None, 3 * mm))
    blocks.append(("totals", None, 24.0))

    # pages: lists of blocks; a page opens with the header (first) or the continuation header
    pages: list[list[tuple[str, object, float]]] = [[("header", None, header_h)]]
    room = (h_mm * mm if h_mm else ROLL_PAGE_MAX_PT) - 2 * margin - foot_h
    used = header_h
    for blk in blocks:
        if used + blk[2] > room and len(pages[-1]) > 1:
            pages.append([("cont", None, cont_h)])
            used = cont_h
            if blk[0] in ("missing", "missing_end"):  # the missing list goes on under its heading again
                pages[-1].append(("missing_head", True, missing_head_h))
                used += missing_head_h
        pages[-1].append(blk)
        used += blk[2]
    heights = [h_mm * mm if h_mm else sum(b[2] for b in pg) + 2 * margin + foot_h for pg in pages]

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(W, heights[0]), pageCompression=1, initialFontName=fonts.latin)
    c.setTitle(f"Packing slip {sanitize(picklist.order_no)}")
    c.setAuthor("packstation")

    def width(s: str, size: float) -> float:
        return sum(c.stringWidth(t, f, size) for f, t in fonts.runs(s))

    def text(x: float, y: float, s: str, size: float = 8, bold: bool = False, maxw: float | None = None) -> None:
        s = sanitize(s, 300)
        maxw = maxw or (W - x - margin)
        wide = width(s, size)
        if wide > maxw:  # a line too long is first set up to a fifth smaller (a phone number whole), then cut
            size = max(size * 0.8, size * maxw / wide)  # (a text's width is proportional to its size)
            if width(s, size) > maxw:
                while s and width(s + "…", size) > maxw:
                    s = s[:-1]
                s += "…"
        for f, t in fonts.runs(s):
            fname = fonts.latin_bold if (bold and f == fonts.latin) else f
            if bold and f != fonts.latin:  # no bold CJK face: fill + a thin stroke (text stays one run)
                c.saveState()
                c.setLineWidth(size / 30)
                to = c.beginText(x, y)
                to.setTextRenderMode(2)
                to.setFont(fname, size)
                to.textOut(t)
                c.drawText(to)
                c.restoreState()
            else:
                c.setFont(fname, size)
                c.drawString(x, y, t)
            x += c.stringWidth(t, fname, size)

    def header(H: float) -> float:
        qsize = 20 * mm if page != "a6" else 18 * mm
        _draw_qr(c, qr_payload(picklist, station), W - margin - qsize, H - margin - qsize, qsize)
        tw = W - 2 * margin - qsize - 2 * mm
        y = H - margin - 10
        text(margin, y, both(PACKING_SLIP), 11, bold=True, maxw=tw)
        y -= 13
        text(margin, y, f"{both(ORDER)} {picklist.order_no}", 9, bold=True, maxw=tw)
        y -= 11
        text(margin, y, " ".join(x for x in (picklist.carrier, picklist.service) if x), 8, maxw=tw)
        y -= 10
        st = picklist.ship_to
        text(margin, y, f"{st.name} {st.phone}".strip(), 8, maxw=tw)
        y -= 10
        for k, line in enumerate(address):
            text(margin, y, line, 7, maxw=tw)
            y -= 9 if k < len(address) - 1 else 4
        y -= 11 * mm + 10
        _order_code128(c, picklist.order_no, W, margin, y)
        # its number under the bars, 1.5 mm clear of them (reportlab's own sets the digits' tops against the bars)
        number, size = sanitize(picklist.order_no, 80), 9
        text(max(margin, (W - width(number, size)) / 2), y - 1.5 * mm - 0.72 * size, number, size,
             maxw=W - 2 * margin)
        y -= 6 * mm
        c.setLineWidth(0.6)
        c.line(margin, y, W - margin, y)
        return y - 3 * mm

    def continuation(H: float) -> float:
        y = H - margin - 10
        # the order number first: on an A6 page the line may be cut at its end
        text(margin, y, f"{both(ORDER)} {picklist.order_no}   {both(PACKING_SLIP)} ({both(CONTINUED)})", 9,
             bold=True, maxw=W - 2 * margin)
        y -= 3 + 2 * mm
        c.setLineWidth(0.6)
        c.line(margin, y, W - margin, y)
        return y - 2 * mm

    def line(ln: PickLine, top: float) -> float:
        path = image_for(ln.image_url) if (image_for and ln.image_url) else None
        thumb = _prepared_image(path, img_box)
        ix, iy = margin, top - img_box
        if thumb is not None:
            c.drawImage(thumb, ix, iy, img_box, img_box, preserveAspectRatio=True, anchor="c")
        else:  # placeholder: a crossed box with "no image"
            c.setLineWidth(0.5)
            c.rect(ix, iy, img_box, img_box)
            c.line(ix, iy, ix + img_box, iy + img_box)
            c.line(ix, iy + img_box, ix + img_box, iy)
            text(ix + 1, iy + 1, f"{NO_IMAGE.text(PRINT_LANGUAGE)} {NO_IMAGE.en}", 4.5)
        tx = margin + img_box + 3 * mm
        qty_w = 12 * mm
        text(tx, top - 8, ln.name or ln.sku, 8, bold=True, maxw=W - tx - margin - qty_w)
        text(tx, top - 17, f"{ln.sku}  {ln.variant}", 7, maxw=W - tx - margin - qty_w)
        marks = []
        if ln.gift:
            marks.append(both(GIFT_INSERT))
        if ln.fragile:
            marks.append(both(FRAGILE))
        if marks:
            text(tx, top - 26, "  ".join(marks), 7, bold=True, maxw=W - tx - margin - qty_w)
        c.setFont(fonts.latin_bold, 12)
        c.drawRightString(W - margin, top - 12, f"x{ln.qty}")
        return top - row_h

    def block(kind: str, item, y: float) -> float:
        if kind == "line":
            return line(item, y)
        if kind == "rule":
            c.line(margin, y, W - margin, y)
            return y
        if kind == "missing_head":
            y -= 4 * mm
            head = both(NOT_IN_PARCEL) + (f" ({both(CONTINUED)})" if item else "")
            text(margin, y, head, 8, bold=True)
            return y - 1 * mm
        if kind == "missing":
            y -= 4 * mm
            text(margin, y, f"{item.sku}  {item.name}", 7, maxw=W - 2 * margin - 12 * mm)
            c.setFont(fonts.latin_bold, 9)
            c.drawRightString(W - margin, y, f"x{item.qty}")
            return y
        if kind == "missing_end":
            y -= 3 * mm
            c.line(margin, y, W - margin, y)
            return y
        # totals and who packed it, at the end
        y -= 10
        units, lines = picklist.units, len(picklist.lines)
        unit_word, line_word = both(plural(units, "unit", "units")), both(plural(lines, "line", "lines"))
        text(margin, y, f"{units} {unit_word}   {lines} {line_word}", 8)
        y -= 10
        text(margin, y, f"{station} / {operator} / {local_time(when, tz)}", 7)
        return y - 4

    for k, (pg, H) in enumerate(zip(pages, heights, strict=True)):
        c.setPageSize((W, H))
        y = H
        for kind, item, _h in pg:
            if kind == "header":
                y = header(H)
            elif kind == "cont":
                y = continuation(H)
            else:
                y = block(kind, item, y)
        page_of = both(Msg(PAGE_OF, page=k + 1, pages=len(pages)), " ")
        foot = f"{both(ORDER)} {sanitize(picklist.order_no, 80)}   {page_of}"
        text(margin, margin, foot, 7, maxw=W - 2 * margin)
        c.showPage()
    c.save()
    return buf.getvalue()


SLIP_MIN_BAR_MM = 0.3  # narrowest Code128 module: 2 dots of a 576-dot roll printer (7.2 dots/mm), or near it at 512


def _order_code128(c, order_no: str, W: float, margin: float, y: float) -> None:
    """The order number as Code128 (reportlab picks the code sets), 0.33 mm a module, narrower to fit the width down
    to SLIP_MIN_BAR_MM; a QR code of the order number when even that does not fit (a 32-character one on a roll slip
    came to 0.18 mm a module, 1.3 dots at 576: no scanner read it). Bottom at y. None for an order number that is
    not printable ASCII as sent (the label refuses it: label.code128_text)."""
    from reportlab.graphics.barcode import code128
    from reportlab.lib.units import mm

    try:
        value = code128_text(order_no)
    except LabelError as exc:
        log.warning("slip without a barcode: %s", exc)
        return
    bar_w = 0.33 * mm
    bc = code128.Code128(value, barHeight=11 * mm, barWidth=bar_w, humanReadable=False)
    if bc.width > W - 2 * margin:
        bar_w *= (W - 2 * margin) / bc.width
        if bar_w < SLIP_MIN_BAR_MM * mm:
            log.warning("order number %r needs %.2f mm Code128 modules to fit the slip: a QR code of it instead",
                        value, bar_w / mm)
            _draw_qr(c, value, (W - 11 * mm) / 2, y, 11 * mm)
            return
        bc = code128.Code128(value, barHeight=11 * mm, barWidth=bar_w, humanReadable=False)
    bc.drawOn(c, (W - bc.width) / 2, y)


def _pdftoppm(pdf: bytes, args: list[str], timeout_s: float = 60) -> list[Path]:
    d = Path(tempfile.mkdtemp(prefix="slip-"))
    src = d / "in.pdf"
    src.write_bytes(pdf)
    r = subprocess.run(["pdftoppm", *args, str(src), str(d / "page")], capture_output=True, timeout=timeout_s)
    if r.returncode != 0:
        raise RuntimeError(f"pdftoppm failed: {r.stderr.decode(errors='replace').strip()}")
    return sorted(d.glob("page*.p*"))


def pdf_pages(pdf: bytes, *, width_px: int | None = None, dpi: int | None = None, first_only: bool = False):
    """PIL images of the PDF's pages (pdftoppm, from poppler-utils)."""
    import shutil

    from PIL import Image

    args = ["-gray"]
    if width_px:
        args += ["-scale-to-x", str(width_px), "-scale-to-y", "-1"]
    else:
        args += ["-r", str(dpi or 150)]
    if first_only:
        args += ["-f", "1", "-l", "1"]
    files = _pdftoppm(pdf, args)
    try:
        return [Image.open(f).copy() for f in files]
    finally:
        if files:
            shutil.rmtree(files[0].parent, ignore_errors=True)


def pdf_first_page_png(pdf: bytes, path: Path, dpi: int = 110) -> None:
    pdf_pages(pdf, dpi=dpi, first_only=True)[0].save(path, format="PNG")


def pdf_to_escpos(pdf: bytes, settings: PrinterSettings) -> bytes:
    """Rasterise `pdf` at the printer's dot width and wrap it as ESC/POS raster images + cut."""
    from hardware.printing.label import EscposWriter

    w = EscposWriter(settings)
    w.init()
    for page in pdf_pages(pdf, width_px=settings.dots):
        bw = page.convert("L").point(lambda v: 0 if v < 160 else 255, mode="1")
        w.p.image(bw, impl="bitImageRaster", fragment_height=960)
        w.p.cut(feed=True)
    return w.output()
