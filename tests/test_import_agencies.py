"""A fresh installation imports its old tracker in one go: agencies the file names that Panel does
not have are listed in the check report and, when confirmed, created in the import's transaction
(nothing is left behind when the rows fail)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PermissionDenied
from panel.models import Agency, AuditEvent, Referral
from panel.tracker_io import service as imports
from tests.conftest import TODAY
from tests.factories import book, cli, example, set_cell


@pytest.fixture
def bare(db):
    """Partnerships with their review types, and no agency at all (a fresh installation)."""
    from panel.accounts.partnerships import create_partnership
    from panel.demo import small as demo

    for code, name in demo.PARTNERSHIPS:
        create_partnership(SYSTEM, code, name)


def _file():
    rows = example()
    set_cell(rows, "referrals", 0, referrer_agency="Northshire Hospital",
             agencies_involved="Northshire police; northshire HOSPITAL")
    return book(rows)


def _agencies() -> list[str]:
    with read_session() as s:
        return sorted(s.exec(select(Agency.name)).all())


def test_unknown_agencies_listed_then_created_with_the_rows(bare):
    data = _file()
    report = imports.import_tracker(SYSTEM, data, "old.xlsx", TODAY, dry_run=True)
    assert not report.ok and report.new_agencies == ["Northshire Hospital", "Northshire police"]
    assert any("No agency named 'Northshire Hospital'" in line for line in report.lines())
    checked = imports.check_file(SYSTEM, data, "old.xlsx", TODAY, create_agencies=True)
    assert checked.ok and checked.new_agencies == ["Northshire Hospital", "Northshire police"]
    assert _agencies() == []  # a check writes nothing
    done = imports.import_tracker(SYSTEM, data, "old.xlsx", TODAY, create_agencies=True)
    assert done.imported and done.agencies_created == 2
    assert "agencies: 2 created (Northshire Hospital, Northshire police)" in done.count_lines()
    assert _agencies() == ["Northshire Hospital", "Northshire police"]
    with read_session() as s:
        r = s.exec(select(Referral)).one()
        assert s.get(Agency, r.referrer_agency_id).name == "Northshire Hospital"
        made = s.exec(select(AuditEvent).where(AuditEvent.entity == "agency", AuditEvent.action == "create")).all()
        assert len(made) == 2 and all("tracker import old.xlsx" in e.detail for e in made)


def test_failing_rows_leave_no_agency_behind(bare):
    rows = example()
    set_cell(rows, "referrals", 0, referrer_agency="Northshire Hospital", child_sex="robot")
    report = imports.import_tracker(SYSTEM, book(rows), "old.xlsx", TODAY, create_agencies=True)
    assert not report.ok and not report.imported
    assert _agencies() == []
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.entity == "agency")).all() == []


def test_only_an_agency_manager_creates_them(bare):
    from panel.core.access import Actor

    importer_only = Actor(user_id=None, username="x", name="x", roles={1: frozenset({"chair"})})
    with pytest.raises(PermissionDenied):
        imports.import_tracker(importer_only, _file(), "old.xlsx", TODAY, create_agencies=True)


def test_known_agencies_are_not_new(bare):
    agency_service.add_agency(SYSTEM, "children's SOCIAL care", "local_authority", statutory=True)
    report = imports.import_tracker(SYSTEM, book(example()), "t.xlsx", TODAY, dry_run=True)
    assert report.ok and report.new_agencies == []


def test_cli_create_agencies(bare, tmp_path, capsys):
    path = tmp_path / "old.xlsx"
    path.write_bytes(_file())
    code, _, err = cli(capsys, "import", str(path))
    assert code == 2 and "--create-agencies" in err and "Northshire Hospital" in err
    assert _agencies() == []
    code, out, _ = cli(capsys, "import", str(path), "--create-agencies")
    assert code == 0 and "agencies: 2 created" in out
    assert _agencies() == ["Northshire Hospital", "Northshire police"]
