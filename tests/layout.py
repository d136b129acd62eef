"""Floor-test helper: does a screen fit a given display? Real widget geometry (mapTo the window), not size hints.

    problems = misfits(win, (1024, 768))   # [] when every visible widget lies inside the window and its parent
    assert_fits(win, (1024, 768))           # ... and the window kept the size it was given (no growth)

A widget inside a scroll area's viewport may extend past the viewport (it scrolls); anything else that sticks out of
its parent or of the window is off screen for the packer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

SIZES = ((1024, 768), (1280, 800), (1366, 768), (1920, 1080), (1280, 720), (1024, 600))


def set_display(win, size: tuple[int, int]) -> None:
    """The window as a kiosk holds it on a display of `size`: exactly that size at the origin."""
    from ui.shell import fit_window

    w, h = size
    fit_window(win, QRect(0, 0, w, h))
    for _ in range(3):
        QApplication.processEvents()


def _in_scroll_viewport(w: QWidget) -> bool:
    p = w.parentWidget()
    while p is not None:
        gp = p.parentWidget()
        if isinstance(gp, QAbstractScrollArea) and gp.viewport() is p:
            return True
        p = gp
    return False


def _text(w) -> str:
    t = getattr(w, "text", None)  # QLabel/QAbstractButton.text(); some screens name a child widget "text"
    try:
        return t() if callable(t) and isinstance(t(), str) else ""
    except TypeError:
        return ""


def misfits(win, size: tuple[int, int]) -> list[str]:
    W, H = size
    screen = QRect(0, 0, W, H)
    out = []
    if (win.width(), win.height()) != (W, H):
        out.append(f"window grew/shrank to {win.width()}×{win.height()} on a {W}×{H} display")
    for w in win.findChildren(QWidget):
        if not w.isVisible() or w.isWindow() or _in_scroll_viewport(w):
            continue
        r = QRect(w.mapTo(win, QPoint(0, 0)), w.size())
        name = f"{type(w).__name__}({w.objectName() or _text(w)})"[:80]
        if not screen.contains(r):
            out.append(f"{name} at {r.x()},{r.y()} {r.width()}×{r.height()} is off a {W}×{H} screen")
            continue
        parent = w.parentWidget()
        if parent is not None and parent is not win:
            pr = QRect(parent.mapTo(win, QPoint(0, 0)), parent.size())
            if not pr.contains(r):
                out.append(f"{name} sticks out of its {type(parent).__name__} ({r} in {pr})")
    return out


def assert_fits(win, size: tuple[int, int]) -> None:
    problems = misfits(win, size)
    assert not problems, "\n".join(problems[:20])
