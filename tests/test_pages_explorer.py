"""The learning explorer and the themes page, per role, through Streamlit's AppTest.

The pages are run directly (AppTest.from_file) with the signed-in actor in the session, as
app.py would put it there."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.access import PERMISSIONS, SYSTEM, Actor
from panel.core.db import read_session, transaction
from panel.learning import library
from panel.learning import service as learning
from panel.learning.briefing import SECTION_KEYS
from panel.models import Finding, Partnership, Review, Theme, ThemeTag
from panel.themes import service as theme_service
from tests.apptest import shown, signed_in, texts
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager

ROOT = Path(__file__).resolve().parent.parent
EXPLORER = str(ROOT / "pages" / "explorer.py")
THEMES = str(ROOT / "pages" / "themes.py")
CHART_CAPTIONS = ("Stacked bars of the", "Heatmap of themes by the kind of review",
                  "Heatmap of recommendations by theme", "Heatmap of pairs of themes")
CHILD_FIELDS = {"child_initials", "child_dob", "child_age_years", "child_sex", "child_ethnicity", "incident_summary",
                "reference", "referral", "source"}


def page(path: str, who: str | Actor) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(who) if isinstance(who, str) else who
    at.run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def the_list(at: AppTest):
    return at.dataframe[0].value


@pytest.mark.parametrize("username", ["chair", "member", "manager", MULTI_MANAGER])
def test_panel_roles_have_the_explorer(learning_db, username):  # noqa: F811
    if username == MULTI_MANAGER:
        add_multi_manager()
    at = page(EXPLORER, username)
    assert at.title[0].value.endswith("Learning explorer")
    me = accounts.actor_for(username)
    tot = learning.totals(me, learning.LearningFilter(), TODAY)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Findings"] == str(tot.findings) and metrics["Recommendations"] == str(tot.recommendations)
    assert metrics["Actions closed"] == f"{tot.actions_closed} of {tot.actions}"
    assert len(charts(at)) == 4
    for el in charts(at):  # every chart lets a theme be chosen
        assert "theme_pick" in el.proto.spec
    captions = texts(at)
    for start in CHART_CAPTIONS:
        assert start in captions
    df = the_list(at)
    assert len(df) == 25 and {"Finding", "Recommendation"} <= set(df["kind"])
    refs = [s for s in df["source"] if "-R" in s]
    if username == MULTI_MANAGER:
        assert "partnership" in df.columns and {"NB", "EM", "WV"} >= set(df["partnership"])
    else:
        assert all(r.startswith("NB-") for r in refs)  # partnership walls
    assert not [t for t in at.toggle if t.key == "lx_shared"]  # only regional users share learning


@pytest.mark.parametrize("username", ["referrer", "admin"])
def test_referrer_and_admin_have_no_explorer(learning_db, username):  # noqa: F811
    at = page(EXPLORER, username)
    assert "for panel members, chairs and business managers" in texts(at)
    assert not at.dataframe and not charts(at) and not at.metric


def test_choosing_a_theme_filters_the_list(learning_db):  # noqa: F811
    at = page(EXPLORER, "member")
    at.selectbox(key="lx_theme").select("domestic abuse").run()
    assert not at.exception
    df = the_list(at)
    assert len(df) >= 3 and all("domestic abuse" in t for t in df["themes"])
    assert "about “domestic abuse”" in texts(at)
    # The same theme counted at the national level: its local themes' items come in too.
    at.button_group(key="lx_level").set_value("national").run()
    at.selectbox(key="lx_theme").select("risk assessment").run()
    assert not at.exception
    national = the_list(at)
    assert len(national) >= len(df) and any("domestic abuse" in t for t in national["themes"])


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "a OR", "-x", "col:val", '"domestic abuse', "((", "bruis*"])
def test_search_box_takes_any_text(learning_db, query):  # noqa: F811
    at = page(EXPLORER, "chair")
    at.text_input(key="lx_query").input(query).run()
    assert not at.exception, at.exception
    if not any(c.isalnum() for c in query):
        assert "Type words to search" in texts(at)


def test_search_finds_actions_too(learning_db):  # noqa: F811
    at = page(EXPLORER, "chair")
    at.text_input(key="lx_query").input("named nurse").run()
    df = the_list(at)
    assert "Action" in set(df["kind"])
    assert "best match first" in texts(at)


def test_regional_shared_learning_is_anonymised(learning_db):  # noqa: F811
    at = page(EXPLORER, "regional")  # no role anywhere: the shared view, without a toggle
    assert not [t for t in at.toggle if t.key == "lx_shared"]
    assert not at.metric  # no partnership's own learning totals
    df = the_list(at)
    assert list(df.columns) == learning.REGIONAL_COLUMNS
    assert not CHILD_FIELDS & set(df.columns)
    assert not df.astype(str).apply(lambda c: c.str.contains(r"[A-Z]{2}-\d{4}-\d{3}")).any().any()
    assert set(df["partnership"]) == {p for p in df["partnership"] if p.endswith("Safeguarding Children Partnership")}
    assert "Anonymised" in texts(at) and len(charts(at)) == 1
    at.selectbox(key="lx_r_theme").select("domestic abuse").run()
    assert all("domestic abuse" in t for t in the_list(at)["themes"])


def test_regional_account_with_a_role_switches_to_the_shared_view(learning_db):  # noqa: F811
    """A regional account that also holds a panel role sees its partnership's explorer first."""
    me = accounts.actor_for("manager")
    at = page(EXPLORER, Actor(user_id=me.user_id, username=me.username, name=me.name, roles=me.roles,
                              is_regional=True))
    assert at.metric and len(charts(at)) == 4
    at.toggle(key="lx_shared").set_value(True).run()
    assert not at.exception and "Anonymised" in texts(at) and list(the_list(at).columns) == learning.REGIONAL_COLUMNS


