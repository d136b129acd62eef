"""ESC/POS labels: bytes parsed back (command structure, CODE128 and QR payloads), Chinese text byte
for byte in both modes, dot widths, 4-inch raster labels decoded with zxing-cpp, sanitising."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
import zxingcpp
from hypothesis import given, settings
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


def _barcode_modules(payload: bytes) -> int:
    """Modules a printer draws for GS k 73 data, counted from the bytes: one symbol a byte ({{ is one), a code-set
    selector {A/{B/{C none for the first (the start symbol) and one symbol for each later switch."""
    symbols, switches, i = 0, 0, 0
    while i < len(payload):
        if payload[i:i + 1] == b"{" and payload[i + 1:i + 2] != b"{":
            switches += 1
            i += 2
            continue
        i += 2 if payload[i:i + 2] == b"{{" else 1
        symbols += 1
    return 11 * (symbols + switches - 1) + 35  # start + data + check (11 each), stop 13


def _module_width_before(ops, index):
    widths = [o.data[2] for o in ops[:index] if o.kind == "cmd" and o.data[:2] == b"\x1dw"]
    return widths[-1] if widths else 3


@pytest.mark.parametrize("dots", [576, 512])
@pytest.mark.parametrize("order_no", ["SO-2026-000123", "114-1234567-1234567", "231207-123456789012345",
                                      "A{1", "1234567890123456789012345678"])
def test_a_long_order_number_barcode_fits_the_paper_and_scans(order_no, dots):
    """The label asked for CODE128 at 3 dots a module whatever the length: "231207-123456789012345" needed 831 dots
    on a 576-dot printer, which then printed NO barcode. Now the widest module width that fits is used (3, then 2),
    digit pairs (code set C) where they make it fit wider, and the preview draws it the printer's size: it scans."""
    data = _label(PickList.from_dict(_doc(order_no=order_no)), dots=dots)
    ops = preview.parse(data)
    (k,) = [i for i, o in enumerate(ops) if o.kind == "barcode"]
    width = _module_width_before(ops, k)
    assert width >= 2 and _barcode_modules(ops[k].data) * width <= dots, (width, ops[k].data)
    img = preview.render_png(data, dots).convert("L")
    found = [r.text for r in zxingcpp.read_barcodes(img) if r.format.name == "Code128"]
    assert found == [order_no]


def test_an_order_number_too_long_for_any_barcode_width_is_a_qr_code_of_it_and_logged(caplog):
    order_no = "PO-2026-12-07-STATION-A-00012345"  # 32 characters: 1,161 dots at 3, 774 at 2 (and 576 to print on)
    with caplog.at_level("WARNING"):
        data = _label(PickList.from_dict(_doc(order_no=order_no)), dots=576)
    ops = preview.parse(data)
    assert not [o for o in ops if o.kind == "barcode"]
    assert [o.data.decode() for o in ops if o.kind == "qr"][0] == order_no
    assert "QR code of the order number" in caplog.text and order_no in caplog.text
    img = preview.render_png(data, 576).convert("L")
    assert order_no in {r.text for r in zxingcpp.read_barcodes(img) if r.format.name == "QRCode"}


def test_the_preview_draws_no_barcode_where_the_printer_would_print_none():
    """The preview shrank an over-wide barcode to the paper, so the demo showed a label the printer printed without
    one. Bytes asking for 831 dots at 576 now show a flagged empty box: nothing scans."""
    from escpos.printer import Dummy

    p = Dummy()
    p._hw_barcode("{B231207-123456789012345", "CODE128", height=80, width=3, function_type="B")
    img = preview.render_png(p.output, 576).convert("L")
    assert img.width == 576
    assert not [r for r in zxingcpp.read_barcodes(img) if r.format.name == "Code128"]
    p = Dummy()
    p._hw_barcode("{B231207-123456789012345", "CODE128", height=80, width=2, function_type="B")  # 554 dots: fits
    found = [r.text for r in zxingcpp.read_barcodes(preview.render_png(p.output, 576).convert("L"))]
    assert found == ["231207-123456789012345"]


@pytest.mark.parametrize("order_no", ["SO-1\x1b2", "SO-1\t2", "SO-1\u200b2", "X" * 81])
def test_a_barcode_carries_the_order_number_as_sent_or_there_is_no_label(order_no):
    """"SO-1<ESC>2" made a barcode of "SO-1 2" (the cleaned text), a code no other system knows. An order number
    that cannot be printed as it is, is a LabelError the operator reads (ask the OMS), like a non-ASCII one."""
    from hardware.printing.label import LabelError

    for kind, dots in (("receipt", 576), ("label", 832)):
        with pytest.raises(LabelError, match="CODE128"):
            _label(PickList.from_dict(_doc(order_no=order_no)), kind=kind, dots=dots)


@pytest.mark.parametrize("order_no", ["114-1234567-1234567", "231207-123456789012345",
                                      "PO-2026-12-07-STATION-A-00012345"])
def test_a_long_order_number_on_a_raster_label_scans_as_sent(order_no):
    """The raster label squeezed an over-wide barcode to the label's width (uneven bars, 2.4 dots a module). Now whole
    dots a module with its quiet zone, or a QR code of the order number."""
    from hardware.printing.label import render_label_image

    img = render_label_image(PickList.from_dict(_doc(order_no=order_no)), PrinterSettings(kind="label", dots=832),
                             when=WHEN).convert("L")
    texts = {r.text for r in zxingcpp.read_barcodes(img) if r.format.name in ("Code128", "QRCode")}
    assert order_no in texts


def _long_raster_doc():
    return _doc(ship_to={"name": "欧阳娜娜", "phone": "138-0000-0000", "country": "CN", "city": "深圳市",
                         "region": "广东省", "postcode": "518057",
                         "address_lines": ["广东省深圳市南山区科技园南区高新南七道深圳市数字技术园B1栋三楼东侧A区308室收发室转交" * 3,
                                           "第二行地址很长很长很长很长很长很长很长很长很长很长很长很长很长"]},
                lines=[{"id": str(i), "sku": f"SKU-LONG-NAME-{i}", "qty": i + 1, "gift": i == 3,
                        "name": f"很长的商品名称 Very long product name number {i} with many words"} for i in range(12)])


@pytest.mark.parametrize("dots", [832, 800])
def test_a_raster_label_with_a_long_address_and_many_lines_keeps_its_qr_code_and_foot_clear(dots):
    """QA's many_lines_long_addr at 832 dots: the summary ran down over the QR code and off the label. Now the QR
    code and the footer have their own band: a ring of white around the QR code, nothing below the footer, both
    codes scan."""
    from hardware.printing.label import render_label_image

    img = render_label_image(PickList.from_dict(_long_raster_doc()), PrinterSettings(kind="label", dots=dots),
                             station="ST-1", operator="K-001", when=WHEN).convert("L")
    found = {r.format.name: r for r in zxingcpp.read_barcodes(img)}
    assert found["Code128"].text == "SO-2026-000123"
    qr = found["QRCode"]
    assert json.loads(qr.text)["o"] == "SO-2026-000123"
    pos = qr.position
    xs = [p.x for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    ys = [p.y for p in (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)]
    module = (max(xs) - min(xs)) / 25  # at least version 2 (25 modules): a module is at most this wide
    ring = int(module * 2) + 6  # the QR code's quiet zone and a little more
    box = (min(xs) - ring, min(ys) - ring, max(xs) + ring, max(ys) + ring)
    inner = (min(xs) - 2, min(ys) - 2, max(xs) + 3, max(ys) + 3)
    px = img.load()
    dark = [(x, y) for x in range(max(0, box[0]), min(img.width, box[2]))
            for y in range(max(0, box[1]), min(img.height, box[3]))
            if not (inner[0] <= x < inner[2] and inner[1] <= y < inner[3]) and px[x, y] < 128]
    assert not dark, f"{len(dark)} dark pixels around the QR code, e.g. {dark[:5]}"
    bottom = img.crop((0, img.height - 12, img.width, img.height))
    assert bottom.getextrema()[0] > 128, "something printed in the label's bottom margin"


@given(st.lists(st.sampled_from(["product", "Stainless", "steel", "纯棉T恤", "很长的商品名称", "B1栋", "x", "12",
                                 "（测试）", "赠品，", "SUPERCALIFRAGILISTICEXPIALIDOCIOUS-0123456789"]),
                min_size=1, max_size=14),
       st.integers(min_value=120, max_value=700))
def test_raster_text_breaks_at_spaces_not_inside_latin_words(words, width):
    """The raster label wrapped where the pixels ran out: "pro|duct". Now at spaces and between Chinese characters;
    only a word wider than the line is cut; a Chinese closing mark never starts a line."""
    from hardware.printing.chinese import _pil_font, wrap_pixels

    font = _pil_font(24)
    text = " ".join(words)
    lines = wrap_pixels(text, font, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(font.getlength(ln) <= width or len(ln) == 1 for ln in lines), lines
    tokens = Counter(tok for ln in lines for tok in ln.split(" "))
    for word, n in Counter(words).items():
        if word.isascii() and font.getlength(word) <= width:
            assert tokens[word] >= n, (word, lines)
    assert not [ln for ln in lines[1:] if ln[:1] in "，。）"], lines


DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.mark.parametrize("text", ["محمد علي", "شارع الملك فهد 123", "דוד כהן", "רחוב הרצל 5"])
def test_arabic_and_hebrew_print_as_letters_not_empty_boxes(text):
    """Arabic and Hebrew addresses printed as a row of empty boxes: the CJK font has no glyph for them and there was
    no other. Now DejaVu Sans (fonts-dejavu-core) draws them: the line is not the CJK font's boxes, and it is what
    DejaVu Sans draws for it."""
    from PIL import Image, ImageDraw, ImageFont

    from hardware.printing.chinese import _pil_font, render_text_image

    img = render_text_image(text, 576, size=24)
    boxes = "".join(ch if ch == " " or ch.isdigit() else "\U000ffffd" for ch in text)
    tofu = render_text_image(boxes, 576, size=24)
    assert img.tobytes() != tofu.tobytes()
    # drawn by DejaVu Sans, as libraqm lays it out (right to left, Arabic joined)
    ref = Image.new("1", img.size, 1)
    ImageDraw.Draw(ref).text((0, 0), text, font=ImageFont.truetype(DEJAVU, 24), fill=0)
    assert _same_ink(img, ref)
    assert _pil_font(24).getmask(text[0]).getbbox() is not None  # (the CJK font draws something for it: its box)


def _same_ink(a, b) -> bool:
    """The same ink, wherever it sits on the line (the rows may start at another x)."""
    from PIL import ImageOps

    ia, ib = ImageOps.invert(a.convert("L")), ImageOps.invert(b.convert("L"))
    ca, cb = ia.crop(ia.getbbox()), ib.crop(ib.getbbox())
    return ca.size == cb.size and ca.tobytes() == cb.tobytes()


def test_a_right_to_left_line_puts_its_number_on_the_left():
    """libraqm orders the line: "רחוב הרצל 5" reads right to left, its house number is the leftmost thing printed."""
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    from hardware.printing.chinese import render_text_image

    img = ImageOps.invert(render_text_image("רחוב הרצל 5", 576, size=32).convert("L"))
    five = Image.new("1", (60, img.height), 1)
    ImageDraw.Draw(five).text((0, 0), "5", font=ImageFont.truetype(DEJAVU, 32), fill=0)
    five = ImageOps.invert(five.convert("L"))
    x0, _, x1, _ = five.getbbox()
    lx = img.getbbox()[0]
    left = img.crop((lx, 0, lx + (x1 - x0), img.height))
    assert left.tobytes() == five.crop((x0, 0, x1, img.height)).tobytes()


def test_an_emoji_no_font_has_prints_as_a_question_mark_and_is_logged(caplog):
    """"Anna 🎁 Smith" printed a ☒ for the emoji, and nothing said so."""
    from hardware.printing.chinese import render_text_image

    with caplog.at_level("WARNING"):
        img = render_text_image("Anna 🎁 Smith", 576)
    assert img.tobytes() == render_text_image("Anna ? Smith", 576).tobytes()
    assert "U+1F381" in caplog.text and "'?'" in caplog.text
    with caplog.at_level("WARNING"):  # and on the 4-inch label
        from hardware.printing.label import render_label_image

        render_label_image(PickList.from_dict(_doc(ship_to={"name": "Anna 🎉 Smith"})),
                           PrinterSettings(kind="label", dots=832), when=WHEN)
    assert "U+1F389" in caplog.text


@pytest.mark.parametrize("dots,cols", [(576, 48), (512, 42)])
def test_cyrillic_and_greek_lines_fit_the_paper_in_the_printers_chinese_mode(dots, cols):
    """In FS & mode the printer gives every GB18030 two-byte character two columns; Cyrillic and Greek (Unicode
    "ambiguous" width) were counted as one: "Иван Петрович Сидоров-Константинопольский" came to 79 columns of 48
    and the printer broke it where the paper ended. Every printed line now fits, in bytes as the printer counts,
    and the words that fit a line are whole."""
    name = "Иван Петрович Сидоров-Константинопольский"
    street = "улица Большая Дмитровка, дом 32, строение 1, квартира 117 Αθηνα Ελλαδα"
    pl = PickList.from_dict(_doc(ship_to={"name": name, "address_lines": [street], "city": "Москва",
                                          "postcode": "125009", "country": "RU", "region": ""}))
    ops = preview.parse(_label(pl, chinese="gb18030", dots=dots))
    printed, line, scale = [], b"", 1
    for o in ops:  # the lines as the printer gets them: bytes between line feeds, at the size GS ! set
        if o.kind == "cmd" and o.data[:2] == b"\x1d!":
            scale = 2 if o.data[2] else 1
        if o.kind == "text":
            for k, part in enumerate(o.data.split("\n")):
                if k:
                    printed.append((line, scale))
                    line = b""
                line += part.encode("gb18030")
    assert printed
    too_wide = [(ln.decode("gb18030"), len(ln) * s) for ln, s in printed if len(ln) * s > cols]
    assert not too_wide
    words = [w.casefold() for ln, _ in printed for w in ln.decode("gb18030").split()]
    for word in ("Петрович", "Дмитровка,", "квартира", "Ελλαδα"):  # (capitals in the address; no tonos: GBK)
        assert word.casefold() in words, (word, words)


@pytest.mark.parametrize("dots", [832, 800])
def test_item_lines_that_do_not_fit_the_raster_label_are_counted_not_overprinted(dots):
    """30 item lines and a long address: as many lines as fit are printed, the rest said as "+ N more lines", the units
    line last, each line below the one before, both codes still scan (the QR code's clear ring: the test above)."""
    from hardware.printing.label import raster_label

    doc = _long_raster_doc()
    doc["lines"] = [{"id": str(i), "sku": f"SKU-{i}", "name": f"Stainless steel product number {i}", "qty": 1}
                    for i in range(30)]
    img, drawn = raster_label(PickList.from_dict(doc), PrinterSettings(kind="label", dots=dots), station="ST-1",
                              operator="K-001", when=WHEN)
    texts = [t for _, t in drawn]
    shown = [t for t in texts if t.startswith("1 x SKU-")]
    more = [t.strip() for t in texts if "more lines" in t]
    assert shown and more == [f"+ {30 - len(shown)} more lines / 另有 {30 - len(shown)} 行"]
    assert shown == [f"1 x SKU-{i} Stainless steel product number {i}" for i in range(len(shown))]
    k = texts.index(shown[-1])
    assert texts[k + 1].strip() == more[0] and texts[k + 2] == "30 units / 共 30 件"
    ys = [y for y, t in drawn if not t.startswith("ST-1")]
    assert ys == sorted(ys) and ys[-1] < img.height - 60
    assert {"QRCode", "Code128"} <= {r.format.name for r in zxingcpp.read_barcodes(img.convert("L"))}


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789-{ABCxyz/ "), min_size=1, max_size=30))
def test_code128_digit_pairs_scan_as_the_text_and_are_never_longer(text):
    """The printer's GS k data, code sets B and C mixed, drawn as the printer would and read by zxing-cpp: the same
    text, in no more modules than code set B alone."""
    from PIL import Image, ImageDraw

    from hardware.printing import code128

    text = text.strip() or "0"
    runs = code128.plan(text)
    assert code128.modules(runs) <= code128.modules(code128.plan(text, digit_pairs=False))
    data = code128.escpos_data(runs).encode()
    assert code128.read_escpos(data)[0] == text
    bars = code128.bars(code128.read_escpos(data)[1])
    img = Image.new("L", (len(bars) * 2 + 40, 60), 255)
    d = ImageDraw.Draw(img)
    for i, b in enumerate(bars):
        if b == "1":
            d.rectangle((20 + 2 * i, 5, 21 + 2 * i, 55), fill=0)
    assert [r.text for r in zxingcpp.read_barcodes(img)] == [text]
