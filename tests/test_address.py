"""A ship-to address as its country writes it (app/address.py, Google's address data): on the label, the slip, the
work screen and the floor's messages alike; nothing the OMS sent is lost where a country's layout has no place
for it; hostile text stays inside its field."""

from __future__ import annotations

import json
import re
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from app.address import address_lines, address_one_line
from app.picklist import PickList, ShipTo
from hardware.printing import build_label, build_slip_pdf, preview
from hardware.printing.demo_order import DEMO_DOC

US = ShipTo(name="John Miller", phone="+1 555 0100", address_lines=("12 Main St", "Apt 4"), city="Austin",
            region="TX", postcode="78701", country="US")
CN = ShipTo(name="陈静", phone="13800138000", address_lines=("浦东新区世纪大道100号", "20楼"), city="上海市",
            region="上海", postcode="200120", country="CN")
DE = ShipTo(name="Anna Schmidt", address_lines=("Hauptstr. 5",), city="Berlin", region="BE", postcode="10115",
            country="DE")


def test_each_country_lays_out_its_addresses_its_own_way():
    assert address_lines(US) == ("12 Main St", "Apt 4", "AUSTIN, TX 78701", "UNITED STATES")
    assert address_lines(DE) == ("Hauptstr. 5", "10115 BERLIN", "GERMANY")  # Germany writes no Land
    # Chinese script: from the postcode and the province down; a city that is a province said once (not 上海上海市)
    assert address_lines(CN) == ("200120", "上海市", "浦东新区世纪大道100号", "20楼", "CHINA")
    # the same country in Latin letters: from the street up
    pinyin = ShipTo(address_lines=("8 Century Avenue",), city="Shanghai", region="Shanghai Shi", postcode="200120",
                    country="cn")
    assert address_lines(pinyin) == ("8 Century Avenue", "Shanghai", "SHANGHAI SHI, 200120", "CHINA")


def test_a_separator_beside_an_empty_field_goes_with_it_and_a_prefix_stays():
    assert address_lines(ShipTo(address_lines=("1 Rd",), city="Austin", postcode="78701", country="US")) == (
        "1 Rd", "AUSTIN, 78701", "UNITED STATES")
    assert address_lines(ShipTo(address_lines=("1 Rd",), region="TX", postcode="78701", country="US")) == (
        "1 Rd", "TX 78701", "UNITED STATES")
    assert address_lines(ShipTo(address_lines=("8 Century Avenue",), city="Shanghai", postcode="200120",
                                country="CN")) == ("8 Century Avenue", "Shanghai", "200120", "CHINA")
    # Japan in its own script: the postcode mark stays before the postcode (its layout has no city: see below)
    jp = ShipTo(address_lines=("千代田区千代田1-1",), region="東京都", postcode="100-0001", country="JP")
    assert address_lines(jp) == ("〒100-0001", "東京都", "千代田区千代田1-1", "JAPAN")


def test_nothing_the_oms_sent_is_dropped_where_the_country_has_no_place_for_it():
    # Japan's layout carries the city in the street: a city sent apart would vanish from it — laid out as before
    jp = ShipTo(address_lines=("千代田1-1",), city="千代田区", region="東京都", postcode="100-0001", country="JP")
    assert address_lines(jp) == ("千代田1-1", "100-0001 千代田区 東京都", "JP")
    # a country the data does not know, a name where the code belongs, no country at all
    for country in ("XX", "China", "中国", ""):
        ship = ShipTo(address_lines=("1 Rd",), city="X", region="Y", postcode="9", country=country)
        assert address_lines(ship) == tuple(x for x in ("1 Rd", "9 X Y", country) if x), country


def test_the_screen_says_the_fields_as_sent_on_one_line():
    assert address_one_line(US) == "12 Main St, Apt 4, Austin, TX 78701, US"
    assert address_one_line(CN) == "200120 上海市 浦东新区世纪大道100号 20楼 CN"  # no English country name on a 中文 screen


def test_a_line_break_inside_a_field_stays_inside_it():
    ship = ShipTo(address_lines=("x\r\ny\x85z", "  "), city="Aus\ntin", postcode="78701", country="US")
    assert address_lines(ship) == ("x y z", "AUS TIN, 78701", "UNITED STATES")


