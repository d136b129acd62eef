"""The core knows nothing of Qt, HTTP or devices; devices and sync never touch widgets."""

import subprocess
import sys

from tests.conftest import ROOT


def test_import_linter_contracts_hold():
    lint = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())"]
    r = subprocess.run(lint, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout and "KEPT" in r.stdout


def _loaded_after_importing(package: str) -> str:
    return (
        f"import pkgutil, importlib, sys, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    if '.migrations' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
    )


def test_importing_every_core_module_loads_no_qt_and_no_http():
    code = _loaded_after_importing("app") + (
        "bad = [n for n in sys.modules if n.startswith(('PySide6', 'requests', 'cv2', 'escpos'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_importing_every_device_and_sync_module_loads_no_qt():
    for package in ("hardware", "sync"):
        code = _loaded_after_importing(package) + (
            "bad = [n for n in sys.modules if n.startswith('PySide6')]\n"
            "print(bad)\n"
            "sys.exit(1 if bad else 0)\n"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0, package + ": " + r.stdout + r.stderr
