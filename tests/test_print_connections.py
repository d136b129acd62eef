"""Printer connections against a real TCP listener on loopback: status replies, silence, closed
connections, stale bytes, garbage; file and none: printers."""

from __future__ import annotations

import pytest

from hardware.printing import make_printer
from hardware.printing.connections import FilePrinter, PrintError, TcpPrinter
from tests.printer_listener import PrinterListener


@pytest.fixture
def listener():
    lst = PrinterListener()
    yield lst
    lst.close()


@pytest.mark.parametrize("mode,state,paper,cover,ok", [
    ("online", "ready", "ok", False, True),
    ("near_end", "paper_near_end", "near_end", False, True),
    ("paper_out", "paper_out", "out", False, False),
    ("cover_open", "cover_open", "ok", True, False),
])
def test_status_replies_are_decoded(listener, mode, state, paper, cover, ok):
    listener.mode = mode
    p = make_printer(listener.uri)
    try:
        st = p.status(timeout_s=1.0)
    finally:
        p.close()
    assert (st.state, st.paper, st.cover_open, st.ok) == (state, paper, cover, ok)
    assert listener.queries == [1, 2, 4]
    assert st.en and st.text("zh_CN") != st.en


def test_silent_printer_is_no_answer_never_paper_ok(listener):
    listener.mode = "no_reply"
    p = make_printer(listener.uri)
    st = p.status(timeout_s=0.3)
    p.close()
    assert st.state == "no_answer" and not st.ok and not st.online
    assert st.paper == "unknown"
    assert "no reply" in st.en and "无应答" in st.text("zh_CN")


def test_printer_closing_the_connection_is_offline(listener):
    listener.mode = "close"
    p = make_printer(listener.uri)
    st = p.status(timeout_s=1.0)
    assert st.state == "offline" and not st.ok
    assert "closed the connection" in st.en
    # the next query reconnects instead of using the dead socket
    listener.mode = "online"
    assert p.status(timeout_s=1.0).state == "ready"
    p.close()


def test_nothing_listening_is_offline(listener):
    uri = listener.uri
    listener.power_off()
    st = make_printer(uri).status(timeout_s=0.5)
    assert st.state == "offline" and not st.online
    assert "cannot connect" in st.en and "无法连接" in st.text("zh_CN")


def test_stale_bytes_are_drained_before_the_query(listener):
    """A late 'all fine' byte left in the socket must not be read as the answer to the next query."""
    listener.mode = "paper_out"
    listener.stale = bytes((0x12,))
    p = make_printer(listener.uri)
    assert p.status(timeout_s=1.0).state == "paper_out"
    assert listener.stale_sent.wait(2.0)
    assert p.status(timeout_s=1.0).state == "paper_out"
    p.close()


def test_a_byte_that_is_not_a_status_reply_is_not_paper_ok(listener):
    listener.mode = "garbage"
    p = make_printer(listener.uri)
    st = p.status(timeout_s=0.5)
    p.close()
    assert st.state == "no_answer" and not st.ok and st.paper == "unknown"


def test_send_delivers_bytes_and_dead_printer_raises(listener):
    p = make_printer(listener.uri)
    p.send(b"\x1b@hello\n")
    assert listener.wait_jobs(8) == b"\x1b@hello\n"
    listener.power_off()
    with pytest.raises(PrintError) as ei:
        for _ in range(50):  # the first writes may still land in the kernel's buffer
            p.send(b"x" * 65536, timeout_s=1.0)
    assert ei.value.state == "offline"
    p.close()


def test_status_off_uri_option(listener):
    listener.mode = "no_reply"
    p = make_printer(listener.uri + "?status=off")
    assert isinstance(p, TcpPrinter)
    st = p.status(timeout_s=0.3)
    assert st.state == "unknown" and st.ok
    assert listener.queries == []
    p.close()


def test_file_printer_appends_and_reports_unknown(tmp_path):
    out = tmp_path / "printer.bin"
    p = make_printer(f"file:{out}")
    assert isinstance(p, FilePrinter)
    assert p.status().state == "unknown"
    p.send(b"\x1b@a")
    p.send(b"b")
    assert out.read_bytes() == b"\x1b@ab"
    missing = make_printer("file:/dev/usb/lp-does-not-exist")
    assert missing.status().state == "offline"


def test_none_printer_holds_everything():
    p = make_printer("none:")
    assert p.status().state == "not_configured"
    with pytest.raises(PrintError):
        p.send(b"x")


def test_bad_uris_are_clear_errors():
    with pytest.raises(ValueError, match="usb://VID:PID"):
        make_printer("usb://nothex")
    with pytest.raises(ValueError, match="unsupported printer URI"):
        make_printer("lpt1:")


