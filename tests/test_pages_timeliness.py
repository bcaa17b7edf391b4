"""The timeliness dashboard per role, through Streamlit's AppTest, on the demo database.

Every figure on the page is checked against `panel.reports.service.timeliness` for the same user:
the page and `panel report timeliness` compute them in one place.

Until the page is registered in `panel.ui.pages`, the `registered` fixture adds its PageSpec for
the test (a no-op once it is there), so the page runs inside app.py with the real sign-in,
navigation and menu: its links to the referral and review pages need those pages registered.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from panel.accounts.partnerships import create_partnership
from panel.accounts.service import actor_for, create_user
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PermissionDenied
from panel.models import AuditEvent, Partnership
from panel.reports import service as reports
from panel.ui import pages as registry
from tests.apptest import menu, shown, signed_in, texts
from tests.conftest import TODAY

PAGE = "pages/timeliness.py"
SPEC = registry.PageSpec("timeliness", PAGE, "Timeliness", ":material/timer:", "Reviews",
                         ("report.timeliness",))
TILES = ("Notifications on time", "Rapid reviews on time", "LCSPRs on time")
FIGURES = ("notifications", "rapid_reviews", "lcsprs")


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    if not any(p.key == "timeliness" for p in registry.PAGES):
        monkeypatch.setattr(registry, "PAGES", [*registry.PAGES, SPEC])


def open_as(username: str):
    at = signed_in(username, PAGE)
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: shown(m.value) for m in at.metric}


def expected_tiles(report: dict) -> dict[str, str]:
    out = {label: "-" if report[f]["percent_on_time"] is None else f"{report[f]['percent_on_time']:.1f}%"
           for label, f in zip(TILES, FIGURES, strict=True)}
    out["Overdue milestones now"] = str(report["overdue_milestones"]["total"])
    return out


def link_targets(at) -> list[tuple[str, str]]:
    """(page url path, ref) of every page link in the main area (the late and overdue lists)."""
    out = []
    for el in at.main.get("page_link"):
        page = el.proto.page
        ref = dict(p.split("=", 1) for p in el.proto.query_string.split("&") if "=" in p).get("ref", "")
        out.append((page, ref))
    return out


def exports_logged() -> int:
    with read_session() as s:
        return len(s.exec(select(AuditEvent).where(AuditEvent.action == "export",
                                                   AuditEvent.entity == "timeliness_report")).all())


@pytest.mark.parametrize("username", ["manager", "chair", "member"])
def test_partnership_roles_see_their_own_figures(demo_db, username):
    at = open_as(username)
    report = reports.timeliness(actor_for(username), TODAY)
    assert [p["code"] for p in report["partnerships"]] == ["NB"]
    assert at.title[0].value.endswith("Timeliness")
    assert metrics(at) == expected_tiles(report)
    fig = report["notifications"]
    assert f"within 5 working days: {fig['on_time']} of {fig['total']} on time · {fig['late']} late" \
        in texts(at)
    # One partnership: no partnership filter.
    assert not [m for m in at.multiselect if m.label == "Partnership"]
    # Every late item and overdue milestone is a link to its record, all in Northbrook.
    targets = link_targets(at)
    n_late = sum(len(report[f]["late_items"]) for f in FIGURES)
    assert len(targets) == n_late + report["overdue_milestones"]["total"] > 0
    assert {ref.split("-")[0] for _, ref in targets} == {"NB"}
    late_refs = {i["referral"] for i in fig["late_items"]}
    assert late_refs and {r for p, r in targets if p == "referral"} == late_refs
    reviews = {i["review"] for f in ("rapid_reviews", "lcsprs") for i in report[f]["late_items"]}
    reviews |= {i["review"] for i in report["overdue_milestones"]["items"]}
    assert {r for p, r in targets if p == "review"} == reviews


def test_manager_sees_trend_breakdowns_stages_and_a_lazy_export(demo_db):
    before = exports_logged()
    at = open_as("manager")
    report = reports.timeliness(actor_for("manager"), TODAY)
    assert len(at.get("vega_lite_chart")) == 1
    caption = next(shown(c.value) for c in at.caption if c.value.startswith("Chart: percentage on time"))
    last = [g for g in report["notifications"]["by_year"] if g["total"]][-1]
    assert f"{last['percent_on_time']:.1f}% in {last['key']}" in caption
    assert [shown(s.value) for s in at.header] == [
        f"Headline: {report['period']['label']}", "Trend by year", "Breakdowns", "Late and overdue",
        "Median working days per stage"]
    assert [t.label for t in at.tabs] == ["By review type", "By partnership", "By year",
                                          "Notifications by body"]
    # by type: every figure's groups; the stage table has every stage.
    by_type = at.tabs[0].dataframe[0].value
    assert len(by_type) == sum(len(report[f]["by_review_type"]) for f in FIGURES)
    stages = at.dataframe[-1].value
    assert len(stages) == len(report["stage_durations"]["stages"])
    assert list(stages["median_working_days"]) == [
        s["median_working_days"] for s in report["stage_durations"]["stages"]]
    expanders = [e.label for e in at.expander]
    assert expanders == [
        f"Late notifications ({len(report['notifications']['late_items'])})",
        f"Late rapid reviews ({len(report['rapid_reviews']['late_items'])})",
        f"Late LCSPRs ({len(report['lcsprs']['late_items'])})",
        f"LCSPR publications delayed or withheld ({report['lcsprs']['withheld']})",
        f"Overdue milestones now ({report['overdue_milestones']['total']})",
    ]
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Export Excel"]
    assert exports_logged() == before  # nothing is exported (or logged) until it is clicked


def test_a_different_as_of_date_changes_the_figures(demo_db):
    at = open_as("manager")
    earlier = date(2024, 3, 31)
    at.date_input[0].set_value(earlier).run()
    assert not at.exception
    assert metrics(at) == expected_tiles(reports.timeliness(actor_for("manager"), earlier))
    assert metrics(at) != expected_tiles(reports.timeliness(actor_for("manager"), TODAY))


def test_manager_of_all_three_sees_all_three_partnerships_and_can_narrow(multi_manager):
    at = open_as(multi_manager)
    me = actor_for(multi_manager)
    report = reports.timeliness(me, TODAY)
    assert [p["code"] for p in report["partnerships"]] == ["EM", "NB", "WV"]
    assert report == reports.timeliness(SYSTEM, TODAY)
    assert metrics(at) == expected_tiles(report)
    assert {ref.split("-")[0] for _, ref in link_targets(at)} == {"NB", "EM", "WV"}
    by_part = at.tabs[1].dataframe[0].value
    assert set(by_part["Partnership"]) == {p.name for p in _partnerships()}
    chooser = next(m for m in at.multiselect if m.label == "Partnership")
    assert len(chooser.options) == 3
    em = next(p for p in _partnerships() if p.code == "EM")
    chooser.set_value([em.id]).run()
    assert not at.exception
    narrowed = reports.timeliness(me, TODAY, [em.id])
    assert metrics(at) == expected_tiles(narrowed)
    assert {ref.split("-")[0] for _, ref in link_targets(at)} == {"EM"}


def _partnerships() -> list[Partnership]:
    with read_session() as s:
        return list(s.exec(select(Partnership)))


def test_chair_of_another_partnership_sees_only_it(demo_db):
    at = open_as("chair.em")
    assert metrics(at) == expected_tiles(reports.timeliness(actor_for("chair.em"), TODAY))
    assert {ref.split("-")[0] for _, ref in link_targets(at)} == {"EM"}


def test_referrer_has_no_timeliness_page(demo_db):
    at = signed_in("referrer")
    assert "Timeliness" not in menu(at)
    assert "Timeliness" not in menu(signed_in("regional"))  # no role: no case figures
    with pytest.raises(PermissionDenied):
        reports.timeliness(actor_for("regional"), TODAY)
    assert "Timeliness" in menu(signed_in("manager"))


def test_empty_state_when_there_is_nothing_to_report(db):
    create_partnership(SYSTEM, "NB", "Northbrook Safeguarding Children Partnership")
    create_user(SYSTEM, username="newmanager", name="New Manager", email="nm@example.org",
                password="a long test password", memberships=[("NB", "manager")])
    at = open_as("newmanager")
    assert "There is nothing to report yet" in texts(at)
    assert not at.metric and not at.get("download_button")


def test_the_headline_states_its_period_and_another_can_be_chosen(demo_db):
    at = open_as("manager")
    me = actor_for("manager")
    default = reports.timeliness(me, TODAY)
    assert shown(at.header[0].value) == f"Headline: 12 months to {TODAY:%-d %B %Y}"
    period = next(s for s in at.selectbox if s.label == "Period")
    years = sorted({g["key"] for g in default["notifications"]["by_year"]}, reverse=True)
    assert period.options[:2] == ["Last 12 months", "All time"]
    assert [str(y) for y in years] == [o for o in period.options[2:] if o in {str(y) for y in years}]
    period.set_value("all").run()
    assert not at.exception, at.exception
    every = reports.timeliness(me, TODAY, period="all")
    assert shown(at.header[0].value) == f"Headline: all time to {TODAY:%-d %B %Y}"
    assert metrics(at) == expected_tiles(every)
    assert every["notifications"]["total"] > default["notifications"]["total"]
    # The trend is the same whichever period the headline covers.
    assert every["notifications"]["by_year"] == default["notifications"]["by_year"]
