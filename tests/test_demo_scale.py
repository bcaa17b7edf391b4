"""Scale demo data (`panel demo-data --scale region|nation`), checked on a shrunken region
(`factor`): repeatable, referentially sound, volumes as specified, both regimes, and the main
services give sensible answers for a chair and a manager of all ten partnerships. Full region scale is
measured by hand (docs/scale-data.md), never in `make test`."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from panel import migrate
from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.core.access import SYSTEM
from panel.core.db import get_engine, read_session
from panel.demo import scale as demo_scale
from panel.demo import scale_rows as demo_scale_rows
from panel.learning import explore as learning_explore
from panel.learning import search as learning_search
from panel.learning.explore import LearningFilter
from panel.models import Decision, Partnership, Referral, Review, ReviewType
from panel.referrals import service as referrals
from panel.referrals.service import QueueFilter
from panel.reports import service as reports
from panel.reviews import tracker
from panel.reviews.tracker import TrackerFilter
from panel.screening import rules as screening
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager

FACTOR = 0.05  # 1/20 of region: about 1,000 historic referrals, 100 reviews, 2,500 actions
REGION = {"referral": 20_000, "review": 2_000, "action": 50_000, "themetag": 100_000}


def _load(path: Path, factor: float = FACTOR, seed: int = 2025) -> dict[str, int]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PANEL_DATA_DIR", str(path))
        mp.delenv("DATABASE_URL", raising=False)
        migrate.upgrade()
        counts = demo_scale.load("region", today=TODAY, seed=seed, factor=factor)
        get_engine().dispose()  # checkpoints the WAL into panel.db
    return counts


@pytest.fixture(scope="module")
def scale_template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("scale")
    return path, _load(path)


@pytest.fixture
def scale_db(scale_template, tmp_path, monkeypatch):
    for f in scale_template[0].iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setenv("PANEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    yield scale_template[1]
    get_engine().dispose()


def _tables(con: sqlite3.Connection) -> list[str]:
    return [t for (t,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%fts%' ORDER BY name")]


def _hashes(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    out = {}
    for t in _tables(con):
        h = hashlib.sha256()
        for row in con.execute(f'SELECT * FROM "{t}" ORDER BY 1'):  # noqa: S608 (names from sqlite_master)
            h.update(repr(row).encode())
        out[t] = h.hexdigest()
    con.close()
    return out


def test_same_seed_same_database_another_seed_differs(scale_template, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    again.mkdir()
    other.mkdir()
    assert _load(again) == scale_template[1]
    _load(other, seed=7, factor=0.01)
    first = _hashes(scale_template[0] / "panel.db")
    assert first == _hashes(again / "panel.db")
    different = {t for t, h in _hashes(other / "panel.db").items() if h != first[t]}
    assert {"referral", "review", "action", "themetag", "user"} <= different  # salt comes from the seed too


def test_driver_inserts_store_exactly_what_core_would(tmp_path, monkeypatch):
    """The SQLite fast path (raw executemany) against SQLAlchemy Core's own conversions."""
    fast, core = tmp_path / "fast", tmp_path / "core"
    fast.mkdir()
    core.mkdir()
    _load(fast, factor=0.01)
    monkeypatch.setattr(demo_scale_rows, "DRIVER_INSERTS", False)
    _load(core, factor=0.01)
    assert _hashes(fast / "panel.db") == _hashes(core / "panel.db")


def test_referential_integrity_and_full_text_index(scale_template):
    con = sqlite3.connect(scale_template[0] / "panel.db")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The triggers dropped for the load are back, and the index holds every row.
    triggers = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {f"{t}_fts_{s}" for t in ("finding", "recommendation", "action") for s in ("ai", "ad", "au")} <= triggers
    for table in ("finding", "recommendation", "action"):
        word = con.execute(f"SELECT text FROM {table} ORDER BY id LIMIT 1").fetchone()[0].split()[1]  # noqa: S608
        hits = con.execute(f"SELECT count(*) FROM {table}_fts WHERE {table}_fts MATCH ?", (f'"{word}"',)).fetchone()[0]  # noqa: S608
        assert hits > 0, table
    con.execute("INSERT INTO finding_fts(finding_fts, rank) VALUES ('integrity-check', 1)")
    con.close()


