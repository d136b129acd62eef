"""Deterministic demo catalogue for the reference OMS (`--seed demo`). See docs/sync.md."""

from __future__ import annotations

import io
import json
import random
import time

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import delete, select

# (biip is imported when a code is made, not with this module: the demo panel reads OPERATORS at start)
from app.barcodes import with_gs1_check
from sync.oms_server import models as m

COLORS = {"RED": (200, 40, 40), "BLUE": (40, 80, 200), "BLACK": (30, 30, 30), "GREEN": (40, 150, 70),
          "WHITE": (235, 235, 235)}

OPERATORS = [("OP-P1", "P-001", "Li Wei 李伟", "picker", "1111"),
             ("OP-K1", "K-001", "Zhang Min 张敏", "packer", "2222"),
             ("OP-S1", "S-001", "Wang Fang 王芳", "supervisor", "999999")]

# Orders cancelled while being worked: the OMS cancels them this many ms after a station claims them.
CANCEL_AFTER_CLAIM = {"SO-1005": 3_000, "SO-1013": 3_000}


def ean13(base12: str) -> str:
    return with_gs1_check(base12)


def itf14(indicator: str, base12: str) -> str:
    """A case's GTIN-14 (printed as ITF-14): the packaging indicator, the unit's GTIN-13 without its check digit,
    and a check digit of its own (not the unit's: "1" + the unit's EAN-13 would fail the scanner's check)."""
    return with_gs1_check(indicator + base12)


_TEE = [(60, 50), (100, 40), (140, 40), (180, 50), (215, 90), (185, 110), (170, 95), (170, 200), (70, 200), (70, 95),
        (55, 110), (25, 90)]


