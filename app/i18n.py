"""The one translation system: every user-visible string of every layer is a gettext message.

The core never picks a language. It yields `Msg("Wrong item: {sku} {name} is not on this order", sku=…, name=…)`
— a message id (the English text, with named fields) and its parameters — and the edge (a screen, a printout, a
CLI line) renders it in the reader's language with `msg.text(language)` or `translate(msg, language)`. Parameters
may be messages themselves (a step name, a status word): they are rendered in the same language.

Catalogs: `resources/locale/<lang>/LC_MESSAGES/<domain>.po`, gettext's layout, one domain per layer (core, floor,
devices, ui, …) so that they can be edited apart; every domain of a language is merged into one table. They are
read with Babel (`babel.messages.pofile`), so the .po files are the whole truth: no compiled .mo to go stale.
English needs no catalog: the id is the English text. A test extracts every marked string from the code
(`_`, `N_`, `Msg`; Babel's extractor) and fails if one has no Simplified Chinese translation.

Marking: `Msg("…", **params)` for a message made now and rendered later; `N_("…")` marks a constant id (a table of
names) for the extractor without translating it; `Translator(lang)("…")` / `.format()` at the edge.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "resources" / "locale"
DEFAULT = "en"


def N_(message_id: str) -> str:
    """Mark `message_id` for extraction; translated later, where it is shown."""
    return message_id


def plural(n: int, one: str, other: str, /, **params: Any) -> Msg:
    """The message for `n` things: `one` when n is 1 ("{n} unit"), `other` for any other count ("{n} units"). Each
    is a message id of its own with its own translation (Chinese says both alike); extracted as a pair."""
    return Msg(one if n == 1 else other, **params)


class Msg:
    """A message id and its parameters: what the core says, in no language yet. Immutable, hashable, JSON-able."""

    __slots__ = ("id", "params")

    def __init__(self, message_id: str, /, **params: Any) -> None:
        object.__setattr__(self, "id", str(message_id))
        object.__setattr__(self, "params", dict(params))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Msg is immutable")

    @classmethod
    def made(cls, message_id: str, params: dict[str, Any]) -> Any:
        """An instance of `cls` that takes `params` as its own (not copied: the caller made it and keeps no
        reference): how `app.messages` makes the message of every scan without copying its parameters twice."""
        out = object.__new__(cls)
        object.__setattr__(out, "id", message_id)
        object.__setattr__(out, "params", params)
        return out

    def text(self, language: str | None = DEFAULT) -> str:
        return translate(self, language)

    @property
    def en(self) -> str:
        """The English text (logs, audit rows, the OMS)."""
        return translate(self, DEFAULT)

    def __str__(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"Msg({self.id!r}{''.join(f', {k}={v!r}' for k, v in self.params.items())})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and other.id == self.id and other.params == self.params

    def __hash__(self) -> int:
        return hash((self.id, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def __bool__(self) -> bool:
        return bool(self.id)

    # --- persisted form (print jobs, event payloads) -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # most parameters (a code, a name, a count) are their own JSON: no call for them (every scan's message)
        return {"id": self.id, "params": {k: v if v is None or type(v) in _JSON_PLAIN else _param_to_json(v)
                                          for k, v in self.params.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Msg:
        """A message from `to_dict()`; anything else (an older row, a bare string) becomes a message whose id is
        its text, so that it is still shown, untranslated, rather than lost."""
        if isinstance(d, Msg):
            return d
        if isinstance(d, str):
            return cls(d)
        if not isinstance(d, Mapping) or not isinstance(d.get("id"), str):
            return cls(str(d.get("en", "")) if isinstance(d, Mapping) else "")
        params = d.get("params") if isinstance(d.get("params"), Mapping) else {}
        return cls(d["id"], **{str(k): _param_from_json(v) for k, v in params.items()})

    @classmethod
    def from_json(cls, s: str | None) -> Msg:
        try:
            return cls.from_dict(json.loads(s)) if s else cls("")
        except (TypeError, ValueError):
            return cls(str(s))


def _param_to_json(v: Any) -> Any:
    if v is None or type(v) in _JSON_PLAIN:  # most parameters: a code, a name, a count
        return v
    if isinstance(v, Msg):
        return {"$msg": v.to_dict()}
    if isinstance(v, (list, tuple)):
        return [_param_to_json(x) for x in v]
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


_JSON_PLAIN = frozenset({str, int, float, bool})


def _param_from_json(v: Any) -> Any:
    if isinstance(v, Mapping) and "$msg" in v:
        return Msg.from_dict(v["$msg"])
    if isinstance(v, list):
        return [_param_from_json(x) for x in v]
    return v


def _ends_wide_punctuation(text: str) -> bool:
    """Ends with a full-width or wide punctuation mark (a CJK full stop, comma, colon…): no space after it."""
    return bool(text) and unicodedata.category(text[-1]) == "Po" and unicodedata.east_asian_width(text[-1]) in "FW"


class Joined:
    """Several messages (or plain texts) shown as one, joined with the language's list separator."""

    __slots__ = ("parts", "sep")

    def __init__(self, parts: Iterable[Any], sep: str = "; ") -> None:
        self.parts = tuple(parts)
        self.sep = sep

    def text(self, language: str | None = DEFAULT) -> str:
        sep = gettext(self.sep, language) if self.sep.strip() else self.sep
        texts = [_render(p, language) for p in self.parts]
        if sep != " ":
            return sep.join(texts)
        # sentences joined by a space: none after a full-width stop ("…A01-02。请核对地址…", not "。 请")
        out = texts[0] if texts else ""
        for t in texts[1:]:
            out += t if _ends_wide_punctuation(out) else " " + t
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Joined) and other.parts == self.parts and other.sep == self.sep

    def __hash__(self) -> int:
        return hash((self.parts, self.sep))

    def __str__(self) -> str:
        return self.text(DEFAULT)

    def __repr__(self) -> str:
        return f"Joined({list(self.parts)!r})"


