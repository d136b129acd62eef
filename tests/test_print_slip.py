"""Packing slips: the PDF rasterised with pdftoppm and its barcodes decoded with zxing-cpp; product
images, placeholders, Chinese text; the ESC/POS raster form at the printer's dot width."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import unicodedata

import pytest
import zxingcpp
from PIL import Image

from app.config import PrinterSettings
from app.picklist import PickList
from hardware.printing import build_slip_pdf, preview
from hardware.printing.demo_order import DEMO_DOC, demo_picklist
from hardware.printing.slip import pdf_pages, pdf_to_escpos


def _decode(img) -> set[tuple[str, str]]:
    return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(img.convert("L"))}


@pytest.fixture
def images(tmp_path):
    paths = {}
    for i, colour in enumerate([(200, 30, 30), (30, 30, 200)]):
        p = tmp_path / f"p{i}.jpg"
        Image.new("RGB", (400, 300), colour).save(p)
        paths[DEMO_DOC["lines"][i]["image_url"]] = p
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    paths[DEMO_DOC["lines"][2]["image_url"]] = bad  # unreadable: placeholder, not a failure
    return paths


@pytest.mark.parametrize("page", ["80mm", "a6", "a4"])
def test_slip_barcodes_decode_after_rasterising(page, images):
    pdf = build_slip_pdf(demo_picklist(), images.get, page=page, station="ST-07")
    assert pdf.startswith(b"%PDF")
    img = pdf_pages(pdf, dpi=200, first_only=True)[0]
    found = _decode(img)
    assert ("Code128", "SO-2026-000123") in found
    qr = [t for f, t in found if f == "QRCode"]
    assert qr and json.loads(qr[0]) == {"o": "SO-2026-000123", "id": "DEMO-0001", "st": "ST-07"}


def test_slip_has_each_line_with_image_name_variant_qty_and_marks(images, tmp_path):
    pdf = build_slip_pdf(demo_picklist(), images.get, page="a4")
    src = tmp_path / "slip.pdf"
    src.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True,
                          timeout=30).stdout
    for expected in ("棉质T恤 Cotton T-shirt", "红色 Red / M", "x2", "Ceramic mug 陶瓷杯", "FRAGILE 易碎",
                     "感谢卡：谢谢惠顾！￥０", "GIFT/INSERT 赠品", "Order 订单 SO-2026-000123", "no image",
                     "PACKING SLIP 装箱单", "4 units 件"):
        assert expected in text, expected
    listing = subprocess.run(["pdfimages", "-list", str(src)], capture_output=True, text=True, timeout=30).stdout
    image_rows = [ln for ln in listing.splitlines()[2:] if ln.strip()]
    assert len(image_rows) == 2  # two readable product images; the broken one is a drawn placeholder


def test_what_is_not_in_the_parcel_is_listed_under_the_lines(tmp_path):
    pl = demo_picklist()
    short = pl.lines[0]
    src = tmp_path / "slip.pdf"
    for page in ("80mm", "a4"):
        src.write_bytes(build_slip_pdf(pl, None, page=page, missing=[dataclasses.replace(short, qty=2),
                                                                    dataclasses.replace(pl.lines[1], qty=0)]))
        text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True,
                              timeout=30).stdout
        assert "NOT IN THIS PARCEL 未在本包裹中" in text, page
        after = text.split("NOT IN THIS PARCEL", 1)[1]
        assert short.sku in after and "x2" in after and pl.lines[1].sku not in after.split("units")[0], page
    src.write_bytes(build_slip_pdf(pl, None, page="a4"))  # nothing missing: no such heading
    text = subprocess.run(["pdftotext", str(src), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "NOT IN THIS PARCEL" not in text


def test_missing_images_and_no_image_source_still_give_a_slip():
    pl = demo_picklist()
    pdf = build_slip_pdf(pl, None)
    assert ("Code128", "SO-2026-000123") in _decode(pdf_pages(pdf, dpi=200)[0])
    pdf2 = build_slip_pdf(pl, lambda url: None)
    assert pdf2.startswith(b"%PDF")


def test_long_order_spans_pages_on_a6():
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["lines"] = [dict(DEMO_DOC["lines"][0], id=str(i), sku=f"SKU-{i}") for i in range(14)]
    pdf = build_slip_pdf(PickList.from_dict(doc), None, page="a6")
    assert len(pdf_pages(pdf, dpi=40)) >= 2


@pytest.mark.parametrize("dots", [576, 512])
def test_slip_as_escpos_raster_at_dot_width_still_scans(dots):
    pdf = build_slip_pdf(demo_picklist(), None, page="80mm")
    data = pdf_to_escpos(pdf, PrinterSettings(dots=dots))
    ops = preview.parse(data)
    images = [o for o in ops if o.kind == "image"]
    assert images and {o.args["width_bytes"] * 8 for o in images} == {dots}
    assert ops[-1].kind == "cut"
    parts = [preview.raster_to_image(o) for o in images]
    full = Image.new("1", (dots, sum(p.height for p in parts)), 1)
    y = 0
    for p in parts:
        full.paste(p, (0, y))
        y += p.height
    found = _decode(full)
    assert ("Code128", "SO-2026-000123") in found


def test_bad_page_size_is_rejected():
    with pytest.raises(ValueError, match="a4"):
        build_slip_pdf(demo_picklist(), None, page="letter")


def test_product_photos_are_thumbnailed_once_when_cached_and_embedded_as_jpeg(tmp_path, store):
    """The image cache makes the slip thumbnails when it stores a photo; a slip embeds them as they are
    (DCTDecode), so printing decodes no photo, and the picture still shows (its colour on the page)."""
    import io

    from sync.images import ImageCache

    cache = ImageCache(store, tmp_path / "data")
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buf, "JPEG")
    url = DEMO_DOC["lines"][0]["image_url"]
    stored = cache.put(url, buf.getvalue(), "image/jpeg")
    thumbs = sorted((stored.parent / ".slip-thumbs").glob("*.jpg"))
    assert len(thumbs) == 2  # A4 and the smaller pages
    stamps = [t.stat().st_mtime_ns for t in thumbs]
    pdf = build_slip_pdf(demo_picklist(), cache.path_for, page="a4")
    assert b"/DCTDecode" in pdf
    assert [t.stat().st_mtime_ns for t in thumbs] == stamps  # used, not made again
    from hardware.printing.slip import _pdftoppm

    page = Image.open(_pdftoppm(pdf, ["-r", "60", "-f", "1", "-l", "1"])[0]).convert("RGB")
    px = page.tobytes()  # RGB triples (getdata() is deprecated in Pillow 12)
    assert any(r > 150 and g < 90 and b < 90 for r, g, b in zip(px[::3], px[1::3], px[2::3], strict=True))  # the red photo
    stored.write_bytes(b"not a jpeg any more")  # a replaced file is thumbnailed again: unreadable -> placeholder
    assert b"/DCTDecode" not in build_slip_pdf(demo_picklist(), cache.path_for, page="a4")


def test_one_unit_on_one_line_is_said_in_the_singular(tmp_path):
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["lines"] = [dict(doc["lines"][0], qty=1)]
    src = tmp_path / "slip.pdf"
    src.write_bytes(build_slip_pdf(PickList.from_dict(doc), lambda _url: None, page="a4"))
    text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "1 unit 件" in text and "1 line 行" in text and "1 units" not in text and "1 lines" not in text


@pytest.mark.parametrize("page", ["80mm", "a6", "a4"])
def test_the_order_number_under_the_barcode_stands_clear_of_the_bars(page):
    """reportlab's own number under a Code128 set the digits' tops against the bars (seen rendered at 600 dpi): the
    slip draws it 1.5 mm below them. Measured on the rendered page: blank rows between the bars and the number."""
    import numpy as np

    dpi = 300
    img = pdf_pages(build_slip_pdf(demo_picklist(), None, page=page), dpi=dpi, first_only=True)[0].convert("L")
    code = next(r for r in zxingcpp.read_barcodes(img) if r.format.name == "Code128")
    corners = (code.position.top_left, code.position.top_right, code.position.bottom_left, code.position.bottom_right)
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    dark = np.asarray(img)[:, min(xs):max(xs)] < 128
    transitions = np.count_nonzero(dark[:, 1:] != dark[:, :-1], axis=1)
    across = transitions[(min(ys) + max(ys)) // 2]  # edges on a row through the bars
    bottom = (min(ys) + max(ys)) // 2
    while transitions[bottom + 1] == across:  # down to the bars' last row
        bottom += 1
    below = np.flatnonzero(dark[bottom + 1:].any(axis=1))
    assert below.size, "nothing under the bars"
    gap_mm = below[0] / dpi * 25.4
    assert gap_mm >= 1.0, f"the number is {gap_mm:.2f} mm under the bars"
    number_rows = dark[bottom + 1 + below[0]: bottom + 1 + below[0] + int(2 * dpi / 25.4)]
    assert np.count_nonzero(number_rows) > 0  # the number is there (its text: the slip's text tests)


def test_the_slip_embeds_every_font(tmp_path):
    """The slip's Latin text was in non-embedded Helvetica: poppler on Debian drew it in DejaVu Sans at Helvetica's
    widths ("S O-2026-000123", "W ang Xiaoming"), and that raster is what an 80 mm printer gets. Every font is
    embedded now (as the reports' and the station sheet's)."""
    src = tmp_path / "slip.pdf"
    src.write_bytes(build_slip_pdf(demo_picklist(), None, page="80mm"))
    r = subprocess.run(["pdffonts", str(src)], capture_output=True, text=True, timeout=30)
    rows = r.stdout.splitlines()[2:]  # name type encoding emb sub uni object ID
    assert len(rows) >= 3, r.stdout  # Latin, Latin bold, CJK
    for row in rows:
        assert row.split()[-5:-3] == ["yes", "yes"], r.stdout
    assert "Helvetica" not in r.stdout and "STSong" not in r.stdout
    text = subprocess.run(["pdftotext", str(src), "-"], capture_output=True, text=True, timeout=30).stdout
    assert "SO-2026-000123" in text and "Wang Xiaoming" in text
    assert "138-0000-0000" in text  # the wider embedded sans: a line too long is set smaller before it is cut


def _pdf_pages_text(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page, as poppler's pdftotext reads it."""
    src = tmp_path / "slip.pdf"
    src.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(src)], capture_output=True, text=True, timeout=30).stdout
    n = int(next(ln.split()[1] for ln in info.splitlines() if ln.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(src), "-"], capture_output=True,
                           text=True, timeout=30).stdout for i in range(1, n + 1)]