def test_the_label_and_the_slip_print_the_address_as_its_country_writes_it(tmp_path):
    doc = json.loads(json.dumps(DEMO_DOC))
    doc["ship_to"] = {"name": US.name, "phone": US.phone, "address_lines": list(US.address_lines), "city": US.city,
                      "region": US.region, "postcode": US.postcode, "country": US.country}
    pl = PickList.from_dict(doc)
    text = preview.texts(preview.parse(build_label(pl)))
    assert "John Miller\n+1 555 0100\n12 Main St\nApt 4\nAUSTIN, TX 78701\nUNITED STATES\n" in text
    src = tmp_path / "slip.pdf"
    for page in ("80mm", "a6", "a4"):
        src.write_bytes(build_slip_pdf(pl, None, page=page))
        lines = [ln.strip() for ln in subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True,
                                                     text=True, timeout=30).stdout.splitlines()]
        at = lines.index("John Miller +1 555 0100")
        assert lines[at + 1:at + 5] == ["12 Main St", "Apt 4", "AUSTIN, TX 78701", "UNITED STATES"], page


def test_the_queue_reads_its_orders_address_layouts_on_the_io_worker(settings, monkeypatch):
    """The floor reads the queue's pick lists in the job it hands its I/O worker, and their countries' layouts with
    them (China's data file takes 14-17 ms): the first order to China does not read it on the GUI thread as its
    screen opens. Nothing is read where refresh_queue is called."""
    from app import address
    from tests.floor_kit import Floor, make_order, simple_order

    china = make_order(2001, simple_order(2001).to_dict()["lines"], ship_to={"name": "陈静", "country": "CN"})
    floor = Floor(settings, [simple_order(1001), china])
    read: list[set] = []
    monkeypatch.setattr(address, "warm_up", lambda countries: read.append(set(countries)))
    jobs = []
    floor.ctl.run_io = lambda fn, done: jobs.append((fn, done))
    try:
        floor.ctl.refresh_queue()
        assert len(jobs) == 1 and read == []  # nothing read on the caller's thread
        fn, done = jobs[0]
        done(fn())
        assert read == [{"", "CN"}]
        assert {p.id for p in floor.ctl.queue_items()} == {"SO-1001", "SO-2001"}
    finally:
        floor.close()


def test_a_countrys_layout_is_read_once_and_kept():
    from app import address

    address._rules.cache_clear()
    address.warm_up(["cn", " US ", "", "China"])
    assert address._rules.cache_info().currsize == 3  # CN, US and the name (not a code: nothing to read)
    misses = address._rules.cache_info().misses
    address_lines(CN)
    assert address._rules.cache_info().misses == misses


CODES = ["US", "CN", "JP", "DE", "GB", "BR", "KR", "RU", "IN", "HK", "TW", "XK", "AQ", "ALL", "UK", "zz", "", "%C",
         "中国", "cn"]


@settings(max_examples=400, deadline=None)
@given(street=st.lists(st.text(max_size=30), max_size=3), city=st.text(max_size=20), region=st.text(max_size=20),
       postcode=st.text(max_size=12), country=st.sampled_from(CODES))
def test_any_address_from_the_oms_is_laid_out_whole(street, city, region, postcode, country):
    """Whatever the OMS sends (control characters, % signs, scripts mixed, fields empty, a country that is not a
    code): no exception, and every street line, the city and the postcode are on the label (the country may write
    them in capitals), and on the screen as sent."""
    ship = ShipTo(address_lines=tuple(street), city=city, region=region, postcode=postcode, country=country)
    lines = address_lines(ship)
    assert all(ln and "\n" not in ln and ln == ln.strip() for ln in lines)
    printed = " ".join(" ".join(lines).split()).upper()
    for field in (*street, city, postcode):
        assert " ".join(field.split()).upper() in printed, field
    shown = address_one_line(ship)
    assert not any(c in shown for c in "\u202e\x1b\x00\x7f")
    # on screen as sent, its control and bidi characters shown as escapes (read back here)
    on_screen = " ".join(re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), shown).split())
    for field in (*street, city, postcode):
        assert " ".join(field.split()) in on_screen, field


def test_a_bidi_override_or_control_character_from_the_oms_turns_no_address_round_on_screen():
    """QA: a U+202E (right-to-left override) in an order's ship-to name turned the whole address round on the queue
    and the work screen ("…市海上 021002" for postcode 200120; the label was clean). On screen such characters are
    shown as escapes; the address reads as it is."""
    from app.address import recipient

    st = ShipTo(name="\u202eWang\x1b", address_lines=("1 Main St",), city="Shanghai", postcode="200120", country="CN")
    line = address_one_line(st)
    assert "\u202e" not in line and "\x1b" not in line and "200120" in line
    assert recipient(st) == "\\u202eWang\\u001b"
    assert address_one_line(ShipTo(name="陈静", city="上海", country="CN")) == "上海 CN"  # plain text unchanged