# The list separators are messages too (Chinese uses full-width punctuation).
N_("; ")
N_(", ")


def _render(v: Any, language: str | None) -> str:
    if isinstance(v, (Msg, Joined)):
        return v.text(language)
    return "" if v is None else str(v)


class _Fields(dict):
    """format_map fields: messages rendered in the reader's language; a missing field logs and stays visible."""

    def __init__(self, params: Mapping[str, Any], language: str | None, message_id: str) -> None:
        # plain values (a code, a name, a count: nearly every field) are looked up as they are; only a message, a
        # None and a missing field go through __missing__
        super().__init__({k: v for k, v in params.items() if type(v) in _JSON_PLAIN})
        self._params, self._language, self._id = params, language, message_id

    def __missing__(self, key: str) -> Any:
        if key in self._params:
            v = self._params[key]
            return _Text(_render(v, self._language), self._language) if isinstance(v, (Msg, Joined)) or v is None else v
        log.error("message %r has no field %r (given: %s)", self._id, key, sorted(self._params))
        return "{" + key + "}"


# a no-break space is kept: it binds a number to its unit ("0.670 kg"); a single plain space is left as it is (no
# match: most texts have nothing to change)
_SPACES = re.compile(r"[^\S\u00a0]{2,}|[^\S\u00a0 ]")
# a field left empty ("{name} {variant}: …" without a variant) leaves a space before the punctuation
_SPACE_BEFORE_STOP = re.compile(r"[^\S\u00a0]+(?=[:;,.!?)\]\uff1a\uff1b\uff0c\u3002\uff01\uff1f\uff09\u3001])")  # and full-width
_CLOSING = ("FULL STOP", "QUESTION MARK", "EXCLAMATION MARK", "ELLIPSIS")  # by Unicode name: any script's
N_(".")  # the full stop a phrase gets when a sentence follows it (Chinese: the ideographic one)


def sentence(text: str, language: str | None = DEFAULT) -> str:
    """`text` ending as a sentence in `language`: the language's full stop added where it has no closing
    punctuation. For a message that puts another message before its own sentence ("{problem:sentence} Press F9…"):
    the device texts are phrases ("Printer is out of paper: load paper"), also shown alone (the status bar)."""
    text = text.rstrip()
    if not text or unicodedata.name(text[-1], "").endswith(_CLOSING):
        return text
    return text + gettext(".", language)