def _many_lines(n: int, start: int = 0) -> list[dict]:
    return [{"id": str(i), "sku": f"SKU-{i:03d}", "name": f"商品 {i}", "qty": 2} for i in range(start, start + n)]


def _assert_every_page_says_order_and_page_of(pages: list[str]):
    for i, text in enumerate(pages, 1):
        assert "SO-2026-000123" in text, i
        assert f"page {i} / {len(pages)}" in text and f"第 {i} / {len(pages)} 页" in text, (i, text[-300:])


def _assert_content_stays_above_the_page_foot(pdf: bytes, tmp_path):
    """Every word of a page (pdftotext -bbox) ends above the foot line "Order … page x / y", and inside the page."""
    import re

    src = tmp_path / "bbox.pdf"
    src.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(src), "-"], capture_output=True, text=True, timeout=60).stdout
    for k, page in enumerate(html.split("<page ")[1:], 1):
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        words = [(float(a), float(b), w) for a, b, w in
                 re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        foot_top = min(y0 for y0, _, w in words if w == "page")
        above = [(w, y1) for y0, y1, w in words if y0 < foot_top - 1]
        assert all(y1 < foot_top for w, y1 in above), (k, [a for a in above if a[1] >= foot_top][:5])
        assert max(y1 for _, y1, _ in words) <= height, k


@pytest.mark.parametrize("page", ["a4", "a6", "80mm"])
def test_a_long_not_in_this_parcel_list_is_printed_whole_with_the_totals_at_the_end(page, tmp_path):
    """A short pick of 120 lines: the A4 slip showed 70 of them, A6 35, and the totals and footer fell off the page.
    Now the list goes on over the pages, under its heading again, and the totals close the last page."""
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["lines"] = _many_lines(3)
    missing = PickList.from_dict(dict(doc, lines=_many_lines(120, 3))).lines
    pdf = build_slip_pdf(PickList.from_dict(doc), None, page=page, station="ST-1", operator="K-001", missing=missing)
    pages = _pdf_pages_text(pdf, tmp_path)
    _assert_every_page_says_order_and_page_of(pages)
    _assert_content_stays_above_the_page_foot(pdf, tmp_path)
    text = "".join(pages)
    for ln in missing:
        assert f"{ln.sku} {ln.name}" in " ".join(text.split()), ln.sku
    assert text.count("x2") == 123
    assert "6 units" in pages[-1] and "ST-1 / K-001" in pages[-1]
    if len(pages) > 1:
        assert "NOT IN THIS PARCEL 未在本包裹中 (continued 续)" in pages[1]


def test_a_200_line_a4_slip_has_the_order_number_and_page_x_of_y_on_every_page(tmp_path):
    """21 pages, of which only the first said whose slip it was."""
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["lines"] = _many_lines(200)
    pdf = build_slip_pdf(PickList.from_dict(doc), None, page="a4")
    pages = _pdf_pages_text(pdf, tmp_path)
    assert len(pages) > 10
    _assert_every_page_says_order_and_page_of(pages)
    _assert_content_stays_above_the_page_foot(pdf, tmp_path)
    text = " ".join("".join(pages).split())
    assert all(f"SKU-{i:03d}" in text for i in range(200)) and "400 units" in pages[-1]


def test_a_400_line_roll_slip_is_pages_a_viewer_opens(tmp_path):
    """A 400-line roll slip was one page 21,788 pt tall; PDF viewers refuse pages over 14,400 pt (and pdftoppm
    warns). Now pages of at most 14,000 pt, each as tall as its content, each with the order number and page x / y."""
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["lines"] = _many_lines(400)
    pdf = build_slip_pdf(PickList.from_dict(doc), None, page="80mm")
    src = tmp_path / "roll.pdf"
    src.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(src)], capture_output=True, text=True,
                          timeout=30).stdout
    heights = [float(ln.split("x")[1].split()[0]) for ln in info.splitlines() if ln.startswith("Page") and "size" in ln]
    assert len(heights) >= 2 and max(heights) <= 14_400, heights
    pages = _pdf_pages_text(pdf, tmp_path)
    _assert_every_page_says_order_and_page_of(pages)
    assert "800 units" in pages[-1]
    text = " ".join("".join(pages).split())
    assert all(f"SKU-{i:03d}" in text for i in range(400))


