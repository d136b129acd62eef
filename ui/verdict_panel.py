"""Verdict feedback: a short green flash for good scans; a full-width red panel for errors that names
what was scanned and what was expected, and stays until the operator acknowledges (scan or button).

The panel has one fixed height whatever it says (the screen below never jumps and the window never grows): the
text wraps, and a message too long for the box at the largest size is set smaller until it fits whole."""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from floor import Level
from ui.translations import _

# A key named in brackets at the end of a phrase ("finish the step (F10)", "请完成本步骤（F10）"): never a line of its own.
_KEY_HINT = re.compile(r"([ \t]*)([(\uff08\[](?:F\d{1,2}|Esc|Enter|Tab|Ctrl\+[A-Za-z]+)[)\uff09\]])")
# A count and what it counts ("2 × FRG-02", "scan 2 more × FRG-02"): one piece.
_TIMES = re.compile(r"(\d+)(?: (more))? × (?=\S)")
# A hyphen inside a code or SKU ("CASE-Y5-BLACK"): a line may not end there ("CASE-" / "Y5-BLACK" reads as two codes).
_CODE_HYPHEN = re.compile(r"(?<=[0-9A-Za-z])-(?=[0-9A-Za-z])")

# Chinese wraps between any two characters, and a line may not begin with a closing mark ("。", "：", "）") or with a key
# glued to the word before it: where one would, Qt breaks a character earlier, inside the word before it — the short
# pick's prompt read "…或扫描原因条" / "码。" and the banner "…请完成本步" / "骤（F10）" at 1024x768. The two characters
# before such a mark stay together (a word joiner between them; most words are two characters), and so do the floor's
# own words anywhere ("条码" and "序列号" split at a line's end read as two other words).
_HAN = "\u4e00-\u9fff"
_HAN_PAIR_BEFORE_MARK = re.compile(f"([{_HAN}])([{_HAN}])(?=[\u3002\uff0c\u3001\uff1a\uff1b\uff01\uff1f\uff09\u2060])")
# the words, written as escapes (Chinese lives in the catalogs: tests/test_i18n.py): 条码 序列号 工牌 面单 装箱单 纸箱 批号
# 库位 订单 步骤 赠品 重量
_FLOOR_WORDS = re.compile("\u6761\u7801|\u5e8f\u5217\u53f7|\u5de5\u724c|\u9762\u5355|\u88c5\u7bb1\u5355|\u7eb8\u7bb1|\u6279\u53f7|\u5e93\u4f4d|\u8ba2\u5355|\u6b65\u9aa4|\u8d60\u54c1|\u91cd\u91cf")

# A code too long for a line (an unknown barcode of 60 characters, a path): no space to wrap it at, it ran past the
# red panel's edge under its ACKNOWLEDGE button. Shown cut in the middle (its start and end; the log keeps it whole).
_LONG_CODE = re.compile(r"[!-~]{33,}")
CODE_KEEP = 14  # characters kept at each end of a cut code


def cut_long_codes(text: str) -> str:
    """`text` with every run of more than 32 printable ASCII characters without a space (a code, a path) cut in the
    middle: its first and last CODE_KEEP characters either side of "…"."""
    return _LONG_CODE.sub(lambda m: m.group()[:CODE_KEEP] + "…" + m.group()[-CODE_KEEP:], text)


def keep_together(text: str) -> str:
    """`text` as painted: a bracketed key glued to the word before it (a no-break space where there was a space, a
    word joiner where there was none, as in Chinese), so that a wrap never leaves "(F10)" alone on the last line;
    and a count to the code it counts ("2 × FRG-02", "2 more × FRG-02"), never "2 ×" at a line's end and the code on
    the next; and a code in one piece, never broken at one of its hyphens (a word joiner after it); and a Chinese word
    never split at a line's end (`_HAN_PAIR_BEFORE_MARK`, `_FLOOR_WORDS`)."""
    text = _KEY_HINT.sub(lambda m: ("\u00a0" if m.group(1) else "\u2060") + m.group(2), text)
    text = _CODE_HYPHEN.sub("-\u2060", text)
    text = _HAN_PAIR_BEFORE_MARK.sub("\\1\u2060\\2", text)
    text = _FLOOR_WORDS.sub(lambda m: "\u2060".join(m.group()), text)
    return _TIMES.sub(lambda m: m.group(1) + (f"\u00a0{m.group(2)}" if m.group(2) else "") + "\u00a0×\u00a0", text)


