"""The administrator's review-types page, and the service behind it."""

import json

import pytest

from panel.accounts import service as accounts
from panel.core.errors import NotFound, ValidationFailed
from panel.reviews import types_service as review_types
from tests.apptest import menu, shown, signed_in


def test_admin_menu_has_review_types_and_no_case_pages(demo_db):
    at = signed_in("admin")
    admin_pages = ["Import a tracker", "Themes", "Review types", "Users", "Audit log"]
    assert [m for m in menu(at) if m in admin_pages] == admin_pages
    assert not {"Referral queue", "Screening", "Review tracker"} & set(menu(at))
    assert "Import a tracker" in at.title[0].value  # the first page in the menu opens


def test_admin_edits_milestones_and_bad_rows_are_refused_whole(demo_db):
    admin = accounts.actor_for("admin")
    pid = admin.partnerships_with("review_type.manage")[0]
    rtype = next(t for t in review_types.list_types(admin, pid) if t.key == "malr")
    milestones = json.loads(rtype.milestones)
    milestones[0]["offset"] = milestones[0]["offset"] + 5
    review_types.update_type(admin, rtype.id, name="Multi-agency learning review (local)", description="x",
                             milestones=milestones, active=True, expected_version=rtype.version)
    saved = next(t for t in review_types.list_types(admin, pid) if t.id == rtype.id)
    assert saved.name == "Multi-agency learning review (local)" and json.loads(saved.milestones) == milestones
    bad = [dict(milestones[0], unit="fortnights"), dict(milestones[1], key=milestones[0]["key"])]
    with pytest.raises(ValidationFailed) as e:
        review_types.update_type(admin, rtype.id, name="x", description="", milestones=bad, active=True,
                                 expected_version=saved.version)
    assert any("unit" in k for k in e.value.errors)
    assert json.loads(next(t for t in review_types.list_types(admin, pid) if t.id == rtype.id).milestones) == milestones


def test_only_admins_edit_review_types(demo_db):
    chair = accounts.actor_for("chair")
    pid = chair.partnerships_with("referral.read")[0]
    rtype = review_types.list_types(chair, pid)[0]
    with pytest.raises(NotFound):
        review_types.update_type(chair, rtype.id, name="x", description="", milestones=[], active=True,
                                 expected_version=rtype.version)
    assert "Review types" not in menu(signed_in("chair"))


def _in_page_order(node) -> list:
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out += _in_page_order(child)
    return out


def _next_to(elements: list, label: str):
    """The element drawn straight after the widget `label`."""
    i = next(i for i, e in enumerate(elements) if getattr(e, "label", None) == label)
    return elements[i + 1]


def test_a_review_types_refusal_shows_beside_the_name_with_one_box_above(demo_db):
    at = signed_in("admin", "pages/review_types.py")
    admin = accounts.actor_for("admin")
    t = review_types.list_types(admin, at.selectbox[0].value)[0]
    assert at.selectbox[1].value == t.id
    next(w for w in at.text_input if w.label == "Name").input("  ")
    next(b for b in at.button if b.label == "Save review type").click().run()
    assert not at.exception
    beside = _next_to(_in_page_order(at.main), "Name")
    assert beside.type == "error" and "Name must not be empty." in shown(beside.value)
    assert [shown(e.value) for e in at.error].count("There is a problem with 1 answer(s). Nothing has been saved.") == 1
    assert next(r for r in review_types.list_types(admin, t.partnership_id) if r.id == t.id).name == t.name


def test_a_refused_theme_is_explained_beneath_its_button(demo_db):
    at = signed_in("admin", "pages/themes.py")
    next(b for b in at.button if b.label == "Add theme").click().run()
    assert not at.exception
    box = _next_to(_in_page_order(at.main), "Add theme")
    assert box.type == "error" and "name" in shown(box.value).lower()
    assert not at.success
