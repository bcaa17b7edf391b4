"""The review page, the tracker and the referral page through AppTest, from an empty partnership:
a rapid review's LCSPR decision and the link it makes (docs/domain.md §6.3)."""

from __future__ import annotations

from datetime import date

import pytest

from panel.screening import decisions
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.apptest import press, shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, decision_form, empty_nb, review_row

DECIDED = date(2026, 11, 20)


@pytest.fixture
def nb(db):
    return empty_nb()


def rapid_review() -> tuple[str, str]:
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(decided_on=DECIDED), TODAY)
    return ref, decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def labelled(widgets, label):
    return next(w for w in widgets if w.label == label)


def links(at) -> list[str]:
    return [shown(p.label) for p in at.page_link]


def test_an_lcspr_decision_on_the_page_opens_the_lcspr_and_links_both_ways(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    assert labelled(at.date_input, "Decision made on").value == TODAY
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("yes")
    labelled(at.radio, "Decision").set_value("lcspr")
    press(at, "Save the rapid review outcome")
    lcspr = f"{ref}-R2"
    assert review_row(lcspr).started_on == TODAY
    assert f"LCSPR: {lcspr}" in links(at)
    back = signed_in("member", "pages/review.py", query={"ref": lcspr})
    assert f"Started by rapid review {rapid}" in links(back)
    assert "Local Child Safeguarding Practice Review" in texts(back)
    referral = signed_in("member", "pages/referral.py", query={"ref": ref})
    assert f"Review {rapid} (open) · LCSPR {lcspr}" in links(referral)
    assert f"Review {lcspr} (open) · started by rapid review {rapid}" in links(referral)


def test_a_refused_change_of_decision_is_shown_beside_the_decision(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("no")
    labelled(at.radio, "Decision").set_value("lcspr")
    press(at, "Save the rapid review outcome")
    labelled(at.radio, "Decision").set_value("no_lcspr")
    press(at, "Save the rapid review outcome")
    assert any(f"The LCSPR {ref}-R2 was opened from this decision" in shown(e.value) for e in at.error)
    assert review_row(rapid).lcspr_decision == "lcspr"


def test_the_tracker_shows_the_linked_review(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("yes")
    labelled(at.radio, "Decision").set_value("lcspr")
    press(at, "Save the rapid review outcome")
    tracker = signed_in("manager", "pages/tracker.py")
    df = next(d.value for d in tracker.dataframe if "linked" in d.value.columns)
    assert dict(zip(df["reference"], df["linked"], strict=True)) == {rapid: f"{ref}-R2", f"{ref}-R2": rapid}
