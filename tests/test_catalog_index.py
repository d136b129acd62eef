"""The fast catalogue and order indexes answer exactly what indexing every code with biip answered:
same keys for every stored code, same lines (in walking order) and siblings for every scan, and the
products table's index is built only when needed (or in the background from login)."""

from __future__ import annotations

import gc
import random
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from app.barcodes import gtin_key, normalise
from app.catalog import Catalog, CodeIndex, OrderIndex, code_keys
from app.picklist import PickList
from app.scans import RawScan, ScanSource
from sync.cache import ProductCache


def _check(body: str) -> str:
    s = sum(int(c) * (1 if i % 2 else 3) for i, c in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)


def _codes(rng: random.Random, n: int) -> list[str]:
    """Stored codes as OMSes send them: GTIN-12/13/14 (some zero-padded), bad check digits, EAN-8,
    UPC-E, GS1 element strings, internal text, surrounding whitespace."""
    out = []
    for _ in range(n):
        r = rng.random()
        body = "".join(rng.choice("0123456789") for _ in range(13))
        if r < 0.45:
            c = _check(body[: rng.choice([11, 12, 13])])
            if rng.random() < 0.2:
                c = "0" * rng.randint(1, 2) + c
                c = c[-14:]
        elif r < 0.6:
            c = _check(body[:12])
            c = c[:-1] + str((int(c[-1]) + 1) % 10)  # bad check digit
        elif r < 0.7:
            c = _check(body[:7])  # 8 digits: EAN-8 or UPC-E
        elif r < 0.8:
            c = "(01)" + _check(body) + "(10)L" + body[:3]
        elif r < 0.9:
            c = "BIN-" + body[:5]
        else:
            c = " " + _check(body[:12]) + "\t"
        out.append(c)
    return out


@given(st.text(alphabet="0123456789", min_size=11, max_size=15), st.sampled_from(["", " ", "\t", "\x1d"]))
@settings(max_examples=400, deadline=None)
def test_code_keys_are_gtin_key(digits, pad):
    code = pad + digits + pad
    assert code_keys(code) == gtin_key(code)
    assert code_keys(_check(digits[:13])) == gtin_key(_check(digits[:13]))


def test_code_keys_agree_on_a_mixed_catalogue():
    for c in _codes(random.Random(3), 3000) + ["", "   ", "00000000000000", "000000000000"]:
        assert code_keys(c) == gtin_key(c), c


def _reference_lines(pl: PickList) -> dict[str, list]:
    """The order index as it was: every code keyed with biip (gtin_key), refs in walking order."""
    idx: dict[str, list] = {}
    for ln in pl.walking_order():
        for bc in ln.barcodes:
            for k in gtin_key(bc.code):
                idx.setdefault(k, []).append((ln.id, bc.qty_per_scan, bc.kind))
    return idx


def _lookup(idx: dict[str, list], keys) -> list:
    for k in keys:
        if idx.get(k):
            return idx[k]
    return []


def test_order_index_answers_every_scan_as_the_biip_keyed_index_did():
    rng = random.Random(11)
    codes = _codes(rng, 600)
    lines = []
    for i in range(120):
        chosen = rng.sample(codes, 4) + [rng.choice(codes[:50])]  # some codes on several lines
        lines.append({"id": f"L{i}", "sku": f"S{i}", "qty": 3, "bin_order": rng.randint(0, 40),
                      "barcodes": [{"code": c, "qty_per_scan": 1 + (j == 4) * 5, "kind": "unit" if j < 4 else "inner"}
                                   for j, c in enumerate(chosen)]})
    sibs = [{"code": c, "sku": f"SIB{j}"} for j, c in enumerate(rng.sample(codes, 80))]
    pl = PickList.from_dict({"id": "O", "lines": lines, "siblings": sibs})
    fast = OrderIndex(pl)
    ref = _reference_lines(pl)
    ref_sib: dict[str, str] = {}
    for s in pl.siblings:
        for k in gtin_key(s["code"]):
            ref_sib.setdefault(k, s["sku"])
    # what scanners send: each stored code as is, zero-padded/unpadded, with an AIM id, and noise
    scans = []
    for c in codes + _codes(rng, 300):
        t = c.strip()
        scans += [t, "0" + t, t[1:], "]E0" + t, "]C1" + t]
    hits = 0
    for text in scans:
        keys = normalise(RawScan(text, ScanSource.HID)).keys()
        got = [(r.line_id, r.qty_per_scan, r.kind) for r in fast.lines(keys)]
        assert got == _lookup(ref, keys), text
        hits += bool(got)
        sib = fast.sibling(keys)
        want = next((ref_sib[k] for k in keys if k in ref_sib), None)
        assert (sib.sku if sib else None) == want, text
    assert hits > 500  # the comparison really exercised matches


