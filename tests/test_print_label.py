"""ESC/POS labels: bytes parsed back (command structure, CODE128 and QR payloads), Chinese text byte
for byte in both modes, dot widths, 4-inch raster labels decoded with zxing-cpp, sanitising."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from app.config import PrinterSettings
from app.picklist import PickList
from hardware.printing import build_label, preview
from hardware.printing.chinese import FS_KANJI_OFF, FS_KANJI_ON, sanitize
from hardware.printing.demo_order import DEMO_DOC, demo_picklist

WHEN = datetime(2026, 1, 1, 16, 5, tzinfo=UTC)


def _doc(**over):
    d = json.loads(json.dumps(DEMO_DOC))
    d.update(over)
    return d


def _label(pl=None, **ps):
    return build_label(pl or demo_picklist(), PrinterSettings(**ps), station="ST-07", operator="op-9",
                       tz="Asia/Shanghai", when=WHEN)


def test_label_structure_code128_and_qr_are_parsed_back():
    data = _label()
    ops = preview.parse(data)  # strict: an unknown or truncated command fails here
    assert data.startswith(b"\x1b@")
    barcodes = [o for o in ops if o.kind == "barcode"]
    assert len(barcodes) == 1
    assert barcodes[0].args["m"] == 73  # GS k 73 = CODE128, function B
    assert barcodes[0].data == b"{BSO-2026-000123"  # code set B selected, as the printer requires
    qrs = [o for o in ops if o.kind == "qr"]
    assert len(qrs) == 1
    assert json.loads(qrs[0].data) == {"o": "SO-2026-000123", "id": "DEMO-0001", "st": "ST-07"}
    assert qrs[0].args["model"] == 2
    assert [o.kind for o in ops].count("cut") == 1 and ops[-1].kind == "cut"
    text = preview.texts(ops)
    for expected in ("SF Express 顺丰", "ORDER SO-2026-000123", "SHIP TO", "王小明 Wang Xiaoming",
                     "Room 801", "2 x TS-RED-M", "GIFT 赠品", "FRAGILE 易碎", "4 units / 共 4 件", "SHIP TO 收货人:",
                     "ST-07 / op-9 / 2026-01-02 00:05 CST"):  # warehouse time, not UTC
        assert expected in text, expected


def test_code128_escapes_a_brace_in_the_order_number():
    pl = PickList.from_dict(_doc(order_no="A{1"))
    bc = [o for o in preview.parse(_label(pl)) if o.kind == "barcode"][0]
    assert bc.data == b"{BA{{1"


def test_chinese_mode_sends_fs_and_gb18030_byte_for_byte():
    data = _label(chinese="gb18030")
    addr = "上海市浦东新区世纪大道１００号，８楼。"
    assert FS_KANJI_ON + addr.encode("gb18030") + FS_KANJI_OFF in data
    card = "1 x GIFT-CARD 感谢卡：谢谢惠顾！￥０ [GIFT 赠品]"  # the mark's Chinese from the catalog, as on screen
    assert FS_KANJI_ON + card.encode("gb18030") + FS_KANJI_OFF in data
    assert b"?" not in data.replace(b'"', b"")  # nothing was replaced by a question mark
    # every Chinese run is inside FS & ... FS . and decodes back exactly
    kanji_runs = [o.data for o in preview.parse(data) if o.kind == "text" and o.args["kanji"]]
    assert addr in kanji_runs and card in kanji_runs


def test_punctuation_and_fullwidth_digits_without_han_are_not_question_marks():
    """python-escpos turns strings without a Han character into '?' (issues #190, #678)."""
    s = "，。：￥１２３"
    pl = PickList.from_dict(_doc(ship_to={"name": s}))
    data = _label(pl, chinese="gb18030")
    assert FS_KANJI_ON + s.encode("gb18030") + FS_KANJI_OFF in data
    assert s.encode("gb18030") == b"\xa3\xac\xa1\xa3\xa3\xba\xa3\xa4\xa3\xb1\xa3\xb2\xa3\xb3"


def test_image_mode_renders_chinese_as_raster_and_sends_no_chinese_bytes():
    data = _label(chinese="image")
    ops = preview.parse(data)
    assert FS_KANJI_ON not in data
    images = [o for o in ops if o.kind == "image"]
    assert len(images) >= 8
    for im in images:
        assert im.args["width_bytes"] * 8 == 576
        assert any(im.data), "a rendered line has black pixels"
    for o in ops:
        if o.kind == "text":
            assert o.data.isascii()
    assert "Room 801" in preview.texts(ops)  # ASCII stays text


@pytest.mark.parametrize("dots,cols", [(576, 48), (512, 42)])
def test_dot_width_comes_from_configuration(dots, cols):
    ops = preview.parse(_label(dots=dots, chinese="image"))
    assert {o.args["width_bytes"] * 8 for o in ops if o.kind == "image"} == {dots}
    assert "\n" + "-" * cols + "\n" in preview.texts(ops)
    assert "-" * (cols + 1) not in preview.texts(ops)


def test_four_inch_label_is_one_raster_with_feed_to_next_label():
    data = _label(kind="label", dots=800)
    ops = preview.parse(data)
    kinds = [o.kind for o in ops if o.kind != "cmd"]
    assert kinds[-2:] == ["feed_label", "cut"]
    images = [preview.raster_to_image(o) for o in ops if o.kind == "image"]
    assert {im.width for im in images} == {800}
    assert sum(im.height for im in images) == 1200  # 100 x 150 mm
    from PIL import Image

    full = Image.new("1", (800, 1200), 1)
    y = 0
    for im in images:
        full.paste(im, (0, y))
        y += im.height
    found = {(r.format.name, r.text) for r in zxingcpp.read_barcodes(full.convert("L"))}
    assert ("Code128", "SO-2026-000123") in found
    assert any(f == "QRCode" and json.loads(t)["o"] == "SO-2026-000123" for f, t in found)


def test_control_bytes_from_the_oms_never_become_printer_commands():
    evil = "Mug\x1b@\x1dV\x00\x10\x04\x01\x1b\x70\x00\x19\xfa cut"  # init, cut, status, drawer kick
    pl = PickList.from_dict(_doc(lines=[{"id": "1", "sku": "S\x1bK", "name": evil, "qty": 1}],
                                 ship_to={"name": "A\x1d!\x11B", "address_lines": ["x\r\ny\x7f\x85z"]}))
    for mode in ("gb18030", "image"):
        data = _label(pl, chinese=mode)
        ops = preview.parse(data)  # stray control bytes would raise here
        assert data.count(b"\x1b@") == 1  # only our own initialise
        assert [o.kind for o in ops].count("cut") == 1
        assert not [o for o in ops if o.kind == "status_query"]
        assert b"\x1bp" not in data
        if mode == "gb18030":
            text = preview.texts(ops)
            assert "Mug @ V" in text and "cut" in text
            assert "A ! B" in text and "x y z" in text


def test_sanitize_keeps_text_and_drops_controls():
    assert sanitize("a\x00b\tc\u202ed\u200be") == "a b cde"
    assert sanitize("，。：￥１２３") == "，。：￥１２３"
    assert sanitize("x" * 500, 10) == "x" * 9 + "…"


def test_bad_order_number_is_a_clear_error():
    from hardware.printing.label import LabelError

    with pytest.raises(LabelError, match="CODE128"):
        _label(PickList.from_dict(_doc(order_no="订单1")))


@pytest.mark.parametrize("order_no", ["订单1", "SO-1001é", "#５０００１"])
def test_a_non_ascii_order_number_on_a_raster_label_is_a_clear_error_in_both_languages(order_no):
    from hardware.printing.label import LabelError, build_label

    raster = PrinterSettings(uri="none:", kind="label", dots=800)
    with pytest.raises(LabelError) as e:  # not python-barcode's IllegalCharacterError
        build_label(PickList.from_dict(_doc(order_no=order_no)), raster)
    assert "CODE128" in str(e.value) and "CODE128" in e.value.text("en")
    assert "条码" in e.value.text("zh_CN") and repr(order_no) in e.value.text("zh_CN")


def test_one_unit_is_said_in_the_singular():
    """A single-item order, the most common parcel: "1 unit / 共 1 件", never "1 units"."""
    doc = _doc()
    doc["lines"] = [dict(doc["lines"][0], qty=1)]
    text = preview.texts(preview.parse(_label(PickList.from_dict(doc))))
    assert "1 unit / 共 1 件" in text and "1 units" not in text
    assert "4 units / 共 4 件" in preview.texts(preview.parse(_label()))


@given(st.lists(st.sampled_from(["TEE-BLACK-S", "(BLACK/S)", "纯棉T恤", "Cotton", "x", "12", "赠品", "[GIFT",
                                 "SUPERCALIFRAGILISTICEXPIALIDOCIOUS-0123456789"]), min_size=1, max_size=14),
       st.integers(min_value=8, max_value=48))
def test_a_label_line_breaks_between_words_never_inside_one_that_fits(words, cols):
    """The label printed "… BLACK S (" / "BLACK / S)": its lines were cut at the column, even inside words. Lines now
    break at spaces and between Chinese characters; only a word longer than a line is cut."""
    from hardware.printing.label import display_width, wrap_columns

    text = " ".join(words)
    lines = wrap_columns(text, cols)
    assert all(display_width(ln) <= cols for ln in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    tokens = Counter(tok for ln in lines for tok in ln.split(" "))
    for word, n in Counter(words).items():
        if display_width(word) <= cols and word.isascii():
            assert tokens[word] >= n, (word, lines)  # every fitting word whole on one line


def test_a_line_whose_name_says_its_variant_does_not_repeat_it():
    """The demo's label read "1 x TEE-BLACK-S Cotton T-shirt 纯棉T恤 BLACK S (BLACK / S)". A variant the name does not
    say is still printed in brackets."""
    doc = _doc()
    doc["lines"][0].update(name="Cotton T-shirt BLACK S", color="BLACK", size="S")
    doc["lines"][1].update(name="Ceramic mug", color="White", size="")
    text = preview.texts(preview.parse(_label(PickList.from_dict(doc))))
    assert "Cotton T-shirt BLACK S\n" in text or "Cotton T-shirt BLACK S [" in text, text
    assert "(BLACK / S)" not in text and "Ceramic mug (White)" in text, text
