"""The screens' one way to translate: app/i18n.py's gettext catalogs, in the station's language.

A station runs one language per process (`settings.station.language`): `install(app, language)` binds it once at
start (ui/shell.py make_app) and every widget then says

    _("Log in")                                  a constant text of the screens (resources/locale/*/ui.po)
    _("Order {order} done.", order=no)           the same with named fields (never an f-string as the id)
    _(msg)                                       a Msg / Joined the core, the controller or a device yields
    _(feedback)                                  an object that renders itself: `.text(language)` (Feedback,
                                                 DeviceStatus, PrinterStatus, ClaimResult) or `.message(language)`
                                                 (ScanVerdict)

`N_("…")` marks a constant id in a table of names (ui/names.py, ui/station_sheet.py) for the extractor.
Qt's own catalogs (qtbase: OK/Cancel/Yes/No of standard buttons and dialogs) are Qt's, not ours: they are loaded
with a QTranslator beside, and removed again by `uninstall` (tests)."""

from __future__ import annotations

from typing import Any

from app.i18n import DEFAULT, N_, Joined, Msg, normalise, translate

__all__ = ["N_", "_", "install", "language", "set_language", "uninstall"]

_language = DEFAULT
installed: list = []  # Qt's own translators put in by install()


def language() -> str:
    """The station's language ('en' or e.g. 'zh_CN')."""
    return _language


def set_language(lang: str | None) -> str:
    global _language
    _language = normalise(lang)
    return _language


def _(msg: Any, /, **params: Any) -> str:
    """`msg` in the station's language: a message id (with named `params`), a Msg/Joined, or an object that renders
    itself. None is the empty text."""
    if msg is None:
        return ""
    if isinstance(msg, str):
        return translate(Msg(msg, **params) if params else msg, _language)
    if isinstance(msg, (Msg, Joined)):
        return translate(msg, _language)
    for attr in ("text", "message"):
        said = getattr(msg, attr, None)
        if callable(said):
            return str(said(_language))
        if isinstance(said, (str, Msg, Joined)) and said:
            return translate(said, _language)
    return translate(str(msg), _language)


def install(app, lang: str | None) -> str:
    """Bind the screens to `lang` and load Qt's own catalogs for it (qtbase, qtmultimedia). Returns the language
    the screens speak ('en' when there is no catalog for it)."""
    uninstall(app)
    lang = set_language(lang)
    if lang == DEFAULT or app is None:
        return lang
    from PySide6.QtCore import QLibraryInfo, QTranslator

    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase", "qtmultimedia"):
        qt_tr = QTranslator(app)
        if qt_tr.load(f"{name}_{lang}", qt_dir):
            app.installTranslator(qt_tr)
            installed.append(qt_tr)
    return lang


def uninstall(app) -> None:
    """Back to English: Qt's translators removed, the screens' language reset (tests)."""
    while installed:
        tr = installed.pop()
        if app is not None:
            app.removeTranslator(tr)
    set_language(DEFAULT)
