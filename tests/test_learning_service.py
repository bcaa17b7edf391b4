"""Learning records and the explorer's service: counts worked out by hand on a small dataset,
full-text search (FTS5 and the LIKE fallback) with hostile input, partnership walls, the
anonymised regional view, and the demo's learning (deterministic, with a recurring theme).

`build()` (tests/factories.py) makes the dataset; `learning_db` (tests/conftest.py) is a demo
database with the demo's learning added once per run, then copied."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func
from sqlalchemy import text as sql_text
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import get_engine, read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.demo import small as demo
from panel.learning import service as learning
from panel.models import (
    Action,
    ActionNote,
    AuditEvent,
    Finding,
    LearningSource,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Referral,
    ThemeTag,
)
from panel.themes import recurrence as theme_recurrence
from panel.themes import tags as theme_tags
from tests.conftest import ON_PG, TODAY, add_demo_learning
from tests.factories import TEXTS, build, names_of


def rows(df, *cols):
    return sorted(tuple(r) for r in df[list(cols)].itertuples(index=False))


# -- counts ---------------------------------------------------------------------------------------

def test_theme_counts_by_year_type_agency_and_pairs(db):
    d = build()
    f = learning.LearningFilter()
    assert rows(learning.theme_by_year(d["chair"], f), *learning.YEAR_COLUMNS) == sorted([
        ("domestic abuse", 2024, 1, 1, 2, 1),   # F1, Rec1 (review R2)
        ("neglect", 2024, 1, 0, 1, 1),          # F1
        ("online harm", 2024, 1, 0, 1, 1),      # F2 (review R4)
        ("sudden unexpected death in infancy", 2025, 1, 0, 1, 0),  # F4: child death review, no review
        ("domestic abuse", 2026, 0, 1, 1, 1),   # Rec2 (review R3)
        ("neglect", 2026, 1, 1, 2, 1),          # F3, Rec2
    ])
    rapid, lcspr = d["type_names"]["rapid_review"], d["type_names"]["lcspr"]
    assert rows(learning.theme_by_review_type(d["chair"], f), *learning.TYPE_COLUMNS) == sorted([
        ("domestic abuse", rapid, 2), ("domestic abuse", lcspr, 1), ("neglect", rapid, 1), ("neglect", lcspr, 2),
        ("online harm", rapid, 1), ("sudden unexpected death in infancy", "Child death review learning", 1)])
    assert rows(learning.theme_by_agency(d["chair"], f), *learning.AGENCY_COLUMNS) == sorted([
        ("domestic abuse", "Police", 2), ("domestic abuse", "Children's social care", 1), ("neglect", "Police", 1)])
    assert rows(learning.cooccurrence(d["chair"], f), *learning.PAIR_COLUMNS) == [("domestic abuse", "neglect", 2)]
    t = learning.totals(d["chair"], f, TODAY)
    assert (t.findings, t.recommendations, t.actions, t.actions_closed, t.actions_overdue) == (4, 2, 3, 1, 1)
    assert learning.years(d["chair"]) == [2024, 2025, 2026]


def test_counts_with_filters_and_at_the_national_level(db):
    d = build()
    recent = learning.LearningFilter(year_from=2025, year_to=2026)
    assert {(r.theme, r.year) for r in learning.theme_by_year(d["chair"], recent).itertuples()} == {
        ("sudden unexpected death in infancy", 2025), ("domestic abuse", 2026), ("neglect", 2026)}
    police = learning.LearningFilter(agency_id=d["police"])  # Rec1, Rec2 and their findings F1, F3
    assert rows(learning.theme_by_year(d["chair"], police), "theme", "year", "items") == sorted([
        ("domestic abuse", 2024, 2), ("neglect", 2024, 1), ("domestic abuse", 2026, 1), ("neglect", 2026, 2)])
    national = learning.LearningFilter(level="national")  # DA -> risk assessment; neglect -> child's voice
    by_year = learning.theme_by_year(d["chair"], national)
    assert ("risk assessment", 2024, 2) in rows(by_year, "theme", "year", "items")
    assert rows(learning.cooccurrence(d["chair"], national), *learning.PAIR_COLUMNS) == [
        ("risk assessment", "the child's voice and lived experience", 2)]


def test_list_by_theme_newest_first_and_paged(db):
    d = build()
    f = learning.LearningFilter()
    df, total = learning.learning_list(d["chair"], f, theme="domestic abuse")
    assert total == 3
    assert list(zip(df["kind"], df["id"], strict=True)) == [
        ("recommendation", d["Rec2"]), ("recommendation", d["Rec1"]), ("finding", d["F1"])]
    assert df.iloc[1]["agencies"] == "Children's social care, Police"
    assert df.iloc[1]["follow_up"] == "1 of 2 actions closed with evidence of impact"
    assert df.iloc[2]["source"] == "TT-2024-001-R1" and df.iloc[2]["themes"] == "domestic abuse, neglect"
    national, _ = learning.learning_list(d["chair"], learning.LearningFilter(level="national"), theme="risk assessment")
    assert set(national["id"]) == set(df["id"])
    page1, total1 = learning.learning_list(d["chair"], f, theme="domestic abuse", limit=2)
    page2, _ = learning.learning_list(d["chair"], f, theme="domestic abuse", limit=2, offset=2)
    assert total1 == 3 and len(page1) == 2 and list(page2["id"]) == [d["F1"]]
    cdr, _ = learning.learning_list(d["chair"], f, theme="sudden unexpected death in infancy")
    assert cdr.iloc[0]["source"] == "CDOP learning 2025" and cdr.iloc[0]["review_type"] == "Child death review learning"


# -- search ---------------------------------------------------------------------------------------

def found(actor, query) -> set[tuple[str, str]]:
    df, total = learning.search(actor, query)
    assert total == len(df)
    return set(zip(df["kind"], df["id"], strict=True))


def drop_fts_triggers():
    with transaction() as s:
        s.exec(sql_text("DROP TRIGGER finding_fts_ai"))


# SQLite searches with FTS5, or with LIKE when FTS5 is missing; PostgreSQL with its full-text search.
@pytest.mark.parametrize("mode", ["postgresql"] if ON_PG else ["fts5", "like"])
def test_search_with_hostile_text_never_raises_and_finds_the_right_rows(db, mode):
    d = build()
    if mode == "like":
        drop_fts_triggers()  # the service notices and searches with LIKE
    with read_session() as s:
        assert learning.search_mode(s) == mode
    chair = d["chair"]
    f1, f2, rec1, rec2, a1 = (("finding", d["F1"]), ("finding", d["F2"]), ("recommendation", d["Rec1"]),
                              ("recommendation", d["Rec2"]), ("action", d["A1"]))
    assert found(chair, '"domestic abuse') == {f1, rec1}  # unbalanced quote; QF1 is behind the wall
    assert found(chair, "domestic abuse") == {f1, rec1}
    assert found(chair, "NEAR(") == {f2}
    assert found(chair, "col:val") == {f2}
    assert found(chair, "bully") == {f2}
    assert found(chair, "encompass") == {a1}
    assert found(chair, "90%") == {a1}  # evidence of impact is searched
    assert rec2 in found(chair, "-x")  # "x" (LIKE also finds it inside words such as "experience")
    if mode == "fts5":
        assert found(chair, "-x") == {rec2}
    for query in ['"', "*", "", "   ", "()", ":", "-", '""']:
        assert found(chair, query) == set()
    for query in ["a OR", "NEAR(a b, 3)", "x AND", "NOT neglect", "'; DROP TABLE finding; --", "%", "_", "\\",
                  "domestic) (abuse", "{col}: x", "^neglect", "neglect*"]:
        df, _ = learning.search(chair, query)  # never raises
        terms = [t for t in re.findall(r"\w+", query.lower().replace("_", " "))]
        if mode == "postgresql":  # English stop words ("and", "or", "not") are not searched for
            with read_session() as s:
                terms = [t for t in terms if s.exec(sql_text("select numnode(plainto_tsquery('english', :t))")
                                                    .bindparams(t=t)).one()[0]]
        for kind, item_id in zip(df["kind"], df["id"], strict=True):
            with read_session() as s:
                model = {"finding": Finding, "recommendation": Recommendation, "action": Action}[kind]
                row = s.get(model, int(item_id))
                haystack = " ".join(str(v or "") for v in (row.text, getattr(row, "evidence_of_impact", ""),
                                                            getattr(row, "source_title", ""),
                                                            getattr(row, "owner_name", ""))).lower()
            assert all(t in haystack for t in terms), (query, kind, item_id)
    assert found(chair, "neglect*") >= {("finding", d["F3"]), rec2}


def test_search_index_follows_edits(db):
    d = build()
    learning.edit_finding(d["chair"], d["F3"], expected_version=1, text="Neglect: the dentist was the first to notice.",
                          today=TODAY)
    assert found(d["chair"], "dentist") == {("finding", d["F3"])}
    assert found(d["chair"], "syndrome") == set()
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "finding_edit")).one().entity_id == d["F3"]


def test_search_and_list_with_text_and_theme_together(db):
    d = build()
    df, total = learning.learning_list(d["chair"], learning.LearningFilter(), theme="neglect", query="tool",
                                       include_actions=True)
    assert set(zip(df["kind"], df["id"], strict=True)) == {("recommendation", d["Rec2"]), ("action", d["A2"])}
    action_row = df[df["kind"] == "action"].iloc[0]
    assert action_row["agencies"] == "Children's social care" and "Open; due Mon 1 Mar 2027" in action_row["follow_up"]


# -- walls and the regional view ------------------------------------------------------------------

def test_partnership_walls(db):
    d = build()
    other, referrer = d["other_chair"], d["referrer"]
    df, total = learning.learning_list(other, learning.LearningFilter())
    assert list(df["id"]) == [d["QF1"]] and total == 1
    assert found(other, "domestic abuse") == {("finding", d["QF1"])}
    # Asking for another partnership's id is simply ignored.
    df, _ = learning.learning_list(other, learning.LearningFilter(partnership_ids=[d["P"]]))
    assert df.empty
    assert learning.theme_by_year(referrer, learning.LearningFilter()).empty
    assert learning.search(referrer, "domestic")[1] == 0
    with pytest.raises(NotFound):
        learning.recommendation_detail(other, d["Rec1"])
    with pytest.raises(NotFound):
        learning.add_finding(other, "A finding about another partnership's review.", TODAY,
                             review_reference="TT-2024-001-R1", today=TODAY)
    with pytest.raises(NotFound):
        learning.add_recommendation(referrer, "A recommendation from a referrer.", TODAY, [d["police"]],
                                    finding_id=d["F1"], today=TODAY)
    with pytest.raises(NotFound):
        learning.edit_finding(other, d["F1"], expected_version=1, text="Changed by the wrong partnership.", today=TODAY)


def test_regional_view_is_anonymised(db):
    d = build()
    df, total, _ = learning.regional_learning(d["regional"])
    assert list(df.columns) == learning.REGIONAL_COLUMNS == ["partnership", "year", "review_type", "kind", "themes", "text"]
    assert total == 7  # every partnership: 5 findings and 2 recommendations
    assert set(df["partnership"]) == {"Testshire Partnership", "Quayside Partnership"}
    child_or_case = {"reference", "referral", "referral_id", "review_id", "child_initials", "child_dob",
                     "child_age_years", "child_sex", "child_ethnicity", "incident_summary", "source", "id"}
    assert not child_or_case & set(df.columns)
    assert not df.astype(str).apply(lambda c: c.str.contains(r"[A-Z]{2}-\d{4}-\d{3}")).any().any()
    cdr = df[df["text"] == TEXTS["F4"]].iloc[0]
    assert cdr["review_type"] == "Child death review learning"  # not the source's own title
    da, n, _ = learning.regional_learning(d["regional"], theme="domestic abuse", query="police")
    assert n == 2 and set(da["partnership"]) == {"Testshire Partnership", "Quayside Partnership"}
    counts = learning.regional_theme_counts(d["regional"])
    assert list(counts.columns) == learning.REGIONAL_COUNT_COLUMNS
    assert ("Quayside Partnership", "domestic abuse", 1) in rows(counts, *learning.REGIONAL_COUNT_COLUMNS)
    for actor in (d["chair"], d["other_chair"]):
        with pytest.raises(PermissionDenied):
            learning.regional_learning(actor)
        with pytest.raises(PermissionDenied):
            learning.regional_theme_counts(actor)


# -- writing --------------------------------------------------------------------------------------

def test_add_finding_and_recommendation_with_validation_and_audit(db):
    d = build()
    chair = d["chair"]
    with pytest.raises(ValidationFailed) as e:
        learning.add_finding(chair, "short", date(2027, 1, 1), review_reference="TT-2024-001-R1", today=TODAY)
    assert set(e.value.errors) == {"text", "recorded_on"}
    with pytest.raises(ValidationFailed) as e:  # neither a review nor a learning source
        learning.add_finding(chair, "Learning from a case file audit of neglect.", TODAY, today=TODAY)
    assert set(e.value.errors) == {"owner"}
    with pytest.raises(NotFound):
        learning.add_finding(chair, "Learning from a case file audit of neglect.", TODAY, source_id=10**6, today=TODAY)
    fid = learning.add_finding(chair, "Health visitors did not see the father at any contact.", TODAY,
                               review_reference="tt-2024-001-r1", theme_ids=[d["theme"]["\"invisible\" men and fathers"]],
                               today=TODAY)
    with pytest.raises(ValidationFailed) as e:
        learning.add_recommendation(chair, "Ask about fathers at every contact.", TODAY, [], finding_id=fid, today=TODAY)
    assert "agency_ids" in e.value.errors
    rid = learning.add_recommendation(chair, "Ask about fathers at every contact.", TODAY, [d["csc"]], finding_id=fid,
                                      today=TODAY)
    assert set(theme_tags.tags_of(chair, "recommendation", rid).values()) == {"\"invisible\" men and fathers"}
    learning.edit_recommendation(chair, rid, expected_version=1, agency_ids=[d["csc"], d["police"]],
                                 theme_ids=[d["theme"]["whole-family assessment"]], today=TODAY)
    detail = learning.recommendation_detail(chair, rid)
    assert detail.agencies == ["Children's social care", "Police"] and detail.themes == ["whole-family assessment"]
    assert detail.source == "TT-2024-001-R1" and detail.can_edit
    with read_session() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"finding_add", "recommendation_add", "recommendation_edit", "theme_tags"} <= set(actions)
    with transaction() as s:
        audit_2026 = LearningSource(partnership_id=d["P"], kind="case_file_audit", title="Inter-agency audit 2026")
        s.add(audit_2026)
    other = learning.add_finding(chair, "Schools did not know the bruising protocol.", TODAY, source_id=audit_2026.id,
                                 today=TODAY)
    assert found(chair, "bruising protocol") == {("finding", other)}


def test_recommendation_detail_lists_actions_with_evidence(db):
    d = build()
    detail = learning.recommendation_detail(d["chair"], d["Rec1"])
    assert [a["id"] for a in detail.actions] == [d["A1"], d["A3"]]  # by due date
    assert detail.actions[0]["status"] == "Closed" and "90%" in detail.actions[0]["evidence_of_impact"]
    assert detail.finding == TEXTS["F1"]


# -- the demo's learning ----------------------------------------------------------------------------

def _snapshot() -> list:
    with read_session() as s:
        return [
            [(f.partnership_id, f.review_id, f.source_kind, f.source_title, f.recorded_on, f.text)
             for f in s.exec(select(Finding).order_by(Finding.id))],
            [(r.finding_id, r.review_id, r.recorded_on, r.text) for r in s.exec(select(Recommendation).order_by(Recommendation.id))],
            [tuple(x) for x in s.exec(select(RecommendationAgency.recommendation_id, RecommendationAgency.agency_id)
                                      .order_by(RecommendationAgency.recommendation_id, RecommendationAgency.agency_id))],
            [(a.recommendation_id, a.owner_agency_id, a.owner_name, a.owner_email, a.text, a.due_on, a.status,
              a.evidence_of_impact, a.closed_on, a.closed_by_id) for a in s.exec(select(Action).order_by(Action.id))],
            [(n.action_id, n.at, n.by_id, n.text) for n in s.exec(select(ActionNote).order_by(ActionNote.id))],
            [(t.theme_id, t.entity, t.entity_id) for t in s.exec(select(ThemeTag).order_by(ThemeTag.id))],
        ]


def test_demo_learning_is_deterministic(tmp_path, another_db):
    """Two demo loads with their learning (added by the loader, or here when the loader does
    not yet) are identical, row for row."""
    snaps = []
    for name in ("one", "two"):
        another_db(tmp_path / name)
        loaded = demo.load(today=TODAY)
        added = add_demo_learning(seed=7)
        snaps.append((added or {k: loaded[k] for k in ("findings", "recommendations", "actions")}, _snapshot()))
        get_engine().dispose()
    assert snaps[0] == snaps[1]
    counts = snaps[0][0]
    assert counts["findings"] > 100 and counts["actions"] > counts["recommendations"] > counts["findings"]


def test_demo_learning_has_a_recurring_theme_in_northbrook(learning_db):
    chair = accounts.actor_for("chair")
    nb = chair.partnerships_with("learning.read")[0]
    recurring = {t.name: t for t in theme_recurrence.recurring_themes(chair, nb, TODAY)}
    assert "domestic abuse" in recurring and recurring["domestic abuse"].reviews >= 3
    da = recurring["domestic abuse"]
    # Reviews are cited by reference (NB's only); the demo's case file audit is one more source.
    assert da.sources == 1 and "Inter-agency case file audit: neglect (2025)" in da.references
    assert sum(ref.startswith("NB-") for ref in da.references) == da.reviews == len(da.references) - 1
    with read_session() as s:
        live = list(s.exec(select(Referral.reference).where(Referral.partnership_id == nb, Referral.status == "accepted")))
    flagged = [ref for ref in live
               if "domestic abuse" in names_of(theme_recurrence.referral_recurring_themes(chair, ref, TODAY))]
    assert len(flagged) >= 2


def test_demo_learning_is_realistic(learning_db):
    with read_session() as s:
        actions = list(s.exec(select(Action)))
        findings = list(s.exec(select(Finding)))
        codes = {p.id: p.code for p in s.exec(select(Partnership))}
        recs_per_finding = dict(s.exec(select(Recommendation.finding_id, func.count())
                                       .group_by(Recommendation.finding_id)).all())
        acts_per_rec = dict(s.exec(select(Action.recommendation_id, func.count()).group_by(Action.recommendation_id)).all())
    assert {a.status for a in actions} == {"open", "in_progress", "completed", "closed"}
    closed = [a for a in actions if a.status == "closed"]
    assert all(a.evidence_of_impact and a.closed_on and a.closed_on <= TODAY for a in closed)
    assert all(a.evidence_of_impact is None and a.closed_on is None for a in actions if a.status != "closed")
    assert any(a.status != "closed" and a.due_on < TODAY for a in actions)  # overdue ones
    assert all(a.owner_email.endswith("@example.org") for a in actions)
    assert set(recs_per_finding.values()) <= {1, 2, 3} and set(acts_per_rec.values()) <= {1, 2, 3}
    for code in codes.values():  # learning from other sources in every partnership
        kinds = {f.source_kind for f in findings if codes[f.partnership_id] == code}
        assert {"review", "child_death_review", "case_file_audit"} <= kinds
    assert all(f.recorded_on <= TODAY for f in findings)
    # Shared learning works on the demo and carries no references.
    df, total, _ = learning.regional_learning(accounts.actor_for("regional"), theme="domestic abuse")
    assert total > 0 and set(df["partnership"]) >= {"Northbrook Safeguarding Children Partnership"}
    with pytest.raises(PermissionDenied):
        learning.regional_learning(accounts.actor_for("chair"))
