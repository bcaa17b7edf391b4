"""One click to the next step: each page leads on to what its user does next."""

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState

from panel.referrals import service as referrals
from tests import factories
from tests.apptest import signed_in, texts
from tests.conftest import TODAY


def choose_row(at, key: str, row: int):
    """Choose row `row` of the table `key` with the pointer (AppTest has no way to), and run."""
    table = next(d for d in at.dataframe if d.key == key)
    states = at._tree.get_widget_states()
    ws = WidgetState(id=table.proto.id)
    ws.string_value = json.dumps({"selection": {"rows": [row], "columns": [], "cells": []}})
    states.widgets.append(ws)
    at._run(states)
    assert not at.exception, at.exception
    return at


def _queue(at):
    return next(d for d in at.dataframe if d.key == "queue_table").value


def test_choosing_a_queue_row_opens_that_referral(demo_db):
    at = signed_in("chair")
    ref = _queue(at).iloc[2]["reference"]
    choose_row(at, "queue_table", 2)
    assert at.query_params["ref"] == [ref] or at.query_params["ref"] == ref
    assert ref in texts(at)  # its heading
    assert "Open a referral" not in [s.label for s in at.selectbox]  # now on the referral page


def test_the_keyboard_picker_stays_beside_the_table(demo_db):
    at = signed_in("chair")
    assert "Open a referral" in [s.label for s in at.selectbox]
    assert "Open referral" in [b.label for b in at.button]


def test_a_referral_made_since_the_last_visit_is_marked_new(demo_db):
    at = signed_in("chair")  # the first visit: nothing to compare with
    assert set(_queue(at)["new"]) == {""}
    ref = referrals.submit(factories.actor("chair"), factories.nb_id(), factories.referral_form(), TODAY).reference
    again = signed_in("chair")  # a later visit, in a new session
    df = _queue(again)
    assert set(df.loc[df["new"] == "New", "reference"]) == {ref}
    assert "new since your last visit" in texts(again)
    assert any(" · New · " in o for o in again.selectbox(key="queue_open").options)
    # A third visit: the last visit is now after it was made.
    assert set(_queue(signed_in("chair"))["new"]) == {""}
