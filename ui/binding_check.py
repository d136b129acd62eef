"""Refuse to run on a Qt binding that miscounts Python references.

PySide6/shiboken6 6.12.0 on CPython 3.11 drops one reference to ``None`` on every void method call and one to
``True`` on every ``Signal.emit()``; when a count reaches zero the interpreter aborts (``none_dealloc`` /
``bool_dealloc``) — within hours for an idle station, minutes for a busy one. ``pyproject.toml`` keeps the
binding below 6.12, but an old ``.venv`` keeps the broken wheel until it is reinstalled, so the station checks
the binding it really has before it shows a window.

On CPython 3.12 and newer ``None``, ``True`` and ``False`` are immortal (PEP 683): their counts are never
decremented to zero, so a miscount cannot abort the process there and the check passes.
"""

from __future__ import annotations

import ctypes
import sys

PROBE_CALLS = 64


class BrokenBinding(RuntimeError):
    """The installed Qt binding corrupts reference counts; the station must not start on it."""


def refcount_drift() -> tuple[int, int]:
    """(drift of None's count over PROBE_CALLS void calls, drift of True's over PROBE_CALLS emits).

    A sound binding gives (0, 0); a miscounting one negative numbers. Needs no QApplication."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal(bool)

    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")  # a void method: returns None through the binding
    none_drift = sys.getrefcount(None) - before
    before = sys.getrefcount(True)
    for _ in range(PROBE_CALLS):
        probe.fired.emit(True)  # emit() returns True through the binding
    true_drift = sys.getrefcount(True) - before
    # Give back what a broken binding took (a reference nobody owns, as the binding took one nobody gave),
    # so the probe itself never brings the process closer to an abort, not even at interpreter exit.
    for obj, drift in ((None, none_drift), (True, true_drift)):
        for _ in range(-drift):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    probe.deleteLater()
    return none_drift, true_drift


def immortal_singletons() -> bool:
    """True where None/True cannot be deallocated whatever a C extension does (CPython ≥ 3.12, PEP 683)."""
    return sys.version_info >= (3, 12)


def check_binding() -> None:
    """Raise BrokenBinding with a one-line, actionable message when the binding miscounts."""
    if immortal_singletons():
        return
    none_drift, true_drift = refcount_drift()
    if none_drift < 0 or true_drift < 0:
        import PySide6

        raise BrokenBinding(
            f"PySide6 {PySide6.__version__} miscounts Python references (None {none_drift:+d}, True {true_drift:+d} "
            f"over {PROBE_CALLS} calls) and would crash the station within hours; reinstall: "
            "bash scripts/setup.sh install")
