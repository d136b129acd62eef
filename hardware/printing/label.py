"""Shipping/pack labels as ESC/POS bytes, built with python-escpos (a `Dummy` printer with the
configured capability profile) — never sent by it: connections.py sends them.

Receipt printers (``kind="receipt"``) get text + a native CODE128 of the order number + a native QR.
4-inch label printers (``kind="label"``) get the whole 100x150 mm label as one raster image at the
configured dot width, then ``GS FF`` (feed to the next label's print start) and a cut.

Every string from the OMS passes `chinese.sanitize()` first: no control byte reaches the printer.
The label's own words are printed in English and Chinese, both from the catalog (`app.i18n`, devices.po).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.address import address_lines
from app.config import PrinterSettings
from app.i18n import N_, Msg, bilingual, plural
from app.picklist import PickList
from hardware.printing import chinese, code128
from hardware.printing.chinese import sanitize

log = logging.getLogger(__name__)

GS_FF = b"\x1d\x0c"  # feed the label to the print start position of the next label
MAX_SUMMARY_LINES = 8


PRINT_LANGUAGE = "zh_CN"  # the second language of the printed paperwork, beside English


def both(msg: Msg | str, sep: str = " ") -> str:
    """A printed text in English and Chinese, both from the catalog: "GIFT" and its Chinese, one space apart."""
    return bilingual(msg, PRINT_LANGUAGE, sep=sep)


class LabelError(ValueError):
    """A label that cannot be made from this pick list: `message` is for the operator (`text(language)`),
    str(error) is the English text."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.message = message

    def text(self, language: str | None) -> str:
        return self.message.text(language)


def code128_text(order_no: str) -> str:
    """The order number as a CODE128 barcode carries it (printable ASCII, at most 80 characters), or LabelError.
    It is the order number as the OMS sent it, never a cleaned copy: "SO-1<ESC>2" made a barcode of "SO-1 2", a code
    no other system knows; such a number gets no label (the operator is told to have it corrected)."""
    s = order_no.strip()
    if not s or len(s) > 80 or not all(32 <= ord(c) < 127 for c in s):
        raise LabelError(Msg("order number {order} cannot be a CODE128 barcode (only printable ASCII); ask the OMS "
                             "for an ASCII order number", order=repr(order_no)))
    return s


def qr_payload(picklist: PickList, station: str = "") -> str:
    return json.dumps({"o": picklist.order_no, "id": picklist.id, "st": station},
                      separators=(",", ":"), ensure_ascii=True)


def local_time(when_utc: datetime | None, tz: str) -> str:
    when_utc = when_utc or datetime.now(UTC)
    if when_utc.tzinfo is None:
        when_utc = when_utc.replace(tzinfo=UTC)
    t = when_utc.astimezone(ZoneInfo(tz))
    return t.strftime("%Y-%m-%d %H:%M ") + (t.tzname() or tz)


def _columns(ch: str) -> int:
    """Columns one character takes on the printer in its Chinese mode (FS &): one a byte of its GB18030 code, so an
    ASCII character takes one and every other two. Cyrillic and Greek are "ambiguous" width in Unicode and were
    counted as one: a Russian name came to 79 printed columns of 48. (A character outside GBK, four bytes, makes its
    line an image: counted two.)"""
    return 1 if ch.isascii() else 2


def _image_columns(ch: str) -> int:
    """Columns in image mode (Noto Sans CJK, proportional): two for a wide (Chinese) character, else one."""
    return 2 if chinese.is_wide(ch) else 1


def display_width(s: str, columns=_columns) -> int:
    return sum(map(columns, s))


def wrap_columns(s: str, cols: int, columns=_columns) -> list[str]:
    """`s` in lines of at most `cols` columns (`columns(ch)` each: a Chinese character takes two): broken at spaces
    and between Chinese characters, never inside a word that fits a line ("(BLACK / S)" was cut after its bracket); a
    word longer than a line is cut where the line ends."""
    words: list[str] = []  # words, single wide characters and single spaces, in order
    for ch in s:
        if ch != " " and not chinese.is_wide(ch) and words and words[-1] != " " \
                and not chinese.is_wide(words[-1][-1]):
            words[-1] += ch
        else:
            words.append(ch)
    out, cur, w = [], "", 0
    for word in words:
        if word == " ":
            if cur or not out:  # (a first line's indent is kept: " GIFT " printed inverted)
                cur, w = cur + " ", w + 1
            continue
        if w + display_width(word, columns) > cols and cur.strip():
            out.append(cur.rstrip())
            cur, w = "", 0
        for ch in word:  # (one pass for a word that fits; a longer one is cut where the line ends)
            if w + columns(ch) > cols and cur.strip():
                out.append(cur.rstrip())
                cur, w = "", 0
            cur, w = cur + ch, w + columns(ch)
    if cur.strip() or not out:
        out.append(cur.rstrip())
    return out


