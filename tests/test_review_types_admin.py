"""Administrators add their own review types (not only rename), and a type in use is retired,
never deleted. Every field is checked with its message; nothing is half-made."""

from __future__ import annotations

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.core.errors import NotFound, ValidationFailed
from panel.models import AuditEvent, Review, ReviewType
from panel.reviews import types_service as review_types
from tests.apptest import shown, signed_in

MILESTONES = [
    {"key": "scoping", "name": "Scoping agreed", "offset": 10, "unit": "working_days", "anchor": "decision"},
    {"key": "final_report", "name": "Final report", "offset": 4, "unit": "months", "anchor": "decision"},
]


def admin():
    return accounts.actor_for("admin")


def nb(actor) -> int:
    return actor.partnerships_with("review_type.manage")[0]


def count_types() -> int:
    with read_session() as s:
        return len(s.exec(select(ReviewType)).all())


def test_add_a_local_type_with_milestones(demo_db):
    a = admin()
    tid = review_types.add_type(a, nb(a), name="Thematic review", regime="WT2018", statutory=False,
                                routes=["consider_local_review"], creates_review=True,
                                description="Several cases, one theme.", milestones=MILESTONES)
    t = next(t for t in review_types.list_types(a, nb(a)) if t.id == tid)
    assert (t.key, t.regime, t.statutory, t.routes) == ("thematic_review", "WT2018", False, "consider_local_review")
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.entity == "review_type", AuditEvent.entity_id == tid,
                                               AuditEvent.action == "create")).one()


def test_bad_input_named_per_field_and_nothing_made(demo_db):
    a = admin()
    before = count_types()
    with pytest.raises(ValidationFailed) as e:
        review_types.add_type(a, nb(a), name=" ", regime="WT2030", statutory=False, routes=[],
                              creates_review=True, description="", milestones=[])
    assert {"name", "regime", "routes", "milestones"} <= set(e.value.errors)
    with pytest.raises(ValidationFailed) as e:
        review_types.add_type(a, nb(a), name="Rapid review", regime="WT2018", statutory=True,
                              routes=["rapid_review"], creates_review=True, description="", milestones=MILESTONES)
    assert "already has a WT2018 review type called 'Rapid review'" in e.value.errors["name"]
    backwards = [MILESTONES[1], MILESTONES[0]]
    with pytest.raises(ValidationFailed) as e:
        review_types.add_type(a, nb(a), name="Thematic review", regime="WT2018", statutory=False,
                              routes=["consider_local_review"], creates_review=True, description="",
                              milestones=backwards)
    assert "comes before Final report" in e.value.errors["milestones[1].offset"]
    assert count_types() == before


def test_in_use_type_cannot_be_deleted_only_retired(demo_db):
    a = admin()
    with read_session() as s:
        used = s.exec(select(Review.review_type_id).where(Review.partnership_id == nb(a))).first()
    with pytest.raises(ValidationFailed) as e:
        review_types.delete_type(a, used)
    assert "cannot be deleted" in e.value.errors["type"]
    t = next(t for t in review_types.list_types(a, nb(a), include_retired=True) if t.id == used)
    review_types.update_type(a, used, name=t.name, description=t.description, milestones=[
        dict(m) for m in __import__("json").loads(t.milestones)], active=False, expected_version=t.version)
    assert used not in {x.id for x in review_types.list_types(a, nb(a))}
    assert used in {x.id for x in review_types.list_types(a, nb(a), include_retired=True)}
    unused = review_types.add_type(a, nb(a), name="Spare", regime="WT2018", statutory=False,
                                   routes=["no_review"], creates_review=False, description="", milestones=[])
    review_types.delete_type(a, unused)
    assert unused not in {x.id for x in review_types.list_types(a, nb(a), include_retired=True)}


def test_only_its_administrator(demo_db):
    chair = accounts.actor_for("chair")
    with pytest.raises(NotFound):
        review_types.add_type(chair, chair.partnerships_with("referral.read")[0], name="X", regime="WT2018",
                              statutory=False, routes=["no_review"], creates_review=False, description="",
                              milestones=[])


def test_page_adds_a_type_and_shows_the_clash_beside_the_name(demo_db):
    at = signed_in("admin", page="pages/review_types.py")
    at.text_input(key="rt_add_name").input("Rapid review")
    at.multiselect(key="rt_add_routes").select("rapid_review")
    at.toggle(key="rt_add_creates").set_value(False)
    next(b for b in at.button if b.label == "Add review type").click()
    at.run()
    assert any("already has a WT2018 review type" in shown(e.value) for e in at.error), [e.value for e in at.error]
    at.text_input(key="rt_add_name").input("Professional challenge outcome")
    next(b for b in at.button if b.label == "Add review type").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    a = admin()
    assert "Professional challenge outcome" in {t.name for pid in a.partnerships_with("review_type.manage")
                                                for t in review_types.list_types(a, pid)}
