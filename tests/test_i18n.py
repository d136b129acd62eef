"""One translation system (app/i18n.py): the code yields message ids with parameters, the gettext catalogs in
resources/locale translate them at the edge. These tests read the real catalogs and the real source tree."""

from __future__ import annotations

import re
import string
import tokenize
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import i18n
from app.i18n import Joined, Msg, Translator, translate

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "floor", "hardware", "sync", "ui", "packstation")
KEYWORDS = {"Msg": (1,), "N_": None, "_": None, "plural": (2, 3)}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Files whose Chinese text is data, not a user interface: demo/benchmark product data and order contents.
DATA_FILES = {
    "sync/oms_server/seed.py",
    "app/bench_data.py",
    "hardware/printing/demo_order.py",
}


def extracted() -> dict[str, list[str]]:
    """Every marked message id in the product's code → where it is."""
    out: dict[str, list[str]] = {}
    for pkg in PACKAGES:
        for fname, lineno, message, _comments, _ctx in extract_from_dir(
                ROOT / pkg, keywords=KEYWORDS, method_map=[("**.py", "python")], comment_tags=()):
            for m in message if isinstance(message, tuple) else (message,):  # plural(): both forms
                if m:
                    out.setdefault(m, []).append(f"{pkg}/{fname}:{lineno}")
    return out


def fields(s: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(s) if f is not None}


def test_every_marked_message_has_a_simplified_chinese_translation():
    table = i18n.load("zh_CN")
    found = extracted()
    assert len(found) > 100, "the extractor found almost nothing: are the markers still Msg/N_/_?"
    missing = {m: where[0] for m, where in found.items() if not table.get(m) and CJK.search(m) is None
               and re.search(r"[A-Za-z]", m)}
    assert not missing, f"{len(missing)} messages without a zh_CN translation, e.g. {list(missing.items())[:8]}"