class EscposWriter:
    """python-escpos `Dummy` with our text path (sanitised; Chinese per printer setting)."""

    def __init__(self, settings: PrinterSettings) -> None:
        from escpos.printer import Dummy

        self.settings = settings
        self.dots = settings.dots
        self.p = Dummy(profile=settings.profile)
        # a per-instance copy of the profile data with the configured width (the class data is shared)
        prof = self.p.profile
        data = dict(prof.profile_data)
        media = dict(data.get("media", {}))
        media["width"] = dict(media.get("width", {}), pixels=settings.dots)
        data["media"] = media
        prof.profile_data = data
        self.cols = settings.dots // 12  # font A is 12 dots wide
        self.mode = settings.chinese
        self._scale = 1

    def init(self) -> None:
        self.p.hw("INIT")

    def style(self, *, align: str = "left", bold: bool = False, double: bool = False,
              invert: bool = False) -> None:
        self.p.set(align=align, bold=bold, invert=invert, normal_textsize=not double,
                   double_width=double, double_height=double)
        self._scale = 2 if double else 1
        self._align = align

    def line(self, text: object, max_len: int = 400) -> None:
        s = sanitize(text, max_len)
        cols = self.cols // self._scale
        for part in wrap_columns(s, cols, _columns if self.mode == "gb18030" else _image_columns):
            self._emit(part)

    def _emit(self, s: str) -> None:
        if s.isascii():
            self.p._raw(s.encode("ascii") + b"\n")
            return
        if self.mode == "gb18030" and chinese.fits_gbk(s):
            self.p._raw(chinese.gb18030_line(s) + b"\n")
            return
        try:
            img = chinese.render_text_image(s, self.dots, size=24 * self._scale,
                                            align=getattr(self, "_align", "left"))
        except chinese.NoCjkFont as exc:
            # a clear message once, and the printer's own Chinese mode as the fallback
            log.error("%s; printing in the printer's Chinese mode instead", exc)
            self.p._raw(chinese.gb18030_line(s) + b"\n")
            return
        self.p.image(img, impl="bitImageRaster", center=False)

    def rule(self) -> None:
        self.p._raw(b"-" * self.cols + b"\n")

    def output(self) -> bytes:
        return self.p.output


def _ship_to_lines(pl: PickList) -> list[str]:
    st = pl.ship_to
    return [*(x for x in (st.name, st.phone) if x), *address_lines(st)]  # as the destination country writes it


GIFT, FRAGILE, SHIP_TO = N_("GIFT"), N_("FRAGILE"), N_("SHIP TO")


def _summary_line(ln) -> str:
    v = f" ({ln.variant_beyond_name})" if ln.variant_beyond_name else ""  # "… BLACK S (BLACK / S)" said it twice
    marks = (f" [{both(GIFT)}]" if ln.gift else "") + (f" [{both(FRAGILE)}]" if ln.fragile else "")
    return f"{ln.qty:>3} x {ln.sku} {ln.name}{v}{marks}"


def _more_lines(n: int) -> str:
    return "  " + both(plural(n, "+ {n} more line", "+ {n} more lines", n=n), " / ")


def _units_line(pl: PickList) -> str:
    return both(plural(pl.units, "{n} unit", "{n} units", n=pl.units), " / ")


def _summary_lines(pl: PickList) -> list[str]:
    out = [_summary_line(ln) for ln in pl.lines[:MAX_SUMMARY_LINES]]
    if len(pl.lines) > MAX_SUMMARY_LINES:
        out.append(_more_lines(len(pl.lines) - MAX_SUMMARY_LINES))
    out.append(_units_line(pl))
    return out


def marks(pl: PickList) -> list[str]:
    m = []
    if any(ln.gift for ln in pl.lines):
        m.append(both(GIFT))
    if any(ln.fragile for ln in pl.lines):
        m.append(both(FRAGILE))
    return m


BARCODE_WIDTHS = (3, 2)  # dots a module; GS w takes 2-6 on Epson models (python-escpos refuses 1 too)


def _order_barcode(w: EscposWriter, order_no: str) -> None:
    """The order number as a native CODE128 at the widest module width that fits the printable dots (code set C's
    digit pairs where that makes it wider); a printer prints nothing for a wider one. One that does not fit even
    at 2 dots a module is printed as a QR code of the order number (a scanner reads it the same), and logged."""
    text = code128_text(order_no)
    fitted = code128.fit(text, w.dots, BARCODE_WIDTHS)
    if fitted is None:
        need = code128.modules(code128.plan(text)) * BARCODE_WIDTHS[-1]
        log.warning("order number %r needs %d dots as a CODE128 at %d dots a module, the printer has %d: "
                    "printed as a QR code of the order number instead", text, need, BARCODE_WIDTHS[-1], w.dots)
        w.p.qr(text, size=6, native=True)
        return
    width, runs = fitted
    # native CODE128 (python-escpos' _hw_barcode: its barcode() wrapper print()s to stdout)
    w.p._hw_barcode(code128.escpos_data(runs), "CODE128", height=80, width=width,
                    pos="BELOW", font="A", align_ct=True, function_type="B", check=True)
    w.p._raw(b"\n")


