"""The Qt binding keeps Python's reference counts: a miscounting one (PySide6 6.12.0 on CPython 3.11) aborts
the interpreter after a few thousand calls, so a station would die within hours of a shift."""

from __future__ import annotations

import sys


def counts_after(calls, obj) -> int:
    """How 200 calls move obj's reference count: a miscounting binding gives -200; a first call may keep a
    few references for good (show() builds the window), so it is made before counting."""
    calls()
    before = sys.getrefcount(obj)
    for _ in range(200):
        calls()
    return sys.getrefcount(obj) - before


def test_void_calls_and_emits_leave_none_and_true_alone(qapp):
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication, QLabel

    class Probe(QObject):
        fired = Signal(bool)

    label, timer, probe = QLabel(), QTimer(), Probe()
    timer.setInterval(10_000)
    assert counts_after(lambda: label.setText("x"), None) == 0
    assert counts_after(label.show, None) == 0
    assert counts_after(timer.start, None) == 0
    assert counts_after(QApplication.processEvents, None) == 0
    assert counts_after(lambda: probe.fired.emit(True), True) == 0
    timer.stop()
    label.close()


def test_the_station_check_sees_a_sound_binding(qapp):
    from ui.binding_check import check_binding, refcount_drift

    assert refcount_drift() == (0, 0)
    check_binding()  # does not raise


def test_a_miscounting_binding_is_refused_with_one_line(tmp_path):
    """The real refusal path of `packstation demo`, with the probe's answer replaced by a broken binding's."""
    import subprocess

    code = (
        "import ui.binding_check as b\n"
        "b.refcount_drift = lambda: (-64, -64)\n"
        "b.immortal_singletons = lambda: False\n"
        "from packstation.cli import main\n"
        f"raise SystemExit(main(['demo', '--exit-when-shown', '--data-dir', {str(tmp_path)!r}]))\n"
    )
    import os

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 3, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "miscounts Python references" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and "shown" not in r.stdout


def test_the_pinned_binding_is_below_the_broken_release():
    import PySide6

    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12)
