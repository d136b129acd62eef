"""Serial scanner driven through a pseudo-terminal pair: bytes written on the master reach the real driver."""

from __future__ import annotations

import os
import pty
import queue
import tty

import pytest

from app.config import ScannerSettings
from app.scans import ScanSource
from hardware.scanners import make_scanner
from hardware.serial_scanner import SerialScanner


@pytest.fixture
def pty_pair():
    master, slave = pty.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    yield master, name
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def wait_for(q, pred, timeout=5.0):
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            item = q.get(timeout=max(0.01, end - time.monotonic()))
        except queue.Empty:
            break
        if pred(item):
            return item
    raise AssertionError("timed out")


def test_serial_scanner_reads_lines_and_aim_identifiers(pty_pair):
    master, name = pty_pair
    sc = make_scanner(ScannerSettings(kind="serial", device=name, baudrate=9600))
    assert isinstance(sc, SerialScanner)
    scans, statuses = queue.Queue(), queue.Queue()
    sc.start(scans.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.write(master, b"4006381333931\r\n]C1010950400005910121ABC\x1d10LOT7\r")
        os.write(master, b"\n\n]Q1http://ex")
        os.write(master, b"ample.com/\n")
        a = wait_for(scans, lambda s: True)
        b = wait_for(scans, lambda s: True)
        c = wait_for(scans, lambda s: True)
        assert (a.text, a.source, a.symbology) == ("4006381333931", ScanSource.SERIAL, None)
        assert (b.text, b.symbology) == ("010950400005910121ABC\x1d10LOT7", "]C1")
        assert (c.text, c.symbology) == ("http://example.com/", "]Q1")
    finally:
        sc.stop()
    assert sc.status().state == "stopped"


def test_missing_port_is_reported_not_raised(tmp_path):
    sc = SerialScanner(str(tmp_path / "ttyNOPE"))
    statuses = queue.Queue()
    sc.start(lambda s: None, statuses.put)
    try:
        st = wait_for(statuses, lambda s: s.state == "disconnected")
        assert not st.ok and "ttyNOPE" in st.en and "扫描枪" in st.text("zh_CN")
    finally:
        sc.stop()


def test_simulated_scanner_emits_on_request():
    from hardware.simulated import SimulatedScanner

    sc = make_scanner(ScannerSettings(kind="simulated"))
    assert isinstance(sc, SimulatedScanner)
    got, st = [], []
    sc.start(got.append, st.append)
    sc.emit("4006381333931", symbology="]E0")
    assert [(s.text, s.source, s.symbology) for s in got] == [("4006381333931", ScanSource.SIMULATED, "]E0")]
    assert st[-1].ok
    sc.stop()
    sc.emit("x")
    assert len(got) == 1


def test_serial_double_read_counts_once_a_rescan_counts_again(pty_pair):
    import time

    master, name = pty_pair
    sc = make_scanner(ScannerSettings(kind="serial", device=name, double_read_ms=150))
    scans, statuses = queue.Queue(), queue.Queue()
    sc.start(scans.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.write(master, b"4006381333931\r\n4006381333931\r\n")  # one trigger pull, sent twice back to back
        time.sleep(0.4)  # the packer takes the next unit (a monotonic gap of at least 400 ms, whatever the load)
        os.write(master, b"4006381333931\r\nEND\r\n")
        got = [wait_for(scans, lambda s: True).text for _ in range(3)]
        assert got == ["4006381333931", "4006381333931", "END"]
        assert scans.empty()
    finally:
        sc.stop()


def test_a_scanner_set_up_without_a_terminator_still_scans_and_a_runaway_line_is_bounded(pty_pair, caplog):
    """Many RS-232 scanners leave the factory sending no CR/LF. Their codes waited for a line end that never came:
    nothing reached the station (the packer scanned and nothing happened) and the bytes piled up for the shift.
    Now a burst followed by a quiet line is one scan, said as ended by timeout; a stream with no line end at all is
    handed on in bounded pieces (each a "too long" scan on screen), never kept."""
    import logging

    caplog.set_level(logging.INFO, logger="hardware.serial_scanner")
    master, name = pty_pair
    sc = make_scanner(ScannerSettings(kind="serial", device=name))
    scans, statuses = queue.Queue(), queue.Queue()
    sc.start(scans.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.write(master, b"4006381333931")  # no terminator
        a = wait_for(scans, lambda s: True)
        assert (a.text, a.source, a.ended_by) == ("4006381333931", ScanSource.SERIAL, "timeout")
        os.write(master, b"]C1010950400005910121ABC\x1d10LOT7")
        b = wait_for(scans, lambda s: True)
        assert (b.text, b.symbology, b.ended_by) == ("010950400005910121ABC\x1d10LOT7", "]C1", "timeout")
        os.write(master, b"SO-1001\r\n")  # a terminated line is as it was
        c = wait_for(scans, lambda s: True)
        assert (c.text, c.ended_by) == ("SO-1001", "terminator")
        os.write(master, b"A" * 20_000)  # a runaway stream without a line end, in one go
        pieces = [wait_for(scans, lambda s: True)]
        while sum(len(p.text) for p in pieces) < 20_000:
            pieces.append(wait_for(scans, lambda s: True))
        assert sum(len(p.text) for p in pieces) == 20_000 and pieces[0].ended_by == "overflow"
        assert all(len(p.text) <= 2 * SerialScanner.MAX_LINE for p in pieces)
        assert "ended by timeout" in caplog.text and "bytes without a line end" in caplog.text
    finally:
        sc.stop()


def test_a_scanner_at_another_baud_rate_is_said_with_what_to_check_and_its_noise_is_no_scan(pty_pair):
    """A scanner sending at 115200 to a port set to 9600 delivers bytes like F8 80 FE 00 E0: each burst was a scan,
    "Unknown barcode ø€þ" in red with the error sound, counted against the packer, and nothing said to check the
    baud rate. Now the noise is no scan, the status says to check the baud rate, and the next real code is read
    (GS1 with its GS, and a QR code with Chinese text, are codes, not noise)."""
    from hardware.serial_scanner import line_noise

    assert line_noise(b"\xf8\x80\xfe\x00\xe0\xf8") and line_noise(b"\x00\x00\x80\xff")
    assert not line_noise("条码二维码".encode()) and not line_noise(b"010950400005910121ABC\x1d10LOT7")
    assert not line_noise(b"CAF\xc9-1")  # one Latin-1 letter in a code
    master, name = pty_pair
    sc = make_scanner(ScannerSettings(kind="serial", device=name, baudrate=9600))
    scans, statuses = queue.Queue(), queue.Queue()
    sc.start(scans.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.write(master, b"\xf8\x80\xfe\x00\xe0\xf8\x00\xfe\x80")  # no line end either, at that rate
        st = wait_for(statuses, lambda s: s.state == "garbage")
        assert not st.ok and "baud rate (9600)" in st.en and "波特率" in st.text("zh_CN")
        os.write(master, "]Q1条码二维码\r\n".encode())  # the baud rate set right
        s = wait_for(scans, lambda s: True)
        assert (s.text, s.symbology) == ("条码二维码", "]Q1")
        assert wait_for(statuses, lambda s: True).state == "ready"
        assert scans.empty()
    finally:
        sc.stop()
