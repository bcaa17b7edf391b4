"""Learning that names a detail of its case is withheld from regional learning and flagged on the
review's page (docs/domain.md §8)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import transaction
from panel.learning import case_detail, findings, overview, regional
from panel.learning import service as learning
from panel.models import Finding, Recommendation, Referral, Review
from panel.screening import decisions
from panel.themes import service as theme_service
from tests.apptest import signed_in, texts
from tests.conftest import TODAY
from tests.factories import REVIEWS_P, TEXTS, accepted, actor, build, decision_form, empty_nb

ROOT = Path(__file__).resolve().parent.parent


def test_regional_learning_withholds_text_naming_its_case_and_the_review_page_flags_it(db):
    d = build()
    with transaction() as s:
        s.get(Finding, d["F1"]).text = "A.B. was not seen alone; the child's experience was not considered."
        s.get(Referral, s.get(Review, d["R2"]).referral_id).child_dob = date(2023, 3, 14)
        s.get(Recommendation, d["Rec1"]).text = "Police should share incidents such as 14/03/2023 with schools."
    df, total, capped = learning.regional_learning(d["regional"])
    assert total == 7
    assert not capped
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


# -- searching shared learning: a withheld row is never a match ----------------------------------

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima"]


def _zebra_findings(d) -> list[str]:
    """Twelve findings of review R2 (child AB) matching "zebra", one a day from 1 January 2025,
    every third (alpha, delta, golf, juliet) naming the child; the texts rank equally, so a search
    lists them newest first. Returns the texts a regional search may show, in that order."""
    shown = []
    with transaction() as s:
        pid = s.get(Review, d["R2"]).partnership_id
        for i, word in enumerate(WORDS):
            text = f"Zebra crossing {'A.B.' if i % 3 == 0 else 'X.Y.'} note {word}."
            s.add(Finding(partnership_id=pid, review_id=d["R2"], source_kind="review",
                          recorded_on=date(2025, 1, 1 + i), text=text))
            if i % 3:
                shown.append(text)
    return shown[::-1]


def test_a_regional_search_never_returns_or_counts_a_withheld_row(db):
    d = build()
    with transaction() as s:
        s.get(Finding, d["F1"]).text = "A.B.'s domestic abuse was seen as an adult issue."
    df, total, capped = learning.regional_learning(d["regional"], query="seen adult issue")
    assert (df.empty, total, capped) == (True, 0, False)  # only F1 matched, and it names the child
    df, total, capped = learning.regional_learning(d["regional"], query="domestic abuse")
    assert total == 2 and not capped
    assert set(df["text"]) == {TEXTS["QF1"], TEXTS["Rec1"]}
    listed, n, _ = learning.regional_learning(d["regional"])  # listing, not searching: still shown withheld
    assert n == 7 and list(listed["text"]).count(case_detail.WITHHELD) == 1


def test_a_regional_search_pages_through_the_rows_it_may_show(db, monkeypatch):
    d = build()
    shown = _zebra_findings(d)
    monkeypatch.setattr(regional, "SEARCH_BATCH", 5)  # pages cross batches
    for offset, limit in ((0, 100), (0, 3), (2, 3), (4, 4), (6, 5), (8, 5)):
        df, total, capped = learning.regional_learning(d["regional"], query="zebra", limit=limit, offset=offset)
        assert (total, capped) == (8, False)
        assert list(df["text"]) == shown[offset:offset + limit]


def test_a_regional_search_stops_at_the_cap_and_says_so(db, monkeypatch):
    d = build()
    shown = _zebra_findings(d)
    monkeypatch.setattr(regional, "SEARCH_BATCH", 4)
    monkeypatch.setattr(regional, "SEARCH_CAP", 6)  # lima..golf scanned: lima, kilo, india, hotel shown
    df, total, capped = learning.regional_learning(d["regional"], query="zebra")
    assert (total, capped, list(df["text"])) == (4, True, shown[:4])
    df, total, capped = learning.regional_learning(d["regional"], query="zebra", offset=3, limit=10)
    assert (total, capped, list(df["text"])) == (4, True, shown[3:4])
    monkeypatch.setattr(regional, "SEARCH_CAP", 12)  # exactly every match: nothing left unscanned
    df, total, capped = learning.regional_learning(d["regional"], query="zebra")
    assert (total, capped, list(df["text"])) == (8, False, shown)


def test_the_explorer_says_when_a_regional_search_stopped_at_the_cap(learning_db, monkeypatch):
    for where in (regional, learning):
        monkeypatch.setattr(where, "SEARCH_CAP", 3)
    monkeypatch.setattr(regional, "SEARCH_BATCH", 2)
    at = AppTest.from_file(str(ROOT / "pages" / "explorer.py"), default_timeout=60)
    at.session_state["actor"] = accounts.actor_for("regional")
    at.run()
    at.text_input(key="lx_r_query").input("school*").run()
    assert not at.exception, at.exception
    said = [m.value for m in at.markdown if "refine your search" in m.value]
    assert len(said) == 1 and "in the first 3 matches for “school\\*”; there are more" in said[0], said
