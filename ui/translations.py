"""Qt Linguist translations: resources/i18n/packstation_<lang>.ts compiled to .qm with pyside6-lrelease.
`python -m ui.translations --compile` (run by scripts/setup.sh) or on demand at start."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

I18N = Path(__file__).resolve().parent.parent / "resources" / "i18n"
LANGS = ("zh_CN",)


def _tool(name: str) -> str | None:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else shutil.which(name)


def compile_all() -> list[Path]:
    out = []
    lrelease = _tool("pyside6-lrelease")
    if lrelease is None:
        raise RuntimeError("pyside6-lrelease not found")
    for ts in sorted(I18N.glob("packstation_*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)
        out.append(qm)
    return out


def install(app, language: str):
    """Load the translator for `language` (compiling the .qm if missing). Returns it or None for English."""
    if not language or language.startswith("en"):
        return None
    from PySide6.QtCore import QTranslator

    qm = I18N / f"packstation_{language}.qm"
    if not qm.exists():
        try:
            compile_all()
        except Exception:
            return None
    tr = QTranslator(app)
    if tr.load(str(qm)):
        app.installTranslator(tr)
        return tr
    return None


if __name__ == "__main__":
    if "--compile" in sys.argv:
        for p in compile_all():
            print(p)