def _fake_cups_client(bin_dir, spool_dir, queue_state="idle"):
    bin_dir.mkdir()
    (bin_dir / "lp").write_text(f'#!/bin/sh\necho "$@" > "{spool_dir}/args"\n/bin/cat > "{spool_dir}/data"\n'
                                'echo "request id is q-1 (1 file(s))"\n')
    (bin_dir / "lpstat").write_text(f'#!/bin/sh\necho "printer $2 is {queue_state}.  enabled since today"\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)


def test_cups_queue_through_lp_sends_escpos_raw_and_pdf_as_document(tmp_path, monkeypatch):
    from hardware.printing.connections import CupsPrinter

    out = tmp_path / "cups"
    out.mkdir()
    _fake_cups_client(tmp_path / "bin", out)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(CupsPrinter, "_pycups", staticmethod(lambda: False))
    p = make_printer("cups://Labels")
    assert p.status().state == "unknown" and p.status().ok
    p.send(b"\x1b@raw", "escpos", job_name="label-1")
    assert (out / "data").read_bytes() == b"\x1b@raw"
    assert (out / "args").read_text().split() == ["-d", "Labels", "-t", "label-1", "-o", "raw"]
    p.send(b"%PDF-1.4 x", "pdf", job_name="slip-1")
    assert (out / "args").read_text().split() == ["-d", "Labels", "-t", "slip-1"]


def test_cups_disabled_queue_or_missing_client_is_offline_with_a_clear_message(tmp_path, monkeypatch):
    from hardware.printing.connections import CupsPrinter

    monkeypatch.setattr(CupsPrinter, "_pycups", staticmethod(lambda: False))
    _fake_cups_client(tmp_path / "bin", tmp_path, queue_state="disabled")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert make_printer("cups://Labels").status().state == "offline"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    p = make_printer("cups://Labels")
    st = p.status()
    assert st.state == "offline" and "cups-client" in st.en and "客户端" in st.text("zh_CN")
    with pytest.raises(PrintError, match="cups-client"):
        p.send(b"x")


def test_serial_printer_over_a_pseudo_terminal():
    import os
    import threading
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    received = bytearray()
    stop = threading.Event()

    def printer():  # answers DLE EOT like a printer with paper near its end
        replies = {1: 0x16, 2: 0x12, 4: 0x1E}
        buf = bytearray()
        while not stop.is_set():
            import select

            r, _, _ = select.select([master], [], [], 0.05)
            if not r:
                continue
            buf += os.read(master, 4096)
            while b"\x10\x04" in buf:
                i = buf.index(b"\x10\x04")
                if len(buf) < i + 3:
                    break
                received.extend(buf[:i])
                os.write(master, bytes((replies[buf[i + 2]],)))
                del buf[:i + 3]
            if b"\x10\x04" not in buf:
                received.extend(buf)
                buf.clear()

    t = threading.Thread(target=printer, daemon=True)
    t.start()
    p = make_printer(f"serial://{name}?baud=19200")
    try:
        assert p.baudrate == 19200
        st = p.status(timeout_s=1.0)
        assert st.state == "paper_near_end" and st.ok and st.paper == "near_end"
        p.send(b"\x1b@serial job\n")
        for _ in range(100):
            if bytes(received).endswith(b"serial job\n"):
                break
            stop.wait(0.02)
        assert bytes(received) == b"\x1b@serial job\n"
    finally:
        stop.set()
        t.join(2)
        p.close()
        os.close(master)
        os.close(slave)


def test_a_silent_printer_is_logged_when_it_falls_silent_not_at_every_poll(listener, caplog):
    """The spool asks the printer's status every few seconds: a printer switched off over lunch logged "no reply to
    DLE EOT" at each poll, 600 lines an hour. Logged when it falls silent, and when it answers again."""
    import logging

    caplog.set_level(logging.INFO, logger="hardware.printing.connections")
    listener.mode = "no_reply"
    p = make_printer(listener.uri)
    try:
        for _ in range(4):
            assert p.status(timeout_s=0.2).state == "no_answer"
        assert sum("no reply to DLE EOT" in r.getMessage() for r in caplog.records) == 1
        listener.mode = "online"
        assert p.status(timeout_s=1.0).ok
        assert sum("answers status queries again" in r.getMessage() for r in caplog.records) == 1
        listener.mode = "garbage"
        for _ in range(3):
            assert p.status(timeout_s=0.5).state == "no_answer"
        assert sum("is not a status byte" in r.getMessage() for r in caplog.records) == 1
        listener.mode = "no_reply"
        p.status(timeout_s=0.2)
        assert sum("no reply to DLE EOT" in r.getMessage() for r in caplog.records) == 2  # silent again: said again
    finally:
        p.close()