def test_an_order_number_a_barcode_cannot_carry_as_sent_gets_no_barcode_on_the_slip():
    """The slip drew "SO-1<ESC>2" as a Code128 of "SO-1 2" (the cleaned text), a code no system knows. Now no barcode
    (logged), as the label refuses one; the QR code still carries the order."""
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["order_no"] = "SO-1\x1b2"
    found = _decode(pdf_pages(build_slip_pdf(PickList.from_dict(doc), None, page="a4"), dpi=200, first_only=True)[0])
    assert not [t for f, t in found if f == "Code128"]
    assert [json.loads(t)["o"] for f, t in found if f == "QRCode"] == ["SO-1\x1b2"]


@pytest.mark.parametrize("order_no", ["114-1234567-1234567", "231207-123456789012345",
                                      "PO-2026-12-07-STATION-A-00012345"])
@pytest.mark.parametrize("dots", [576, 512])
def test_a_long_order_number_on_a_roll_slip_scans_from_the_printed_raster(order_no, dots):
    """A 32-character order number's Code128 was squeezed to the roll's width, 0.18 mm a module (1.3 dots at 576):
    the printed slip had a barcode no scanner reads. Now one at 0.3 mm a module or more, else a QR code of the
    order number; read from the raster the printer gets (pdf_to_escpos' threshold)."""
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["order_no"] = order_no
    pdf = build_slip_pdf(PickList.from_dict(doc), None, page="80mm")
    img = pdf_pages(pdf, width_px=dots, first_only=True)[0].convert("L").point(lambda v: 0 if v < 160 else 255)
    found = _decode(img)
    assert ("Code128", order_no) in found or ("QRCode", order_no) in found, found


