"""Barcode normalisation: raw scanner text -> one comparable code.

`normalise(raw, prefix=, suffix=)` never raises. It:

0. escapes lone surrogates (``\\udcXX``) so that every scan can be stored, and folds full-width digits/letters
   from a Chinese input method (U+FF10–U+FF19, U+FF21–…) to ASCII (Unicode NFKC); `folded` then says so;
1. strips the configured scanner prefix/suffix and surrounding whitespace;
2. takes the AIM symbology identifier from `raw.symbology`, or from the text itself when the
   scanner sends it as a prefix (``]E04006381333931``), and applies its modifier (ISO/IEC 15424):
   ``]A1``/``]A5`` Code 39 whose last character is its mod-43 check character (validated, then removed; a
   mismatch is ``check_digit``), ``]A3``/``]A7`` check already validated and removed by the scanner;
   ``]I1`` ITF with its mod-10 check digit (validated, kept: ITF-14 is a GTIN); ``]E3`` EAN-13/UPC-A/UPC-E
   followed by a 2- or 5-digit add-on (concatenated or after a space; also a space-separated add-on without
   AIM id, and an EAN-13 + 2/5 or UPC-A + 5 run together, 15/17/18 digits, without AIM id or with ]E0): the code is
   the base item's, the add-on goes to `addon`;
3. drops control characters, except GS (``\\x1d``, what scanners send for FNC1), which separates
   GS1 element strings;
4. decides whether the text is GS1: only if the symbology says so (``]C1`` GS1-128, ``]e0`` DataBar,
   ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR, ``]J1`` DotCode), or the text carries a GS/FNC1, or it is
   written human-readable ``(01)...(10)...``, or — no symbology sent, as a wedge scanner's default is, or a GS1 one in
   the other case, as Caps Lock types it (``]D2``) — it starts
   with AI 01/02 and a GTIN-14 (or AI 00 and an SSCC) whose check digit holds and parses whole as element strings
   (``0106900000000342172712311 0L02A`` without the space). A plain Code128 ``10D9T`` is the text ``10D9T``, never
   AI 10;
5. parses GS1 element strings with `biip` into GTIN (AI 01/02), lot (10), expiry (17, else 15),
   serial (21) and count (30/37);
6. turns GTIN-8/12/13/14 and UPC-E into one key, the GTIN-14, after validating the check digit
   (biip). An 8-digit code without a symbology is ambiguous (EAN-8 or UPC-E): the other reading goes
   to `alternates`. A numeric code of GTIN length with a bad check digit is `error="check_digit"`
   unless the symbology says it is not EAN/UPC (then it is plain text, e.g. an internal Code128).

The result's `code` is the match key: GTIN-14 for anything carrying a GTIN, else the cleaned text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from app.scans import RawScan, ScanSource, safe_text

log = logging.getLogger(__name__)

GS = "\x1d"
# how GS is written where it cannot be typed: the control picture ␝, "<GS>", caret notation "^]" and the escape "\x1d"
# (what scanner set-up tools and terminals show, and what a scanner told to send GS "as text" sends)
GS_PRINTED = ("\u241d", "<GS>", "^]", "\\x1d", "\\x1D")
# FNC1 in first position: GS1-128, DataBar, GS1 DataMatrix (d2, d5 with ECI), GS1 QR (Q3, Q4 with ECI), DotCode
GS1_SYMBOLOGIES = frozenset({"]C1", "]e0", "]e1", "]e2", "]d2", "]d5", "]Q3", "]Q4", "]J1"})
EAN_SYMBOLOGIES = frozenset({"]E0", "]E3", "]E4"})
_URI_RE = re.compile(r"https?://", re.IGNORECASE)  # a web address: maybe a GS1 Digital Link
# Symbologies that can carry a GTIN as plain digits (EAN/UPC, ITF-14, GS1 ones)
GTIN_SYMBOLOGIES = EAN_SYMBOLOGIES | {"]I1"} | GS1_SYMBOLOGIES
_AIM_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_HRI_RE = re.compile(r"^\(\d{2,4}\)")
_WS = " \t\r\n\x00"
CODE39_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_ADDON_SPACED = re.compile(r"^(\d{8}|\d{12}|\d{13})[ +](\d{2}|\d{5})$")  # "+": how Zint and zxing-cpp write it
MAX_LEN = 512  # a scan longer than this is not a barcode we handle


@dataclass(frozen=True)
class NormalisedCode:
    """One scan, cleaned. `code` is the match key (GTIN-14 for GTINs); `error` is None or one of
    empty | check_digit | gs1 | gs1_count (AI 02 without its count, AI 37) | too_long | internal (then `error_detail`
    says more, in English)."""

    text: str  # cleaned text: prefix/suffix, AIM id and control characters removed (GS kept)
    code: str  # match key
    symbology: str | None = None
    gs1: bool = False
    gtin: str | None = None  # GTIN-14
    alternates: tuple[str, ...] = ()  # other keys this scan may mean (8 digits: EAN-8 or UPC-E)
    addon: str | None = None  # EAN/UPC 2- or 5-digit add-on (issue number, price), not part of the match key
    folded: bool = False  # full-width/compatibility characters were folded (an input method was on)
    lot: str | None = None
    expiry: dt.date | None = None
    serial: str | None = None
    count: int | None = None  # AI 30: the trade item's own units; AI 37: trade items of `gtin` in a logistic unit
    count_ai: str | None = None  # which of the two said `count`
    sscc: str | None = None  # AI 00: the serial shipping container code of a pallet's or a parcel's label
    error: str | None = None
    error_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    def keys(self) -> tuple[str, ...]:
        """Every key to try in a lookup, best first (the cleaned text last, so that an internal
        code that merely looks like a bad GTIN still matches a catalogue entry stored as text). A scan with an
        EAN/UPC add-on tries its item with that add-on first (a code stored with one: `stored_keys`), then the
        base item (a book stored by its ISBN alone, its price add-on read too)."""
        out = [self.code] if self.code else []
        if self.addon and self.code:
            out.insert(0, self.code + "+" + self.addon)
        out += [a for a in self.alternates if a not in out]
        if self.text and self.text not in out and GS not in self.text:
            out.append(self.text)
        return tuple(out)

    def stored_keys(self) -> tuple[str, ...]:
        """The keys a catalogue or pick-list code is found under: `keys()`, but a code stored with its add-on only
        with that add-on. Magazines' issues share their EAN-13 and differ in the 2-digit add-on: keyed by the base
        too, issue 08 scanned counted as the order's issue 07."""
        if self.addon and self.code:
            return tuple(k for k in (self.code + "+" + self.addon, self.text) if k)
        return self.keys()


