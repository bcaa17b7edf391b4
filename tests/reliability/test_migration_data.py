"""Migrations with data: a database built at an old schema revision, with rows
in every table that revision has (inserted with plain SQL, as the Panel of that day stored them),
is upgraded one revision at a time to head. After every step every row must still be there with
every column it had; at head the services must read the old rows.

Run from every revision before head, so an installation of any age can upgrade: the oldest (0001)
and the one just before head at the very least."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from panel import migrate
from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.config import get_settings
from panel.core.db import get_engine, make_engine
from panel.learning import actions
from panel.referrals import service as referrals
from panel.reports import service as reports
from panel.reviews import service as reviews
from tests.conftest import TODAY

SCRIPT = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]  # base first
ROWS = 2  # per table: row n refers to row n of every table it points at
CODES = ("OLD", "OLE")

# Values the domain rules accept, where a made-up value would not do (any revision's columns).
DOMAIN = {
    "partnership": {"code": lambda n: CODES[n - 1]},
    "agency": {"kind": "police"},
    "referrallink": {"kind": "sibling"},
    "user": {"username": lambda n: f"old.user{n}", "is_active": True, "is_regional": False,
             "failed_logins": 0, "locked_until": None, "email": lambda n: f"old{n}@example.org"},
    "membership": {"role": lambda n: ("chair", "member")[n - 1]},
    "referral": {"reference": lambda n: f"{CODES[n - 1]}-2020-{n:03d}", "status": "new", "status_note": None,
                 "version": 1, "harm": "died", "abuse_or_neglect": "known", "identified_by": "social_worker",
                 "child_initials": "AB", "child_dob": None, "child_age_years": 3, "child_sex": "female",
                 "child_ethnicity": "white", "location": "in_area", "interagency_concerns": "unclear",
                 "director_decision": None, "referrer_view": None},
    "auditevent": {"action": "create", "entity": "referral", "before": None, "after": '{"status": "new"}'},
    "reviewtype": {"key": lambda n: f"old_type_{n}", "regime": "WT2018", "routes": "rapid_review",
                   "milestones": "[]", "creates_review": True, "active": True, "version": 1},
    "decision": {"status": "signed", "engine_regime": "WT2018", "engine_route": "rapid_review",
                 "present": "[]", "apologies": "[]", "conflicts": "[]", "version_no": 1, "departs": False,
                 "departure_rationale": None, "amendment_reason": None, "meeting_id": None},
    "review": {"reference": lambda n: f"{CODES[n - 1]}-2020-{n:03d}-R1", "status": "open",
               "publication_status": "planned", "publication_reason": None, "lcspr_considerations": "{}",
               "lcspr_decision": None, "national_panel_response": None, "version": 1,
               "lead_reviewer_email": None, "sent_to_national_panel_on": None},
    "reviewmilestone": {"key": lambda n: f"old_milestone_{n}", "statutory": False, "actual_on": None},
    "notification": {"body": lambda n: ("ofsted", "national_panel")[n - 1]},
    "agencyrequest": {"kind": "chronology", "received_on": None, "contact_email": None},
    "theme": {"kind": "national", "national_id": None, "merged_into_id": None, "active": True},
    "themetag": {"entity": "review"},
    "finding": {"source_kind": "review"},
    "action": {"status": "open", "evidence_of_impact": None, "closed_on": None, "closed_by_id": None,
               "version": 1, "owner_email": None},
    "meeting": {"status": "planned", "closed_at": None, "version": 1},
    "meetingmember": {"attendance": "invited"},
    "agendaitem": {"kind": "referral", "status": "pending", "carried_from_id": None},
}
# Tables a revision folds into another on purpose: revision -> (old table, new table, the old
# columns' names in the new one). Every row must arrive there, after the new table's own rows.
MOVED = {"0015": ("meetingaction", "action", {"item_id": "meeting_item_id"})}


def _value(table: sa.Table, col: sa.Column, n: int):
    rule = DOMAIN.get(table.name, {})
    if col.name in rule:
        v = rule[col.name]
        return v(n) if callable(v) else v
    fks = list(col.foreign_keys)
    if fks:
        return None if fks[0].column.table.name == table.name else n  # no self-references
    t = col.type
    if isinstance(t, sa.Boolean):
        return n % 2 == 1
    if isinstance(t, sa.Integer):
        return n
    if isinstance(t, sa.DateTime):
        return datetime(2020, 3, n, 9, 30, 15, 123456)  # UTC, stored without offset as the app does
    if isinstance(t, sa.Date):
        return date(2020, 3, n)
    if isinstance(t, sa.String) and t.length:
        return f"{col.name[:3]}{n}"[: t.length]
    return f"Old {table.name} {col.name} {n}, written before the upgrade."


def _tables(conn) -> list[sa.Table]:
    md = sa.MetaData()
    md.reflect(conn)
    return [t for t in md.sorted_tables if t.name != "alembic_version" and "_fts" not in t.name]


def _snapshot(url: str) -> dict[str, list[dict]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for t in _tables(conn):
                pk = list(t.primary_key.columns) or list(t.columns)
                out[t.name] = [_plain(dict(r._mapping)) for r in conn.execute(sa.select(t).order_by(*pk))]
            return out
    finally:
        engine.dispose()


def _plain(row: dict) -> dict:
    """Datetimes as naive UTC, so a column that gains a time zone still compares equal."""
    return {k: (v.replace(tzinfo=None) if isinstance(v, datetime) and v.utcoffset() is None else
                v.astimezone(tz=None).replace(tzinfo=None) if isinstance(v, datetime) else v)
            for k, v in row.items()}


def _fill(url: str) -> None:
    """ROWS rows in every table this revision has (tables a migration seeded are left alone)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for t in _tables(conn):
                if conn.execute(sa.select(sa.func.count()).select_from(t)).scalar():
                    continue
                conn.execute(sa.insert(t), [{c.name: _value(t, c, n) for c in t.columns} for n in range(1, ROWS + 1)])
                if conn.dialect.name == "postgresql" and "id" in t.columns:  # ids were given: move the sequence on
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), {ROWS})")
    finally:
        engine.dispose()