def build_label(picklist: PickList, settings: PrinterSettings | None = None, *, station: str = "",
                operator: str = "", tz: str = "Asia/Shanghai", when: datetime | None = None) -> bytes:
    """The label for `picklist` as ESC/POS bytes for the printer described by `settings`."""
    settings = settings or PrinterSettings()
    if settings.kind == "label":
        return _build_raster_label(picklist, settings, station=station, operator=operator, tz=tz, when=when)
    w = EscposWriter(settings)
    w.init()
    w.style(align="center", bold=True, double=True)
    w.line(" ".join(x for x in (picklist.carrier, picklist.service) if x) or "-")
    w.style(align="center", bold=True)
    w.line(f"ORDER {picklist.order_no}")
    _order_barcode(w, picklist.order_no)
    for m in marks(picklist):
        w.style(align="center", bold=True, double=True, invert=True)
        w.line(f" {m} ")
    w.style(align="left", bold=True)
    w.line(both(SHIP_TO) + ":")
    w.style(align="left")
    for s in _ship_to_lines(picklist):
        w.line(s)
    w.rule()
    for s in _summary_lines(picklist):
        w.line(s)
    w.rule()
    w.style(align="center")
    w.p.qr(qr_payload(picklist, station), size=6, native=True)
    w.style(align="left")
    w.line(f"{station} / {operator} / {local_time(when, tz)}")
    w.p.cut(feed=True)
    return w.output()


def render_label_image(picklist: PickList, settings: PrinterSettings, *, station: str = "", operator: str = "",
                       tz: str = "Asia/Shanghai", when: datetime | None = None):
    """The 100x150 mm label as a 1-bit PIL image, `settings.dots` wide."""
    return raster_label(picklist, settings, station=station, operator=operator, tz=tz, when=when)[0]