def _image(kind: str, color: tuple[int, int, int], label: str) -> bytes:
    img = Image.new("RGB", (240, 240), (248, 248, 246))
    d = ImageDraw.Draw(img)
    line = (0, 0, 0) if sum(color) > 150 else (110, 110, 110)  # a dark garment's seams still show
    if kind in ("tee", "polo"):
        d.polygon(_TEE, fill=color, outline=(0, 0, 0))
        if kind == "polo":  # a collar and a buttoned placket
            d.polygon([(100, 40), (120, 62), (140, 40), (148, 52), (120, 70), (92, 52)], fill=color, outline=line)
            d.line([(120, 66), (120, 105)], fill=line, width=2)
            for y in (78, 92):
                d.ellipse([117, y - 3, 123, y + 3], fill=line)
    elif kind == "hoodie":  # long sleeves, a hood, a front pocket and drawstrings
        d.polygon([(62, 58), (92, 46), (148, 46), (178, 58), (222, 176), (196, 184), (170, 108), (170, 205),
                   (70, 205), (70, 108), (44, 184), (18, 176)], fill=color, outline=(0, 0, 0))
        d.ellipse([86, 18, 154, 78], fill=color, outline=(0, 0, 0))  # the hood
        d.ellipse([102, 34, 138, 72], fill=tuple(max(0, c - 40) for c in color), outline=line)  # its opening
        d.polygon([(88, 150), (152, 150), (162, 190), (78, 190)], outline=line)  # the pocket
        d.line([(112, 72), (110, 112)], fill=line, width=2)
        d.line([(128, 72), (130, 112)], fill=line, width=2)
    elif kind == "mug":
        d.rectangle([60, 60, 160, 190], fill=color, outline=(0, 0, 0))
        d.ellipse([140, 90, 200, 160], outline=color, width=12)
    elif kind == "case":
        d.rounded_rectangle([80, 30, 160, 210], radius=18, fill=color, outline=(0, 0, 0))
        d.ellipse([95, 45, 120, 70], fill=(20, 20, 20))
    else:  # bottle / box
        d.rectangle([95, 40, 145, 70], fill=(120, 120, 120))
        d.rounded_rectangle([70, 70, 170, 205], radius=14, fill=color, outline=(0, 0, 0))
    font = ImageFont.load_default()
    d.text((8, 215), label[:34], fill=(0, 0, 0), font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _products() -> list[tuple[dict, str, tuple[int, int, int]]]:
    out = []
    n = 0

    def add(sku, name, style, color, size, weight, kind, rgb, extra=None):
        nonlocal n
        n += 1
        barcodes = [{"code": ean13(f"69{n:010d}"), "qty_per_scan": 1, "kind": "unit"}]
        if extra:
            barcodes.append(extra)
        doc = {"sku": sku, "name": name, "style": style, "color": color, "size": size,
               "image_url": f"/api/v1/images/{sku}.png", "weight_g": weight, "barcodes": barcodes}
        out.append((doc, kind, rgb))

    for c in ("RED", "BLUE", "BLACK"):
        for s in ("S", "M", "L"):
            add(f"TEE-{c}-{s}", f"Cotton T-shirt 纯棉T恤 {c} {s}", "TEE-CLASSIC", c, s, 180, "tee", COLORS[c])
    for c in ("GREEN", "WHITE"):
        for s in ("M", "L", "XL"):
            add(f"POLO-{c}-{s}", f"Polo shirt {c} {s}", "POLO", c, s, 230, "polo", COLORS[c])
    for c in ("BLACK", "GREEN"):
        for s in ("M", "L"):
            add(f"HOOD-{c}-{s}", f"Hoodie 连帽衫 {c} {s}", "HOODIE", c, s, 520, "hoodie", COLORS[c])
    for c in ("WHITE", "BLACK", "BLUE"):
        add(f"MUG-{c}", f"Ceramic mug 陶瓷杯 {c}", "MUG-350", c, "", 340, "mug", COLORS[c])
    for model in ("X12", "X13", "Y5"):
        for c in ("BLACK", "BLUE"):
            add(f"CASE-{model}-{c}", f"Phone case {model} {c}", f"CASE-{model}", c, "", 40, "case", COLORS[c])
    # case-pack items: a carton barcode (ITF-14 style 14 digits) worth 12 units
    for i, nm in enumerate(("Tea bags 100pk 茶包", "Socks 3-pack", "Pens 10-pack", "Batteries AA 4pk")):
        sku = f"PACK-{i + 1:02d}"
        add(sku, nm, sku, "", "", 120, "box", (120, 90 + 20 * i, 60),
            {"code": itf14("1", f"69{900 + i:010d}"), "qty_per_scan": 12, "kind": "case"})
    # GS1 items with lots/expiry
    for i, nm in enumerate(("Vitamin C tablets 维生素C", "Baby formula 婴儿奶粉", "Hand cream", "Face serum",
                            "Protein bars")):
        add(f"GS1-{i + 1:02d}", nm, f"GS1-{i + 1:02d}", "", "", 250, "box", (200, 160, 60 + 30 * i))
    # fragile
    for i, nm in enumerate(("Glass vase 玻璃花瓶", "Wine glass set", "Perfume 50ml")):
        add(f"FRG-{i + 1:02d}", nm, f"FRG-{i + 1:02d}", "", "", 600, "box", (150, 200, 220))
    # gifts / inserts
    add("GIFT-CARD", "Thank-you card 感谢卡", "GIFT-CARD", "", "", 10, "box", (240, 200, 210))
    add("GIFT-SAMPLE", "Free sample 赠品", "GIFT-SAMPLE", "", "", 20, "box", (210, 240, 200))
    return out


ADDRESSES = [
    {"name": "陈静", "phone": "13800138000", "address_lines": ["浦东新区世纪大道100号", "20楼"], "city": "上海市",
     "region": "上海", "postcode": "200120", "country": "CN"},
    {"name": "刘洋", "phone": "13900139000", "address_lines": ["朝阳区建国路88号"], "city": "北京市", "region": "北京",
     "postcode": "100022", "country": "CN"},
    {"name": "Anna Schmidt", "phone": "+49 30 1234567", "address_lines": ["Hauptstr. 5"], "city": "Berlin",
     "region": "BE", "postcode": "10115", "country": "DE"},
    {"name": "John Miller", "phone": "+1 555 0100", "address_lines": ["12 Main St", "Apt 4"], "city": "Austin",
     "region": "TX", "postcode": "78701", "country": "US"},
]


def ship_to(k: int) -> dict:
    """The k-th demo order's address; one order (SO-1004) carries an OMS address warning, which the work
    screen shows in red beside the address (field notes: wrong address, 2.1 per thousand orders)."""
    st = dict(ADDRESSES[k % len(ADDRESSES)])
    if k == 3:
        st["warnings"] = ["付款后地址已修改 address changed after payment"]
    return st


# the demo orders' latest ship times, minutes from when the OMS was seeded: two already late, the rest over the day
# and the next (the queue puts the earliest first after the urgent ones and says how late, or by when)
SHIP_BY_MINUTES = (-40, 25, 50, 95, 180, 300, 420, 1500, -5, 140)


def build_orders(products: list[dict], n_orders: int = 20, seed: int = 4, now_ms: int | None = None) -> list[dict]:
    """The demo's orders; with `now_ms`, each with a latest ship time around it (SHIP_BY_MINUTES)."""
    rnd = random.Random(seed)
    by_sku = {p["sku"]: p for p in products}
    bins = {p["sku"]: (f"A{(i // 10) + 1:02d}-{(i % 10) + 1:02d}", i) for i, p in enumerate(products)}
    regular = [p for p in products if not p["sku"].startswith("GIFT")]
    orders = []
    for k in range(n_orders):
        oid = f"SO-{1001 + k}"
        n_lines = 1 if k % 5 == 0 else rnd.randint(2, 5)
        chosen = rnd.sample(regular, n_lines)
        if k % 4 == 1:
            chosen.append(by_sku["GIFT-CARD" if k % 8 == 1 else "GIFT-SAMPLE"])
        lines = []
        for j, p in enumerate(chosen):
            sku = p["sku"]
            qty = 12 if sku.startswith("PACK") and k % 2 else (1 if k % 5 == 0 else rnd.randint(1, 3))
            b, order = bins[sku]
            lot = {"required": False, "allowed": [], "min_days_to_expiry": None}
            if sku.startswith("GS1"):
                lot = {"required": True, "allowed": [f"L{sku[-2:]}A", f"L{sku[-2:]}B"], "min_days_to_expiry": 30}
            lines.append({
                "id": f"{oid}-{j + 1}", "sku": sku, "name": p["name"], "style": p["style"], "color": p["color"],
                "size": p["size"], "image_url": p["image_url"], "qty": qty, "unit": "pcs", "bin": b,
                "bin_barcode": f"BIN-{b}", "bin_order": order, "barcodes": p["barcodes"], "lot": lot,
                "gift": sku.startswith("GIFT"), "fragile": sku.startswith("FRG"), "serial_required": False,
                "weight_g": p["weight_g"]})
        styles = {ln["style"] for ln in lines}
        on_order = {ln["sku"] for ln in lines}
        siblings = [{"code": bc["code"], "sku": p["sku"], "style": p["style"], "color": p["color"],
                     "size": p["size"], "name": p["name"]}
                    for p in products if p["style"] in styles and p["sku"] not in on_order for bc in p["barcodes"]]
        weight = sum(ln["qty"] * ln["weight_g"] for ln in lines) + 150
        orders.append({
            "id": oid, "order_no": f"#{50001 + k}", "status": "open",
            "carrier": ["SF Express", "DHL", "UPS", "ZTO"][k % 4], "service": "standard",
            "ship_to": ship_to(k), "expected_weight_g": weight,
            "weight_tolerance_g": max(30.0, round(weight * 0.05)), "priority": 1 if k % 7 == 0 else 0,
            "notes": "", "lines": lines, "siblings": siblings})
        if now_ms is not None:
            orders[-1]["ship_by_ms"] = now_ms // 300_000 * 300_000 + SHIP_BY_MINUTES[k % len(SHIP_BY_MINUTES)] * 60_000
    return orders


def seed_demo(engine, t_ms: int = 1_767_225_600_000, now_ms: int | None = None) -> None:
    """Load the demo catalogue (idempotent: skipped when orders exist). t_ms fixes updated_ms (deterministic); the
    orders' latest ship times are around `now_ms` (default: the time of seeding), so the demo always has late ones."""
    from app.operators import hash_pin

    with engine.begin() as conn:
        if conn.execute(select(m.orders.c.id).limit(1)).first():
            return
        for t in (m.products, m.images, m.operators):
            conn.execute(delete(t))
        prods = _products()
        docs = [p for p, _, _ in prods]
        conn.execute(m.products.insert(), [{"sku": p["sku"], "doc": json.dumps(p, ensure_ascii=False),
                                            "updated_ms": t_ms} for p in docs])
        conn.execute(m.images.insert(), [{"name": f"{p['sku']}.png", "content_type": "image/png",
                                          "data": _image(kind, rgb, p["name"].encode("ascii", "ignore").decode())}
                                         for p, kind, rgb in prods])
        orders = build_orders(docs, now_ms=now_ms if now_ms is not None else time.time_ns() // 1_000_000)
        conn.execute(m.orders.insert(), [{
            "id": o["id"], "order_no": o["order_no"], "status": "open",
            "cancel_after_claim_ms": CANCEL_AFTER_CLAIM.get(o["id"]), "doc": json.dumps(o, ensure_ascii=False),
            "updated_ms": t_ms} for o in orders])
        conn.execute(m.operators.insert(), [{"id": i, "badge": b, "name": n, "role": r, "pin_hash": hash_pin(p),
                                             "active": 1} for i, b, n, r, p in OPERATORS])


def add_bulk_orders(engine, n_orders: int, lines_per_order: int, t_ms: int = 1_767_225_600_000) -> None:
    """Synthetic load for the benchmark: n_orders x lines_per_order open pick lines."""
    rows = []
    for k in range(n_orders):
        oid = f"BULK-{k:06d}"
        lines = [{"id": f"{oid}-{j}", "sku": f"SKU-{(k * 7 + j) % 5000:05d}", "name": f"Item {j}", "qty": 1 + j % 3,
                  "bin": f"B{j:03d}", "bin_order": j,
                  "barcodes": [{"code": ean13(f"20{(k * lines_per_order + j):010d}"), "qty_per_scan": 1,
                                "kind": "unit"}]} for j in range(lines_per_order)]
        doc = {"id": oid, "order_no": f"#{k}", "status": "open", "lines": lines, "carrier": "DHL"}
        rows.append({"id": oid, "order_no": f"#{k}", "status": "open", "doc": json.dumps(doc), "updated_ms": t_ms})
    with engine.begin() as conn:
        conn.execute(m.orders.insert(), rows)