def normalise(raw: RawScan | str, *, prefix: str = "", suffix: str = "") -> NormalisedCode:
    """Raw scan -> NormalisedCode. Never raises: anything unexpected becomes error='internal'."""
    if isinstance(raw, str):
        raw = RawScan(raw, ScanSource.SIMULATED)
    try:
        text = raw.text
        if type(text) is not str or not text.isascii():  # nearly every scan is plain ASCII: no call for it
            text = safe_text(text)
        sym = raw.symbology
        if type(sym) is not str or not sym.isascii():
            sym = safe_text(sym) if isinstance(sym, str) else None
        if len(text) > MAX_LEN * 4:  # before any work on it (and not cached)
            return NormalisedCode(text="", code="", error="too_long", error_detail=f"{len(text)} characters")
        folded = text if text.isascii() else unicodedata.normalize("NFKC", text)  # NFKC leaves ASCII as it is
        nc = _normalise_cached(folded, sym, prefix, suffix)
        if folded != text and nc.text:
            nc = dataclasses.replace(nc, folded=True)
        return nc
    except Exception as exc:  # a bug here must not reach the operator as a traceback
        log.exception("normalise failed for %r", getattr(raw, "text", raw))
        return NormalisedCode(text="", code="", error="internal", error_detail=f"{type(exc).__name__}: {exc}")