def raster_label(picklist: PickList, settings: PrinterSettings, *, station: str = "", operator: str = "",
                 tz: str = "Asia/Shanghai", when: datetime | None = None):
    """The 100x150 mm label as a 1-bit PIL image, and the text lines drawn on it as (top y, text).

    Laid out within the label's height. The QR code (bottom right) and the footer (bottom left) are placed first, in
    a band nothing else is drawn into (a long address used to run down over the QR code and off the label). Then, top
    down: carrier (two lines at most), barcode, order number, marks; the ship-to, set smaller, then cut with "…",
    to leave six summary lines; the item lines (two lines each at most) in the column left of the QR code, as many
    as fit above the footer, the rest said as "+ N more lines"; the units."""
    import qrcode
    from PIL import Image, ImageDraw

    W = settings.dots
    H = int(W * 1.5)
    drawn: list[tuple[int, str]] = []
    img = Image.new("L", (W, H), 255)
    d = ImageDraw.Draw(img)
    scale = W / 800
    m = int(20 * scale)
    gap = int(10 * scale)
    y = m

    def font(size: int, bold: bool = False):
        return chinese.text_fonts(max(12, int(size * scale)), bold)

    def wrapped(s: str, size: int, bold: bool = False, width: int | None = None) -> list[str]:
        f = font(size, bold)
        return chinese.wrap_pixels(f.cover(sanitize(s, 400), "the raster label"), f, width or W - 2 * m)

    def line_h(size: int) -> int:
        return int(max(12, int(size * scale)) * 1.25)

    def draw(lines: list[str], size: int, bold: bool = False, center: bool = False) -> None:
        nonlocal y
        f = font(size, bold)
        for ln in lines:
            x = m if not center else int((W - f.getlength(ln)) / 2)
            f.draw(d, (x, y), ln)
            drawn.append((y, ln))
            y += line_h(size)

    def cut(lines: list[str], n: int, size: int, bold: bool = False, width: int | None = None) -> list[str]:
        """The first n lines, the last ending in "…" when some were left out."""
        if len(lines) <= n:
            return lines
        out = lines[:n]
        f, last = font(size, bold), out[-1]
        while last and f.getlength(last + "…") > (width or W - 2 * m):
            last = last[:-1]
        return [*out[:-1], last + "…"]

    # the foot band: QR code at the right, the footer at the left, reserved first
    q = qrcode.QRCode(box_size=max(2, int(6 * scale)), border=2)
    q.add_data(qr_payload(picklist, station))
    q.make(fit=True)
    qimg = q.make_image().get_image().convert("L")
    band_top = H - m - qimg.height
    img.paste(qimg, (W - m - qimg.width, band_top))
    foot_w = W - 2 * m - qimg.width - gap
    foot_font = font(22)
    foot = wrapped(f"{station} / {operator} / {local_time(when, tz)}", 22, width=foot_w)
    fy = foot_top = H - m - line_h(22) * len(foot)
    for ln in foot:
        foot_font.draw(d, (m, fy), ln)
        drawn.append((fy, ln))
        fy += line_h(22)

    draw(cut(wrapped(" ".join(x for x in (picklist.carrier, picklist.service) if x) or "-", 56, True), 2, 56, True),
         56, bold=True, center=True)
    y += int(4 * scale)
    y = _raster_barcode(img, picklist.order_no, y, int(144 * scale), m) + int(4 * scale)
    draw(wrapped(picklist.order_no, 36, True), 36, bold=True, center=True)
    for mk in marks(picklist):
        draw([f"[ {mk} ]"], 48, bold=True, center=True)
    y += gap
    d.line((m, y, W - m, y), fill=0, width=3)
    y += gap

    # the ship-to, smaller or cut if it would leave less than four item lines, "+ N more" and the units line
    draw(wrapped(both(SHIP_TO) + ":", 28, True), 28, bold=True)
    # (full width, so above the QR code; the summary goes on beside it, down to the footer)
    room = min(band_top - 2 * gap, foot_top - gap - 6 * line_h(24) - 2 * gap) - y
    for size in (34, 30, 26, 24):
        ship = [ln for s in _ship_to_lines(picklist) for ln in wrapped(s, size)]
        if len(ship) * line_h(size) <= room:
            break
    else:
        n = max(1, room // line_h(size))
        log.warning("order %s: the ship-to takes %d lines, the raster label has room for %d: cut with '…'",
                    picklist.order_no, len(ship), n)
        ship = cut(ship, n, size)
    draw(ship, size)
    y += gap
    d.line((m, y, W - m, y), fill=0, width=3)
    y += gap

    # item lines, in the column left of the QR code down to the footer, while they fit above the units line (and a
    # "+ N more lines" line when some do not)
    h, col = line_h(24), foot_w
    room = (foot_top - gap - y) // h - 1  # lines left for the items, the units line kept
    items = [cut(wrapped(_summary_line(ln), 24, width=col), 2, 24, width=col) for ln in picklist.lines]  # two lines at most
    shown: list[str] = []
    for k, it in enumerate(items):
        rest_after = len(items) - k - 1
        if len(shown) + len(it) + (1 if rest_after else 0) > room:
            break
        shown += it
    else:
        k = len(items)
    if k < len(items):
        shown.append(_more_lines(len(items) - k))
    draw(shown + wrapped(_units_line(picklist), 24, width=col), 24)
    return img.point(lambda v: 0 if v < 128 else 255, mode="1"), drawn


RASTER_BARCODE_WIDTHS = (4, 3, 2)  # dots a module on a 203 dpi label (1 dot, 0.125 mm, is too thin to scan)


def _raster_barcode(img, order_no: str, y: int, height: int, margin: int) -> int:
    """The order number's CODE128 drawn at a whole number of dots a module, the widest that fits with its quiet zone
    (a barcode squeezed to the width, as before, has uneven bars); a QR code of the order number when none fits
    (logged). Returns the y below it."""
    from PIL import ImageDraw

    text = code128_text(order_no)
    W = img.width
    fitted = code128.fit(text, W - 2 * margin, RASTER_BARCODE_WIDTHS, quiet=10)
    if fitted is None:
        import qrcode

        log.warning("order number %r is too long for a CODE128 on a %d-dot label: drawn as a QR code of the "
                    "order number instead", text, W)
        q = qrcode.QRCode(box_size=max(2, height // 40), border=0)
        q.add_data(text)
        q.make(fit=True)
        qimg = q.make_image().get_image().convert("L")
        img.paste(qimg, ((W - qimg.width) // 2, y))
        return y + qimg.height
    mw, runs = fitted
    pattern = code128.bars(code128.symbol_values(runs))
    x0 = (W - len(pattern) * mw) // 2
    d = ImageDraw.Draw(img)
    for i, bit in enumerate(pattern):
        if bit == "1":
            d.rectangle((x0 + i * mw, y, x0 + (i + 1) * mw - 1, y + height - 1), fill=0)
    return y + height


def _build_raster_label(picklist: PickList, settings: PrinterSettings, **kw) -> bytes:
    w = EscposWriter(settings)
    w.init()
    img = render_label_image(picklist, settings, **kw)
    w.p.image(img, impl="bitImageRaster", fragment_height=960)
    w.p._raw(GS_FF)
    w.p.cut(feed=False)
    return w.output()
