"""Action barcodes: one vocabulary, every barcode parses back to its action, garbage is no action."""

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