_PLAIN = st.builds(lambda body, n, pad: ("0" * pad + _check(body[:n]))[-14:],
                   st.text(alphabet="0123456789", min_size=13, max_size=13), st.sampled_from([11, 12, 13]),
                   st.integers(0, 2))


@given(st.lists(_PLAIN, min_size=1, max_size=40).flatmap(
    lambda base: st.lists(st.sampled_from(base), min_size=1, max_size=80)),
    st.sampled_from(["", " ", "\n", "BIN-1", "6900000000014\n6900000000021"]))
@settings(max_examples=300, deadline=None)
def test_adding_all_codes_at_once_stores_what_adding_them_one_by_one_does(codes, odd):
    # plain codes (the one-dict path), with repeats and zero-padded forms of each other; and the same list with
    # one code that is not plain (a padded code, an empty one, text, two codes in one): the code-by-code path
    for batch in (codes, codes[:3] + [odd + codes[0] if odd.strip() == "" else odd] + codes[3:]):
        one, many = CodeIndex(), CodeIndex()
        for i, c in enumerate(batch):
            one.add(c, i)
        many.add_all(batch, range(len(batch)))
        for c in batch:
            for k in {*code_keys(c), c.strip(), "0" + c.strip(), c.strip()[1:]}:
                assert many.get(k) == one.get(k), (batch, k)


def test_an_order_of_plain_codes_answers_every_scan_as_the_biip_keyed_index_did():
    # the one-dict path of the order index: every code plain, some on several lines, some lines without a barcode
    rng = random.Random(5)
    codes = [_check("".join(rng.choice("0123456789") for _ in range(12))) for _ in range(300)]
    lines = []
    for i in range(150):
        chosen = [] if i % 17 == 0 else rng.sample(codes, rng.randint(1, 4)) + [rng.choice(codes[:20])]
        lines.append({"id": f"L{i}", "sku": f"S{i}", "qty": 2, "bin_order": rng.randint(0, 30),
                      "barcodes": [{"code": c, "qty_per_scan": 1 + j, "kind": "unit"} for j, c in enumerate(chosen)]})
    pl = PickList.from_dict({"id": "P", "lines": lines,
                             "siblings": [{"code": c, "sku": f"SIB{j}"} for j, c in enumerate(codes[250:])]})
    fast, ref = OrderIndex(pl), _reference_lines(pl)
    assert fast._lines.raw and not fast._lines.keyed  # the plain path was taken
    hits = 0
    for c in codes:
        for text in (c, "0" + c, "]E0" + c):
            keys = normalise(RawScan(text, ScanSource.HID)).keys()
            got = [(r.line_id, r.qty_per_scan, r.kind) for r in fast.lines(keys)]
            assert got == _lookup(ref, keys), text
            hits += bool(got)
            sib = fast.sibling(keys)
            assert (sib.sku if sib else None) == (f"SIB{codes.index(c) - 250}" if codes.index(c) >= 250 else None)
    assert hits > 600


def test_code_index_keeps_insertion_order_across_zero_padded_forms():
    gtin13 = _check("690000000123")
    idx = CodeIndex()
    idx.add("0" + gtin13, "a")  # GTIN-14 form
    idx.add(gtin13, "b")
    idx.add("0" + gtin13, "c")
    assert idx.get("0" + gtin13) == ["a", "b", "c"]
    assert idx.get(gtin13) == ["b"]  # the 13-digit text key names only the code stored that way