class FitLabel(QLabel):
    """A word-wrapped text inside a box it never resizes: painted at the largest size from `largest` down to
    `smallest` px at which it fits the box whole. It asks for no width or height (the layout gives it its box), and
    changing the text never changes a size or a style sheet (so the screen never jumps)."""

    def __init__(self, text: str = "", largest: int = 30, smallest: int = 12, bold: bool = True,
                 color: str = "white", parent=None) -> None:
        super().__init__(text, parent)
        self._painted = keep_together(cut_long_codes(text))  # the text as painted and measured, made once per text
        self.largest, self.smallest, self.bold, self.color = largest, smallest, bold, color
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.px = largest

    def setText(self, text: str) -> None:  # noqa: N802
        self._painted = keep_together(cut_long_codes(text))
        super().setText(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, 0)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, 0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - its box is fixed: the text adapts, not the window
        return False

    def set_color(self, color: str, bold: bool | None = None) -> None:
        self.color = color
        if bold is not None:
            self.bold = bold
        self.update()

    def _font(self, px: int):
        f = self.font()
        f.setPixelSize(px)
        f.setBold(self.bold)
        return f

    def font_at(self, px: int):
        """The font the text is painted in at `px`."""
        return self._font(px)

    def text_height(self, px: int) -> int:
        """The height the text takes at `px`, wrapped at the box's width (more than any box where a word is wider)."""
        return self._needs(px)

    def _needs(self, px: int) -> int:
        """The height the text takes at `px`; more than the box's (never fits) where a word is wider than the box."""
        flags = int(Qt.TextFlag.TextWordWrap)
        width = max(1, self.width() - 4)
        r = QFontMetrics(self._font(px)).boundingRect(0, 0, width, 100000, flags, self._painted)
        return r.height() if r.width() <= width else 100000

    def fitted_px(self) -> int:
        px = self.largest
        while px > self.smallest and self._needs(px) > self.height():
            px -= 1
        return px

    def fits(self) -> bool:
        """The text, at the size chosen, lies whole inside the box."""
        return not self.text() or self._needs(self.fitted_px()) <= self.height()

    def paintEvent(self, _e) -> None:  # noqa: N802
        if not self.text():
            return
        self.px = self.fitted_px()
        p = QPainter(self)
        p.setFont(self._font(self.px))
        p.setPen(QColor(self.color))
        p.drawText(self.rect().adjusted(2, 0, -2, 0),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap),
                   self._painted)
        p.end()


class VerdictPanel(QFrame):
    acknowledged = Signal()
    HEIGHT = 108  # fixed: idle, green, blue and red alike

    def __init__(self, language: str | None, sounds, parent=None) -> None:
        super().__init__(parent)
        self.sounds = sounds  # (the language is the station's: ui.translations)
        self.color = ""  # the background, painted by paintEvent
        self.locked = False
        self.verdict = None
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        self.text = FitLabel("", largest=30, smallest=12)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # the panel's height
        self.ack = QPushButton(_("ACKNOWLEDGE [Enter] (or scan again)").replace(" (", "\n("))
        self.ack.setObjectName("danger")
        self.ack.setMaximumWidth(260)
        self.ack.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ack.clicked.connect(self.acknowledge)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.ack)
        self.set_height(self.HEIGHT)
        self._flash = QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.timeout.connect(self._idle)
        self._idle()

    def set_height(self, height: int) -> None:
        """The panel's one height (HEIGHT; less on a display under 740 px high: `WorkScreen.set_compact`)."""
        self.setFixedHeight(height)
        self.ack.setFixedHeight(height - 16)
        self.ack.setStyleSheet("" if height >= self.HEIGHT else "font-size: 15px; padding: 2px 8px;")

    def _paint(self, color: str) -> None:
        """The background's colour, painted by paintEvent: not a style sheet, whose every change re-polishes the
        panel and its button (0.53 ms a colour change, measured offscreen)."""
        if color != self.color:
            self.color = color
            self.update()

    def paintEvent(self, _e) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(self.color))
        p.drawRoundedRect(self.rect(), 8, 8)
        p.end()

    def _idle(self) -> None:
        if self.locked:
            return
        self._paint("#546e7a")
        self.ack.hide()

    def show_verdict(self, verdict, text: str | None = None) -> None:
        """A scan's verdict: green and the good sound, or red, the error sound and the acknowledge button; `text`
        says it (the verdict's own message when None). Painted at once, in one pass."""
        self.verdict = verdict
        self.text.setText(_(verdict) if text is None else text)
        if verdict.ok:
            self.locked = False
            self.ack.hide()
            self._paint("#2e7d32")
            self.sounds.play("good")
            self._flash.start(600)
        else:
            self.locked = True
            self._paint("#c62828")
            self.ack.show()
            self.sounds.play("error")
        self.repaint()  # painted now, not at the next idle pass: feedback within one frame

    def show_message(self, text: str, level: Level = Level.INFO) -> None:
        """A message of the station in its level's colour. ERROR/STOP: red, the error sound, stays until
        acknowledged. HINT (what to do next, e.g. check the address): amber, no sound, stays until the next
        message. OK: green and the good sound, INFO: blue — each for a moment, then the resting colour."""
        self.text.setText(text)
        if level in (Level.ERROR, Level.STOP):
            self.locked = True
            self._paint("#c62828")
            # a stopped order is not acknowledged away: its text says the way out (Esc), no button offers another
            self.ack.setVisible(level == Level.ERROR)
            self.sounds.play("error")
            return
        self.locked = False
        self.ack.hide()  # not an alarm: no acknowledge button left over from a red panel before it
        if level == Level.HINT:
            self._flash.stop()  # the flash's end would turn it back to the resting colour
            self._paint("#f9a825")
            return
        self._paint("#2e7d32" if level == Level.OK else "#1565c0")
        if level == Level.OK:
            self.sounds.play("good")
        self._flash.start(1500)

    def acknowledge(self) -> None:
        if not self.locked:
            return
        self.locked = False
        self._idle()
        self.acknowledged.emit()  # the station says "Acknowledged — carry on." (floor.StationController.acknowledge)
