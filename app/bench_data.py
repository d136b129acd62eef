"""Warehouse-scale data for `packstation bench` (issue 15): a station store with 50,000 products,
10,000 cached pick lists and 1,000,000 (or 5,000,000) events, built once with executemany in big
transactions and kept in a cache directory between figures (and between runs: the file name carries
the generator's version, so a changed generator builds a new file).

Figures that write get a copy (`copy_to`); figures that only read may open the cached file itself.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

VERSION = 3  # 2: the log's orders are the cached pick lists' ids (SO-000000, ...); 3: the store's 1 KiB pages
T0_MS = 1_763_251_200_000  # 2025-11-16 00:00 UTC
EVENT_STEP_MS = 600  # one event every 0.6 s: 1M events span ~7 days
_KINDS = ["accepted"] * 17 + ["wrong_item", "sibling_variant", "over_scan", "unknown", "wrong_bin"]


def cache_dir() -> Path:
    """$PACKSTATION_BENCH_CACHE, else the user's cache dir (~/.cache/packstation/bench): 2.3 GB kept between runs,
    on the disk. Not /tmp: tmpfs on Debian 13, Fedora and Arch, where the files would hold that much memory (half
    of a 4 GB machine's tmpfs) and be built again, 10 minutes, after every restart."""
    import platformdirs

    from app.config import APP_NAME

    d = Path(os.environ.get("PACKSTATION_BENCH_CACHE") or Path(platformdirs.user_cache_dir(APP_NAME)) / "bench")
    d.mkdir(parents=True, exist_ok=True)
    return d


def with_check_digit(body: str) -> str:
    """GTIN body + its GS1 mod-10 check digit (weights 3,1,3,... from the right)."""
    s = sum(int(c) * (1 if i % 2 else 3) for i, c in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)


def _cached(name: str, build: Callable[[Path], None]) -> Path:
    from app.schema import SCHEMA_HEAD

    path = cache_dir() / f"{name}-v{VERSION}-{SCHEMA_HEAD}.sqlite3"  # built again for a new schema (not migrated)
    if not path.exists():
        tmp = path.with_suffix(f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        build(tmp)
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy
        con.close()
        os.replace(tmp, path)
    return path


def copy_to(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def _schema(path: Path) -> None:
    from app.store import open_store

    open_store(path).close()  # the real schema, through the real migrations


def product_doc(i: int) -> dict:
    style = f"ST-{i // 6:05d}"
    color = ("RED", "BLUE", "BLACK")[i % 3]
    size = ("M", "L")[(i // 3) % 2]
    return {"sku": f"SKU-{i:05d}", "name": f"Product {i} 商品", "style": style, "color": color, "size": size,
            "image_url": f"/api/v1/images/SKU-{i:05d}.png", "weight_g": 100 + i % 900,
            "barcodes": [{"code": with_check_digit(f"69{i:010d}"), "qty_per_scan": 1, "kind": "unit"},
                         {"code": with_check_digit(f"168{i:010d}"), "qty_per_scan": 12, "kind": "case"}]}


def picklist_doc(k: int, n_lines: int, n_products: int = 50_000) -> dict:
    oid = f"SO-{k:06d}"
    lines = []
    for j in range(n_lines):
        i = (k * 7 + j * 13) % n_products
        p = product_doc(i)
        lines.append({"id": f"{oid}-{j}", "sku": p["sku"], "name": p["name"], "style": p["style"],
                      "color": p["color"], "size": p["size"], "image_url": p["image_url"], "qty": 1 + j % 3,
                      "bin": f"A{j % 50:02d}-{j % 10}", "bin_barcode": f"BIN-{j:05d}", "bin_order": j,
                      "barcodes": p["barcodes"], "weight_g": p["weight_g"]})
    return {"id": oid, "order_no": f"#{100000 + k}", "status": "open", "carrier": "SF Express",
            "service": "standard", "lines": lines, "updated_at": str(T0_MS + k),
            "ship_to": {"name": "陈静", "phone": "13800138000", "address_lines": ["浦东新区世纪大道100号"],
                        "city": "上海市", "country": "CN"}}


def _insert_products(con: sqlite3.Connection, n: int) -> None:
    rows = ((d["sku"], d["name"], d["style"], d["color"], d["size"], d["image_url"], float(d["weight_g"]),
             json.dumps(d, ensure_ascii=False), T0_MS) for d in map(product_doc, range(n)))
    con.executemany("INSERT INTO products (sku,name,style,color,size,image_url,weight_g,doc,updated_at_ms) "
                    "VALUES (?,?,?,?,?,?,?,?,?)", rows)


def _insert_picklists(con: sqlite3.Connection, n: int, lines_each: int) -> None:
    from app.picklist import PickList

    def rows():
        for k in range(n):
            pl = PickList.from_dict(picklist_doc(k, lines_each))
            yield (pl.id, pl.order_no, "open", None, 0, pl.updated_at, T0_MS,
                   json.dumps(pl.to_dict(), ensure_ascii=False, separators=(",", ":")))
    con.executemany("INSERT INTO picklists (id,order_no,status,claimed_by,provisional,server_updated_at,"
                    "fetched_at_ms,doc) VALUES (?,?,?,?,?,?,?,?)", rows())


def event_rows(n: int, *, station: str = "ST1", sync_state: str = "sent", first_seq: int = 1,
               seed: int = 1) -> Iterator[tuple]:
    """A shift-like log: per 10 events a pick step started/completed, an order completed, 7 scans
    (about 1 in 5 an error). Columns as the events table's insert below."""
    rng = random.Random(seed)
    for i in range(first_seq - 1, first_seq - 1 + n):
        r = i % 10
        order = f"SO-{i // 10:06d}"  # the ids of warehouse_db's cached pick lists
        if r == 0:
            typ, kind, payload = "step_started", "pick", '{"step":"pick"}'
        elif r == 1:
            typ, kind, payload = "step_completed", "pick", '{"step":"pick"}'
        elif r == 2:
            typ, kind, payload = "order_completed", None, '{"complexity":"mixed"}'
        else:
            kind = rng.choice(_KINDS)
            typ, payload = "scan", '{"raw":"6900000000014","verdict":{"kind":"' + kind + '"}}'
        yield (i + 1, str(uuid.UUID(int=i + 1)), station, f"op{i % 7}", T0_MS + i * EVENT_STEP_MS, i, typ, kind,
               order, payload, sync_state)


def insert_events(con: sqlite3.Connection, rows: Iterator[tuple], chunk: int = 200_000) -> None:
    sql = ("INSERT INTO events (seq,id,station_id,operator_id,ts_utc_ms,mono_ns,type,kind,order_id,payload,"
           "sync_state) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
    buf: list[tuple] = []
    for r in rows:
        buf.append(r)
        if len(buf) >= chunk:
            con.executemany(sql, buf)
            con.commit()
            buf.clear()
    if buf:
        con.executemany(sql, buf)
        con.commit()


def _fast(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA synchronous=OFF")  # generating data, not recording a shift


def events_db(n: int, *, sync_state: str = "sent") -> Path:
    """A station store holding n events (shared, read-only for figures that do not copy it)."""
    def build(path: Path) -> None:
        _schema(path)
        con = sqlite3.connect(path)
        _fast(con)
        insert_events(con, event_rows(n, sync_state=sync_state))
        con.commit()
        con.close()
    return _cached(f"events-{n}-{sync_state}", build)


def warehouse_db(n_products: int = 50_000, n_picklists: int = 10_000, lines_each: int = 5,
                 n_events: int = 1_000_000) -> Path:
    """The cold-start store: products, cached pick lists and a long event log (all sent but the last 1,000)."""
    def build(path: Path) -> None:
        _schema(path)
        con = sqlite3.connect(path)
        _fast(con)
        _insert_products(con, n_products)
        _insert_picklists(con, n_picklists, lines_each)
        con.commit()
        insert_events(con, event_rows(n_events - 1000))
        insert_events(con, event_rows(1000, sync_state="pending", first_seq=n_events - 999))
        con.commit()
        con.close()
    return _cached(f"warehouse-{n_products}-{n_picklists}x{lines_each}-{n_events}", build)