def test_an_arabic_address_is_joined_and_right_to_left_and_an_emoji_is_a_question_mark(tmp_path, caplog):
    """A cross-border order to Riyadh: reportlab drew the address's letters one by one as stored, isolated and left
    to right ("عراش" for "شارع"); an emoji in the name was an empty space, and nothing said so. Now the letters are
    in their joined forms (Arabic Presentation Forms, as a shaping engine sets them) in display order, and the emoji
    is a "?", logged."""
    doc = json.loads(json.dumps(DEMO_DOC))
    street = "\u0634\u0627\u0631\u0639 \u0627\u0644\u0645\u0644\u0643 \u0641\u0647\u062f"  # Arabic: King Fahd Street
    doc["ship_to"] = {"name": "Anna \U0001f381", "address_lines": [street], "city": "Riyadh", "country": "SA"}
    src = tmp_path / "slip.pdf"
    src.write_bytes(build_slip_pdf(PickList.from_dict(doc), lambda _url: None, page="80mm"))
    text = subprocess.run(["pdftotext", "-raw", str(src), "-"], capture_output=True, text=True, timeout=30).stdout
    arabic = next(ln for ln in text.splitlines() if any(0x0600 <= ord(c) <= 0x06FF or 0xFE70 <= ord(c) <= 0xFEFF
                                                      for c in ln))
    arabic = "".join(c for c in arabic if unicodedata.category(c) != "Cf")  # pdftotext's embedding marks
    letters = [c for c in arabic if not c.isspace()]
    assert letters and all(0xFE70 <= ord(c) <= 0xFEFF for c in letters)  # every letter in a joined form
    assert {unicodedata.normalize("NFKC", w) for w in arabic.split()} == set(street.split())  # each word whole
    assert "Anna ?" in text
    assert any("U+1F381" in r.getMessage() for r in caplog.records)