@lru_cache(maxsize=8192)
def _normalise_cached(text: str, symbology: str | None, prefix: str, suffix: str) -> NormalisedCode:
    if len(text) in (12, 13, 14) and symbology in (None, "]E0") and text.isdigit() and text.isascii() \
            and not (prefix and text.startswith(prefix)) and not (suffix and text.endswith(suffix)):
        return _digits(text, symbology)  # a GTIN-12/13/14 as a wedge or a camera sends it: what the steps below give
    if len(text) > MAX_LEN * 4:
        return NormalisedCode(text="", code="", error="too_long", error_detail=f"{len(text)} characters")
    if any(p in text for p in GS_PRINTED):  # GS as printed (GS1 documents, scanner tools, test files)
        for p in GS_PRINTED:
            text = text.replace(p, GS)
    t = text.strip(_WS)
    if prefix and t.startswith(prefix):
        t = t[len(prefix):]
    if suffix and t.endswith(suffix):
        t = t[: -len(suffix)]
    t = t.strip(_WS)  # not str.strip(): Python counts GS (\x1d) as whitespace
    sym = symbology.strip() if symbology else None
    if sym and not _AIM_RE.match(sym):
        sym = None
    m = _AIM_RE.match(t)
    if m:  # the scanner sent its AIM id as a text prefix
        sym = sym or m.group(0)
        t = t[3:]
    if sym and sym[:2] == "]A" and sym[2] in "15":  # Code 39, its check character transmitted last
        return _code39_check(_clean(t).strip(" "), sym)
    addon = None
    spaced = sym in (None, "]E0", "]E3") and _ADDON_SPACED.match(t)
    if sym == "]E3" or spaced:
        t = t.replace("+", " ", 1) if spaced else t
        base, addon = _split_addon(t.replace(" ", ""), t)
        if addon is not None:
            nc = _digits(base, "]E0" if sym == "]E3" and len(base) == 8 else None)  # ]E3 + 8 digits: UPC-E
            return dataclasses.replace(nc, symbology=sym, addon=addon)
    elif sym in (None, "]E0") and len(t) in (15, 17, 18) and t.isdecimal() and t.isascii():
        # A scanner set to read add-ons sends an EAN-13 + 2 / + 5 (a magazine's issue, a book's price) or a UPC-A + 5
        # as one run of digits, with no AIM id or with ]E0: it was "Unknown barcode 978030640615790000". No GTIN is 15,
        # 17 or 18 digits long; the base's check digit must hold. The text stays whole (an 18-digit order number that
        # only looks so still finds its order); the base is the match key.
        base, addon = _split_addon(t, t)
        if addon is not None:
            nc = _digits(base, None)
            if nc.ok:
                return dataclasses.replace(nc, text=t, symbology=sym, addon=addon)
    fnc1 = t.startswith(GS)  # FNC1 in first position = GS1
    t = _clean(t).strip(" ")
    if not t:
        return NormalisedCode(text="", code="", symbology=sym, error="empty", error_detail="nothing readable")
    if len(t) > MAX_LEN:
        return NormalisedCode(text=t[:MAX_LEN], code="", symbology=sym, error="too_long",
                              error_detail=f"{len(t)} characters")
    if _URI_RE.match(t):  # a GS1 Digital Link: the QR on a product, https://<any domain>/01/<GTIN>/10/<lot>?17=…
        nc = _digital_link(t, sym)
        if nc is not None:
            return nc
    if _HRI_RE.match(t):
        return _gs1(t, sym, hri=True)
    if sym in GS1_SYMBOLOGIES or fnc1 or GS in t:
        # ]e0 / ]d2 etc. carrying just 14 digits without AI is not a thing; 16+ digits starting 01 are
        return _gs1(t.strip(GS), sym, hri=False)
    if (sym is None or sym.swapcase() in GS1_SYMBOLOGIES) and _gtin_first(t):
        # A wedge scanner sends no AIM id and no FNC1 in first position by default, and a GS only between two
        # fields when the first has a variable length: a GS1-128 "(01)…(17)…(10)LOT" arrives as plain digits
        # and letters. It is GS1 when it starts with AI 01/02 and a GTIN-14 whose check digit holds and the whole
        # text parses as element strings; anything else stays text (the text is still a lookup key: keys()).
        # A GS1 symbology id in the other case is one typed with Caps Lock on: "]d2" comes as "]D2", DataBar's "]e0" as
        # "]E0" (an EAN's id, which never carries 16 digits or more): such codes were unknown barcodes.
        nc = _gs1(t, sym, hri=False)
        if nc.ok or nc.error == "gs1_count":
            return nc
    if t.isdecimal() and t.isascii():
        return _digits(t, sym)
    return NormalisedCode(text=t, code=t, symbology=sym)


