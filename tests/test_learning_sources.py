"""Learning sources beside reviews (docs/domain.md §7.1): the fields each kind records and the checks,
recording and changing a source (agencies, an audit's grades, the version), who may, the audit
trail; the explorer filtering learning by its source's kind; and recurring themes counting each
source once, as a review is counted. Every case starts from an empty partnership and
goes through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.learning import explore, findings, search, sources
from panel.learning.source_rules import SourceForm, check
from panel.models import AuditEvent, Finding, LearningSource, SourceAgency
from panel.screening import decisions
from panel.themes import recurrence
from panel.themes import service as theme_service
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb

MARCH = date(2026, 3, 2)


def audit_form(**kw) -> SourceForm:
    """An audit of the police and children's social care (looked up unless `agencies` is given)."""
    values = dict(kind="case_file_audit", title="Neglect: multi-agency case file audit", topic="Neglect of under-5s",
                  cases_sampled=12, started_on=MARCH, completed_on=MARCH + timedelta(days=30))
    values.update(kw)
    if "agencies" not in values:
        values["agencies"] = {agency_id("Police"): "good", agency_id("Children's social care"): "requires_improvement"}
    return SourceForm(**values)


def rules_form(**kw) -> SourceForm:
    """The same audit for the pure checks: made-up agency ids, no database."""
    return audit_form(**{"agencies": {1: "good", 2: "requires_improvement"}, **kw})


def errors_of(call) -> set[str]:
    with pytest.raises(ValidationFailed) as e:
        call()
    return set(e.value.errors)


def audited(action: str, entity: str = "learning_source") -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity == entity)
                           .order_by(AuditEvent.id)))


def theme(name: str) -> int:
    return next(i for i, n in theme_service.theme_names(SYSTEM).items() if n == name)


# -- the rules -------------------------------------------------------------------------------------

def test_each_kind_records_only_its_own_fields():
    ok = rules_form(agencies={1: "good", 2: None})
    assert check(ok, TODAY) == {}
    cdop = SourceForm(kind="child_death_review", title="CDOP learning: safer sleep", reference="CDOP/2026/014",
                      completed_on=MARCH, agencies={1: None})
    assert check(cdop, TODAY) == {}
    inspection = SourceForm(kind="inspection", title="JTAI: neglect", inspectorate="jtai", topic="Neglect",
                            started_on=MARCH, completed_on=MARCH)
    assert check(inspection, TODAY) == {}
    assert set(check(SourceForm(kind="inspection", title="Ofsted ILACS", completed_on=MARCH), TODAY)) == {"inspectorate"}
    assert set(check(SourceForm(kind="cpir", title="CPIR", completed_on=MARCH, inspectorate="cqc"), TODAY)) \
        == {"inspectorate"}
    # Grades and cases sampled belong to audits only; a section 11 self-audit is an audit.
    assert set(check(SourceForm(kind="local_learning_review", title="LLR", completed_on=MARCH,
                                agencies={1: "good"}, cases_sampled=3), TODAY)) == {"grades", "cases_sampled"}
    assert check(rules_form(kind="self_audit"), TODAY) == {}
    assert set(check(rules_form(agencies={1: "excellent"}), TODAY)) == {"grades"}
    assert set(check(rules_form(cases_sampled=0), TODAY)) == {"cases_sampled"}
    assert set(check(SourceForm(kind="gossip", title=" ", completed_on=MARCH), TODAY)) == {"kind", "title"}
    assert set(check(rules_form(title="x" * 201, reference="r" * 101, topic="t" * 2001), TODAY)) \
        == {"title", "reference", "topic"}


def test_dates_are_past_in_order_and_at_least_one_is_given():
    assert set(check(rules_form(started_on=None, completed_on=None), TODAY)) == {"completed_on"}
    assert check(rules_form(completed_on=None), TODAY) == {}  # still going on
    assert set(check(rules_form(completed_on=TODAY + timedelta(days=1)), TODAY)) == {"completed_on"}
    assert set(check(rules_form(started_on=TODAY + timedelta(days=1), completed_on=None), TODAY)) == {"started_on"}
    assert set(check(rules_form(completed_on=MARCH - timedelta(days=1)), TODAY)) == {"completed_on"}
    assert check(rules_form(completed_on=MARCH), TODAY) == {}  # the same day
    assert set(check(rules_form(started_on=date(1999, 12, 31)), TODAY)) == {"started_on"}