def test_empty_state_without_learning(db):
    with transaction() as s:
        p = Partnership(code="ZZ", name="Zedshire Partnership")
        s.add(p)
        s.flush()
        pid = p.id
    at = page(EXPLORER, Actor(user_id=None, username="zz", name="ZZ chair", roles={pid: frozenset({"chair"})}))
    assert "No learning has been recorded yet" in texts(at)
    assert not charts(at)


def test_themes_page_is_for_admins(learning_db):  # noqa: F811
    at = page(THEMES, "chair")
    assert "Only administrators manage the themes" in texts(at)
    at = page(THEMES, "admin")
    df = at.dataframe[0].value
    assert {"domestic abuse", "information sharing"} <= set(df["name"])
    assert "themes in use" in texts(at)


def _conflicting_pair() -> tuple[int, int, str, str]:
    """Two themes of the same kind carried together by some finding of the demo."""
    with read_session() as s:
        kinds = {t.id: t for t in s.exec(select(Theme))}
        by_entity: dict[int, list[int]] = {}
        for t in s.exec(select(ThemeTag).where(ThemeTag.entity == "finding")
                        .order_by(ThemeTag.entity_id, ThemeTag.theme_id)):
            by_entity.setdefault(t.entity_id, []).append(t.theme_id)
    for ids in by_entity.values():
        for a in ids:
            for b in ids:
                if a != b and kinds[a].kind == kinds[b].kind:
                    return a, b, kinds[a].name, kinds[b].name
    raise AssertionError("the demo has no finding with two themes of the same kind")


def test_themes_page_refuses_a_merge_that_would_lose_tags(learning_db):  # noqa: F811
    a, b, name_a, name_b = _conflicting_pair()
    at = page(THEMES, "admin")
    at.selectbox(key="merge_source").set_value(a)
    at.selectbox(key="merge_target").set_value(b)
    at.checkbox(key="merge_sure").check()
    [x for x in at.button if x.label == "Merge themes"][0].click().run()
    assert not at.exception
    errors = shown(" ".join(e.value for e in at.error))
    assert "Merging would lose tags" in errors and f"“{name_a}”" in errors and f"“{name_b}”" in errors
    with read_session() as s:
        assert s.get(Theme, a).active


def test_themes_page_adds_renames_and_merges(learning_db):  # noqa: F811
    admin = accounts.actor_for("admin")
    at = page(THEMES, "admin")
    at.text_input[0].input("county lines")
    at.radio[0].set_value("local")
    crim = next(i for i, n in theme_service.theme_names(admin).items() if n == "criminal exploitation")
    at.selectbox[0].set_value(crim)
    [x for x in at.button if x.label == "Add theme"][0].click().run()
    assert not at.exception and "Theme “county lines” added." in texts(at)
    new = next(i for i, n in theme_service.theme_names(admin).items() if n == "county lines")
    at.selectbox(key="rename_theme").set_value(new)
    at.text_input[1].input("county lines exploitation")
    [x for x in at.button if x.label == "Rename theme"][0].click().run()
    assert "renamed to “county lines exploitation”" in texts(at)
    youth = next(i for i, n in theme_service.theme_names(admin).items() if n == "youth justice")
    at.selectbox(key="merge_source").set_value(new)
    at.selectbox(key="merge_target").set_value(youth)
    [x for x in at.button if x.label == "Merge themes"][0].click().run()
    assert "Tick the box to confirm" in " ".join(e.value for e in at.error)
    at.checkbox(key="merge_sure").check()
    [x for x in at.button if x.label == "Merge themes"][0].click().run()
    assert "merged into “youth justice”: 0 tag(s) moved" in texts(at)
    with read_session() as s:
        merged = s.get(Theme, new)
    assert (merged.active, merged.merged_into_id, merged.name) == (False, youth, "county lines exploitation")


