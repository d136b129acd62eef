"""Operators: badge + PIN, with a role. PINs are hashed with scrypt (stdlib) and never stored or
logged in clear. The list can come from the OMS (source='oms') for offline login, and a local admin
is created with `packstation operators add`.

A hash from elsewhere (the OMS) is checked before use: scrypt parameters below a floor (cheap to brute
force) or above a ceiling (a login that freezes the station) are refused. Wrong PINs are limited: after
MAX_FAILED_ATTEMPTS within FAIL_WINDOW_MS a badge is locked for LOCKOUT_MS; every failed login and every
lockout is an event (`login_failed`, `operator_locked`). The override form (F11: a supervisor's badge and PIN
typed at a packer's order) counts its own wrong PINs and locks its own use of a badge (`where="override"`): a packer
typing wrong PINs there locked the supervisor out of the login as well, for five minutes, mid-shift (the QA
walkthrough, 2026-12-07). Supervisor PINs have at least 6 digits.
See docs/security.md for what a stolen station database still exposes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from app import schema
from app.scans import safe_text
from app.store import Store, now_ms


class Role(StrEnum):
    PICKER = "picker"
    PACKER = "packer"
    SUPERVISOR = "supervisor"


log = logging.getLogger(__name__)

# scrypt cost: n=2**14, r=8 -> ~16 MiB, ~50 ms: slow for a brute-forcer, quick enough at a badge reader.
_N, _R, _P = 2**14, 8, 1
# What verify_pin accepts from a stored hash (it may come from the OMS). Below the floor a hash is cheap to
# brute force; above the ceiling one login costs seconds of CPU or more memory than a station should spend.
N_MIN, N_MAX = 2**14, 2**17
R_MIN, R_MAX = 8, 16
P_MIN, P_MAX = 1, 2
WORK_MAX = 2**17 * 8 * 1  # n * r * p: at most ~128 MiB and well under a second
SALT_MIN, DK_MIN, DK_MAX = 16, 32, 64
MIN_PIN, MIN_SUPERVISOR_PIN, MAX_PIN = 4, 6, 12

# Wrong-PIN limit per badge
MAX_FAILED_ATTEMPTS = 5
FAIL_WINDOW_MS = 15 * 60_000
LOCKOUT_MS = 5 * 60_000
# The badge of an operator whose badge the OMS gave to someone else: unique (it ends with the id), and no
# keyboard-wedge scanner types it.
RELEASED = "\u2205released:"
LOGIN_FAILED = "login_failed"
OPERATOR_LOCKED = "operator_locked"
# where a PIN is typed: each counts its wrong PINs and locks a badge apart (`authenticate(..., where=)`)
LOGIN, OVERRIDE = "login", "override"


class UnsafeHashParameters(ValueError):
    """A stored PIN hash whose scrypt parameters are outside the floor/ceiling."""


def said_badge(badge: str, *, known: bool) -> str:
    """A badge as a failed login's event and the log say it. An unknown one that could be a PIN (4 to 12 digits) is
    masked, its length kept: packers type their PIN into the badge field, and the event carried it in clear to the
    OMS. A known badge, or one with letters (a mistyped badge: "K-O01"), is said as typed."""
    if not known and badge.isdigit() and MIN_PIN <= len(badge) <= MAX_PIN:
        return "*" * len(badge)
    return badge


def hash_pin(pin: str, *, n: int = _N, min_len: int = MIN_PIN) -> str:
    if not pin or not pin.isdigit() or not min_len <= len(pin) <= MAX_PIN:
        raise ValueError(f"a PIN is {min_len} to {MAX_PIN} digits")
    if not N_MIN <= n <= N_MAX:
        raise ValueError(f"scrypt n must be between {N_MIN} and {N_MAX}")
    salt = os.urandom(16)
    dk = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    return f"scrypt${n}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """(n, r, p, salt, dk) of a stored hash; UnsafeHashParameters when outside the floor/ceiling,
    ValueError when not a scrypt hash at all."""
    algo, n_s, r_s, p_s, salt_b64, dk_b64 = stored.split("$")
    if algo != "scrypt" or not (n_s.isdigit() and r_s.isdigit() and p_s.isdigit()):
        raise ValueError("not a scrypt PIN hash")
    if max(len(n_s), len(r_s), len(p_s)) > 9:
        raise UnsafeHashParameters("scrypt parameters out of range")
    n, r, p = int(n_s), int(r_s), int(p_s)
    salt = base64.b64decode(salt_b64, validate=True)
    dk = base64.b64decode(dk_b64, validate=True)
    if (n & (n - 1) or not N_MIN <= n <= N_MAX or not R_MIN <= r <= R_MAX or not P_MIN <= p <= P_MAX
            or n * r * p > WORK_MAX or len(salt) < SALT_MIN or not DK_MIN <= len(dk) <= DK_MAX):
        raise UnsafeHashParameters(f"scrypt n={n} r={r} p={p} salt={len(salt)}B dk={len(dk)}B outside "
                                   f"n {N_MIN}..{N_MAX}, r {R_MIN}..{R_MAX}, p {P_MIN}..{P_MAX}")
    return n, r, p, salt, dk


def hash_is_acceptable(stored: str) -> bool:
    try:
        parse_hash(stored)
    except (ValueError, TypeError, binascii.Error):
        return False
    return True


def verify_pin(pin: str, stored: str) -> bool:
    """True when pin matches stored. A hash with parameters outside the floor/ceiling is refused (False,
    logged) without running scrypt on it."""
    try:
        n, r, p, salt, want = parse_hash(stored)
    except UnsafeHashParameters as e:
        log.error("PIN hash refused: %s", e)
        return False
    except (ValueError, TypeError, binascii.Error):
        return False
    try:
        got = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=256 * 1024 * 1024)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, want)


@dataclass(frozen=True)
class Operator:
    id: str
    badge: str
    name: str
    role: Role
    active: bool = True
    source: str = "local"

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR

    @property
    def known_as(self) -> str:
        """How the screens name a person: the name (an OMS may send none: then the badge)."""
        return self.name or self.badge or self.id

    @property
    def name_and_badge(self) -> str:
        """How a report names a person: "Zhang Min (K-001)"."""
        return f"{self.name} ({self.badge})" if self.name else self.known_as

    def __repr__(self) -> str:  # never carries the PIN hash
        return f"Operator({self.id!r}, {self.name!r}, {self.role.value})"


def operators_matching(ops: list[Operator], text: str) -> list[Operator]:
    """Who a supervisor may mean by `text`, among `ops` (OperatorDirectory.all()), letter case aside: the one operator
    whose id, badge or name it is (in that order), else every operator whose name holds it (one: that operator;
    several: the supervisor is told whom, to type more; none: nobody here)."""
    want = (text or "").strip().casefold()
    if not want:
        return []
    for exact in (lambda o: o.id.casefold() == want, lambda o: o.badge.casefold() == want,
                  lambda o: o.name.casefold() == want):
        hits = [o for o in ops if exact(o)]
        if len(hits) == 1:
            return hits
    return [o for o in ops if want in o.name.casefold()]


class OperatorDirectory:
    def __init__(self, store: Store, events=None, *, clock_ms: Callable[[], int] | None = None) -> None:
        """events: the station's EventLog (failed logins and lockouts are recorded there when given). `clock_ms`: the
        clock the wrong PINs' window and a lockout run on, monotonic milliseconds. It was the wall clock: a station's
        clock stepped back an hour (NTP correcting a clock that ran ahead) kept a badge locked for 65 minutes instead
        of 5, one stepped forward ended a lockout at once. Both live in this process only, as the monotonic clock."""
        self.store = store
        self.events = events
        self._clock = clock_ms or (lambda: time.monotonic_ns() // 1_000_000)
        self._fails: dict[tuple[str, str], list[int]] = {}  # (where, badge) -> recent failure times (ms)
        self._locked_until: dict[tuple[str, str], int] = {}  # (where, badge) -> locked until (ms)
        self._lock = threading.Lock()

    def add(self, *, badge: str, name: str, role: Role | str, pin: str, op_id: str | None = None,
            source: str = "local") -> Operator:
        badge = badge.strip()
        if not badge:
            raise ValueError("a badge code is required")
        role = Role(role)
        if role is Role.SUPERVISOR and (len(pin) < MIN_SUPERVISOR_PIN):
            raise ValueError(f"a supervisor PIN has at least {MIN_SUPERVISOR_PIN} digits")
        op = Operator(id=op_id or badge, badge=badge, name=name.strip() or badge, role=role, source=source)
        self.upsert_hashed(op, hash_pin(pin))
        return op

    def upsert_hashed(self, op: Operator, pin_hash: str) -> None:
        """Store an operator whose PIN hash was made elsewhere (the OMS sends hashes, never PINs)."""
        self.upsert_many_hashed([(op, pin_hash)])

    _STORED = ("id", "badge", "name", "role", "pin_hash", "active", "source")

    def upsert_many_hashed(self, items: list[tuple[Operator, str]], *, complete: bool = False) -> int:
        """Store operators with their PIN hashes in one transaction, writing only those that differ from what is
        stored (the OMS sends its whole list at every poll: an unchanged list commits nothing). Returns how many
        operators' rows changed (badges released and operators retired included).

        A badge that moved (two people's badges swapped, a lost badge's code given to a new person) is taken from
        its old holder first, in the same transaction: the holder keeps no badge (`RELEASED` + id, which no scanner
        types) until the list gives it one. A badge that two operators of one list both have names nobody: neither
        of those rows is written (logged), whoever held it keeps it until the OMS says whose it is.
        With `complete` (the OMS's whole list, nothing in it refused) an operator from the OMS that the list no
        longer holds is deactivated: a person removed at the OMS cannot log in at a station that still knows them.
        An empty list retires nobody (an OMS that lost its operators must not lock the whole floor out)."""
        if not items:
            return 0
        holders: dict[str, set[str]] = {}
        for op, _h in items:
            holders.setdefault(op.badge, set()).add(op.id)
        shared = {b for b, ids in holders.items() if len(ids) > 1}
        if shared:
            log.error("the OMS gives one badge to several operators, their rows are not changed: %s",
                      "; ".join(f"{b!r}: {', '.join(sorted(holders[b]))}" for b in sorted(shared)))
        listed = {op.id for op, _h in items}
        want = {op.id: (op.id, op.badge, op.name, op.role.value, pin_hash, bool(op.active), op.source)
                for op, pin_hash in items if op.badge not in shared}
        cols = [schema.operators.c[k] for k in self._STORED]
        with self.store.read() as c:
            have = {r[0]: (*r[:5], bool(r[5]), r[6])
                    for r in c.execute(select(*cols))}  # a station's operators: hundreds at most
        now = now_ms()
        rows = [dict(zip(self._STORED, v, strict=True), updated_at_ms=now)
                for k, v in want.items() if have.get(k) != v]
        held_by = {v[1]: k for k, v in have.items()}
        release = sorted({h for r in rows if (h := held_by.get(r["badge"])) is not None and h != r["id"]})
        retire = sorted(k for k, v in have.items() if v[6] == "oms" and v[5] and k not in listed) \
            if complete and want else []
        if not (rows or release or retire):
            return 0
        t = schema.operators
        stmt = insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={k: stmt.excluded[k] for k in ("badge", "name", "role", "pin_hash", "active", "source", "updated_at_ms")},
        )
        with self.store.write() as c:
            for op_id in release:  # first, so that no row below meets its new badge still held
                c.execute(t.update().where(t.c.id == op_id).values(badge=RELEASED + op_id, updated_at_ms=now))
            for row in rows:
                c.execute(stmt, row)
            if retire:
                c.execute(t.update().where(t.c.id.in_(retire)).values(active=False, updated_at_ms=now))
        for op_id in release:
            log.warning("badge %r moved from operator %s to another", have[op_id][1], op_id)
        if retire:
            log.warning("operators no longer on the OMS's list deactivated: %s", ", ".join(retire))
        return len({r["id"] for r in rows}.union(release, retire))

    def _row_to_op(self, m) -> Operator:
        return Operator(id=m["id"], badge=m["badge"], name=m["name"], role=Role(m["role"]),
                        active=bool(m["active"]), source=m["source"])

    _COLUMNS = ("id", "badge", "name", "role", "active", "source")

    def _one(self, column: str, value: str) -> Operator | None:
        """One operator by a unique column, as a point read (a few microseconds where a pooled read takes ~90: the
        floor looks a scanned code up as a badge when it is nobody's order or item)."""
        row = self.store.point_read(f"SELECT {', '.join(self._COLUMNS)} FROM operators WHERE {column} = ?", (value,))
        return self._row_to_op(dict(zip(self._COLUMNS, row, strict=True))) if row else None

    def by_badge(self, badge: str) -> Operator | None:
        return self._one("badge", badge.strip())

    def by_id(self, op_id: str) -> Operator | None:
        return self._one("id", op_id)

    def locked_for_ms(self, badge: str, where: str = LOGIN) -> int:
        """How long this badge stays locked at `where` (the login, the override form) after too many wrong PINs there
        (0: not locked)."""
        with self._lock:
            return max(0, self._locked_until.get((where, badge.strip()), 0) - self._clock())

    def _record_failure(self, badge: str, op_id: str | None, reason: str, where: str) -> None:
        said = said_badge(badge, known=op_id is not None)  # in the events and the log: never a PIN typed as a badge
        now = self._clock()
        locked = False
        key = (where, badge)
        with self._lock:
            fails = [t for t in self._fails.get(key, []) if now - t < FAIL_WINDOW_MS] + [now]
            self._fails[key] = fails
            if reason != "locked" and len(fails) >= MAX_FAILED_ATTEMPTS:
                self._locked_until[key] = now + LOCKOUT_MS
                self._fails[key] = []
                locked = True
            if len(self._fails) > 10_000:  # badge probing must not grow memory without bound
                self._fails = {b: f for b, f in self._fails.items() if f and now - f[-1] < FAIL_WINDOW_MS}
        log.warning("%s failed for badge %r (%s)", where, said, reason)
        at = {} if where == LOGIN else {"where": where}
        if self.events is not None:
            self.events.append(LOGIN_FAILED, {"badge": said, "reason": reason, **at}, operator_id=op_id, kind=reason)
            if locked:
                self.events.append(OPERATOR_LOCKED, {"badge": said, "attempts": MAX_FAILED_ATTEMPTS,
                                                     "locked_ms": LOCKOUT_MS, **at}, operator_id=op_id)
        if locked:
            log.warning("badge %r locked at the %s for %d s after %d wrong PINs", said, where, LOCKOUT_MS // 1000,
                        MAX_FAILED_ATTEMPTS)

    def authenticate(self, badge: str, pin: str, where: str = LOGIN) -> Operator | None:
        """The operator if badge and PIN match an active operator, else None (no hint which was wrong).
        A badge locked after too many wrong PINs is refused even with the right PIN (see locked_for_ms); `where` the
        PIN is typed (LOGIN, OVERRIDE) counts and locks apart. A badge with a lone surrogate in it (a broken
        decoder's) is looked up and recorded escaped (`safe_text`): SQLite cannot bind it, and the login said "Not
        done: UnicodeEncodeError …"."""
        badge = safe_text(badge.strip())
        with self.store.read() as c:
            row = c.execute(select(schema.operators).where(schema.operators.c.badge == badge)).first()
            if row is None and badge.swapcase() != badge:  # scanned or typed with Caps Lock on ("k-001")
                row = c.execute(select(schema.operators).where(schema.operators.c.badge == badge.swapcase())).first()
                badge = badge.swapcase() if row is not None else badge
        op_id = row._mapping["id"] if row is not None else None
        if self.locked_for_ms(badge, where):
            self._record_failure(badge, op_id, "locked", where)
            return None
        if row is None:
            # spend the same time as a real check so badge probing is not cheaper than PIN guessing
            verify_pin(pin, _DUMMY_HASH)
            self._record_failure(badge, None, "unknown_badge", where)
            return None
        m = row._mapping
        if not m["active"]:
            verify_pin(pin, _DUMMY_HASH)
            self._record_failure(badge, op_id, "inactive", where)
            return None
        if not verify_pin(pin, m["pin_hash"]):
            self._record_failure(badge, op_id, "wrong_pin" if hash_is_acceptable(m["pin_hash"]) else "unsafe_hash",
                                 where)
            return None
        with self._lock:
            self._fails.pop((where, badge), None)
        return self._row_to_op(m)

    def known(self) -> bool:
        """Does this station know any operator yet? (A new station learns them at its first OMS pull.)"""
        with self.store.read() as c:
            return c.execute(select(schema.operators.c.id).limit(1)).first() is not None

    def all(self) -> list[Operator]:
        with self.store.read() as c:
            rows = c.execute(select(schema.operators).order_by(schema.operators.c.name)).all()
        return [self._row_to_op(r._mapping) for r in rows]

    def deactivate(self, badge: str) -> bool:
        with self.store.write() as c:
            res = c.execute(schema.operators.update().where(schema.operators.c.badge == badge)
                            .values(active=False, updated_at_ms=now_ms()))
        return res.rowcount > 0


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
