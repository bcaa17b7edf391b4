"""Learning that names a detail of its case is withheld from regional learning and flagged on the
review's page (docs/domain.md §8)."""

from __future__ import annotations

from datetime import date

from panel.core.access import SYSTEM
from panel.core.db import transaction
from panel.learning import case_detail, findings, overview
from panel.learning import service as learning
from panel.models import Finding, Recommendation, Referral, Review
from panel.screening import decisions
from panel.themes import service as theme_service
from tests.apptest import signed_in, texts
from tests.conftest import TODAY
from tests.factories import REVIEWS_P, TEXTS, accepted, actor, build, decision_form, empty_nb


def test_regional_learning_withholds_text_naming_its_case_and_the_review_page_flags_it(db):
    d = build()
    with transaction() as s:
        s.get(Finding, d["F1"]).text = "A.B. was not seen alone; the child's experience was not considered."
        s.get(Referral, s.get(Review, d["R2"]).referral_id).child_dob = date(2023, 3, 14)
        s.get(Recommendation, d["Rec1"]).text = "Police should share incidents such as 14/03/2023 with schools."
    df, total = learning.regional_learning(d["regional"])
    assert total == 7
    texts_ = list(df["text"])
    assert texts_.count(case_detail.WITHHELD) == 2  # F1 (initials) and Rec1 (date of birth), nothing else
    assert not any("A.B." in t or "14/03/2023" in t for t in texts_)
    assert {TEXTS["F2"], TEXTS["F3"], TEXTS["F4"], TEXTS["QF1"], TEXTS["Rec2"]} <= set(texts_)
    mine = overview.learning_of(d["chair"], review_reference=REVIEWS_P["R2"][0])
    assert [f.names_case_detail for f in mine.findings] == [True]
    assert [r.names_case_detail for r in mine.recommendations] == [True]
    clean = overview.learning_of(d["chair"], review_reference=REVIEWS_P["R3"][0])
    assert not any(f.names_case_detail for f in clean.findings + clean.recommendations)


def test_the_review_page_shows_the_flag_on_a_finding_naming_the_child(db):
    empty_nb()
    theme_service.seed_defaults(SYSTEM)
    did = decisions.record_decision(actor("member"), accepted(), decision_form("lcspr"), TODAY)
    ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    findings.add_finding(actor("member"), "DQ was not seen alone at any health visit.", TODAY,
                         review_reference=ref, today=TODAY)
    shown = texts(signed_in("manager", "pages/review.py", query={"ref": ref}))
    assert "it will not be shared regionally until reworded" in shown
