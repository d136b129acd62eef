"""The status bar, always visible: operator and role, station, online/offline, events waiting and
the age of the oldest, last successful sync, printer state, clock offset warning."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy

from ui.translations import _

CLOCK_WARN_MS = 120_000
# Who gets the status bar's width first when it is short of room (1024x768, a long operator name, a printer
# fault): what a packer must read at a glance keeps its whole text, the operator's name and the station are cut
# first; a printer fault and quarantined events keep at least FLOOR px (their start says what is wrong).
PRIORITY = ("online", "queue", "clock", "printer", "device", "disk", "quarantine", "operator", "last_sync", "station")
# Offline, how long ago the last sync went through is said in the OFFLINE text itself ("OFFLINE for 2 min — working
# from cache": an outage of 2 min or of 2 h asks different things of a supervisor), and "last sync …" is not shown
# beside it. Said apart, at 1024x768 with a printer fault, it took the room of the operator's name, which was not
# shown at all: who is logged in at a shared station is what keeps a packer from working under another's name.
# A station that never synced says "never synced" after the faults.
PRIORITY_OFFLINE = ("online", "queue", "clock", "printer", "device", "disk", "quarantine", "last_sync", "operator",
                    "station")
# Offline and short of room (1024x768 in English, events waiting a minute, a printer fault), what may go, in this order:
# the station's name (it does not change in an outage; the login screen and the station check show it), then the
# words after what matters: "OFFLINE for 2 min — working from cache" is said "OFFLINE for 2 min", and "to sync: 3
# (oldest 2 min)" "to sync: 3" (offline, the oldest event is about as old as the outage); the whole text stays in the
# tooltip. Only then is the operator's name cut (it still starts with the name). Online, nothing is shortened: there
# the age of the oldest event is what says that a sync is falling behind.
FIRST_TO_GO = frozenset({"station"})
FLOOR = {"printer": 180, "device": 140, "quarantine": 140, "disk": 140}
# A scanner or scale that is not there for now (unplugged, silent, overloaded) is said in the bar until it is back: a
# serial scanner unplugged mid-shift was said in the log alone, and its scans were simply not there. Not said: a
# device stopped (the station closing), none configured, an evdev scanner read through the key filter instead.
QUIET_DEVICE_STATES = frozenset({"stopped", "no_device", "fallback"})
# The age of the oldest event waiting is said once it is this old (s): online, events go within seconds and "(oldest
# 0 s)" said nothing while it cut the station's name at 1024x768; a sync falling behind or an outage shows it.
OLDEST_SAID_S = 60
USEFUL = 64  # px: a cut text narrower than this shows too little of itself to be read (the whole text is shown)


def _names():
    """`ui.names` on first use: it names things in the floor's words (`floor.words`, the order session's module);
    the bar is made with the login screen, before the floor is imported."""
    from ui import names

    return names


def restyle(widget, css: str) -> None:
    """setStyleSheet only when the sheet changes: every call re-polishes the widget (the status bar is
    refreshed every second, the work screen after every scan)."""
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)


class ElidedLabel(QLabel):
    """A status text that never widens the window: shown whole when there is room, else cut with "…" (the whole
    text in its tooltip). text() is always the whole text. One long text (a printer fault) asks for at most
    MAX_HINT px, so the others (online, events waiting) keep theirs."""

    MAX_HINT = 460

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(parent)
        self._full, self._short, self._shortened, self._eliding = "", "", False, False
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str, short: str = "") -> None:  # noqa: N802 (Qt API)
        """`short`: the same said in fewer words, shown instead when the bar says so (`shorten`)."""
        self._full = text or ""
        self._short = short if short and short != self._full else ""
        self.setToolTip(self._full)
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def said(self) -> str:
        """The words shown (before any cut): the short ones when shortened and there are some, else the whole text."""
        return self._short if self._shortened and self._short else self._full

    def shorten(self, on: bool) -> None:
        """Show the short text (when it has one) instead of the whole."""
        if on != self._shortened:
            self._shortened = on
            if self._short:
                self.updateGeometry()
                self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.hint_width(), super().sizeHint().height())

    def hint_width(self, whole: bool = False) -> int:
        """The size hint's width, of the whole text with `whole` (shortened or not)."""
        said = self._full if whole else self.said()
        m = self.contentsMargins()
        extra = m.left() + m.right() + 2 * self.margin() + 24  # room for the style sheet's padding
        return min(self.fontMetrics().horizontalAdvance(said) + extra, self.MAX_HINT) if said else 0

    def tight_width(self) -> int:
        """A width that shows the whole text (or the short one, shortened) with 10 px to spare (the size hint keeps
        24; with 2, glyphs were cut at their right edge on X)."""
        said = self.said()
        if not said:
            return 0
        m = self.contentsMargins()
        need = self.fontMetrics().horizontalAdvance(said) + m.left() + m.right() + 2 * self.margin() + 10
        return min(need, self.MAX_HINT)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.sizeHint().width(), 48), super().minimumSizeHint().height())

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        if self._eliding:  # setting the shown text may resize the label again: once is enough
            return
        self._eliding = True
        try:
            width = self.contentsRect().width() - 2 * self.margin()
            shown = self.fontMetrics().elidedText(self.said(), Qt.TextElideMode.ElideRight, max(width, 0))
            if shown != super().text():
                super().setText(shown)
        finally:
            self._eliding = False