# -- recording and changing a source ---------------------------------------------------------------

def test_a_member_records_an_audit_with_its_agencies_and_grades_audited(db):
    pid = empty_nb()
    sid = sources.create_source(actor("member"), pid, audit_form(), TODAY)
    with read_session() as s:
        src = s.get(LearningSource, sid)
        grades = {a.agency_id: a.grade for a in s.exec(select(SourceAgency).where(SourceAgency.source_id == sid))}
    assert (src.kind, src.title, src.cases_sampled, src.partnership_id, src.version) == (
        "case_file_audit", "Neglect: multi-agency case file audit", 12, pid, 1)
    assert src.created_by_id == actor("member").user_id and src.reference is None
    assert grades == {agency_id("Police"): "good", agency_id("Children's social care"): "requires_improvement"}
    row = audited("create")[-1]
    assert (row.username, row.entity_id, row.partnership_id) == ("member", sid, pid)
    assert '"cases_sampled": 12' in row.after and '"requires_improvement"' in row.after
    v = sources.get_source(actor("chair"), sid)
    assert v.partnership_code == "NB" and v.can_edit and v.created_by == "Northbrook member"
    assert [(a["agency"], a["grade"]) for a in v.agencies] == [("Children's social care", "Requires improvement"),
                                                               ("Police", "Good")]
    assert (v.findings, v.recommendations) == (0, 0)
    assert v.form.agencies == {agency_id("Police"): "good", agency_id("Children's social care"): "requires_improvement"}
    assert [(r.username, r.entity_id) for r in audited("view")] == [("chair", sid)]
    sources.get_source(actor("chair"), sid, record_view=False)  # a rerun of the page: not a new view
    assert len(audited("view")) == 1


def test_a_source_is_refused_whole_when_anything_is_wrong(db):
    pid = empty_nb()
    member = actor("member")
    assert errors_of(lambda: sources.create_source(member, pid, audit_form(completed_on=TODAY + timedelta(days=1),
                                                                           inspectorate="ofsted"), TODAY)) \
        == {"completed_on", "inspectorate"}
    police = agency_id("Police")
    agency_service.set_active(SYSTEM, police, False)  # retired: no longer offered for new records
    assert errors_of(lambda: sources.create_source(member, pid, audit_form(), TODAY)) == {"agencies"}
    assert errors_of(lambda: sources.create_source(member, pid, audit_form(agencies={99999: None}), TODAY)) \
        == {"agencies"}
    with read_session() as s:
        assert not s.exec(select(LearningSource)).all() and not s.exec(select(SourceAgency)).all()
    assert not audited("create")


