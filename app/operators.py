"""Operators: badge + PIN, with a role. PINs are hashed with scrypt (stdlib) and never stored or
logged in clear. The list can come from the OMS (source='oms') for offline login, and a local admin
is created with `packstation operators add`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from app import schema
from app.store import Store, now_ms


class Role(StrEnum):
    PICKER = "picker"
    PACKER = "packer"
    SUPERVISOR = "supervisor"


# scrypt cost: n=2**14, r=8 -> ~16 MiB, ~50 ms: slow for a brute-forcer, quick enough at a badge reader.
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str, *, n: int = _N) -> str:
    if not pin or not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a PIN is 4 to 12 digits")
    salt = os.urandom(16)
    dk = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    return f"scrypt${n}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt_b64, dk_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        want = base64.b64decode(dk_b64)
        got = hashlib.scrypt(pin.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
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

    def __repr__(self) -> str:  # never carries the PIN hash
        return f"Operator({self.id!r}, {self.name!r}, {self.role.value})"


class OperatorDirectory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, *, badge: str, name: str, role: Role | str, pin: str, op_id: str | None = None,
            source: str = "local") -> Operator:
        badge = badge.strip()
        if not badge:
            raise ValueError("a badge code is required")
        role = Role(role)
        op = Operator(id=op_id or badge, badge=badge, name=name.strip() or badge, role=role, source=source)
        self.upsert_hashed(op, hash_pin(pin))
        return op

    def upsert_hashed(self, op: Operator, pin_hash: str) -> None:
        """Store an operator whose PIN hash was made elsewhere (the OMS sends hashes, never PINs)."""
        stmt = insert(schema.operators).values(
            id=op.id, badge=op.badge, name=op.name, role=op.role.value, pin_hash=pin_hash,
            active=op.active, source=op.source, updated_at_ms=now_ms(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={k: stmt.excluded[k] for k in ("badge", "name", "role", "pin_hash", "active", "source", "updated_at_ms")},
        )
        with self.store.write() as c:
            c.execute(stmt)

    def _row_to_op(self, m) -> Operator:
        return Operator(id=m["id"], badge=m["badge"], name=m["name"], role=Role(m["role"]),
                        active=bool(m["active"]), source=m["source"])

    def by_badge(self, badge: str) -> Operator | None:
        with self.store.read() as c:
            row = c.execute(select(schema.operators).where(schema.operators.c.badge == badge.strip())).first()
        return self._row_to_op(row._mapping) if row else None

    def authenticate(self, badge: str, pin: str) -> Operator | None:
        """The operator if badge and PIN match an active operator, else None (no hint which was wrong)."""
        with self.store.read() as c:
            row = c.execute(select(schema.operators).where(schema.operators.c.badge == badge.strip())).first()
        if row is None:
            # spend the same time as a real check so badge probing is not cheaper than PIN guessing
            verify_pin(pin, _DUMMY_HASH)
            return None
        m = row._mapping
        if not m["active"] or not verify_pin(pin, m["pin_hash"]):
            return None
        return self._row_to_op(m)

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