class StatusBar(QFrame):
    def __init__(self, settings, parent=None) -> None:
        """`settings`: the station's (`app.config.Settings`): the bar is made with the login screen, before the
        station's services exist."""
        super().__init__(parent)
        self.setObjectName("statusbar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        self.labels = {k: ElidedLabel("") for k in ("operator", "station", "online", "queue", "quarantine",
                                                    "last_sync", "printer", "device", "clock", "disk")}
        for lab in self.labels.values():
            lay.addWidget(lab)
        lay.addStretch(1)
        self.printers: dict[str, object] = {}
        self.devices: dict[str, object] = {}  # scanner, scale -> their last DeviceStatus
        self._offline = False
        self.labels["station"].setText(f"{settings.station.name} ({settings.station.id})")
        self.set_operator(None)

    def resizeEvent(self, e) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(e)
        self._allot()

    def _allot(self) -> None:
        """Cap each label's width: its size hint when they all fit; else (`_share`) the texts in PRIORITY order,
        each whole if the texts after it can still have their FLOOR (32 px unless said), else what is left above
        those floors. Qt's layout alone would cut every text alike, OFFLINE as soon as the operator's name.
        Offline, when the texts but FIRST_TO_GO do not fit whole, they are said in their short words first."""
        lay = self.layout()
        shown = [k for k in (PRIORITY_OFFLINE if self._offline else PRIORITY) if self.labels[k].text()]
        m = lay.contentsMargins()
        # the shown labels and the stretch after them: one spacing each; an empty label is hidden (no room at all)
        room = self.width() - m.left() - m.right() - lay.spacing() * len(shown)
        short = self._offline and sum(self.labels[k].hint_width(whole=True) for k in shown
                                      if k not in FIRST_TO_GO) > room
        for lab in self.labels.values():
            lab.shorten(short)
        caps = {k: self.labels[k].sizeHint().width() for k in shown}
        if sum(caps.values()) > room:  # short of room: the slack goes first, then the texts in PRIORITY order
            caps = self._share(shown, room)
            # a text left a few px would read "…" alone ("last …" beside OFFLINE at 1024x768): not shown at all,
            # its room shared again among the others
            keep = [k for k in shown if caps[k] >= min(self.labels[k].tight_width(), USEFUL)]
            if len(keep) < len(shown):
                caps = self._share(keep, room + lay.spacing() * (len(shown) - len(keep)))
        for k, lab in self.labels.items():
            if lab.isHidden() == (k in caps):
                lab.setVisible(k in caps)
            cap = max(caps.get(k, 0), 24)
            if lab.maximumWidth() != cap:
                lab.setMaximumWidth(cap)

    def _share(self, shown: list[str], room: int) -> dict[str, int]:
        caps: dict[str, int] = {}
        for i, k in enumerate(shown):
            want = self.labels[k].tight_width()
            reserve = sum(FLOOR.get(r, 32) for r in shown[i + 1:])
            caps[k] = max(min(want, room - reserve), min(want, FLOOR.get(k, 32)))
            room -= caps[k]
        return caps

    def set_operator(self, op) -> None:
        if op is None:
            self.labels["operator"].setText(_("not logged in"))
        else:
            role = _names().role(op.role.value)
            self.labels["operator"].setText(f"{op.name} · {role}")
        self._allot()

    def set_printer(self, name: str, status) -> None:
        self.printers[name] = status
        bad = [(n, s) for n, s in self.printers.items() if s is not None and not s.ok]
        lab = self.labels["printer"]
        if bad:
            n, s = bad[0]
            lab.setText(_("{printer}: {problem}", printer=_names().device(n), problem=_(s.brief)))
            restyle(lab, "background: #c62828; font-weight: bold;")
        else:
            lab.setText(_("printers OK"))
            restyle(lab, "")
        self._allot()

    def set_device(self, name: str, status) -> None:
        """A scanner's or the scale's status (`hardware.devices.DeviceStatus`): said in red while it is not there."""
        self.devices[name] = status
        bad = [s for s in self.devices.values() if not s.ok and s.state not in QUIET_DEVICE_STATES]
        lab = self.labels["device"]
        if bad:  # each in the drivers' words, which name the device: "Scale not connected (/dev/ttyUSB0): …"
            lab.setText("  •  ".join(_(s.detail) for s in bad))
            restyle(lab, "background: #c62828; font-weight: bold;")
        else:
            lab.setText("")
            restyle(lab, "")
        self._allot()

    def set_health(self, h) -> None:
        """h: sync.service.SyncHealth (computed off the GUI thread)."""
        if h is None or isinstance(h, Exception):
            self.labels["online"].setText(_("sync: not available"))
            self._allot()
            return
        on = self.labels["online"]
        self._offline = not h.online
        # the service's own count (monotonic: true across a wall clock's step), else from the stored time
        since = h.since_success_s
        if since is None and h.last_success_ms:
            since = time.time() - h.last_success_ms / 1000
        ago = None if since is None else int(since)
        refused = not h.online and getattr(h, "token_refused", False)
        if h.online:
            on.setText(_("ONLINE"))
        elif refused:  # not the network: nothing comes back by itself until the station has a new token
            on.setText(_("OFFLINE: the OMS refuses this station's token — tell a supervisor"), _("TOKEN REFUSED"))
        elif getattr(h, "oms_busy", False):  # 429/5xx: the OMS answers, too busy; not the network
            if ago is None:
                on.setText(_("OMS BUSY — working from cache"), _("OMS BUSY"))
            else:
                age = _names().age(ago)
                on.setText(_("OMS BUSY for {age} — working from cache", age=age), _("OMS BUSY for {age}", age=age))
        elif ago is None:
            on.setText(_("OFFLINE — working from cache"), _("OFFLINE"))
        else:
            age = _names().age(ago)
            on.setText(_("OFFLINE for {age} — working from cache", age=age), _("OFFLINE for {age}", age=age))
        restyle(on, "" if h.online else "background: #c62828; font-weight: bold;" if refused else
                "background: #ef6c00; font-weight: bold;")
        if getattr(h, "station_error", None):  # the outbox stopped by this station's database, not by the network
            on.setText(_("NOT SENDING: database error — call a technician"), _("NOT SENDING: database error"))
            on.setToolTip(f"{on.text()}\n{h.station_error}")  # SQLite's words: the bar has no room for them
            restyle(on, "background: #c62828; font-weight: bold;")
        count = _("to sync: {count}", count=h.queue_depth)
        stuck = h.online and getattr(h, "sending_failed", False) and h.queue_depth
        if stuck:  # the OMS answers the polls but not the events: "ONLINE, last sync 0 s ago" read as all well
            self.labels["queue"].setText(_("to sync: {count} — the OMS is not taking them", count=h.queue_depth),
                                         count)
        elif h.oldest_pending_age_s is None or h.oldest_pending_age_s < OLDEST_SAID_S:
            self.labels["queue"].setText(count)
        else:
            self.labels["queue"].setText(_("to sync: {count} (oldest {age})", count=h.queue_depth,
                                           age=_names().age(h.oldest_pending_age_s)), count)
        restyle(self.labels["queue"], "background: #c62828; font-weight: bold;" if stuck else "")
        if ago is None:
            self.labels["last_sync"].setText(_("never synced"))
        else:  # offline, the age is in the OFFLINE text
            self.labels["last_sync"].setText(_("last sync {age} ago", age=_names().age(ago)) if h.online else "")
        self._show_quarantine(h)
        off = h.clock_offset_ms
        clock = self.labels["clock"]
        if off is not None and abs(off) > CLOCK_WARN_MS:
            clock.setText(_("CLOCK OFF BY {seconds} s", seconds=int(off / 1000)))
            restyle(clock, "background: #c62828; font-weight: bold;")
        else:
            clock.setText("")
            restyle(clock, "")
        self._allot()

    _disk_said = ""
    _database_said = ""

    def set_disk(self, free_mb) -> None:
        """free_mb: the station disk's free space (read off the GUI thread); said in red only when it runs low."""
        # imported here, not with the module: the bar shows with the login screen, before the store is loaded
        from app.store import disk_low

        low = isinstance(free_mb, int | float) and disk_low(free_mb)
        self._disk_said = _("DISK ALMOST FULL: {mb} MB left", mb=int(free_mb)) if low else ""
        self._show_disk()

    def set_database(self, said: str) -> None:
        """What is wrong with the station's database (in the reader's language; "" for nothing), in the disk's place
        and before it: the start found the log of the last run deleted (`Store.log_lost`), its events gone."""
        self._database_said = said
        self._show_disk()

    def _show_disk(self) -> None:
        lab = self.labels["disk"]
        said = self._database_said or self._disk_said
        lab.setText(said)
        restyle(lab, "background: #c62828; font-weight: bold;" if said else "")
        self._allot()

    def _show_quarantine(self, h) -> None:
        """Events the OMS refuses for good are out of the queue (the rest keeps flowing): say so, with the
        newest reason as tooltip, until a technician has looked (`packstation sync-status`)."""
        lab = self.labels["quarantine"]
        n = getattr(h, "rejected_count", 0) or 0
        if not n:
            lab.setText("")
            lab.setToolTip("")
            restyle(lab, "")
            return
        lab.setText(_("{count} event(s) quarantined (refused by the OMS)", count=n))
        q = list(getattr(h, "quarantined", ()) or ())
        lab.setToolTip("\n".join(f"#{e['seq']} {e['type']}: {e['reason']}" for e in q))
        restyle(lab, "background: #c62828; font-weight: bold;")