class _Text(str):
    """A rendered message field; the format spec `sentence` (`{problem:sentence}`) makes it end as a sentence."""

    def __new__(cls, text: str, language: str | None) -> _Text:
        self = super().__new__(cls, text)
        self.language = language
        return self

    def __format__(self, spec: str) -> str:
        if spec == "sentence":
            return sentence(str(self), self.language)
        return format(str(self), spec)


def translate(msg: Msg | Joined | str, language: str | None = DEFAULT) -> str:
    """`msg` in `language` (the English id where the catalog has no translation). Never raises."""
    if isinstance(msg, Joined):
        return msg.text(language)
    if not isinstance(msg, Msg):
        return gettext(str(msg), language)
    template = gettext(msg.id, language)
    if not msg.params:
        return _tidy(template)
    try:
        out = template.format_map(_Fields(msg.params, language, msg.id))
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        log.error("message %r: cannot format with %s: %s", msg.id, sorted(msg.params), exc)
        out = template
    return _tidy(out)


def _tidy(text: str) -> str:
    """One space between words, none before punctuation (a field left empty), none at the ends; no-break spaces
    stay as they are."""
    return _SPACE_BEFORE_STOP.sub("", _SPACES.sub(" ", text)).strip()


def gettext(message_id: str, language: str | None = DEFAULT) -> str:
    """The translation of one message id, or the id itself (English, or a string nobody translated)."""
    if not language or language.startswith("en") or not message_id:
        return message_id
    return catalog(language).get(message_id) or message_id


def second_language(language: str | None) -> str:
    """The language printed beside English on bilingual output (the station's own, or Chinese on an English one)."""
    lang = normalise(language)
    return "zh_CN" if lang == DEFAULT else lang


def bilingual(msg: Msg | Joined | str, other: str | None = "zh_CN", sep: str = " / ", other_first: bool = False) -> str:
    """One text in English and `other`, both from the catalogs ("station ready / " and its Chinese); English alone where
    the two read the same. For what English and Chinese readers share: printed paperwork, CLI lines, report
    headings."""
    m = msg if isinstance(msg, (Msg, Joined)) else Msg(msg)
    en, tr = translate(m, DEFAULT), translate(m, other)
    if not tr or tr == en:
        return en
    return f"{tr}{sep}{en}" if other_first else f"{en}{sep}{tr}"


class Translator:
    """The edge's shortcut: `_ = Translator("zh_CN")`, then `_("Log in")` or `_("Order {0} done.").format(no)`
    (a plain string), or `_(msg)` for a message from the core."""

    def __init__(self, language: str | None = DEFAULT) -> None:
        self.language = normalise(language)

    def __call__(self, msg: Msg | Joined | str, **params: Any) -> str:
        if params and isinstance(msg, str):
            return translate(Msg(msg, **params), self.language)
        return translate(msg, self.language)


def normalise(language: str | None) -> str:
    """'zh', 'zh-CN', 'zh_CN.UTF-8' → 'zh_CN'; anything without a catalog → 'en'."""
    if not language:
        return DEFAULT
    lang = language.split(".")[0].replace("-", "_")
    if lang.lower().startswith("zh"):
        return "zh_CN"
    return lang if lang in available() else DEFAULT


@functools.cache
def available() -> tuple[str, ...]:
    """The languages this installation can show: English plus every catalog folder."""
    if not LOCALE_DIR.is_dir():
        return (DEFAULT,)
    return (DEFAULT, *sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir()))


_lock = threading.Lock()
_catalogs: dict[str, dict[str, str]] = {}


def catalog(language: str) -> dict[str, str]:
    """Every domain of `language` merged into one id → text table (read once, then shared)."""
    lang = normalise(language)
    table = _catalogs.get(lang)
    if table is not None:
        return table
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = load(lang)
        return _catalogs[lang]


def load(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po  # the only place that reads .po files

    table: dict[str, str] = {}
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")) if folder.is_dir() else ():
        try:
            with po.open("rb") as f:
                cat = read_po(f, locale=language, domain=po.stem)
        except Exception as exc:  # a broken catalog must not stop a station: English instead, and said
            log.error("translations %s unreadable, shown in English: %s", po, exc)
            continue
        for m in cat:
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy:
                table[m.id] = m.string
    return table


def reload() -> None:
    """Forget the tables read so far (tests, a maintainer editing a .po)."""
    with _lock:
        _catalogs.clear()
    available.cache_clear()