def _gtin_first(t: str) -> bool:
    """AI 01 or 02 and a GTIN-14 with a valid check digit, then more, or AI 00 and an SSCC (18 digits) with a valid
    check digit: the start of a GS1 element string."""
    if t[:2] == "00":  # a pallet's or a parcel's label: (00) SSCC, often (02) content (37) count, no GS needed
        return len(t) >= 20 and t[2:20].isascii() and t[2:20].isdigit() and gs1_check_ok(t[2:20])
    return len(t) >= 16 and t[:2] in ("01", "02") and t[2:16].isascii() and t[2:16].isdigit() \
        and gs1_check_ok(t[2:16])


def code39_check_char(body: str) -> str | None:
    """The mod-43 check character of a Code 39 text, None when a character is not in Code 39's alphabet."""
    if not all(c in CODE39_ALPHABET for c in body):
        return None
    return CODE39_ALPHABET[sum(CODE39_ALPHABET.index(c) for c in body) % 43]


def _code39_check(t: str, sym: str) -> NormalisedCode:
    """]A1/]A5: the last character is the mod-43 check character of the others: validate, then drop it."""
    if len(t) < 2:
        return NormalisedCode(text=t, code=t, symbology=sym, error="empty" if not t else "check_digit",
                              error_detail=f"{t!r}: no Code 39 check character")
    body, check = t[:-1], t[-1]
    want = code39_check_char(body)
    if want is not None:
        if check != want:
            return NormalisedCode(text=t, code=t, symbology=sym, error="check_digit",
                                  error_detail=f"{t}: Code 39 check character {check!r}, expected {want!r}")
    # full ASCII (]A5) text cannot be re-checked from the decoded characters: the scanner validated it.
    # A decoder reports ]A1 whenever the last character happens to fit (1 in 43 for codes printed without one):
    # the whole text stays a lookup key, so such a code still matches a catalogue entry stored in full.
    return NormalisedCode(text=body, code=body, symbology=sym, alternates=(t,))


def _split_addon(digits: str, original: str) -> tuple[str, str | None]:
    """EAN-13 (13) / UPC-A (12) / UPC-E (8) followed by a 2- or 5-digit add-on -> (base, add-on)."""
    if " " in original.strip():
        base, _sp, add = original.strip().partition(" ")
        base, add = base.strip(), add.strip()
        if base.isdecimal() and add.isdecimal() and len(add) in (2, 5):
            return base, add
        return original, None
    if not digits.isdecimal() or not digits.isascii():
        return original, None
    for base_len in (13, 12, 8):
        for add_len in (5, 2):
            if len(digits) == base_len + add_len:
                base = digits[:base_len]
                ok = _upce14(base) if base_len == 8 else _gtin14(base)
                if ok:
                    return base, digits[base_len:]
    return original, None


def _clean(t: str) -> str:
    """Drop control and invisible format characters, keep GS."""
    if t.isprintable():  # nearly every scan: nothing to drop (GS, ZWSP and BOM are not printable)
        return t
    return "".join(c for c in t if c == GS or (c.isprintable() and c not in "\u200b\ufeff"))


