"""Scale drivers through a pseudo-terminal pair (the test plays the scale on the master side), plus the parser and
the simulated scale."""

from __future__ import annotations

import os
import pty
import queue
import threading
import time
import tty

import pytest

from app.config import ScaleSettings
from hardware.scale import ScaleError, SerialScale, StableFilter, make_scale, parse_line
from hardware.simulated import SimulatedScale


@pytest.fixture
def pty_pair():
    master, slave = pty.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    name = os.ttyname(slave)
    yield master, name
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def wait_for(q, pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            item = q.get(timeout=max(0.01, end - time.monotonic()))
        except queue.Empty:
            break
        if pred(item):
            return item
    raise AssertionError("timed out")


def test_parse_both_protocols_and_units():
    r = parse_line("ST,GS,+0001.234kg", "continuous")
    assert (r.grams, r.stable, r.unit) == (1234.0, True, "kg")
    assert parse_line("US,GS,+0001.230kg", "continuous").stable is False
    assert parse_line("ST,NT,+  2.000lb", "continuous").grams == pytest.approx(907.185, abs=0.01)
    assert parse_line("ST,GS,  0350.5 g", "continuous").grams == 350.5
    r = parse_line("S S     1.234 kg", "sics")
    assert (r.grams, r.stable) == (1234.0, True)
    assert parse_line("S D     1.230 kg", "sics").stable is False
    assert parse_line("S I", "sics") is None
    with pytest.raises(ScaleError, match="overload"):
        parse_line("S +", "sics")
    with pytest.raises(ScaleError):
        parse_line("\x00\xff garbage", "continuous")
    with pytest.raises(ScaleError, match="unit"):
        parse_line("ST,GS,+0001.234zz", "continuous")


def test_stable_filter_needs_agreeing_readings():
    from hardware.scale import WeightReading as W

    f = StableFilter(3)
    assert not f.feed(W(100, True, "g", ""))
    assert not f.feed(W(100, True, "g", ""))
    assert f.feed(W(100.5, True, "g", ""))
    assert not f.feed(W(100.5, False, "g", ""))


@pytest.fixture
def continuous_scale(pty_pair):
    """A serial scale in continuous mode on a pseudo-terminal, ready: (the terminal's master fd, the scale, its
    readings)."""
    master, name = pty_pair
    sc = make_scale(ScaleSettings(kind="serial", device=name, protocol="continuous", stable_readings=3))
    readings, statuses = queue.Queue(), queue.Queue()
    sc.start(readings.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        yield master, sc, readings
    finally:
        sc.stop()


def test_continuous_scale_through_pty_stable_weight_and_software_tare(continuous_scale):
    master, sc, readings = continuous_scale
    os.write(master, b"US,GS,+0000.800kg\r\nUS,GS,+0001.240kg\r\n" + b"ST,GS,+0001.234kg\r\n" * 3)
    r = wait_for(readings, lambda r: r.stable)
    assert r.grams == 1234.0 and r.unit == "kg"
    sc.tare()
    os.write(master, b"ST,GS,+0001.734kg\r\n" * 3)
    r = wait_for(readings, lambda r: r.stable)
    assert r.grams == 500.0


def test_a_run_of_digits_from_line_noise_is_refused_not_weighed_as_infinity(continuous_scale):
    """400 digits on the line read as inf, flagged steady; a tare then made every real reading inf or NaN until the
    next tare (QA fault run). Refused as garbage: the tare stays on the last real weight."""
    with pytest.raises(ScaleError, match="out of range"):
        parse_line("ST,GS," + "9" * 400 + "g", "continuous")
    master, sc, readings = continuous_scale
    os.write(master, b"ST,GS,+0000.200kg\r\n" * 3)
    wait_for(readings, lambda r: r.stable and r.grams == 200.0)
    os.write(master, (b"ST,GS," + b"9" * 400 + b"g\r\n") * 3)
    os.write(master, b"US,GS,+0000.200kg\r\n")  # after the noise: what the scale reads
    seen = [wait_for(readings, lambda r: True)]
    while seen[-1].stable:
        seen.append(wait_for(readings, lambda r: True))
    assert [r.grams for r in seen] == [200.0]  # nothing of the noise delivered (it was inf, steady)
    sc.tare()
    os.write(master, b"ST,GS,+0000.700kg\r\n" * 3)
    r = wait_for(readings, lambda r: r.stable)
    assert r.grams == 500.0


def test_sics_scale_is_polled_with_SI_and_tared_with_T(pty_pair):  # noqa: N802
    master, name = pty_pair
    sc = SerialScale(name, protocol="sics", stable_readings=2)
    readings, statuses = queue.Queue(), queue.Queue()
    received = bytearray()
    stop = threading.Event()
    tared = threading.Event()

    def scale_side():  # a Mettler-Toledo answering SI with dynamic then stable weights, T with "T S"
        n = 0
        while not stop.is_set():
            try:
                data = os.read(master, 64)
            except OSError:
                return
            received.extend(data)
            for cmd in data.decode().split("\r\n"):
                if cmd == "SI":
                    n += 1
                    value = 0.0 if tared.is_set() else 2.5
                    flag = "D" if n < 3 else "S"
                    os.write(master, f"S {flag}     {value:.3f} kg\r\n".encode())
                elif cmd == "T":
                    tared.set()
                    os.write(master, b"T S      2.500 kg\r\n")

    t = threading.Thread(target=scale_side, daemon=True)
    t.start()
    sc.start(readings.put, statuses.put)
    try:
        r = wait_for(readings, lambda r: r.stable)
        assert r.grams == 2500.0
        sc.tare()
        r = wait_for(readings, lambda r: r.stable and r.grams == 0.0)
        assert b"SI\r\n" in received and b"T\r\n" in received
    finally:
        stop.set()
        sc.stop()


def test_garbage_on_the_line_gives_a_clear_status(pty_pair, monkeypatch):
    master, name = pty_pair
    monkeypatch.setattr(SerialScale, "GARBAGE_S", 0.3)
    sc = SerialScale(name, protocol="continuous", baudrate=9600)
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        for _ in range(8):
            os.write(master, b"\x8f\x13 ?? x\r\n")
            time.sleep(0.06)
        st = wait_for(statuses, lambda s: s.state == "garbage")
        assert "baud" in st.en and "波特率" in st.text("zh_CN")
    finally:
        sc.stop()


def test_disconnected_scale_is_reported_and_retried(tmp_path):
    sc = SerialScale(str(tmp_path / "ttyGONE"))
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    try:
        st = wait_for(statuses, lambda s: s.state == "disconnected")
        assert "ttyGONE" in st.en and "电子秤" in st.text("zh_CN") and "ttyGONE" in st.text("zh_CN")
    finally:
        sc.stop()


def test_a_scale_left_unplugged_is_logged_once_not_at_every_retry_and_its_return_is_logged(tmp_path, caplog):
    """The driver tries the port again every second: a WARNING at each try was 3,600 lines an hour of a shift with the
    scale unplugged. Logged when the status changes: once unplugged, once back."""
    import logging

    caplog.set_level(logging.INFO, logger="hardware.devices")
    link = tmp_path / "ttyLATER"
    sc = SerialScale(str(link))
    sc.RETRY_S = 0.02
    tries = []
    real_open = sc._open

    def counted_open():
        tries.append(1)
        return real_open()

    sc._open = counted_open
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    master = slave = None
    try:
        end = time.monotonic() + 10
        while len(tries) < 6 and time.monotonic() < end:
            time.sleep(0.01)
        assert len(tries) >= 6  # six tries of a missing port
        said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hardware.devices"]
        assert [m for lv, m in said if lv == logging.WARNING and "ttyLATER" in m] == \
            [said[0][1]], said  # one warning: the first try
        master, slave = pty.openpty()  # the scale is plugged in
        tty.setraw(slave)
        link.symlink_to(os.ttyname(slave))
        wait_for(statuses, lambda s: s.state == "ready")
        said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hardware.devices"]
        assert said[-1][0] == logging.INFO and "ready" in said[-1][1], said
        assert sum(1 for lv, _m in said if lv == logging.WARNING) == 1, said
    finally:
        sc.stop()
        for fd in (master, slave):
            if fd is not None:
                os.close(fd)


def test_scale_unplugged_mid_shift(pty_pair):
    master, name = pty_pair
    sc = SerialScale(name, protocol="continuous")
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.close(master)  # the other end goes away: reads fail
        st = wait_for(statuses, lambda s: s.state == "disconnected")
        assert not st.ok
    finally:
        sc.stop()


def test_simulated_scale_settles():
    sim = SimulatedScale(stable_readings=3, interval_s=0)
    got = []
    sim.start(got.append, lambda s: None)
    sim.settle_to(1500.0)
    assert not got[0].stable and got[-1].stable and got[-1].grams == 1500.0
    assert sum(r.stable for r in got) >= 1 and not any(r.stable for r in got[:4])
    sim.tare()
    sim.settle_to(1800.0)
    assert got[-1].stable and got[-1].grams == 300.0
    sim.stop()


def test_a_sics_scale_that_stops_taking_commands_is_said_not_hung_for_the_shift(pty_pair, monkeypatch):
    """A SICS scale whose input is full (hung firmware, flow control held): the driver's poll `SI` blocked in
    write() for good; its status stayed "ready" and its last steady reading stood for the rest of the shift. A poll
    that cannot be written within a second is given up and the scale, answering nothing, is said as such."""
    import fcntl

    master, name = pty_pair
    monkeypatch.setattr(SerialScale, "GARBAGE_S", 0.5)
    monkeypatch.setattr(SerialScale, "WRITE_TIMEOUT_S", 0.3, raising=False)
    filler = os.open(name, os.O_WRONLY | os.O_NOCTTY)
    fcntl.fcntl(filler, fcntl.F_SETFL, fcntl.fcntl(filler, fcntl.F_GETFL) | os.O_NONBLOCK)
    for _ in range(3):  # the scale's side takes no more bytes: its input buffer is full (the tty takes a few
        try:            # more once it has moved what it had)
            while True:
                os.write(filler, b"x" * 4096)
        except BlockingIOError:
            time.sleep(0.1)
    sc = SerialScale(name, protocol="sics")
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        st = wait_for(statuses, lambda s: s.state == "garbage", timeout=10)
        assert not st.ok and "sics" in st.en
    finally:
        sc.stop()
        os.close(filler)
    assert sc.status().state == "stopped" and not sc._thread.is_alive()  # not left blocked in a write


def test_a_scale_weighing_in_a_unit_not_converted_says_the_unit_not_the_baud_rate(pty_pair, monkeypatch):
    """An indicator switched to tonnes (or carats, newtons): every line read well and was dropped, and after 2 s the
    station said to check the baud rate and protocol, which were right. It names the unit to set."""
    master, name = pty_pair
    monkeypatch.setattr(SerialScale, "GARBAGE_S", 0.3)
    sc = SerialScale(name, protocol="continuous")
    statuses = queue.Queue()
    sc.start(lambda r: None, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        for _ in range(10):
            os.write(master, b"ST,GS,+0.00123 t\r\n")
            time.sleep(0.06)
        st = wait_for(statuses, lambda s: s.state == "garbage")
        assert "weighs in t," in st.en and "baud" not in st.en and "kg, g, lb or oz" in st.en
        assert "单位 t" in st.text("zh_CN")
    finally:
        sc.stop()


def test_an_a_and_d_scale_and_stx_etx_framing_are_read(continuous_scale):
    """A&D's standard format has no gross/net field (`ST,+00123.45  g`), and Toledo-style indicators put STX/ETX
    around each line: both read as garbage, "check the baud rate", on a scale the module names as understood."""
    assert parse_line("ST,+00123.45  g", "continuous").grams == 123.45
    assert parse_line("US,-00000.12  g", "continuous").stable is False
    with pytest.raises(ScaleError, match="overload"):
        parse_line("OL,+9999999E+19", "continuous")
    master, sc, readings = continuous_scale
    os.write(master, b"US,+00100.00  g\r\n" + b"ST,+00672.40  g\r\n" * 3)
    r = wait_for(readings, lambda r: r.stable)
    assert (r.grams, r.unit) == (672.4, "g")
    os.write(master, b"\x02ST,GS,+0001.234kg\x03\r\n" * 3)
    r = wait_for(readings, lambda r: r.stable and r.grams == 1234.0)
    assert sc.status().state == "ready"


def test_half_a_line_before_the_scale_stopped_is_not_spliced_onto_what_it_sends_next(pty_pair, monkeypatch):
    """The scale stopped mid-line ("ST,GS,+0005.", the 5 kg parcel) and, a moment later, went on with the tail of
    another reading ("000kg"): the two halves made a steady 5 kg that the parcel on it did not weigh."""
    master, name = pty_pair
    monkeypatch.setattr(SerialScale, "GARBAGE_S", 1.0)
    sc = SerialScale(name, protocol="continuous")
    readings, statuses = queue.Queue(), queue.Queue()
    sc.start(readings.put, statuses.put)
    try:
        wait_for(statuses, lambda s: s.state == "ready")
        os.write(master, b"US,GS,+0000.100kg\r\nST,GS,+0005.")  # then nothing: the scale has stopped
        assert wait_for(readings, lambda r: True).grams == 100.0
        wait_for(statuses, lambda s: s.state == "garbage")  # a second of quiet: said, and the half line dropped
        os.write(master, b"000kg\r\n" + b"US,GS,+0000.300kg\r\n")
        r = wait_for(readings, lambda r: True)
    finally:
        sc.stop()
    assert (r.grams, r.stable) == (300.0, False)