def test_who_may_read_and_record_sources(db):
    pid = empty_nb()
    accounts.create_user(SYSTEM, username="referrer", name="A referrer", email="r@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    other = create_partnership(SYSTEM, "WV", "Westvale Safeguarding Children Partnership")
    accounts.create_user(SYSTEM, username="chair.wv", name="Westvale chair", email="c@example.org",
                         password="a long test password", memberships=[("WV", "chair")])
    sid = sources.create_source(actor("manager"), pid, audit_form(), TODAY)
    for who in ("referrer", "chair.wv"):
        with pytest.raises(NotFound):
            sources.get_source(actor(who), sid)
        with pytest.raises(NotFound):
            sources.update_source(actor(who), sid, audit_form(title="Renamed"), 1, TODAY)
        assert sources.list_sources(actor(who)).empty
        assert sources.list_sources(actor(who), sources.SourceFilter(partnership_ids=[pid])).empty
    with pytest.raises(NotFound):
        sources.create_source(actor("chair.wv"), pid, audit_form(), TODAY)
    with pytest.raises(NotFound):
        sources.create_source(actor("referrer"), pid, audit_form(), TODAY)
    assert len(audited("not_found")) == 4  # each look-up of another's source is attributable
    # Westvale's chair records in Westvale only; Northbrook's never see it.
    theirs = sources.create_source(actor("chair.wv"), other, SourceForm(
        kind="inspection", title="Ofsted ILACS", inspectorate="ofsted", completed_on=MARCH), TODAY)
    assert list(sources.list_sources(actor("chair"))["id"]) == [sid]
    assert list(sources.list_sources(actor("chair.wv"))["id"]) == [theirs]
    with read_session() as s:
        assert s.get(LearningSource, sid).title == "Neglect: multi-agency case file audit"


def test_a_change_replaces_the_details_checks_the_version_and_audits_what_changed(db):
    pid = empty_nb()
    chair, member = actor("chair"), actor("member")
    sid = sources.create_source(chair, pid, audit_form(), TODAY)
    fid = findings.add_finding(member, "Chronologies were not shared before the strategy meeting.", MARCH,
                               source_id=sid, today=TODAY)
    police, csc = agency_id("Police"), agency_id("Children's social care")
    health = agency_id(next(n for n in agency_service.names(SYSTEM).values() if n not in ("Police",
                                                                                          "Children's social care")))
    agency_service.set_active(SYSTEM, police, False)  # named already: it may stay on the source
    changed = audit_form(title="Neglect audit, March 2026", agencies={police: "outstanding", health: None})
    sources.update_source(member, sid, changed, 1, TODAY)
    with pytest.raises(StaleEdit):
        sources.update_source(chair, sid, audit_form(title="Someone else's edit"), 1, TODAY)
    v = sources.get_source(chair, sid, record_view=False)
    assert (v.source.title, v.source.version) == ("Neglect audit, March 2026", 2)
    assert {a["agency_id"]: a["grade"] for a in v.agencies} == {police: "Outstanding", health: ""}
    row = audited("update")[-1]
    assert row.username == "member"
    assert '"title": "Neglect: multi-agency case file audit"' in row.before and '"topic"' not in row.before
    assert f'"{csc}": "requires_improvement"' in row.before and f'"{police}": "outstanding"' in row.after
    # The finding's copy of its source's kind and title follows the source.
    sources.update_source(member, sid, SourceForm(kind="local_learning_review", title="Learning review: neglect",
                                                  completed_on=MARCH), 2, TODAY)
    with read_session() as s:
        fi = s.get(Finding, fid)
        assert (fi.source_kind, fi.source_title) == ("local_learning_review", "Learning review: neglect")
        assert not s.exec(select(SourceAgency).where(SourceAgency.source_id == sid)).all()
    # A kind that grades no agency refuses grades rather than keeping them.
    assert errors_of(lambda: sources.update_source(member, sid, audit_form(kind="cpir"), 3, TODAY)) \
        == {"grades", "cases_sampled"}


def test_the_list_filters_by_kind_and_year_and_counts_each_sources_learning(db):
    pid = empty_nb()
    member = actor("member")
    older = sources.create_source(member, pid, audit_form(started_on=date(2024, 5, 1), completed_on=date(2024, 6, 1)),
                                  TODAY)
    running = sources.create_source(member, pid, SourceForm(kind="self_audit", title="Section 11 audit 2026",
                                                            started_on=MARCH), TODAY)
    cdop = sources.create_source(member, pid, SourceForm(kind="child_death_review", title="CDOP: safer sleep",
                                                         reference="CDOP/25/9", completed_on=date(2025, 9, 1)), TODAY)
    for text in ("Safer sleep advice was not repeated after the move.", "The health visitor did not see the cot."):
        findings.add_finding(member, text, date(2025, 9, 2), source_id=cdop, today=TODAY)
    df = sources.list_sources(member)
    assert list(df["id"]) == [running, cdop, older]  # newest first
    assert list(df.columns) == sources.LIST_COLUMNS
    row = df.set_index("id").loc[cdop]
    assert (row["kind"], row["year"], row["findings"], row["agencies"], row["reference"]) == (
        "child_death_review", 2025, 2, 0, "CDOP/25/9")
    assert df.set_index("id").loc[older]["agencies"] == 2
    assert list(sources.list_sources(member, sources.SourceFilter(kind="case_file_audit"))["id"]) == [older]
    assert list(sources.list_sources(member, sources.SourceFilter(year=2026))["id"]) == [running]  # by its start
    assert sources.list_sources(member, sources.SourceFilter(year=2026, kind="inspection")).empty
    assert sources.source_years(member) == [2026, 2025, 2024]


def test_a_source_moved_from_older_findings_counts_in_the_year_of_its_first_finding(db):
    """Migration 0016 made sources with no dates from findings that only named their source."""
    pid = empty_nb()
    with transaction() as s:
        src = LearningSource(partnership_id=pid, kind="cpir", title="CPIR 2023")
        s.add(src)
        s.flush()
        s.add(Finding(partnership_id=pid, source_id=src.id, source_kind="cpir", source_title="CPIR 2023",
                      recorded_on=date(2023, 4, 1), text="The escalation policy was not used."))
    assert list(sources.list_sources(actor("chair"))["year"]) == [2023]
    assert sources.source_years(actor("chair")) == [2023]


# -- the explorer, by source -----------------------------------------------------------------------

def new_review() -> str:
    """A rapid review of a new NB referral, through the services."""
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review"), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def test_the_explorer_filters_learning_by_the_kind_of_its_source(db):
    pid = empty_nb()
    theme_service.seed_defaults(SYSTEM)
    member = actor("member")
    neglect, da = theme("neglect"), theme("domestic abuse")
    review = new_review()
    findings.add_finding(member, "Agencies did not share the chronology.", TODAY, review_reference=review,
                         theme_ids=[da], today=TODAY)
    audit = sources.create_source(member, pid, audit_form(), TODAY)
    findings.add_finding(member, "Neglect was seen as episodes, not as a pattern.", MARCH, source_id=audit,
                         theme_ids=[neglect], today=TODAY)
    findings.add_finding(member, "Home conditions were described but not assessed.", MARCH, source_id=audit,
                         theme_ids=[neglect, da], today=TODAY)
    inspection = sources.create_source(member, pid, SourceForm(kind="inspection", title="JTAI: domestic abuse",
                                                               inspectorate="jtai", completed_on=MARCH), TODAY)
    findings.add_finding(member, "Police notifications to schools were late.", MARCH, source_id=inspection,
                         theme_ids=[da], today=TODAY)

    def by_theme(kind):
        df = explore.theme_by_year(member, explore.LearningFilter(source_kind=kind))
        return {(r.theme, r.year): r.findings for r in df.itertuples()}

    assert by_theme(None) == {("domestic abuse", 2026): 3, ("neglect", 2026): 2}
    assert by_theme("review") == {("domestic abuse", 2026): 1}
    assert by_theme("case_file_audit") == {("domestic abuse", 2026): 1, ("neglect", 2026): 2}
    assert by_theme("inspection") == {("domestic abuse", 2026): 1}
    assert by_theme("self_audit") == {}
    assert explore.totals(member, explore.LearningFilter(source_kind="case_file_audit"), TODAY).findings == 2
    types = explore.theme_by_review_type(member, explore.LearningFilter())
    assert set(types["review_type"]) == {"Rapid review", "Multi-agency case file audit", "Inspection"}
    df, total = search.learning_list(member, explore.LearningFilter(source_kind="inspection"))
    assert total == 1 and list(df["source"]) == ["JTAI: domestic abuse"] and list(df["review_type"]) == ["Inspection"]
    # A changed kind is followed at once: the finding takes its kind from its source.
    sources.update_source(member, inspection, SourceForm(kind="cpir", title="CPIR: domestic abuse",
                                                         completed_on=MARCH), 1, TODAY)
    assert by_theme("inspection") == {} and by_theme("cpir") == {("domestic abuse", 2026): 1}
    # Every kind the explorer offers: reviews and the six other sources.
    assert list(explore.SOURCE_KINDS) == ["review", "case_file_audit", "child_death_review", "cpir",
                                          "local_learning_review", "inspection", "self_audit"]


def test_a_finding_that_only_names_its_source_is_filtered_by_that_kind(db):
    """Rows older than learning sources (demo data, an old import) name a kind and a title only."""
    pid = empty_nb()
    with transaction() as s:
        s.add(Finding(partnership_id=pid, source_kind="child_death_review", source_title="CDOP 2025",
                      recorded_on=MARCH, text="Safer sleep advice was not repeated."))
    f = explore.LearningFilter(source_kind="child_death_review")
    assert explore.totals(actor("chair"), f, TODAY).findings == 1
    assert explore.totals(actor("chair"), explore.LearningFilter(source_kind="review"), TODAY).findings == 0


# -- recurring themes -------------------------------------------------------------------------------

def test_a_learning_source_counts_once_for_recurring_themes_as_a_review_does(db):
    pid = empty_nb()
    theme_service.seed_defaults(SYSTEM)
    member, chair = actor("member"), actor("chair")
    neglect = theme("neglect")
    review = new_review()
    findings.add_finding(member, "The child was not seen alone.", TODAY, review_reference=review,
                         theme_ids=[neglect], today=TODAY)
    audit = sources.create_source(member, pid, audit_form(), TODAY)
    for text in ("Neglect was seen as episodes.", "Home conditions were not assessed."):
        findings.add_finding(member, text, MARCH, source_id=audit, theme_ids=[neglect], today=TODAY)
    # One review and one source (its two findings count once): two, not recurring.
    assert recurrence.recurring_themes(chair, pid, TODAY) == []
    old = sources.create_source(member, pid, SourceForm(kind="cpir", title="CPIR 2022", completed_on=date(2022, 6, 1)),
                                TODAY)
    findings.add_finding(member, "Neglect was not escalated.", date(2023, 11, 22), source_id=old,
                         theme_ids=[neglect], today=TODAY)
    assert recurrence.recurring_themes(chair, pid, TODAY) == []  # a day before the 3-year window
    cdop = sources.create_source(member, pid, SourceForm(kind="child_death_review", title="CDOP: neglect",
                                                         completed_on=date(2025, 1, 10)), TODAY)
    findings.add_finding(member, "Missed health appointments were not followed up.", date(2025, 1, 10),
                         source_id=cdop, theme_ids=[neglect], today=TODAY)
    [found] = recurrence.recurring_themes(chair, pid, TODAY)
    assert (found.name, found.reviews, found.sources, found.total) == ("neglect", 1, 2, 3)
    assert found.references == (review, "Neglect: multi-agency case file audit", "CDOP: neglect")
    assert found.message.startswith("Recurring theme: neglect, in 1 review and 2 other learning sources since "
                                    "Thu 23 Nov 2023 (")


def test_merging_agencies_moves_a_sources_agency_and_keeps_its_grade(db):
    pid = empty_nb()
    hubs = agency_service.add_agency(SYSTEM, "Family hubs", "local_authority")
    centres = agency_service.add_agency(SYSTEM, "Family centres", "local_authority")
    sid = sources.create_source(actor("member"), pid, audit_form(agencies={hubs: "good"}), TODAY)
    both = sources.create_source(actor("member"), pid, audit_form(agencies={hubs: "good", centres: "inadequate"}),
                                 TODAY)
    with pytest.raises(ValidationFailed) as e:  # one source would hold the agency twice: a grade lost
        agency_service.merge_agencies(SYSTEM, hubs, centres)
    assert f"learning sources naming both: #{both}" in e.value.errors["target"]
    sources.update_source(actor("member"), both, audit_form(agencies={centres: "inadequate"}), 1, TODAY)
    assert agency_service.merge_agencies(SYSTEM, hubs, centres).moved == {"learning sources": 1}
    assert [(a["agency_id"], a["grade"]) for a in sources.get_source(actor("chair"), sid).agencies] == [
        (centres, "Good")]
