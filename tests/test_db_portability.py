"""What the database layer does so both engines behave alike (run on each: PANEL_TEST_ENGINE)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from panel.core.db import read_session, transaction
from panel.core.errors import ValidationFailed
from panel.models import Partnership


def _count() -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(Partnership)).one()


def test_an_overlong_value_is_refused_by_field_on_either_engine(db):
    with pytest.raises(ValidationFailed) as e, transaction() as s:
        s.add(Partnership(code="TOOLONGCODE", name="x" * 201))
    assert set(e.value.errors) == {"code", "name"}
    assert "8 characters" in e.value.errors["code"] and "200 characters" in e.value.errors["name"]
    assert _count() == 0
    with transaction() as s:  # at the limit is fine
        s.add(Partnership(code="ABCDEFGH", name="x" * 200))
    assert _count() == 1


def test_an_overlong_edit_is_refused_too(db):
    with transaction() as s:
        s.add(Partnership(code="NB", name="Northbrook"))
    with pytest.raises(ValidationFailed, match="name"), transaction() as s:
        s.exec(select(Partnership)).one().name = "y" * 300
    with read_session() as s:
        assert s.exec(select(Partnership)).one().name == "Northbrook"


def test_a_nul_character_never_reaches_the_database_as_an_error(db):
    with transaction() as s:
        s.add(Partnership(code="N\x00B", name="North\x00brook"))
    with read_session() as s:
        row = s.exec(select(Partnership).where(Partnership.code == "N\x00B")).one()  # comparing with one works
        assert row.name.replace("\x00", "") == "Northbrook"  # PostgreSQL drops it; SQLite keeps it
