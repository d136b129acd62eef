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


# A demo station's printer killed (kill -9) while it draws a job's preview: the job itself is written, no preview.
KILLED_WHILE_DRAWING = """
import os, signal, sys
from pathlib import Path

from hardware.printing import preview
from hardware.printing.simulated import SimulatedPrinter

out = Path(sys.argv[1])
printer = SimulatedPrinter(f"simulated:{out}", None, out)
printer.send(b"\\x1b@LABEL SO-1001\\n", job_name="label-SO-1001")
preview.render_png = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
printer.send(b"\\x1b@LABEL SO-1002\\n", job_name="label-SO-1002")
"""


def test_a_simulated_printer_started_again_after_a_kill_numbers_its_jobs_after_the_highest_file(tmp_path):
    """Killed and started again on the same folder, the simulated printer took the number after the count of previews
    there: a job killed before its preview was drawn left a number that count did not see, and the next job took it
    again (the job sent again after the restart was written over the one it had written). A second printer on the
    folder numbers its jobs after the highest number there, and never writes over a file."""
    import os
    import signal
    import subprocess
    import sys

    from hardware.printing.simulated import SimulatedPrinter
    from tests.conftest import ROOT

    out = tmp_path / "printed"
    proc = subprocess.run([sys.executable, "-c", KILLED_WHILE_DRAWING, str(out)], cwd=ROOT, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["0001-label-SO-1001.bin", "0001-label-SO-1001.png",
                                                     "0002-label-SO-1002.bin"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = SimulatedPrinter(f"simulated:{out}", None, out)  # the station started again
    again.send(b"\x1b@LABEL SO-1002 again\n", job_name="label-SO-1002")  # the job cut off, sent again
    again.send(b"\x1b@LABEL SO-1003\n", job_name="label-SO-1003")
    assert [p.name for p in again.printed] == ["0003-label-SO-1002.bin", "0004-label-SO-1003.bin"]
    assert {n: (out / n).read_bytes() for n in before} == before  # nothing printed before is written over
    numbers = [p.name.split("-")[0] for p in out.glob("*.bin")]
    assert sorted(numbers) == ["0001", "0002", "0003", "0004"]


@pytest.mark.parametrize("state", ["held", "queued", "sending", "sent"])
def test_print_test_leaves_the_stations_own_jobs_alone(cfg, tmp_path, listener, state):
    """A technician tests a printer while the station has a label waiting (held for paper, queued, or being sent by the
    running station): print-test's spool, on the station's database, took that label too. Held, it came out on the
    printer named by --printer and `label_printed` was recorded for the order (the packer never got it); being sent,
    print-test's crash recovery marked it failed, to be reprinted. The test prints its own two jobs only; the
    station's job, its events and its figures are as they were."""
    from sqlalchemy import insert, select

    from app import schema
    from app.store import now_ms, open_store

    db = tmp_path / "data" / "station.sqlite3"
    st = open_store(db)
    with st.write() as c:
        c.execute(insert(schema.print_jobs).values(
            job_id="STATION-LABEL", order_id="SO-1008", kind="label", printer="label_printer", content_type="escpos",
            payload=b"\x1b@STATION LABEL SO-1008\n\x1dVA\x03", state=state, attempts=0, operator_id="OP-K1",
            created_at_ms=now_ms(), updated_at_ms=now_ms()))
    st.close()
    r = run_cli("--config", cfg, "print-test", "--printer", listener.uri)
    assert r.returncode == 0, r.stdout + r.stderr
    listener.wait_jobs(1)
    assert b"STATION LABEL" not in listener.jobs
    st = open_store(db)
    with st.read() as c:
        jobs = c.execute(select(schema.print_jobs.c.job_id, schema.print_jobs.c.state)).all()
        events = c.execute(select(schema.events.c.type)).scalars().all()
    st.close()
    assert jobs == [("STATION-LABEL", state)] and events == []
