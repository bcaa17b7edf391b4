"""The explorer's list and search against a straightforward reference on the demo's learning.

`item_page` is tuned for scale (each kind searched in its own arm, text matches materialised first;
docs/learning-performance.md), so these tests rebuild the expected answer the plain way: the rows
of each table read on their own, the text index asked table by table, themes read per row, and
everything filtered and ordered in Python. A rewrite that changes which rows come back, their
order or the total fails here. Run for a one-partnership user (`chair`) and for a manager of all
three partnerships; the regional account, which holds no role, gets nothing from either."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql_text
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.learning import service as learning
from panel.models import Action, Finding, Recommendation, Theme, ThemeTag
from panel.themes import rules
from tests.conftest import MULTI_MANAGER, ON_PG, add_multi_manager

KINDS = ("finding", "recommendation", "action")
PG_DOCS = {  # the documents migration 0005 indexes
    "finding": "text || ' ' || coalesce(source_title, '')",
    "recommendation": "text",
    "action": "text || ' ' || coalesce(evidence_of_impact, '') || ' ' || owner_name",
}


def _items(s, pids: list[int]) -> dict[tuple[str, int], dict]:
    """Every finding, recommendation and action of the partnerships: its date and tagged themes."""
    tags: dict[tuple[str, int], set[str]] = {}
    for entity, entity_id, name in s.exec(select(ThemeTag.entity, ThemeTag.entity_id, Theme.name)
                                          .join(Theme, Theme.id == ThemeTag.theme_id)):
        tags.setdefault((entity, entity_id), set()).add(name)
    national_of = {t.name: t.national_id for t in s.exec(select(Theme))}
    names = {t.id: t.name for t in s.exec(select(Theme))}
    out = {}
    for fi in s.exec(select(Finding).where(Finding.partnership_id.in_(pids))):
        out[("finding", fi.id)] = {"on": fi.recorded_on, "tag": ("finding", fi.id)}
    recs = {r.id: r for r in s.exec(select(Recommendation))}
    for r in recs.values():
        if r.partnership_id in pids:
            out[("recommendation", r.id)] = {"on": r.recorded_on, "tag": ("recommendation", r.id)}
    for a in s.exec(select(Action).where(Action.partnership_id.in_(pids))):
        rec = recs[a.recommendation_id]
        out[("action", a.id)] = {"on": rec.recorded_on, "tag": ("recommendation", rec.id)}
    for item in out.values():
        local = tags.get(item["tag"], set())
        item["themes"] = local
        item["national"] = {names[national_of[t]] if national_of[t] else t for t in local}
    return out


def _ranks(s, terms: list[str]) -> dict[tuple[str, int], float]:
    """(kind, id) -> rank (lower is better) of every row matching the terms, table by table."""
    out = {}
    for kind in KINDS:
        if ON_PG:
            q = "plainto_tsquery('english'::regconfig, :q)"
            vec = f"to_tsvector('english'::regconfig, {PG_DOCS[kind]})"
            rows = s.exec(sql_text(f"SELECT id, -ts_rank({vec}, {q}) FROM {kind} WHERE {vec} @@ {q}")  # noqa: S608 (constants)
                          .bindparams(q=" ".join(terms))).all()
        else:
            rows = s.exec(sql_text(f"SELECT rowid, bm25({kind}_fts) FROM {kind}_fts WHERE {kind}_fts MATCH :q")  # noqa: S608
                          .bindparams(q=rules.fts5_query(terms))).all()
        out.update({(kind, int(i)): float(r) for i, r in rows})
    return out


def _expected(pids, *, kinds=("finding", "recommendation"), theme=None, level="theme", query="", years=None):
    with read_session() as s:
        items = _items(s, pids)
        ranks = _ranks(s, rules.search_terms(query)) if query else None
    keys = [k for k, it in items.items() if k[0] in kinds
            and (theme is None or theme in it["themes" if level == "theme" else "national"] or
                 (level == "national" and theme in it["themes"]))
            and (years is None or years[0] <= it["on"].year <= years[1])
            and (ranks is None or k in ranks)]

    def order(k):
        return ((ranks[k],) if ranks is not None else ()) + (-items[k]["on"].toordinal(), k[0], -k[1])
    return sorted(keys, key=order)


def _got(df) -> list[tuple[str, int]]:
    return [(k, int(i)) for k, i in zip(df["kind"], df["id"], strict=True)]


@pytest.mark.parametrize("username", ["chair", MULTI_MANAGER])
def test_list_and_search_equal_a_plain_reference(learning_db, username):  # noqa: F811
    if username == MULTI_MANAGER:
        add_multi_manager()
    me = accounts.actor_for(username)
    pids = me.partnerships_with("learning.read")
    cases = [
        ({}, {}),
        ({"theme": "domestic abuse"}, {"theme": "domestic abuse"}),
        ({"theme": "risk assessment", "f": learning.LearningFilter(level="national")},
         {"theme": "risk assessment", "level": "national"}),
        ({"query": "domestic abuse", "include_actions": True}, {"query": "domestic abuse", "kinds": KINDS}),
        ({"query": "escalation", "include_actions": True, "theme": "domestic abuse"},
         {"query": "escalation", "kinds": KINDS, "theme": "domestic abuse"}),
        ({"query": "plan", "f": learning.LearningFilter(year_from=2023, year_to=2025)},
         {"query": "plan", "years": (2023, 2025)}),
    ]
    for call, ref in cases:
        want = _expected(pids, **ref)
        assert want, f"the demo has rows for {ref}, or this case proves nothing"
        args = {"f": learning.LearningFilter(), **call}
        df, total = learning.learning_list(me, limit=len(want) + 10, **args)
        assert (_got(df), total) == (want, len(want)), ref
        page, total = learning.learning_list(me, limit=5, offset=5, **args)
        assert (_got(page), total) == (want[5:10], len(want)), ref
    df, total = learning.search(me, "domestic abuse", limit=1000)
    assert (_got(df), total) == (want := _expected(pids, query="domestic abuse", kinds=KINDS), len(want))


def test_regional_account_gets_no_partnership_learning(learning_db):  # noqa: F811
    """Its view is the anonymised regional one (`learning.regional_learning`), not the list."""
    me = accounts.actor_for("regional")
    assert me.is_regional and not me.roles
    df, total = learning.learning_list(me, learning.LearningFilter(), query="domestic abuse", include_actions=True)
    assert df.empty and total == 0
    df, total = learning.search(me, "domestic abuse", limit=1000)
    assert df.empty and total == 0