def test_nothing_has_happened_after_today(scale_template):
    con = sqlite3.connect(scale_template[0] / "panel.db")
    after = TODAY.isoformat() + " 23:59:59.999999"
    for table, col in [("auditevent", "at"), ("actionnote", "at"), ("referral", "updated_at"),
                       ("decision", "recorded_at"), ("decision", "signed_at"), ("notification", "sent_on"),
                       ("reviewmilestone", "actual_on"), ("action", "closed_on"), ("finding", "recorded_on")]:
        late = con.execute(f'SELECT count(*) FROM "{table}" WHERE "{col}" > ?', (after,)).fetchone()[0]  # noqa: S608
        assert late == 0, (table, col)
    con.close()


def test_counts_scale_as_specified(scale_template, tmp_path):
    """Volumes grow with the factor as region's figures say; the live tail (open queue, recent
    reviews) is the same at every factor, so compare two factors."""
    counts = scale_template[1]
    double = _load(tmp_path, factor=2 * FACTOR)
    assert counts["partnership"] == double["partnership"] == 10
    for table, full in REGION.items():
        expected, grew = full * FACTOR, double[table] - counts[table]
        assert 0.75 * expected <= grew <= 1.35 * expected, (table, grew, expected)
        assert counts[table] >= expected
    # the 11 demo accounts, plus a chair, member and manager where no demo account holds the role
    # (EM's manager, WV's member, and all three in the 7 partnerships beyond the demo's three)
    assert counts["user"] == 11 + 1 + 1 + 3 * 7 and counts["auditevent"] > counts["referral"]


def test_learning_sources_and_events_hold_their_learning_and_attendance(scale_template):
    """Sources beside the reviews carry their agencies, findings and recommendations; learning
    events share a review, its recommendations or a source of their own partnership, with
    attendance; none of it after today."""
    con = sqlite3.connect(scale_template[0] / "panel.db")
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    assert one("SELECT count(*) FROM learningsource") >= 10 and one("SELECT count(*) FROM learningevent") >= 10
    assert one("SELECT count(*) FROM learningsource s WHERE NOT EXISTS "
               "(SELECT 1 FROM finding f WHERE f.source_id = s.id)") == 0
    assert one("SELECT count(*) FROM learningsource s WHERE NOT EXISTS "
               "(SELECT 1 FROM sourceagency a WHERE a.source_id = s.id)") == 0
    assert one("SELECT count(*) FROM finding f JOIN learningsource s ON s.id = f.source_id WHERE "
               "f.review_id IS NOT NULL OR f.source_kind != s.kind OR f.source_title != s.title "
               "OR f.partnership_id != s.partnership_id") == 0
    assert one("SELECT count(*) FROM recommendation WHERE source_id IS NOT NULL") > 0
    assert one("SELECT count(*) FROM recommendation r JOIN finding f ON f.id = r.finding_id "
               "WHERE r.source_id IS NOT f.source_id OR r.review_id IS NOT f.review_id") == 0
    assert one("SELECT count(*) FROM finding WHERE source_id IS NULL AND review_id IS NULL") == 0
    assert one("SELECT count(*) FROM learningevent e WHERE NOT EXISTS "
               "(SELECT 1 FROM learningeventattendance a WHERE a.event_id = e.id AND a.attended > 0)") == 0
    kinds = {"review": "review", "recommendation": "recommendation", "source": "learningsource"}
    assert {k for (k,) in con.execute("SELECT DISTINCT entity FROM learningeventlink")} <= set(kinds)
    for entity, table in kinds.items():
        assert one(f"SELECT count(*) FROM learningeventlink l JOIN learningevent e ON e.id = l.event_id "  # noqa: S608
                   f"LEFT JOIN {table} x ON x.id = l.entity_id AND x.partnership_id = e.partnership_id "
                   f"WHERE l.entity = '{entity}' AND x.id IS NULL") == 0
    for table, col in (("learningevent", "held_on"), ("learningsource", "completed_on"),
                       ("learningsource", "started_on")):
        assert one(f"SELECT count(*) FROM {table} WHERE {col} > '{TODAY.isoformat()}'") == 0  # noqa: S608
    con.close()


def test_demo_accounts_and_regional_over_all_ten(scale_db):
    regional, chair, admin = (accounts.actor_for(u) for u in ("regional", "chair", "admin"))
    with read_session() as s:
        ids = {p.code: p.id for p in s.exec(select(Partnership))}
    assert list(ids)[:3] == ["NB", "EM", "WV"] and len(ids) == 10
    assert regional.is_regional and regional.roles == {}  # anonymised learning only, no case role
    assert set(admin.roles) == set(ids.values())
    assert set(chair.roles) == {ids["NB"]} and "chair" in chair.roles[ids["NB"]]
    assert accounts.actor_for("chair.em").roles == {ids["EM"]: frozenset({"chair"})}
    assert accounts.actor_for("manager.wv").roles == {ids["WV"]: frozenset({"manager"})}
    assert accounts.actor_for("member.wv").roles == {ids["WV"]: frozenset({"member"})}


