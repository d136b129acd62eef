"""What a kiosk installs: every import declared, nothing declared that is never imported, the OMS server
stack only behind extras, and a station that starts without it. Plus the usual files: LICENSE,
CHANGELOG, `packstation --version`.

The same facts are checked fast from the package metadata and by starting the station with the server
stack made unimportable, and for real (slow: ~1 minute with the wheels cached, 57 s measured on the 2-core
development machine) by `scripts/check-station-install.sh`: `pip install .` with no extras into a fresh venv,
no fastapi/uvicorn, `packstation run` starts."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OWN = {"app", "hardware", "sync", "ui", "floor", "packstation", "tests", "resources", "conftest"} | {
    p.stem for p in (ROOT / "tests").glob("*.py")}  # the tests' own helper modules (printer_listener, ...)
# declared for every station, loaded by another package rather than imported by ours
LOADED_BY_OTHERS = {"rl-accel": "reportlab uses its C accelerator when it is installed"}
SERVER_STACK = ("fastapi", "uvicorn", "starlette")  # pydantic is the station's too: sync/contract.py


def _name(req: str) -> str:
    return re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _declared(*groups: str) -> set[str]:
    p = PYPROJECT["project"]
    names = {_name(r) for r in p["dependencies"]}
    for g in groups:
        names |= {_name(r) for r in p["optional-dependencies"][g]}
    return names


def _imports(*dirs: str) -> dict[str, set[str]]:
    """Third-party top-level modules imported anywhere under `dirs` -> files."""
    out: dict[str, set[str]] = {}
    for d in dirs:
        for f in (ROOT / d).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for n in names:
                    top = n.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN and not top.startswith("test_") \
                            and top != "__future__":
                        out.setdefault(top, set()).add(str(f.relative_to(ROOT)))
    return out


# modules whose distribution is not installed in a test venv (optional extras that build from source)
NOT_INSTALLED = {"evdev": "evdev", "cups": "pycups", "keyring": "keyring"}


def _dists(module: str) -> set[str]:
    pd = md.packages_distributions()
    names = pd.get(module) or [NOT_INSTALLED.get(module, "?")]
    return {n.lower().replace("_", "-") for n in names}


def test_every_import_is_declared():
    allowed = _declared(*PYPROJECT["project"]["optional-dependencies"])
    missing = {m: sorted(files)[:2] for m, files in _imports("app", "hardware", "sync", "ui", "floor", "packstation").items()
               if not (_dists(m) & allowed)}
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"


def test_test_imports_are_declared_in_the_test_extras():
    allowed = _declared("test", "oms")
    missing = {m: sorted(files)[:2] for m, files in _imports("tests").items() if not (_dists(m) & allowed)}
    assert missing == {}, missing


def test_every_station_dependency_is_imported():
    imported: set[str] = set()
    for m in _imports("app", "hardware", "sync", "ui", "floor", "packstation"):
        imported |= _dists(m)
    unused = _declared() - imported - set(LOADED_BY_OTHERS)
    assert unused == set(), f"declared for every station but never imported: {unused}"


def _closure(roots: set[str]) -> set[str]:
    """Installed distributions a plain `pip install` of `roots` pulls in (requirements without extras)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for r in reqs:
            if ";" in r and "extra" in r.split(";", 1)[1]:
                continue  # only with an extra of that package
            todo.append(_name(r))
    return seen


def test_a_station_install_pulls_no_server_stack():
    base = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    pulled = _closure(base)
    assert not pulled & set(SERVER_STACK), sorted(pulled & set(SERVER_STACK))
    assert {"fastapi", "uvicorn"} <= _closure({_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["oms"]})
    assert PYPROJECT["project"]["optional-dependencies"]["demo"] == ["packstation[oms]"]


def test_constraints_reproduce_a_station_install():
    lines = [ln for ln in (ROOT / "constraints" / "station.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    pins = {_name(ln): ln.split("==")[1] for ln in lines}
    assert all("==" in ln for ln in lines)
    base = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert base <= set(pins), base - set(pins)  # every direct dependency is pinned
    assert not set(pins) & set(SERVER_STACK)
    major, minor = (int(x) for x in pins["pyside6-essentials"].split(".")[:2])
    assert (major, minor) < (6, 12)  # ui/binding_check.py: 6.12.0 aborts CPython 3.11


BLOCK = "import sys\nfor m in {mods!r}: sys.modules[m] = None  # as if not installed\n"


def _without_server_stack(tmp_path, *args: str) -> subprocess.CompletedProcess:
    code = BLOCK.format(mods=SERVER_STACK) + (
        "from packstation.cli import main\n"
        f"raise SystemExit(main({list(args)!r}))\n")
    import os

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PACKSTATION_LOG_DIR=str(tmp_path / "logs"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                          cwd=ROOT)


def test_the_station_starts_without_the_server_stack(tmp_path):
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = _without_server_stack(tmp_path, "--config", str(cfg), "run", "--exit-when-shown")
    assert r.returncode == 0, r.stderr
    assert "shown" in r.stdout


def test_a_command_that_needs_an_extra_names_it(tmp_path):
    r = _without_server_stack(tmp_path, "--help")
    assert r.returncode == 0 and "oms-server" in r.stdout and "doctor" in r.stdout
    r = _without_server_stack(tmp_path, "oms-server", "--db", str(tmp_path / "o.db"), "--port", "8799")
    assert r.returncode == 3
    assert "pip install 'packstation[oms]'" in r.stderr and "Traceback" not in r.stderr
    r = _without_server_stack(tmp_path, "demo", "--exit-when-shown", "--data-dir", str(tmp_path / "demo"))
    assert r.returncode == 3 and "bash scripts/setup.sh demo" in r.stderr and "Traceback" not in r.stderr


def test_version_license_changelog():
    from app import __version__

    r = subprocess.run([sys.executable, "-m", "packstation", "--version"], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.strip() == f"packstation {__version__}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, flags=re.M)
    assert releases and releases[0] == __version__
    lic = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in lic and "Version 2.0, January 2004" in lic and "END OF TERMS AND CONDITIONS" in lic
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


@pytest.mark.slow
def test_fresh_venv_station_install_has_no_server_stack_and_starts():
    r = subprocess.run(["bash", str(ROOT / "scripts" / "check-station-install.sh")], capture_output=True,
                       text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "no fastapi/uvicorn/starlette installed" in r.stdout
    assert "OK: station install without the server stack starts" in r.stdout