def test_the_source_filter_shows_one_kind_of_learning(learning_db):  # noqa: F811
    at = page(EXPLORER, "chair")
    source = at.selectbox(key="lx_source")
    assert source.options[1:] == list(learning.SOURCE_KINDS.values())  # reviews and the six other kinds
    source.set_value("child_death_review").run()
    assert not at.exception
    df = the_list(at)
    assert len(df) >= 1 and all(s.startswith("Child death overview panel") for s in df["source"])
    tot = learning.totals(accounts.actor_for("chair"), learning.LearningFilter(source_kind="child_death_review"), TODAY)
    assert {m.label: m.value for m in at.metric}["Findings"] == str(tot.findings) == str(sum(df["kind"] == "Finding"))
    at.selectbox(key="lx_source").set_value("review").run()
    assert not any(s.startswith("Child death overview panel") for s in the_list(at)["source"])


def _briefed_reviews(n: int) -> list[str]:
    """NB reviews with findings, newest first: the explorer shows their learning."""
    with read_session() as s:
        nb = s.exec(select(Partnership).where(Partnership.code == "NB")).one().id
        return list(s.exec(select(Review.reference).join(Finding, Finding.review_id == Review.id)
                           .where(Review.partnership_id == nb).distinct().order_by(Review.reference.desc())))[:n]


def _briefing(ref: str, title: str, publish: bool) -> int:
    sections = {k: "What practitioners should remember, anonymised." for k in SECTION_KEYS}
    library.save_draft(SYSTEM, ref, title, sections, 0)
    kept = library.history(SYSTEM, ref)
    if publish:
        library.approve(SYSTEM, kept.latest.id)
        library.publish(SYSTEM, kept.latest.id)
    return kept.briefing_id


def _briefing_links(at: AppTest) -> dict[str, dict]:
    """The library links on the page: label -> query parameters."""
    return {shown(el.proto.label): dict(parse_qsl(el.proto.query_string))
            for el in at.get("page_link") if "library" in el.proto.page}


def test_the_explorer_links_the_published_briefings_of_its_learning(learning_db):  # noqa: F811
    published, draft = _briefed_reviews(2)
    bid = _briefing(published, "Safer sleep: seven things to remember", publish=True)
    _briefing(draft, "A draft not yet for readers", publish=False)
    at = signed_in("member", "pages/explorer.py")  # app.py: the links need its menu
    assert "Published briefings" in [h.value for h in at.header]
    links = _briefing_links(at)
    assert links["Safer sleep: seven things to remember"] == {"id": str(bid)}
    assert "A draft not yet for readers" not in links and "A draft not yet for readers" not in texts(at)
    assert f"Review {published}" in texts(at) and "1 published 7-minute briefing " in texts(at)
    # Filtered to a source with no briefing: the empty state says where to draft one.
    at.selectbox(key="lx_source").set_value("child_death_review").run()
    assert not at.exception
    assert "No 7-minute briefing is published for this selection yet" in texts(at)
    assert "Safer sleep: seven things to remember" not in _briefing_links(at)
    assert "Draft one on the 7-minute briefing page" in texts(at)


def test_no_briefings_section_without_briefing_read(learning_db, monkeypatch):  # noqa: F811
    _briefing(_briefed_reviews(1)[0], "Safer sleep: seven things to remember", publish=True)
    monkeypatch.setitem(PERMISSIONS, "briefing.read", frozenset({"chair", "manager", "referrer"}))
    at = signed_in("member", "pages/explorer.py")  # app.py: the links need its menu
    assert at.metric and "Published briefings" not in [h.value for h in at.header]
    assert not _briefing_links(at) and "Safer sleep" not in texts(at)
    assert library.published_for_learning(accounts.actor_for("member"), learning.LearningFilter()).total == 0