def _digits(t: str, sym: str | None) -> NormalisedCode:
    n = len(t)
    not_ean = sym is not None and sym not in GTIN_SYMBOLOGIES
    if n == 8 and sym is None:
        ean8 = _gtin14(t)
        upce = _upce14(t)
        keys = [k for k in (ean8, upce) if k]
        if keys:
            return NormalisedCode(text=t, code=keys[0], symbology=sym, gtin=keys[0], alternates=tuple(keys[1:]))
        return _bad_check(t, sym)
    if sym == "]E0" and n in (6, 7, 8):  # UPC-E from an EAN/UPC scanner
        k = _upce14(t)
        return NormalisedCode(text=t, code=k, symbology=sym, gtin=k) if k else _bad_check(t, sym)
    if n in (8, 12, 13, 14):
        k = _gtin14(t)
        if k:
            return NormalisedCode(text=t, code=k, symbology=sym, gtin=k)
        if not_ean:  # an internal numeric Code128/Code39/QR code: just text
            return NormalisedCode(text=t, code=t, symbology=sym)
        return _bad_check(t, sym)
    return NormalisedCode(text=t, code=t, symbology=sym)


def _bad_check(t: str, sym: str | None) -> NormalisedCode:
    return NormalisedCode(text=t, code=t, symbology=sym, error="check_digit",
                          error_detail=f"{t}: check digit does not match")


def load_parsers() -> None:
    """Import biip now (any thread): 80 ms that the station's start-up leaves to a worker once the login screen
    shows, rather than to the first scan (its functions import it on first use)."""
    import biip.gs1_digital_link_uris  # noqa: F401
    import biip.gs1_messages  # noqa: F401
    import biip.gtin  # noqa: F401
    import biip.upc  # noqa: F401


def with_gs1_check(body: str) -> str:
    """`body` and its GS1 mod-10 check digit (biip's): a GTIN, an ITF-14 case code or a test code made from digits."""
    from biip.checksums import gs1_standard_check_digit

    return body + str(gs1_standard_check_digit(body))


def gs1_check_ok(c: str) -> bool:
    """GS1 mod-10 check digit of an all-ASCII-digit string (weights 3,1,3,... from the right),
    summed over the ASCII bytes (48 is "0") so that the loop runs in C."""
    b = c.encode("ascii")
    odd, even = b[-2::-2], b[-3::-2]
    s = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - s % 10) % 10 == b[-1] - 48


def _gtin14(t: str) -> str | None:
    """The GTIN-14 of a GTIN-8/12/13/14, or None when the check digit is wrong. GTIN-12/13/14, nearly every
    scan, are checked here in a few microseconds (biip's answer, held equal in tests/test_barcodes.py)."""
    if len(t) in (12, 13, 14) and t.isascii() and t.isdigit():
        return t.zfill(14) if gs1_check_ok(t) else None
    from biip import ParseError
    from biip.gtin import Gtin

    try:
        return Gtin.parse(t).as_gtin_14()
    except (ParseError, ValueError):
        return None


def _upce14(t: str) -> str | None:
    from biip import ParseError
    from biip.upc import Upc

    try:
        return Upc.parse(t).as_gtin_14()
    except (ParseError, ValueError, Exception):  # biip raises EncodeError for some UPC-E forms
        return None


def gtin_key(code: str) -> tuple[str, ...]:
    """Keys a stored catalogue code matches under (GTIN-14 first, then alternates, then itself; a code with an EAN/UPC
    add-on only with it: `NormalisedCode.stored_keys`)."""
    return normalise(RawScan(code, ScanSource.SIMULATED)).stored_keys()


def _gs1(t: str, sym: str | None, *, hri: bool) -> NormalisedCode:
    from biip import ParseError
    from biip.gs1_messages import GS1Message

    try:
        msg = GS1Message.parse_hri(t) if hri else GS1Message.parse(t)
    except (ParseError, ValueError) as exc:
        return NormalisedCode(text=t, code=t, symbology=sym, gs1=True, error="gs1", error_detail=str(exc))
    es = msg.element_strings
    if not hri and GS not in t:
        es = _dropped_gs(t, es) or es
    return _from_elements(t, sym, es)


_DATE_AIS = frozenset({"11", "13", "15", "16", "17"})  # production, packaging, best before, sell by, expiry
_DATE_AI_RE = re.compile(r"(?=(?:11|13|15|16|17)\d{6})")  # where a date element string may begin


