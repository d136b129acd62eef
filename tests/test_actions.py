"""Action barcodes: one vocabulary, every barcode parses back to its action, garbage is no action."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.actions import ACTIONS, ARG_ACTIONS, Action, barcode, parse_action


def test_every_action_and_argument_round_trips():
    for action in ACTIONS.values():
        assert parse_action(barcode(action)) == Action(action)
    for action, allowed in ARG_ACTIONS.values():
        for arg in allowed:
            assert parse_action(barcode(action, arg)) == Action(action, arg)


def test_case_and_unknown_names():
    assert parse_action("@@complete") == Action("complete_step")
    assert parse_action("@@CARTON:m") == Action("carton", "M")
    assert parse_action("@@CARTON:XXL") is None
    assert parse_action("@@NOPE") is None
    assert parse_action("4006381333931") is None


@given(st.text())
def test_never_raises(text):
    parse_action(text)
    parse_action("@@" + text)


def test_every_action_barcode_has_its_own_words_without_an_error_in_the_log(caplog):
    """Each action's verdict message formats on its own (no "cannot format" line for a missing field)."""
    import logging

    from app.barcodes import normalise
    from app.scans import RawScan
    from app.verdicts import VerdictKind
    from app.verifier import verify

    for action in ACTIONS.values():
        with caplog.at_level(logging.ERROR):
            v = verify(normalise(RawScan(barcode(action), source="test")), None, today=dt.date(2026, 12, 3))
            en, zh = v.message("en"), v.message("zh_CN")
        assert v.kind == VerdictKind.ACTION and v.action == action
        assert en and zh and "action_" not in en and "action_" not in zh and "{" not in en + zh
    assert not [r for r in caplog.records if "cannot format" in r.getMessage() or "has no field" in r.getMessage()
                or "no such message" in r.getMessage()]