def test_catalogue_from_the_products_table_is_the_docs_index_and_built_only_when_needed(store):
    rng = random.Random(5)
    docs = []
    for i in range(300):
        cs = _codes(rng, 2)
        docs.append({"sku": f"P{i}", "name": f"Product {i}", "style": f"ST{i // 3}", "color": ["RED", ""][i % 2],
                     "size": "M", "barcodes": [{"code": cs[0], "qty_per_scan": 1, "kind": "unit"},
                                               {"code": cs[1], "qty_per_scan": 12, "kind": "case"}]
                     + ([cs[0]] if i % 7 == 0 else [])})
    ProductCache(store).upsert(docs)
    cat = Catalog.from_store(store)
    assert not cat.ready  # nothing read yet: a start-up does not wait for 50,000 products
    want = Catalog(docs)
    assert cat.count == 300 and cat.ready
    assert cat.by_key == want.by_key

    again = Catalog.from_store(store)
    again.warm_up()  # what login does: built on a background thread, a lookup waits for it
    assert again.lookup(code_keys(docs[10]["barcodes"][0]["code"])) == want.by_key[code_keys(
        docs[10]["barcodes"][0]["code"])[0]]
    assert again.ready


def test_the_catalogue_index_adds_nothing_for_the_garbage_collector_to_walk():
    """A full collection walks every tracked object: 5,000 products' entries must not be among them (on a
    50,000-product station they made one collection take 90-250 ms in the middle of an order's opening)."""
    rng = random.Random(9)
    docs = [{"sku": f"P{i}", "name": f"Product {i}", "color": "RED", "size": "M",
             "barcodes": [{"code": c, "qty_per_scan": 1 + 11 * (k % 2), "kind": ["unit", "case"][k % 2]}
                          for k, c in enumerate(_codes(rng, 2))]} for i in range(5000)]
    gc.collect()
    before = len(gc.get_objects())
    cat = Catalog(docs)
    del docs
    gc.collect()
    assert cat.count == 5000 and len(cat.by_key) >= 5000
    assert len(gc.get_objects()) - before < 50
    ref = cat.lookup(code_keys(next(iter(cat.by_key))))
    assert ref is not None and ref.sku.startswith("P")


def test_when_indexed_runs_once_on_the_index_thread_before_a_waiting_caller_goes_on(core):
    from app.workflow import Station

    ProductCache(core.store).upsert([{"sku": f"P{i}", "name": f"Product {i}", "barcodes": [_check(f"69{i:010d}")]}
                                     for i in range(200)])
    st = Station(core)
    seen = []
    st.when_indexed = lambda: seen.append((threading.current_thread().name, st.catalog._store is None))
    st.warm_up()
    assert st.catalog.count == 200  # waits for the build and its `when_indexed`
    assert seen == [("catalog-index", True)]
    st.warm_up()  # built: nothing runs again (a second login does not settle the heap again)
    assert st.catalog.count == 200 and len(seen) == 1


def test_settle_freezes_the_heap_alive_now():
    from app import heap

    gc.unfreeze()
    try:
        heap.settle()
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_when_indexed_also_runs_once_for_an_index_the_controller_built_after_a_pull(core):
    """The first pull of a station often brings products before anyone logs in: the controller builds that
    index and hands it over; the hook runs then, and not again at login."""
    from app.workflow import Station

    ProductCache(core.store).upsert([{"sku": "P1", "name": "Product 1", "barcodes": [_check("690000000001")]}])
    st = Station(core)
    seen = []
    st.when_indexed = lambda: seen.append(threading.current_thread().name)
    built = Catalog.from_store(core.store)
    built.build()
    st.use_catalog(built)
    assert seen == [threading.current_thread().name] and st.catalog is built
    st.warm_up()  # login
    st.use_catalog(Catalog.from_store(core.store))  # products changed again later
    assert len(seen) == 1
