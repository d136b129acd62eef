"""`packstation print-test` as a technician runs it, against a loopback printer and the simulated one."""

from __future__ import annotations

import pytest

from hardware.printing import preview
from tests.conftest import run_cli
from tests.printer_listener import PrinterListener


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "station.toml"
    p.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return str(p)


@pytest.fixture
def listener():
    lst = PrinterListener()
    yield lst
    lst.close()


def test_print_test_reports_status_then_prints_label_and_slip(cfg, listener):
    r = run_cli("--config", cfg, "print-test", "--printer", listener.uri)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert "ready" in lines[0] and "打印机就绪" in lines[0]
    assert any(ln.startswith("label: printed") for ln in lines)
    assert any(ln.startswith("slip: printed") for ln in lines)
    ops = preview.parse(listener.wait_jobs(1))
    assert [o.data for o in ops if o.kind == "barcode"] == [b"{BSO-2026-000123"]
    assert "Traceback" not in r.stderr


def test_print_test_on_a_printer_without_paper_says_so_and_prints_nothing(cfg, listener):
    listener.mode = "paper_out"
    r = run_cli("--config", cfg, "print-test", "--printer", listener.uri)
    assert r.returncode == 1
    assert "out of paper" in r.stdout and "缺纸" in r.stdout
    assert listener.jobs == b""


def test_print_test_to_the_simulated_printer_writes_previews(cfg, tmp_path):
    out = tmp_path / "sim"
    r = run_cli("--config", cfg, "print-test", "--printer", f"simulated:{out}", "--chinese", "image")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(list(out.glob("*.png"))) == 2 and list(out.glob("*.pdf")) and list(out.glob("*.bin"))


def test_print_test_unknown_order_and_bad_uri_are_clear(cfg):
    r = run_cli("--config", cfg, "print-test", "--printer", "none:", "--order", "NOPE-1")
    assert r.returncode == 1 and "NOPE-1" in r.stdout
    r = run_cli("--config", cfg, "print-test", "--printer", "usb://zz")
    assert r.returncode == 2 and "usb://VID:PID" in r.stderr and "Traceback" not in r.stderr


def test_print_test_prints_a_cached_pick_list(cfg, tmp_path, listener):
    import json

    from sqlalchemy import insert

    from app import schema
    from app.store import now_ms, open_store
    from hardware.printing.demo_order import DEMO_DOC

    doc = dict(DEMO_DOC, id="PL-77", order_no="SO-77")
    st = open_store(tmp_path / "data" / "station.sqlite3")
    with st.write() as c:
        c.execute(insert(schema.picklists).values(id="PL-77", order_no="SO-77", status="open",
                                                  fetched_at_ms=now_ms(), doc=json.dumps(doc)))
    st.close()
    r = run_cli("--config", cfg, "print-test", "--printer", listener.uri, "--order", "SO-77", "--only", "label")
    assert r.returncode == 0, r.stdout + r.stderr
    ops = preview.parse(listener.wait_jobs(1))
    assert [o.data for o in ops if o.kind == "barcode"] == [b"{BSO-77"]
    assert not any(ln.startswith("slip:") for ln in r.stdout.splitlines())


def test_the_simulated_printers_preview_is_never_seen_half_written(tmp_path):
    """The demo panel shows the newest *.png of the printed folder while the print worker writes the next one: read
    half-written, libpng said "Read Error" and the preview stayed on the last job. Each preview is written aside and
    renamed into place; a reader polling the folder throughout decodes every *.png it finds."""
    import threading

    from PIL import Image

    from hardware.printing.demo_order import demo_picklist
    from hardware.printing.simulated import SimulatedPrinter
    from hardware.printing.slip import build_slip_pdf

    out = tmp_path / "printed"
    printer = SimulatedPrinter(f"simulated:{out}", None, out)
    pdf = build_slip_pdf(demo_picklist(), None, page="80mm", station="T")
    done, bad, seen = threading.Event(), [], set()

    def read() -> None:
        while not done.is_set():
            for png in sorted(out.glob("*.png")) if out.exists() else []:
                try:
                    with Image.open(png) as im:
                        im.load()
                    seen.add(png.name)
                except (OSError, SyntaxError) as exc:
                    bad.append((png.name, str(exc)))
    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(8):
            printer.send(pdf, "pdf", job_name=f"slip-{i}")
    finally:
        done.set()
        reader.join()
    assert not bad, bad[:3]
    assert len(list(out.glob("*.png"))) == 8 and not list(out.glob("*.part")) and seen
