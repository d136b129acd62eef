"""Operators: badge + PIN, hashed, roles."""

import pytest

from app.operators import OperatorDirectory, Role, hash_pin, verify_pin
from tests.conftest import run_cli


def test_pin_is_hashed_and_verifies():
    h = hash_pin("4821")
    assert "4821" not in h and h.startswith("scrypt$")
    assert verify_pin("4821", h)
    assert not verify_pin("4822", h)
    assert not verify_pin("4821", "garbage")


@pytest.mark.parametrize("bad", ["", "12", "abcd", "1234567890123"])
def test_bad_pins_are_refused(bad):
    with pytest.raises(ValueError):
        hash_pin(bad)


def test_authenticate_by_badge_and_pin(store):
    d = OperatorDirectory(store)
    d.add(badge="B-100", name="Li Na", role="packer", pin="2468")
    d.add(badge="B-900", name="Wang Wei", role=Role.SUPERVISOR, pin="135791")
    op = d.authenticate("B-100", "2468")
    assert op is not None and op.name == "Li Na" and op.role is Role.PACKER and not op.is_supervisor
    assert d.authenticate("B-100", "135791") is None
    assert d.authenticate("B-404", "2468") is None
    assert d.authenticate("B-900", "135791").is_supervisor
    d.deactivate("B-100")
    assert d.authenticate("B-100", "2468") is None


def test_pin_never_lands_in_the_database_file_in_clear(tmp_path):
    from app.store import open_store

    p = tmp_path / "s.sqlite3"
    st = open_store(p)
    OperatorDirectory(st).add(badge="B-1", name="Zhao", role="picker", pin="97531864")
    st.close()
    for f in tmp_path.iterdir():
        assert b"97531864" not in f.read_bytes()


def test_operators_add_from_the_command_line(tmp_path):
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "operators", "add", "--badge", "ADMIN", "--name", "Admin",
                "--role", "supervisor", "--pin-stdin", input="864209\n")
    assert r.returncode == 0, r.stderr
    assert "864209" not in r.stdout + r.stderr
    r = run_cli("--config", str(cfg), "operators", "list", "--json")
    assert '"badge": "ADMIN"' in r.stdout and '"role": "supervisor"' in r.stdout
    r = run_cli("--config", str(cfg), "operators", "add", "--badge", "X", "--name", "X",
                "--role", "picker", "--pin-stdin", input="12\n")
    assert r.returncode == 2 and "PIN" in r.stderr and "Traceback" not in r.stderr


def test_supervisor_pin_has_at_least_six_digits(store, tmp_path):
    d = OperatorDirectory(store)
    with pytest.raises(ValueError, match="6"):
        d.add(badge="S-9", name="Sup", role=Role.SUPERVISOR, pin="12345")
    assert d.by_badge("S-9") is None
    d.add(badge="S-9", name="Sup", role=Role.SUPERVISOR, pin="123456")
    d.add(badge="P-9", name="Pick", role=Role.PICKER, pin="1234")  # other roles: 4 digits still allowed
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "operators", "add", "--badge", "S-8", "--name", "S",
                "--role", "supervisor", "--pin-stdin", input="8642\n")
    assert r.returncode == 2 and "6 to 12 digits" in r.stderr and "Traceback" not in r.stderr


def _forge(n, r, p, pin="4821", salt=b"s" * 16):
    import base64
    import hashlib

    if n * r * p <= 2**14 * 8:  # cheap enough: the real hash of the PIN
        dk = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    else:  # a dear one is refused before any computing, so its digest does not matter
        dk = b"d" * 32
    return f"scrypt${n}${r}${p}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


@pytest.mark.parametrize("n,r,p", [(2, 8, 1), (2**10, 8, 1), (2**14, 1, 1), (2**14, 8, 64)])
def test_hash_parameters_below_floor_or_above_ceiling_are_refused(n, r, p, caplog):
    """A correct PIN against a hash the OMS made too cheap (n=2) or too dear (p=64) is refused."""
    from app.operators import hash_is_acceptable

    h = _forge(n, r, p)
    assert not hash_is_acceptable(h)
    assert verify_pin("4821", h) is False
    assert "PIN hash refused" in caplog.text


def test_huge_hash_parameters_are_refused_without_running_scrypt():
    import time

    from app.operators import hash_is_acceptable

    base = _forge(2**14, 8, 1)
    parts = base.split("$")
    for n, r, p in [(2**30, 8, 1), (2**14, 8, 10**12), (2**14, 10**6, 1), (3 * 2**14, 8, 1)]:
        forged = "$".join([parts[0], str(n), str(r), str(p), *parts[4:]])
        t0 = time.perf_counter()
        assert verify_pin("4821", forged) is False and not hash_is_acceptable(forged)
        assert time.perf_counter() - t0 < 5  # refused up front, never run (a real n=2**30 would take minutes)
    assert verify_pin("4821", base) and hash_is_acceptable(base)  # the default parameters pass