def test_translations_keep_every_field_of_their_message():
    """A translation that drops or renames a {field} would show a hole or a raw brace to the packer."""
    bad = []
    for po in sorted((i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id and m.string and fields(m.id) != fields(m.string):
                    bad.append((po.name, m.id, m.string))
    assert not bad, bad[:5]


def test_no_second_translation_system_in_the_code():
    """Chinese lives in the catalogs only: a Chinese string literal in the code is a second system (en/zh pairs)."""
    offenders = []
    for pkg in PACKAGES:
        for py in sorted((ROOT / pkg).rglob("*.py")):
            rel = py.relative_to(ROOT).as_posix()
            if rel in DATA_FILES:
                continue
            with py.open("rb") as f:
                for tok in tokenize.tokenize(f.readline):
                    if tok.type == tokenize.STRING and CJK.search(tok.string):
                        offenders.append(f"{rel}:{tok.start[0]}: {tok.string[:60]}")
    assert not offenders, f"{len(offenders)} Chinese literals outside the catalogs:\n" + "\n".join(offenders[:30])


def test_no_qt_linguist_catalog_beside_gettext():
    assert not list((ROOT / "resources").rglob("*.ts")), "Qt .ts files are a second translation system"


def test_a_message_renders_in_both_languages_with_its_parameters():
    m = Msg("Wrong item: {sku} {name} is not on this order", sku="TEE-RED-M", name="T-shirt")
    assert m.text("en") == "Wrong item: TEE-RED-M T-shirt is not on this order"
    zh = m.text("zh_CN")
    assert "TEE-RED-M" in zh and "T-shirt" in zh and CJK.search(zh) and "Wrong" not in zh
    assert m.text("zh-CN") == zh == translate(m, "zh")


def test_nested_messages_and_lists_are_rendered_in_the_same_language():
    inner = Msg("Pick")
    outer = Msg("Step {step} complete, next: {next}", step=inner, next=Msg("Check"))
    assert outer.text("en") == "Step Pick complete, next: Check"
    zh = outer.text("zh_CN")
    assert "Pick" not in zh and "拣货" in zh and "复核" in zh
    j = Joined([Msg("Damaged"), "ABC"])
    assert j.text("en") == "Damaged; ABC"
    assert j.text("zh_CN") == "破损；ABC"


def test_a_message_survives_json_and_unknown_or_broken_input_never_raises():
    m = Msg("Step {step} complete, next: {next}", step=Msg("Pick"), next="Label")
    back = Msg.from_json(m.to_json())
    assert back == m and back.text("zh_CN") == m.text("zh_CN")
    assert Msg.from_json('{"en": "old row", "zh": "旧"}').text("en") == "old row"
    assert Msg.from_json("not json").text("en") == "not json"
    assert Msg("Bin {bin} confirmed").text("zh_CN").count("{bin}") == 1  # a missing field stays visible
    assert Msg("Bin {bin} confirmed", bin="A-01").text("xx") == "Bin A-01 confirmed"


def test_translator_formats_plain_strings_and_messages():
    _ = Translator("zh_CN")
    assert _("Log in") == "登录"
    assert _("not in any catalog") == "not in any catalog"
    assert Translator("en")(Msg("Order {order} selected", order="SO-1")) == "Order SO-1 selected"


@pytest.mark.parametrize("lang,expected", [("zh", "zh_CN"), ("zh_CN.UTF-8", "zh_CN"), ("en_US", "en"),
                                           (None, "en"), ("fr", "en")])
def test_language_names_are_normalised(lang, expected):
    assert i18n.normalise(lang) == expected


def test_every_message_id_lives_in_one_catalog_only():
    """The domains are merged into one table: an id in two catalogs would be translated by whichever loads last
    (the screen's step name and the verdict's step name came out different)."""
    where: dict[str, list[str]] = {}
    for po in sorted((i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id:
                    where.setdefault(m.id, []).append(po.stem)
    twice = {k: v for k, v in where.items() if len(v) > 1}
    assert not twice, list(twice.items())[:8]


@pytest.mark.parametrize("problem,en,zh", [
    ("Printer is out of paper: load paper", "Printer is out of paper: load paper. Press F9 to print again.",
     "打印机缺纸，请装纸。按 F9 重新打印。"),
    ("The label printer needs attention.", "The label printer needs attention. Press F9 to print again.", None),
])
def test_a_device_phrase_before_a_sentence_ends_as_a_sentence_in_each_language(problem, en, zh):
    """The printer's problem is a phrase (shown alone in the status bar); put before "Press F9…" it must end as a
    sentence — in the reader's language, and without doubling a full stop it already has."""
    m = Msg("{problem:sentence} Press F9 to print again.", problem=Msg(problem))
    assert m.text("en") == en
    zh_text = m.text("zh_CN")
    assert zh_text == zh if zh else zh_text.endswith("按 F9 重新打印。") and "。。" not in zh_text and ".。" not in zh_text
    assert Msg("{printer}: {problem}", printer="Label printer", problem=Msg(problem)).text("en") == \
        f"Label printer: {problem}"  # not before a sentence: as it is


def test_sentences_joined_by_a_space_have_none_after_a_full_width_stop():
    """An order that comes back with an address warning is two sentences: in English a space between them, in
    Chinese none after '。' (it read '…A01-02。 请核对地址…')."""
    j = Joined([Msg("Order {order} is open: {step}.", order="#1", step=Msg("Pick")),
                Msg("Check the address: {warning}.", warning="x")], " ")
    assert j.text("en") == "Order #1 is open: Pick. Check the address: x."
    zh = j.text("zh_CN")
    assert "。请核对地址" in zh and "。 " not in zh
    assert Joined(["a.", "b"], " ").text("zh_CN") == "a. b"  # after a Latin stop the space stays


def test_a_field_left_empty_leaves_no_space_before_the_punctuation():
    """A line without a variant beyond its name read 'Cotton T-shirt BLACK S : line complete' (and '… S ：…')."""
    m = Msg("{name} {variant}: line complete ({scanned}/{required})", name="Cotton T-shirt BLACK S", variant="",
            scanned=1, required=1)
    assert translate(m, "en") == "Cotton T-shirt BLACK S: line complete (1/1)"
    assert translate(m, "zh_CN") == "Cotton T-shirt BLACK S：本行已完成（1/1）"
    with_variant = Msg("{name} {variant}: line complete ({scanned}/{required})", name="Tee", variant="RED / M",
                       scanned=2, required=3)
    assert translate(with_variant, "en") == "Tee RED / M: line complete (2/3)"
