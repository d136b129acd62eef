"""Text for ESC/POS printers: sanitising OMS strings, and Chinese printed correctly.

python-escpos 3.1 sends GB18030 bytes without switching the printer into Chinese mode and turns
strings without a Han character (full-width punctuation such as U+FF0C U+3002 U+FF1A U+FFE5, full-width
digits) into ``?`` (its issues #190, #678).
We do not let it encode text at all. Each printer chooses (``PrinterSettings.chinese``):

* ``"gb18030"``: a line with any non-ASCII character is sent as ``FS &`` + GB18030 bytes + ``FS .``
  (the printer's own Chinese mode; GB18030 is a superset of GBK, so GBK-only printers print every
  GBK character). A line with a character outside GBK (emoji, rare Han) is rendered as an image.
* ``"image"``: a line with any non-ASCII character is rendered with a CJK font (Noto Sans CJK from
  fonts-noto-cjk) to a 1-bit image at the printer's dot width, DejaVu Sans for what it lacks (`FontStack`).

ASCII lines are sent as plain bytes in both modes.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import unicodedata
from pathlib import Path

log = logging.getLogger(__name__)

FS_KANJI_ON = b"\x1c\x26"  # FS &
FS_KANJI_OFF = b"\x1c\x2e"  # FS .

_CJK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class NoCjkFont(RuntimeError):
    pass


def sanitize(value: object, max_len: int = 200) -> str:
    """OMS text made safe for a printer: control characters (C0, DEL, C1), format characters (bidi
    overrides, zero-width) and unassigned code points become spaces or vanish, so an ESC/GS sequence in
    a product name is printed as text, never executed. Whitespace runs collapse; long text is cut."""
    s = unicodedata.normalize("NFC", str(value if value is not None else ""))
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Cc":  # C0 (incl. ESC 0x1b, GS 0x1d, FS 0x1c, DLE 0x10), DEL, C1
            out.append(" ")
        elif cat in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(" " if cat in ("Zl", "Zp") else "")
        else:
            out.append(ch)
    s = " ".join("".join(out).split())
    if len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return s


def is_ascii(s: str) -> bool:
    return s.isascii()


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> Path | None:
    """A font file with Chinese glyphs (fc-match first, then known paths)."""
    if shutil.which("fc-match"):
        try:
            r = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=zh-cn"],
                               capture_output=True, text=True, timeout=5)
            p = Path(r.stdout.strip())
            if r.returncode == 0 and p.is_file() and ("CJK" in p.name or "Fallback" in p.name or "wqy" in p.name):
                return p
        except (OSError, subprocess.TimeoutExpired):
            pass
    for c in _CJK_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    return None


@functools.lru_cache(maxsize=8)
def _pil_font(size: int, bold: bool = False):
    from PIL import ImageFont

    path = find_cjk_font()
    if path is None:
        raise NoCjkFont("no CJK font found: install fonts-noto-cjk (apt-get install fonts-noto-cjk)")
    if bold:
        b = path.with_name(path.name.replace("Regular", "Bold"))
        if b.is_file():
            path = b
    # index 2 in the Noto CJK collection is Simplified Chinese (SC)
    index = 2 if path.suffix == ".ttc" and "NotoSansCJK" in path.name else 0
    return ImageFont.truetype(str(path), size, index=index)


# after the CJK font, for what it has no glyph for: Arabic, Hebrew, more Cyrillic/Greek, symbols (fonts-dejavu-core,
# in scripts/setup.sh; Pillow's libraqm shapes Arabic and orders right-to-left text)
FALLBACK_FONTS = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),)
_NOT_A_CHAR = "\U000ffffd"  # no font has a glyph for it: what a font draws for it is its "missing" box


class FontStack:
    """The printed text's fonts in order (the CJK font, then DejaVu Sans): a line is drawn in the first font that has
    every character of it (so libraqm orders a right-to-left line and shapes Arabic as one text), else in runs of
    characters, each in the first font that has them. A character no font has is printed as "?" and logged by
    `cover()` (an emoji or Arabic was an empty box, silently)."""

    def __init__(self, fonts: list) -> None:
        self.fonts = fonts
        self._has: dict[tuple[int, str], bool] = {}
        self._missing_sig = [self._sig(f, _NOT_A_CHAR) for f in fonts]

    @staticmethod
    def _sig(font, ch: str):
        m = font.getmask(ch)
        return m.size, bytes(m)

    def has(self, k: int, ch: str) -> bool:
        key = (k, ch)
        if key not in self._has:
            self._has[key] = ch.isspace() or self._sig(self.fonts[k], ch) != self._missing_sig[k]
        return self._has[key]

    def font_index(self, ch: str) -> int | None:
        return next((k for k in range(len(self.fonts)) if self.has(k, ch)), None)

    def cover(self, text: str, what: str = "text") -> str:
        """`text` with each character no font has replaced by "?", and a warning naming them."""
        missing = sorted({ch for ch in text if self.font_index(ch) is None})
        if not missing:
            return text
        log.warning("no font on this station draws %s in %s %r: printed as '?'",
                    ", ".join(f"U+{ord(ch):04X}" for ch in missing), what, text)
        return "".join("?" if ch in missing else ch for ch in text)

    def runs(self, text: str) -> list[tuple[object, str]]:
        for k, f in enumerate(self.fonts):
            if all(self.has(k, ch) for ch in text):
                return [(f, text)]
        out: list[tuple[object, str]] = []
        for ch in text:
            f = self.fonts[self.font_index(ch) or 0]
            if out and out[-1][0] is f:
                out[-1] = (f, out[-1][1] + ch)
            else:
                out.append((f, ch))
        return out

    def getlength(self, text: str) -> float:
        return sum(f.getlength(t) for f, t in self.runs(text))

    def getmetrics(self) -> tuple[int, int]:
        return max(f.getmetrics()[0] for f in self.fonts), max(f.getmetrics()[1] for f in self.fonts)

    def draw(self, d, xy: tuple[float, float], text: str, fill=0) -> None:
        x, y = xy
        for f, t in self.runs(text):
            d.text((x, y), t, font=f, fill=fill)
            x += f.getlength(t)


@functools.lru_cache(maxsize=16)
def text_fonts(size: int, bold: bool = False) -> FontStack:
    """The font stack for printed text at `size` px (NoCjkFont without a CJK font)."""
    from PIL import ImageFont

    fonts = [_pil_font(size, bold)]
    for regular, bold_path in FALLBACK_FONTS:
        path = bold_path if bold and Path(bold_path).is_file() else regular
        if Path(path).is_file():
            fonts.append(ImageFont.truetype(path, size))
    if len(fonts) == 1:
        log.warning("no fallback font (install fonts-dejavu-core): Arabic and Hebrew print as '?'")
    return FontStack(fonts)


def render_text_image(text: str, width: int, size: int = 24, bold: bool = False, align: str = "left"):
    """A 1-bit PIL image of `text` (wrapped to `width` dots) in the CJK font, with DejaVu Sans for what it lacks."""
    from PIL import Image, ImageDraw

    font = text_fonts(size, bold)
    lines = wrap_pixels(font.cover(text, "a printed line"), font, width)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent  # Noto CJK's metrics include room for descenders
    img = Image.new("1", (width, line_h * len(lines)), 1)
    d = ImageDraw.Draw(img)
    for i, ln in enumerate(lines):
        w = font.getlength(ln)
        x = 0 if align == "left" else int((width - w) / 2) if align == "center" else int(width - w)
        font.draw(d, (x, i * line_h), ln)
    return img


# Chinese line breaking (kinsoku), by Unicode category (no Chinese literal in the code: test_i18n): closing brackets
# and quotes, and full-width or ASCII sentence punctuation (，。：！), never start a line; opening ones never end one
def _no_line_start(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return (cat in ("Pe", "Pf") or ch in ",.:;!?%\u2026\u2014\uff5e"
            or (cat == "Po" and is_wide(ch)))


def _no_line_end(ch: str) -> bool:
    return unicodedata.category(ch) in ("Ps", "Pi")


def is_wide(ch: str) -> bool:
    """A wide (Chinese, full-width) character: two columns on a printer, its own unit when a line breaks."""
    return unicodedata.east_asian_width(ch) in "WF"


def _break_units(text: str) -> list[str]:
    """`text` as the pieces a line may break between: a Latin word (letters, digits, punctuation up to a space) is
    one piece; each Chinese character is one, its closing punctuation glued to it and opening punctuation to the
    next; a space is a piece of its own."""
    units: list[str] = []
    for ch in text:
        if ch == " ":
            units.append(ch)
        elif not units or units[-1] == " ":
            units.append(ch)
        elif _no_line_start(ch) or _no_line_end(units[-1][-1]):
            units[-1] += ch
        elif is_wide(ch) or is_wide(units[-1][-1]):
            units.append(ch)
        else:
            units[-1] += ch
    return units


def wrap_pixels(text: str, font, width: int) -> list[str]:
    """`text` in lines at most `width` pixels wide in `font`: broken at spaces, between Chinese characters (never
    before a closing or after an opening punctuation mark), never inside a Latin word that fits a line ("pro|duct"
    was cut where the pixels ran out); a word longer than a line is cut where the line ends."""
    lines: list[str] = []
    cur = ""
    for unit in _break_units(text):
        if unit == " ":
            if cur:
                cur += " "
            continue
        if font.getlength(cur + unit) <= width or not cur.strip():
            cur += unit
        else:
            lines.append(cur.rstrip())
            cur = unit
        while font.getlength(cur) > width and len(cur) > 1:  # a word longer than the line: cut where it ends
            k = len(cur) - 1
            while k > 1 and font.getlength(cur[:k]) > width:
                k -= 1
            lines.append(cur[:k].rstrip())
            cur = cur[k:].lstrip()
    lines.append(cur.rstrip())
    return lines


def gb18030_line(text: str) -> bytes:
    """FS & + GB18030 bytes + FS . — the printer's Chinese mode, encoded by us (never `?`)."""
    return FS_KANJI_ON + text.encode("gb18030") + FS_KANJI_OFF


def fits_gbk(text: str) -> bool:
    try:
        text.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False
