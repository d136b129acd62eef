"""Operators: badge + PIN, hashed, roles."""

import pytest

from app.operators import OperatorDirectory, Role, hash_pin, verify_pin
from tests.conftest import run_cli


def test_pin_is_hashed_and_verifies():
    h = hash_pin("4821", n=2**10)
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
    d.add(badge="B-900", name="Wang Wei", role=Role.SUPERVISOR, pin="1357")
    op = d.authenticate("B-100", "2468")
    assert op is not None and op.name == "Li Na" and op.role is Role.PACKER and not op.is_supervisor
    assert d.authenticate("B-100", "1357") is None
    assert d.authenticate("B-404", "2468") is None
    assert d.authenticate("B-900", "1357").is_supervisor
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
                "--role", "supervisor", "--pin-stdin", input="8642\n")
    assert r.returncode == 0, r.stderr
    assert "8642" not in r.stdout + r.stderr
    r = run_cli("--config", str(cfg), "operators", "list", "--json")
    assert '"badge": "ADMIN"' in r.stdout and '"role": "supervisor"' in r.stdout
    r = run_cli("--config", str(cfg), "operators", "add", "--badge", "X", "--name", "X",
                "--role", "picker", "--pin-stdin", input="12\n")
    assert r.returncode == 2 and "PIN" in r.stderr and "Traceback" not in r.stderr
