"""Shared fixtures. Qt needs a platform before anything imports it: without a display pytest-qt
would abort the whole process, so offscreen is set here, first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "barcodes" / "zxing"


@pytest.fixture
def settings(tmp_path):
    from app.config import Settings

    s = Settings()
    s.station.data_dir = str(tmp_path / "data")
    return s


@pytest.fixture
def store(tmp_path):
    from app.store import open_store

    st = open_store(tmp_path / "station.sqlite3")
    yield st
    st.close()


@pytest.fixture
def core(settings):
    from app.core import open_core

    c = open_core(settings)
    yield c
    c.close()


def run_cli(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 60):
    """Run `python -m packstation ...` in a subprocess, as an operator would run `packstation ...`."""
    import subprocess
    import tempfile

    e = dict(os.environ)
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    # every command logs (app/logsetup.py): into a temp folder, not the developer's ~/.local/state
    e.setdefault("PACKSTATION_LOG_DIR", str(Path(tempfile.gettempdir()) / "packstation-test-logs"))
    if env:
        e.update(env)
    return subprocess.run([sys.executable, "-m", "packstation", *args], capture_output=True, text=True,
                          input=input, env=e, timeout=timeout, cwd=ROOT)