def test_both_regimes_by_the_cut_over_and_decisions_follow_the_engine(scale_db):
    with read_session() as s:
        rows = s.exec(select(Decision, Referral, ReviewType)
                      .join(Referral, Referral.id == Decision.referral_id)
                      .join(ReviewType, ReviewType.id == Decision.review_type_id)).all()
        years = [r.aware_on.year for r in s.exec(select(Referral))]
        reviews = s.exec(select(Review.status, ReviewType.regime).join(ReviewType)).all()
    assert min(years) <= TODAY.year - 14 and max(years) == TODAY.year
    regimes = Counter(d.engine_regime for d, _, _ in rows)
    assert regimes["WT2015"] > 10 and regimes["WT2018"] > 10
    for d, r, t in rows:
        assert d.engine_regime == ("WT2015" if r.aware_on < screening.REGIME_CUTOVER else "WT2018")
        assert d.engine_regime == t.regime  # outcomes come from the regime's own review types
        assert d.departs == (d.engine_route not in t.routes.split(","))
        assert (d.departure_rationale is not None) == d.departs
    by = Counter(reviews)
    assert by[("closed", "WT2015")] > 0 and by[("closed", "WT2018")] > 0 and by[("open", "WT2018")] > 0


def test_queue_tracker_timeliness_and_explorer_for_chair_and_a_manager_of_all_ten(scale_db):
    for username in ("chair", add_multi_manager()):
        actor = accounts.actor_for(username)
        queue, total = referrals.queue(actor, QueueFilter(), TODAY)
        assert total >= 9 and {"red", "amber", "green"} <= set(queue["rag"])
        open_reviews = tracker.reviews(actor, TrackerFilter(), TODAY)
        assert len(open_reviews) > 0
        report = reports.timeliness(actor, TODAY)
        assert report["notifications"]["total"] > 0 and report["rapid_reviews"]["total"] > 0
        assert 0 < report["notifications"]["on_time"] < report["notifications"]["total"]  # some late
        by_year = learning_explore.theme_by_year(actor, LearningFilter())
        assert len(by_year) > 0
        found, n = learning_search.search(actor, "domestic abuse")
        assert n > 0 and len(found) > 0
    assert len(reports.timeliness(accounts.actor_for(MULTI_MANAGER), TODAY)["partnerships"]) == 10
    regional = accounts.actor_for("regional")  # no role: no case data, only anonymised learning
    assert referrals.queue(regional, QueueFilter(), TODAY)[1] == 0
    assert tracker.reviews(regional, TrackerFilter(), TODAY).empty
    assert learning_explore.theme_by_year(regional, LearningFilter()).empty


def test_live_tail_has_red_amber_and_green_milestones(scale_db):
    frame = tracker.reviews(accounts.actor_for(add_multi_manager()), TrackerFilter(), TODAY)
    assert {"red", "green"} <= set(frame["rag"])
    assert (frame["overdue"] > 0).any()


def test_demo_scale_stays_the_small_demo():
    from panel.cli import build_parser

    assert build_parser().parse_args(["demo-data"]).scale == "demo"
    assert build_parser().parse_args(["demo-data", "--scale", "region"]).scale == "region"


def test_partnership_names_unique_and_codes_valid():
    parts = demo_scale.partnership_list(150)
    assert len({c for c, _ in parts}) == len({n for _, n in parts}) == 150
    assert all(c.isalpha() and c.isupper() and 2 <= len(c) <= 8 for c, _ in parts)
    assert parts[:3] == [("NB", parts[0][1]), ("EM", parts[1][1]), ("WV", parts[2][1])]


def test_refuses_a_database_with_data_and_the_app_writes_after_it(db):
    """Also runs on PostgreSQL (PANEL_TEST_ENGINE=postgresql): Core inserts, then sequences moved
    past the ids given here, so the app's own inserts do not collide."""
    demo_scale.load("region", today=date(2026, 11, 23), factor=0.005)
    create_partnership(SYSTEM, "ZZ", "Zedmoor Safeguarding Children Partnership")  # partnership, types, audit
    with read_session() as s:
        assert s.exec(select(Partnership).where(Partnership.code == "ZZ")).one().id == 11
    with pytest.raises(RuntimeError, match="already has data"):
        demo_scale.load("region", today=date(2026, 11, 23), factor=0.005)
