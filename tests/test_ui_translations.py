"""Every visible string of the screens has a Simplified Chinese translation, and Chinese really shows."""

import subprocess
import sys
import xml.etree.ElementTree as ET

from tests.conftest import ROOT


def test_every_string_in_the_screens_is_translated(tmp_path):
    lupdate = ROOT / ".venv" / "bin" / "pyside6-lupdate"
    exe = str(lupdate) if lupdate.exists() else str(__import__("pathlib").Path(sys.executable).parent / "pyside6-lupdate")
    ts = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    subprocess.run([exe, *sources, "-ts", str(ts)], check=True, capture_output=True, cwd=ROOT, timeout=120)
    fresh = {m.findtext("source") for m in ET.parse(ts).iter("message")}
    committed = {m.findtext("source"): (m.findtext("translation") or "")
                 for m in ET.parse(ROOT / "resources/i18n/packstation_zh_CN.ts").iter("message")}
    missing = sorted(s for s in fresh if not committed.get(s))
    assert not missing, f"untranslated (run lupdate + python -m ui.zh_fill): {missing}"
    assert len(fresh) > 80


def test_the_login_screen_speaks_chinese_when_configured(qtbot):
    from PySide6.QtWidgets import QApplication

    from ui.translations import install, uninstall

    app = QApplication.instance()
    tr = install(app, "zh_CN")
    assert tr is not None
    try:
        from app.workflow import Station  # noqa: F401
        from ui.screens.login import LoginScreen

        w = LoginScreen(station=None)
        qtbot.addWidget(w)
        assert w.button.text() == "登录"
        assert w.badge.placeholderText() == "工牌"
    finally:
        uninstall(app)  # the station's and Qt's own translators
