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
    """Load the translators for `language` (compiling the .qm if missing): the station's own strings, and Qt's
    (qtbase: OK/Cancel/Yes/No of standard buttons and dialogs). Returns the station's translator, or None for
    English. Every translator installed is kept in `installed` so that it can be removed again (tests)."""
    if not language or language.startswith("en"):
        return None
    from PySide6.QtCore import QLibraryInfo, QTranslator

    qm = I18N / f"packstation_{language}.qm"
    if not qm.exists():
        try:
            compile_all()
        except Exception:
            return None
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase", "qtmultimedia"):
        qt_tr = QTranslator(app)
        if qt_tr.load(f"{name}_{language}", qt_dir):
            app.installTranslator(qt_tr)
            installed.append(qt_tr)
    tr = QTranslator(app)
    if tr.load(str(qm)):
        app.installTranslator(tr)
        installed.append(tr)
        return tr
    return None


installed: list = []


def uninstall(app) -> None:
    """Remove every translator install() put in (back to English)."""
    while installed:
        app.removeTranslator(installed.pop())


if __name__ == "__main__":
    if "--compile" in sys.argv:
        for p in compile_all():
            print(p)
