"""The fonts the station's PDFs embed (weekly reports, packing slips, the station sheet), registered once with
reportlab: a TrueType sans for Latin text (regular and bold) and a TrueType font with Chinese glyphs.

Embedded, a PDF reads and prints the same everywhere. Not embedded (reportlab's Helvetica or its STSong-Light CID
font), it depends on the reader's fonts: poppler on Debian draws Helvetica in DejaVu Sans at Helvetica's advance
widths ("S O-2026-000123", "W ang"), and that is what an 80 mm slip printer gets when the station rasterises a slip;
without poppler-data the STSong text is not drawn at all.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Debian: fonts-dejavu-core, fonts-droid-fallback (scripts/setup.sh installs both); the others where a machine has them.
LATIN_TTF = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)
CJK_TTF = (  # reportlab cannot embed the CFF-flavoured Noto CJK (fonts-noto-cjk, used on screen)
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _right_to_left(text: str) -> bool:
    """True when `text` has a right-to-left letter (Arabic, Hebrew, ...): it needs shaping and reordering."""
    return not text.isascii() and any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


@functools.lru_cache(maxsize=512)
def visual(text: str) -> str:
    """`text` in the order its glyphs are drawn, left to right, with Arabic letters in their joined forms.
    reportlab draws characters one after another as they are stored: an Arabic address came out in isolated letters,
    right to left read left to right ("عراش" for "شارع"). arabic-reshaper chooses each letter's form (the Latin
    font, DejaVu Sans, has them) and python-bidi puts the runs in display order (Unicode's bidirectional algorithm).
    Text without a right-to-left letter comes back as it is."""
    if not _right_to_left(text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(text))


@functools.lru_cache(maxsize=64)
def _say_missing(chars: str, text: str) -> None:
    log.warning("no PDF font draws %s in %r: printed as '?'", ", ".join(f"U+{ord(ch):04X}" for ch in chars), text)


@dataclass(frozen=True)
class PdfFonts:
    latin: str
    latin_bold: str
    cjk: str  # has no bold face: bold Chinese is drawn filled and stroked
    latin_chars: frozenset[int]  # code points the Latin font draws; everything else goes to the CJK font
    cjk_chars: frozenset[int] | None = None  # code points the CJK font draws (None: not known, a CID font)

    @property
    def embedded(self) -> bool:
        return self.latin != "Helvetica" and self.cjk != "STSong-Light"

    def font_for(self, ch: str) -> str:
        return self.latin if ord(ch) in self.latin_chars or ch in "\t\n\r" else self.cjk

    def runs(self, text: str) -> list[tuple[str, str]]:
        """`text` in display order (`visual`) cut into (font, run) pieces: Latin runs in the Latin font, the rest in
        the CJK font. A character neither font has (an emoji in a customer's name) is a "?", logged: it was an empty
        space, and nothing said so."""
        text = visual(text)
        out: list[tuple[str, str]] = []
        if self.cjk_chars is not None and not text.isascii():
            latin, cjk = self.latin_chars, self.cjk_chars
            missing = "".join(sorted({ch for ch in text if (o := ord(ch)) not in latin and o not in cjk
                                      and not ch.isspace()}))
            if missing:
                _say_missing(missing, text)
                text = "".join("?" if ch in missing else ch for ch in text)
        for ch in text:
            f = self.font_for(ch)
            if out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + ch)
            else:
                out.append((f, ch))
        return out


@functools.lru_cache(maxsize=1)
def pdf_fonts() -> PdfFonts:
    """Register the fonts (first call) and name them. Without an embeddable TrueType font a PDF still comes out, in
    reportlab's built-in fonts (logged): a slip must print even then; a report refuses (app.reports.FontMissing)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    def first(paths: tuple[str, ...], as_name: str) -> TTFont | None:
        for path in paths:
            if Path(path).is_file():
                try:
                    f = TTFont(as_name, path)
                except Exception as exc:  # a CFF-flavoured or broken file
                    log.info("cannot embed %s in PDFs: %s", path, exc)
                    continue
                pdfmetrics.registerFont(f)
                return f
        return None

    latin = bold = None
    for regular, heavy in LATIN_TTF:
        latin = first((regular,), "PS-Sans")
        if latin is not None:
            bold = first((heavy,), "PS-Sans-Bold") or latin
            break
    cjk = first(CJK_TTF, "PS-CJK")
    if cjk is None:
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        log.warning("no TrueType CJK font to embed (install fonts-droid-fallback): PDFs use the STSong-Light CID font")
    if latin is None:
        log.warning("no TrueType Latin font to embed (install fonts-dejavu-core): PDFs use Helvetica")
        return PdfFonts("Helvetica", "Helvetica-Bold", cjk.fontName if cjk else "STSong-Light",
                        frozenset(range(0x250)) | frozenset(map(ord, "…–—‘’“”•€")))
    return PdfFonts(latin.fontName, bold.fontName, cjk.fontName if cjk else "STSong-Light",
                    frozenset(latin.face.charToGlyph), frozenset(cjk.face.charToGlyph) if cjk else None)