def _dropped_gs(t: str, es):
    """The element strings of `t` read with the GS its lot or serial lacks, or None.

    A scanner that drops the GS (FNC1) after a variable-length field (not set up to send it, a keyboard layout
    without Ctrl+]) sends (01)…(10)D9T(17)281231 as "0109506000134352" "10D9T17281231": read as GS1 says, the lot is
    "D9T17281231" and there is no expiry, so an expired lot passed the expiry check (and an allowed lot was a wrong
    one). When the lot's or serial's value ends in a date element string (11/13/15/16/17 and a valid date) after
    which the rest parses whole, the GS was there: a lot that itself ends in "17" and a valid YYMMDD is far rarer
    than a scanner without its separator. Only a date is taken for a lost GS: "21…" or "10…" inside a lot is too
    common to mean anything."""
    from biip import ParseError
    from biip.gs1_messages import GS1Message

    had = {e.ai.ai for e in es}
    pos = 0
    for e in es:
        ai = e.ai.ai
        start = pos + len(ai)
        pos = start + len(e.value)
        if ai not in ("10", "21"):
            continue
        for m in _DATE_AI_RE.finditer(e.value, 1):
            cut = start + m.start()
            try:
                alt = GS1Message.parse(t[:cut] + GS + t[cut:]).element_strings
            except (ParseError, ValueError):
                continue
            ais = [x.ai.ai for x in alt]
            if len(ais) != len(set(ais)) or not (set(ais) - had) & _DATE_AIS:
                continue  # a second expiry, or a lot again: a serial (01)(17)(21)…17YYMMDD that merely looks so
            log.info("GS1 scan %r read with the GS its AI %s lacked before %r", t, ai, t[cut:cut + 8])
            return alt
    return None


def _digital_link(t: str, sym: str | None) -> NormalisedCode | None:
    """A GS1 Digital Link URI read as its element strings (GTIN, lot, expiry, serial: the same fields as the GS1-128
    beside it); None for any other web address, which stays text (still a lookup key)."""
    from biip import ParseError
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    try:
        link = GS1DigitalLinkURI.parse(t)
    except (ParseError, ValueError):
        return None
    return _from_elements(t, sym, link.element_strings)


def _from_elements(t: str, sym: str | None, es) -> NormalisedCode:
    """A scan's fields from its GS1 element strings (biip's `GS1ElementStrings`)."""
    gtin_el = es.get(ai="01") or es.get(ai="02")
    gtin = None
    if gtin_el is not None:
        if gtin_el.gtin is None:
            return NormalisedCode(text=t, code=t, symbology=sym, gs1=True, error="check_digit",
                                  error_detail=gtin_el.gtin_error or f"{gtin_el.value}: check digit does not match")
        gtin = gtin_el.gtin.as_gtin_14()
    lot = es.get(ai="10")
    exp = es.get(ai="17") or es.get(ai="15")
    ser = es.get(ai="21")
    cnt = es.get(ai="30") or es.get(ai="37")
    sscc = es.get(ai="00")
    if es.get(ai="02") is not None and es.get(ai="37") is None:
        # AI 02 is the GTIN of the trade items a carton or pallet holds, and GS1 requires AI 37 with it: without the
        # count, the label was counted as one of its contents (a case of 12 for a pallet of them)
        return NormalisedCode(text=t, code=t, symbology=sym, gs1=True, error="gs1_count",
                              error_detail="AI 02 (the contents' GTIN) without AI 37 (how many)")
    code = gtin or (sscc.value if sscc else "") or t
    count = None
    if cnt is not None:
        try:
            count = int(cnt.value)
        except ValueError:
            count = None
    count_ai = cnt.ai.ai if count is not None else None
    if cnt is not None and not count:
        # (37)0 or (30)0, or digits biip took but int() did not: the count the label gives is none, and the scan
        # counted the barcode's standard pack instead (a case of 12 for a label that says it holds nothing)
        return NormalisedCode(text=t, code=t, symbology=sym, gs1=True, error="gs1",
                              error_detail=f"AI {cnt.ai.ai}: a count of {cnt.value!r}")
    return NormalisedCode(
        text=t, code=code, symbology=sym, gs1=True, gtin=gtin,
        lot=lot.value if lot else None, expiry=exp.date if exp else None,
        serial=ser.value if ser else None, count=count, count_ai=count_ai, sscc=sscc.value if sscc else None,
    )
