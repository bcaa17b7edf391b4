"""The theme taxonomy, the recurring-theme rule, search-text sanitising, and the theme service:
seeding, add, rename, merge (refused when it would lose tags), tags and recurring themes."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.models import AuditEvent, Theme, ThemeTag
from panel.themes import recurrence as theme_recurrence
from panel.themes import rules
from panel.themes import service as svc
from panel.themes import tags as theme_tags
from tests.factories import build, names_of

AS_OF = date(2026, 11, 23)


# -- the default taxonomy -----------------------------------------------------------------------

def test_default_taxonomy_has_the_national_list_and_the_bracknell_forest_themes():
    national = [t.name for t in rules.DEFAULT_THEMES if t.kind == "national"]
    local = {t.name: t.national for t in rules.DEFAULT_THEMES if t.kind == "local"}
    assert len(national) == 24  # the national themes of docs/domain.md §7.2
    for name in ("information sharing", "professional curiosity", "\"invisible\" men and fathers",
                 "non-accidental injury in babies", "transitions between areas", "parental mental health"):
        assert name in national
    for name in ("domestic abuse", "neglect", "missing children", "child sexual exploitation", "private fostering",
                 "workforce caseloads and vacancies", "safeguarding training", "homeless children and families"):
        assert name in local
    assert local["bruising protocol / injuries in young children"] == "non-accidental injury in babies"
    assert local["homeless families and moves across borders"] == "transitions between areas"
    assert all(n in national for n in local.values())  # every local theme maps to a national one
    lowered = [t.name.lower() for t in rules.DEFAULT_THEMES]
    assert len(lowered) == len(set(lowered))
    assert all(not rules.theme_name_problem(t.name) for t in rules.DEFAULT_THEMES)


# -- the recurring rule, on a dataset worked out here -------------------------------------------

def test_recurring_needs_three_distinct_reviews_in_the_three_years_to_as_of():
    start = date(2023, 11, 23)  # AS_OF minus 3 years, inclusive
    assert rules.window_start(AS_OF) == start
    rows = [
        # A: exactly 3 reviews, one on the first day of the window, one on as_of -> recurring
        ("A", 1, start), ("A", 2, date(2025, 1, 1)), ("A", 3, AS_OF),
        # B: the third review is one day outside the window -> 2 -> not recurring
        ("B", 1, date(2023, 11, 22)), ("B", 2, date(2025, 1, 1)), ("B", 3, date(2026, 1, 1)),
        # C: three tags but one review -> not recurring
        ("C", 4, date(2024, 1, 1)), ("C", 4, date(2024, 2, 1)), ("C", 4, date(2024, 3, 1)),
        # D: one date after as_of does not count; no review (other learning) does not count
        ("D", 1, date(2024, 1, 1)), ("D", 2, date(2025, 1, 1)), ("D", 5, date(2026, 11, 24)), ("D", None, AS_OF),
        # E: four reviews, one also tagged outside: a review counts if any of its dates is inside
        ("E", 6, date(2020, 1, 1)), ("E", 6, date(2024, 5, 5)), ("E", 7, AS_OF), ("E", 8, AS_OF), ("E", 9, start),
    ]
    assert rules.recurring(rows, AS_OF) == {"A", "E"}
    # One day earlier: A loses its review on AS_OF; B's first review comes into the window.
    assert rules.recurring(rows, date(2026, 11, 22)) == {"B"}
    assert rules.recurring([], AS_OF) == set()


def test_window_from_a_leap_day():
    assert rules.window_start(date(2028, 2, 29)) == date(2025, 2, 28)


# -- search text --------------------------------------------------------------------------------

HOSTILE = ['"', "*", "NEAR(", "a OR", "-x", "col:val", '"domestic abuse', "domestic) (abuse", "^start", "x AND",
           "NOT", "'; DROP TABLE finding; --", "%_\\", "", "   ", "NEAR(a b, 3)", '""', "a*b", "{col}: x", "é\u0301"]


def test_search_terms_keep_words_only():
    assert rules.search_terms('"domestic abuse') == ["domestic", "abuse"]
    assert rules.search_terms("col:val") == ["col", "val"]
    assert rules.search_terms("-x") == ["x"]
    assert rules.search_terms("NEAR(") == ["near"]
    assert rules.search_terms("a OR") == ["a", "or"]
    assert rules.search_terms('"') == [] and rules.search_terms("*") == []
    assert rules.search_terms("snake_case words Words") == ["snake", "case", "words"]
    assert len(rules.search_terms(" ".join(f"w{i}" for i in range(50)))) == rules.MAX_TERMS
    assert rules.fts5_query(["a", "or"]) == '"a"* "or"*'
    assert rules.fts5_query([]) == ""


def _fts_table():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
    con.executemany("INSERT INTO t(x) VALUES (?)", [("domestic abuse was not seen",), ("col val near here",),
                                                    ("a tool -x or other",)])
    return con


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_valid_fts5(query):
    con = _fts_table()
    q = rules.fts5_query(rules.search_terms(query))
    if q:
        con.execute("SELECT rowid FROM t WHERE t MATCH ?", (q,)).fetchall()


@given(st.text(max_size=80))
def test_any_text_makes_a_valid_fts5_query(text):
    con = _fts_table()
    q = rules.fts5_query(rules.search_terms(text))
    if q:
        con.execute("SELECT rowid FROM t WHERE t MATCH ?", (q,)).fetchall()


def test_theme_from_a_chart_selection():
    assert rules.theme_from_selection({"selection": {"p": [{"theme": "neglect"}]}}, "p") == "neglect"
    assert rules.theme_from_selection({"selection": {"p": {"theme": ["neglect"]}}}, "p") == "neglect"
    assert rules.theme_from_selection({"selection": {"p": []}}, "p") is None
    assert rules.theme_from_selection({"selection": {"p": {}}}, "p") is None
    assert rules.theme_from_selection(None, "p") is None


# -- the service --------------------------------------------------------------------------------

ADMIN = Actor(user_id=None, username="test-admin", name="Test admin", roles={1: frozenset({"admin"})})


def test_seed_is_idempotent_and_maps_local_themes(db):
    with transaction() as s:
        assert svc.seed_taxonomy(s) == len(rules.DEFAULT_THEMES)
    with transaction() as s:
        assert svc.seed_taxonomy(s) == 0
    with read_session() as s:
        themes = {t.name: t for t in s.exec(select(Theme))}
    assert themes["domestic abuse"].kind == "local"
    assert themes["domestic abuse"].national_id == themes["risk assessment"].id
    assert all(t.national_id for t in themes.values() if t.kind == "local")


def test_only_admins_change_the_taxonomy(db):
    data = build()
    chair = data["chair"]
    with pytest.raises(PermissionDenied):
        svc.add_theme(chair, "new theme", "national")
    with pytest.raises(PermissionDenied):
        svc.rename_theme(chair, data["theme"]["neglect"], "neglect and poverty")
    with pytest.raises(PermissionDenied):
        svc.merge_themes(chair, data["theme"]["neglect"], data["theme"]["online harm"])


def test_add_and_rename_keep_history(db):
    data = build()
    with pytest.raises(ValidationFailed) as e:
        svc.add_theme(ADMIN, "  Domestic   ABUSE ", "local", data["theme"]["risk assessment"])
    assert "already a theme" in e.value.errors["name"]
    with pytest.raises(ValidationFailed) as e:
        svc.add_theme(ADMIN, "county lines", "local")
    assert "national_id" in e.value.errors
    new = svc.add_theme(ADMIN, "county  lines", "local", data["theme"]["criminal exploitation"])
    assert svc.theme_names(ADMIN)[new] == "county lines"

    neglect = data["theme"]["neglect"]
    tags_before = theme_tags.tags_of(data["chair"], "finding", data["F1"])
    svc.rename_theme(ADMIN, neglect, "neglect (cumulative harm)")
    tags_after = theme_tags.tags_of(data["chair"], "finding", data["F1"])
    assert neglect in tags_after and tags_after[neglect] == "neglect (cumulative harm)"
    assert set(tags_before) == set(tags_after)
    with pytest.raises(ValidationFailed):
        svc.rename_theme(ADMIN, neglect, "online harm")  # taken: merge instead
    # Seeding again does not bring the old name back.
    with transaction() as s:
        assert svc.seed_taxonomy(s) == 0
    assert "neglect" not in svc.theme_names(ADMIN).values()
    with read_session() as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "theme_rename")).one()
    assert json.loads(ev.before)["name"] == "neglect" and ev.entity_id == neglect


def test_merge_is_refused_when_it_would_lose_tags_and_says_where(db):
    data = build()
    da, neglect = data["theme"]["domestic abuse"], data["theme"]["neglect"]
    with read_session() as s:
        before = sorted((t.theme_id, t.entity, t.entity_id) for t in s.exec(select(ThemeTag)))
    with pytest.raises(ValidationFailed) as e:
        svc.merge_themes(ADMIN, neglect, da)  # F1 and R-rec2 carry both
    msg = e.value.errors["target"]
    assert "Merging would lose tags" in msg and "“neglect”" in msg and "“domestic abuse”" in msg
    assert f"finding {data['F1']}" in msg and f"recommendation {data['Rec2']}" in msg
    assert "2 record(s)" in msg
    with read_session() as s:
        after = sorted((t.theme_id, t.entity, t.entity_id) for t in s.exec(select(ThemeTag)))
        assert s.get(Theme, neglect).active and s.get(Theme, neglect).merged_into_id is None
    assert before == after


def test_merge_moves_tags_and_keeps_the_old_theme(db):
    data = build()
    online, cse = data["theme"]["online harm"], data["theme"]["extrafamilial harm"]
    with read_session() as s:
        moved = sorted((t.entity, t.entity_id) for t in s.exec(select(ThemeTag).where(ThemeTag.theme_id == online)))
    assert moved
    assert svc.merge_themes(ADMIN, online, cse) == len(moved)
    with read_session() as s:
        old = s.get(Theme, online)
        assert (old.active, old.merged_into_id) == (False, cse)
        assert sorted((t.entity, t.entity_id) for t in s.exec(select(ThemeTag).where(ThemeTag.theme_id == cse))) == moved
        assert not s.exec(select(ThemeTag).where(ThemeTag.theme_id == online)).all()
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "theme_merge")).one()
    assert json.loads(ev.after)["tags_moved"] == [f"{e}:{i}" for e, i in moved]
    listed = svc.list_themes(ADMIN, include_inactive=True).set_index("name")
    assert listed.loc["online harm", "merged_into"] == "extrafamilial harm"
    assert "online harm" not in svc.theme_names(ADMIN).values()
    # The merged theme can be neither merged again nor used for new tags.
    with pytest.raises(ValidationFailed):
        svc.merge_themes(ADMIN, online, cse)
    with pytest.raises(ValidationFailed):
        theme_tags.tag(data["chair"], "finding", data["F1"], online)
    # Recurring themes follow the merge: online harm's reviews now count for the target.
    assert "extrafamilial harm" in names_of(theme_recurrence.recurring_themes(data["chair"], data["P"], AS_OF))


def test_merge_of_a_national_theme_remaps_its_local_themes(db):
    data = build()
    risk, info = data["theme"]["risk assessment"], data["theme"]["information sharing"]
    with pytest.raises(ValidationFailed) as e:
        svc.merge_themes(ADMIN, risk, data["theme"]["neglect"])
    assert "same kind" in e.value.errors["target"]
    svc.merge_themes(ADMIN, risk, info)
    with read_session() as s:
        assert s.get(Theme, data["theme"]["domestic abuse"]).national_id == info


def test_tags_need_learning_edit_in_the_partnership(db):
    data = build()
    chair, other = data["chair"], data["other_chair"]
    neglect = data["theme"]["neglect"]
    assert theme_tags.tag(chair, "finding", data["F2"], neglect) is True
    assert theme_tags.tag(chair, "finding", data["F2"], neglect) is False
    assert neglect in theme_tags.tags_of(chair, "finding", data["F2"])
    assert theme_tags.untag(chair, "finding", data["F2"], neglect) is True
    with pytest.raises(NotFound):
        theme_tags.tag(other, "finding", data["F2"], neglect)  # another partnership's finding
    with pytest.raises(NotFound):
        theme_tags.set_tags(other, "review", data["R2"], [neglect])
    with pytest.raises(NotFound):
        theme_tags.tags_of(data["referrer"], "finding", data["F2"])
    with pytest.raises(ValidationFailed):
        theme_tags.set_tags(chair, "child", 1, [neglect])
    added, removed = theme_tags.set_tags(chair, "referral", data["referral"], [data["theme"]["domestic abuse"], neglect])
    assert sorted(added) == ["domestic abuse", "neglect"] and removed == []
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "theme_tags", AuditEvent.entity == "referral")).all()


def test_recurring_themes_in_the_service(db):
    data = build()
    chair = data["chair"]
    # domestic abuse: R1 (review tag on the window's first day), F1 of R2, Rec2 of R3 -> 3 reviews.
    # online harm: R4 starts a day too early, but its finding F2 was recorded inside; R2, R3 -> 3.
    # neglect: R4's review tag is outside; F1 (R2), F3 and Rec2 (R3) -> 2 reviews: not recurring.
    found = theme_recurrence.recurring_themes(chair, data["P"], AS_OF)
    assert names_of(found) == {"domestic abuse", "online harm"}
    da = next(t for t in found if t.name == "domestic abuse")
    assert da.reviews == 3 and set(da.references) == {"TT-2023-001-R1", "TT-2024-001-R1", "TT-2026-001-R1"}
    assert da.window_from == date(2023, 11, 23)
    # A day earlier, R3, F3 and Rec2 are in the future and R4's review tag comes into the window.
    assert names_of(theme_recurrence.recurring_themes(chair, data["P"], date(2026, 11, 22))) == set()
    # Walls: Q's three neglect reviews make neglect recurring in Q only.
    assert names_of(theme_recurrence.recurring_themes(data["other_chair"], data["Q"], AS_OF)) == {"neglect"}
    with pytest.raises(NotFound):
        theme_recurrence.recurring_themes(data["other_chair"], data["P"], AS_OF)
    # The referral carries domestic abuse and neglect; only domestic abuse recurs.
    theme_tags.set_tags(chair, "referral", data["referral"], [data["theme"]["domestic abuse"], data["theme"]["neglect"]])
    flagged = theme_recurrence.referral_recurring_themes(chair, data["referral_ref"], AS_OF)
    assert names_of(flagged) == {"domestic abuse"}
    assert "Recurring theme: domestic abuse, in 3 reviews since Thu 23 Nov 2023" in flagged[0].message
    with pytest.raises(NotFound):
        theme_recurrence.referral_recurring_themes(data["other_chair"], data["referral_ref"], AS_OF)


def test_demo_users_see_the_taxonomy(learning_db):  # noqa: F811
    for username in ("chair", "member", "admin", "regional"):
        assert "domestic abuse" in svc.theme_names(accounts.actor_for(username)).values()
    with pytest.raises(PermissionDenied):
        svc.list_themes(accounts.actor_for("referrer"))

