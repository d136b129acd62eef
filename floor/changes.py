"""What a use case of the station controller tells the screens: what changed, and what to say."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Flag, StrEnum, auto

from app.i18n import Joined, Msg
from app.verdicts import ScanVerdict


class Screen(StrEnum):
    LOGIN = "login"
    CHECK = "check"
    QUEUE = "queue"
    WORK = "work"
    SUPERVISOR = "supervisor"


class Change(Flag):
    """What a use case changed; a screen redraws only the parts it shows."""

    NONE = 0
    SESSION = auto()  # who is logged in
    SCREEN = auto()  # which screen the station shows
    ORDER = auto()  # which order is open (or its status: intercepted, done)
    STEP = auto()  # the step of the open order
    LINES = auto()  # line counts, shorts, gifts, carton
    WEIGHT = auto()  # the scale reading or the recorded weight
    FEEDBACK = auto()  # the message panel
    QUEUE = auto()  # the list of open orders
    PROMPT = auto()  # an inline prompt opened or closed
    PRINTING = auto()  # label/slip jobs of the open order
    IDLE = auto()  # the idle logout's warning (`StationController.idle_notice`) shown or gone
    ALL = SESSION | SCREEN | ORDER | STEP | LINES | WEIGHT | FEEDBACK | QUEUE | PROMPT | PRINTING | IDLE


class Level(StrEnum):
    OK = "ok"  # green flash, good sound
    INFO = "info"  # blue, no sound
    HINT = "hint"  # what to do next: amber, no alarm
    ERROR = "error"  # red, error sound, stays until acknowledged (a scan acknowledges it and is evaluated)
    STOP = "stop"  # the order must not ship: red, stays


class Outcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # not possible here / now (said plainly)
    BLOCKED = "blocked"  # the step needs something first
    ASKED = "asked"  # a prompt is open and waits for an answer
    PENDING = "pending"  # work runs in the background; a later change reports it
    HELD = "held"  # a print job waits for the printer
    STOPPED = "stopped"  # the order is cancelled or held by the OMS


@dataclass(frozen=True)
class Feedback:
    """What the station says: a message (in no language yet) and how loud; the screen renders `text(language)`."""

    level: Level
    message: Msg | Joined
    verdict: ScanVerdict | None = None

    @property
    def locked(self) -> bool:
        return self.level in (Level.ERROR, Level.STOP)

    def text(self, language: str | None = "en") -> str:
        return self.message.text(language)

    @property
    def en(self) -> str:
        """The English text (logs, tests)."""
        return self.message.text("en")


@dataclass(frozen=True)
class Prompt:
    """An inline prompt on the work screen: short pick (reason + found), reprint (reason), override."""

    kind: str  # short_pick | reprint | override
    line_id: str | None = None
    max_qty: int = 0
    found: int = 0


@dataclass(frozen=True, kw_only=True)
class Result:
    """One use case's answer: its outcome, what changed, what the station says."""

    outcome: Outcome
    changes: Change = Change.NONE
    feedback: Feedback | None = None
    verdict: ScanVerdict | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.DONE, Outcome.PENDING, Outcome.ASKED)


@dataclass(frozen=True, kw_only=True)
class ShortPickResult(Result):
    line_id: str | None = None
    qty_found: int | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class GiftResult(Result):
    line_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class OverrideResult(Result):
    what: str | None = None  # weight_mismatch | force_line
    supervisor_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReprintResult(Result):
    job_id: str | None = None  # the new job


@dataclass(frozen=True, kw_only=True)
class PutBack:
    qty: int
    sku: str
    name: str
    variant: str
    bin: str


@dataclass(frozen=True, kw_only=True)
class InterceptResult(Result):
    order_id: str | None = None
    status: str | None = None
    put_back: tuple[PutBack, ...] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class PrintResult(Result):
    label_job: str | None = None
    slip_job: str | None = None
