"""The screens translate through the one gettext system (app/i18n.py, ui/translations.py): every string they mark
has a Simplified Chinese translation, Chinese really shows, and no Qt Linguist call is left."""

import re
import tokenize

from babel.messages.extract import extract_from_dir

from app import i18n
from app.i18n import Msg
from tests.conftest import ROOT

QT_LINGUIST = re.compile(r"\.tr\(|QCoreApplication\.translate|QT_TR_NOOP|QT_TRANSLATE_NOOP|QTranslator\(|\.qm\b")


def test_every_string_the_screens_mark_is_translated():
    found = {}
    keywords = {"Msg": (1,), "N_": None, "_": None, "plural": (2, 3)}
    for fname, lineno, message, _c, _x in extract_from_dir(ROOT / "ui", keywords=keywords,
                                                            method_map=[("**.py", "python")], comment_tags=()):
        for m in message if isinstance(message, tuple) else (message,):  # plural(): both forms
            if m:
                found.setdefault(m, f"ui/{fname}:{lineno}")
    assert len(found) > 150, "the extractor found almost nothing in ui/: are the screens still marked with _()?"
    table = i18n.load("zh_CN")
    missing = {m: w for m, w in found.items() if not table.get(m)}
    assert not missing, f"untranslated (add them to resources/locale/zh_CN/LC_MESSAGES/ui.po): {missing}"


def test_the_screens_use_no_qt_linguist_translation():
    """One system: no self.tr(), QCoreApplication.translate or .qm in ui/ (Qt's own qtbase catalog excepted, loaded
    in ui/translations.py)."""
    bad = []
    for py in sorted((ROOT / "ui").rglob("*.py")):
        if py.name == "translations.py":
            continue
        with py.open("rb") as f:
            for tok in tokenize.tokenize(f.readline):
                if tok.type == tokenize.NAME and tok.string in ("QT_TR_NOOP", "QT_TRANSLATE_NOOP", "QTranslator"):
                    bad.append(f"{py.name}:{tok.start[0]} {tok.string}")
        for n, line in enumerate(py.read_text(encoding="utf-8").splitlines(), 1):
            if QT_LINGUIST.search(line) and not line.lstrip().startswith("#"):
                bad.append(f"{py.name}:{n} {line.strip()}")
    assert not bad, bad


def test_the_login_screen_speaks_chinese_when_configured(qtbot):
    from PySide6.QtWidgets import QApplication

    from ui import names
    from ui.translations import _, install, language, uninstall

    app = QApplication.instance()
    assert install(app, "zh_CN") == "zh_CN" and language() == "zh_CN"
    try:
        from ui.screens.login import LoginScreen

        w = LoginScreen()
        qtbot.addWidget(w)
        assert w.button.text() == "登录"
        assert w.badge.placeholderText() == "工牌"
        # what the core hands over is rendered in the same language: a Msg, or an object that says itself
        assert _(Msg("Damaged")) == "破损"
        assert _("to sync: {count} (oldest {age})", count=3, age=names.age(12)) == "待同步：3（最早 12 秒）"
        assert [names.age(s) for s in (65, 3599, 3600, 2 * 3600 + 5 * 60)] == ["1 分钟", "59 分钟", "1 小时",
                                                                            "2 小时 5 分钟"]
    finally:
        uninstall(app)  # Qt's own translators out, the screens back to English
    assert language() == "en" and _("Log in") == "Log in"


def test_how_long_ago_reads_as_a_person_says_it():
    """The status bar's ages (OFFLINE for …, oldest …, last sync … ago): seconds under a minute, whole minutes under an
    hour, then hours and minutes, a zero part left out. Under two minutes it said seconds: "OFFLINE for 65 s"."""
    from ui import names

    said = {s: names.age(s) for s in (-3, 0, 45.9, 59, 60, 65, 119, 125, 3599, 3600, 3659, 3660, 2 * 3600 + 5 * 60,
                                      26 * 3600 + 59 * 60 + 59)}
    assert said == {-3: "0 s", 0: "0 s", 45.9: "45 s", 59: "59 s", 60: "1 min", 65: "1 min", 119: "1 min",
                    125: "2 min", 3599: "59 min", 3600: "1 h", 3659: "1 h", 3660: "1 h 1 min",
                    2 * 3600 + 5 * 60: "2 h 5 min", 26 * 3600 + 59 * 60 + 59: "26 h 59 min"}


def test_objects_that_render_themselves_are_asked_in_the_stations_language():
    from ui.translations import _, set_language

    class Says:
        def __init__(self):
            self.asked = []

        def text(self, language):
            self.asked.append(language)
            return f"<{language}>"

    class Verdict:
        def message(self, language):
            return f"[{language}]"

    s = Says()
    try:
        set_language("zh-CN")
        assert _(s) == "<zh_CN>" and _(Verdict()) == "[zh_CN]"
        assert _(None) == ""
    finally:
        set_language("en")
    assert _(s) == "<en>"


def test_the_catalogs_ship_in_the_wheel():
    """resources/locale/*/LC_MESSAGES is no package: pyproject's package-data names the .po files (checked here
    against the patterns; a wheel built with setuptools>=77 lists every one of them)."""
    import fnmatch
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    pos = [p.relative_to(ROOT / "resources").as_posix() for p in (ROOT / "resources" / "locale").rglob("*.po")]
    assert pos
    unshipped = [p for p in pos if not any(fnmatch.fnmatch(p, pat) for pat in data.get("resources", []))]
    assert not unshipped, unshipped


def test_the_wedge_warning_is_said_in_the_stations_language():
    """hardware/wedge.py's keyboard-layout / input-method warning: a message rendered in the station's language (an
    older (english, chinese) pair is shown whole)."""
    from ui.translations import set_language
    from ui.wedge_filter import _said

    assert _said(("Layout?", "键盘布局？")) == "Layout?\n键盘布局？"
    try:
        set_language("zh_CN")
        assert _said(Msg("Damaged")) == "破损"
    finally:
        set_language("en")
    assert _said(Msg("Damaged")) == "Damaged"