def test_lockout_after_repeated_wrong_pins_with_events(core):
    from app import operators as opmod

    clock = {"t": 1_000_000}
    d = OperatorDirectory(core.store, core.events, clock_ms=lambda: clock["t"])
    d.add(badge="K-7", name="Pat", role="packer", pin="2580")
    for _ in range(opmod.MAX_FAILED_ATTEMPTS - 1):
        assert d.authenticate("K-7", "0000") is None
    assert d.locked_for_ms("K-7") == 0
    assert d.authenticate("K-7", "2580") is not None  # a success before the limit clears the count
    for _ in range(opmod.MAX_FAILED_ATTEMPTS):
        assert d.authenticate("K-7", "1111") is None
    assert d.locked_for_ms("K-7") == opmod.LOCKOUT_MS
    assert d.authenticate("K-7", "2580") is None  # locked: the right PIN is refused too
    fails = core.events.events(types=[opmod.LOGIN_FAILED])
    locks = core.events.events(types=[opmod.OPERATOR_LOCKED])
    assert len(fails) == 2 * opmod.MAX_FAILED_ATTEMPTS - 1 + 1
    assert [e.kind for e in fails][-1] == "locked" and fails[0].kind == "wrong_pin"
    assert all(e.payload["badge"] == "K-7" and "2580" not in str(e.payload) and "1111" not in str(e.payload)
               for e in fails)
    assert len(locks) == 1 and locks[0].payload["badge"] == "K-7" and locks[0].operator_id == "K-7"
    clock["t"] += opmod.LOCKOUT_MS
    assert d.locked_for_ms("K-7") == 0
    assert d.authenticate("K-7", "2580") is not None


def test_a_wall_clock_step_neither_stretches_nor_ends_a_lockout(core, monkeypatch):
    """NTP steps a station clock that ran an hour ahead back by an hour: a badge locked just before stayed locked for 65
    minutes (the lockout ran on the wall clock); a step forward ended it at once. The wall clock is moved (time.time_ns,
    what the station's clock reads through), the lockout stays 5 minutes."""
    from app import operators as opmod

    d = OperatorDirectory(core.store, core.events)
    d.add(badge="K-8", name="Sam", role="packer", pin="2580")
    for _ in range(opmod.MAX_FAILED_ATTEMPTS):
        assert d.authenticate("K-8", "1111") is None
    assert 0 < d.locked_for_ms("K-8") <= opmod.LOCKOUT_MS
    import time

    real = time.time_ns
    for step_ms in (-3_600_000, +3_600_000):
        monkeypatch.setattr(time, "time_ns", lambda step_ms=step_ms: real() + step_ms * 1_000_000)
        assert 0 < d.locked_for_ms("K-8") <= opmod.LOCKOUT_MS
        assert d.authenticate("K-8", "2580") is None  # still locked, for the 5 minutes and no more


def test_unknown_badges_are_failed_logins_and_lock_too(core):
    from app import operators as opmod

    d = OperatorDirectory(core.store, core.events)
    for _ in range(opmod.MAX_FAILED_ATTEMPTS):
        assert d.authenticate("NOBODY", "1234") is None
    assert d.locked_for_ms("NOBODY") > 0
    assert {e.kind for e in core.events.events(types=[opmod.LOGIN_FAILED])} == {"unknown_badge"}


def test_a_pin_typed_into_the_badge_field_is_not_kept_nor_sent_nor_logged(core, caplog):
    """A packer types their PIN where the badge goes (QA at the login screen: 2222, Enter, 2222, Enter): the failed
    login's event carried {"badge": "2222"}, the PIN in clear, synced to the OMS, and the log said "login failed for
    badge '2222'" (docs/security.md: the PIN is never in them). An unknown badge that could be a PIN (4 to 12
    digits) is recorded masked, its length kept; the lockout still counts it, and letters stay as typed (a mistyped
    badge helps the supervisor)."""
    from app import operators as opmod
    from app.workflow import Station

    core.operators.add(badge="K-9", name="Kim", role="packer", pin="2222")
    st = Station(core)
    with caplog.at_level("INFO"):
        for _ in range(opmod.MAX_FAILED_ATTEMPTS):
            assert st.login("2222", "2222") is None
        assert st.login("K-O9", "2222") is None  # a letter O for a zero: kept as typed
        assert st.login("２２２２", "2222") is None  # full-width digits (an input method left on) are digits too
    assert core.operators.locked_for_ms("2222") > 0  # counted all the same
    evs = core.events.events(types=[opmod.LOGIN_FAILED, opmod.OPERATOR_LOCKED])
    assert "2222" not in str([e.payload for e in evs]) and "２２２２" not in str([e.payload for e in evs])
    assert {e.payload["badge"] for e in evs} == {"****", "K-O9"}
    assert "2222" not in caplog.text and "２２２２" not in caplog.text and "K-O9" in caplog.text


def test_station_core_records_failed_logins(core):
    core.operators.add(badge="P-5", name="P", role="picker", pin="1357")
    assert core.operators.authenticate("P-5", "9753") is None
    assert core.events.last("login_failed").payload == {"badge": "P-5", "reason": "wrong_pin"}


def test_a_list_that_gives_one_badge_to_two_people_changes_neither_and_the_rest_goes_in(store, caplog):
    """A hostile or broken OMS list: the badge's holder keeps it, the rest of the list is taken."""
    from app.operators import Operator

    d = OperatorDirectory(store)
    h = hash_pin("2468")
    d.upsert_many_hashed([(Operator("A", "B-1", "An", Role.PACKER, source="oms"), h)])
    n = d.upsert_many_hashed([(Operator("A", "B-2", "An", Role.PACKER, source="oms"), h),
                              (Operator("C", "B-2", "Cai", Role.SUPERVISOR, source="oms"), h),
                              (Operator("D", "B-4", "Di", Role.PICKER, source="oms"), h)], complete=True)
    assert n == 1 and "one badge to several operators" in caplog.text and "'B-2': A, C" in caplog.text
    assert d.authenticate("B-1", "2468").id == "A" and d.authenticate("B-2", "2468") is None
    assert d.authenticate("B-4", "2468").id == "D"
    d.upsert_many_hashed([(Operator("D", "B-1", "Di", Role.PICKER, source="oms"), h)], complete=True)
    assert d.authenticate("B-1", "2468").id == "D"  # the badge given to another: its old holder has none and
    assert {o.id: o.active for o in d.all()} == {"A": False, "D": True}  # is no longer listed: retired