def _blank(url: str) -> None:
    """The test's database with no schema at all."""
    get_engine().dispose()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(path + suffix)
            except FileNotFoundError:
                pass
        return
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def _service_reads(start: str) -> None:
    chair = accounts.actor_for("old.user1")
    assert chair is not None and chair.can("referral.triage")
    queue, total = referrals.queue(chair, referrals.QueueFilter(), TODAY)
    assert list(queue["reference"]) == ["OLD-2020-001"] and total == 1
    d = referrals.get_referral(chair, "OLD-2020-001", TODAY, record_view=False)
    assert d.referral.incident_summary.startswith("Old referral incident_summary 1")
    assert [e.entity_id for e in d.history] == [1]
    if REVISIONS.index(start) >= REVISIONS.index("0002"):
        rv = reviews.get_review(chair, "OLD-2020-001-R1", TODAY, record_view=False)
        assert rv is not None
    if REVISIONS.index(start) >= REVISIONS.index("0004"):
        frame, n = actions.register(chair, actions.RegisterFilter(), TODAY)
        # From 0006 to 0014 a meeting action of the chair's partnership too, moved into the register
        # by 0015 (from 0015 on, the rows inserted are the register's own).
        met = REVISIONS.index("0006") <= REVISIONS.index(start) < REVISIONS.index("0015")
        assert n == 1 + met
        assert ("Agreed at the meeting of Sun 1 Mar 2020" in set(frame["review"])) == met
    report = reports.timeliness(SYSTEM, TODAY)
    assert {p["code"] for p in report["partnerships"]} == set(CODES)


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_rows_survive_every_upgrade_step_to_head(db, start):
    url = get_settings().database_url
    _blank(url)
    cfg = migrate.alembic_config(url)
    command.upgrade(cfg, start)
    _fill(url)
    before = _snapshot(url)
    assert all(before.values()), "every table holds rows"
    steps = REVISIONS[REVISIONS.index(start) + 1:]
    for rev in steps:
        command.upgrade(cfg, rev)
        after = _snapshot(url)
        old, new, renamed = MOVED.get(rev, (None, None, {}))
        for table, rows in before.items():
            if table == old:
                assert table not in after, f"{rev}: table {table} was to go"
                arrived = after[new][len(before[new]):]
                assert [{renamed.get(k, k): r[k] for k in r if k != "id"} for r in rows] == [
                    {renamed.get(k, k): r[renamed.get(k, k)] for k in rows[0] if k != "id"} for r in arrived
                ], f"{rev}: the rows of {table} did not all arrive in {new}"
                continue
            assert table in after, f"{rev}: table {table} is gone"
            grown = len(before[old]) if table == new and old in before else 0
            kept = [{k: r[k] for k in rows[0]} for r in after[table]][: len(after[table]) - grown]
            assert len(after[table]) == len(rows) + grown, f"{rev}: {table} has {len(after[table])} rows"
            assert kept == rows, f"{rev}: a column of {table} changed"
        if old in before:
            before = {t: after[t] if t == new else rows for t, rows in before.items() if t != old}
    _service_reads(start)
    print(f"\nfrom {start}: {len(before)} tables, {sum(map(len, before.values()))} rows, "
          f"{len(steps)} steps to head, every row intact")
