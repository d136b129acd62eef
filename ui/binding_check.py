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
import statistics
import sys

PROBE_CALLS = 64


class BrokenBinding(RuntimeError):
    """The installed Qt binding corrupts reference counts; the station must not start on it."""


def refcount_drift() -> tuple[int, int]:
    """(drift of None's count over PROBE_CALLS void calls, drift of True's over PROBE_CALLS emits).

    A sound binding gives (0, 0); a miscounting one loses one reference per call, every call: -PROBE_CALLS. Each
    call is counted on its own and the drift is the median per-call change times PROBE_CALLS: another thread
    taking or dropping references to None in between (a busy start-up on a loaded machine) moves a few of the
    counts, never the median — it made a sound binding look broken (exit 3) when the whole loop was counted.
    Needs no QApplication."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal(bool)

    probe = _Probe()
    none_drift = _median_change(lambda: probe.setObjectName("probe"), None)  # a void method: returns None
    true_drift = _median_change(lambda: probe.fired.emit(True), True)  # emit() returns True through the binding
    probe.deleteLater()
    return none_drift, true_drift


def _median_change(call, obj) -> int:
    changes = []
    for _ in range(PROBE_CALLS):
        before = sys.getrefcount(obj)
        call()
        changes.append(sys.getrefcount(obj) - before)
    per_call = statistics.median_low(changes)
    # Give back what a broken binding took (a reference nobody owns, as the binding took one nobody gave),
    # so the probe itself never brings the process closer to an abort, not even at interpreter exit.
    for _ in range(-per_call * PROBE_CALLS):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    return per_call * PROBE_CALLS


def immortal_singletons() -> bool:
    """True where None/True cannot be deallocated whatever a C extension does (CPython ≥ 3.12, PEP 683)."""
    return sys.version_info >= (3, 12)


def check_binding() -> None:
    """Raise BrokenBinding with a one-line, actionable message when the binding miscounts."""
    if immortal_singletons():
        return
    none_drift, true_drift = refcount_drift()
    if min(none_drift, true_drift) <= -PROBE_CALLS // 2:  # one reference per call: noise never reaches half
        import PySide6

        raise BrokenBinding(
            f"PySide6 {PySide6.__version__} miscounts Python references (None {none_drift:+d}, True {true_drift:+d} "
            f"over {PROBE_CALLS} calls) and would crash the station within hours; reinstall: "
            "bash scripts/setup.sh install")
