"""Merging agencies moves the learning that names them: the agencies a finding concerns and a
learning event's attendance, a record naming both keeping one row (docs/domain.md §7.1)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.models import Finding, FindingAgency, LearningEvent, LearningEventAttendance, Partnership


def test_merge_moves_findings_and_attendance_folding_rows_that_name_both(demo_db):
    spare = agency_service.add_agency(SYSTEM, "Family hubs", "local_authority")
    kept = agency_service.add_agency(SYSTEM, "Early help service", "local_authority")
    with transaction() as s:
        pid = s.exec(select(Partnership.id).order_by(Partnership.id)).first()
        f1, f2 = (Finding(partnership_id=pid, recorded_on=date(2026, 1, 5), text=t) for t in
                  ("Early help plans were closed without a review.", "Family support stopped at the house move."))
        ev = LearningEvent(partnership_id=pid, held_on=date(2026, 2, 3), kind="bitesize", topic="Early help")
        s.add_all([f1, f2, ev])
        s.flush()
        s.add_all([FindingAgency(finding_id=f1.id, agency_id=spare), FindingAgency(finding_id=f1.id, agency_id=kept),
                   FindingAgency(finding_id=f2.id, agency_id=spare)])
        s.add_all([LearningEventAttendance(event_id=ev.id, agency_id=spare, role="Family support worker", attended=4),
                   LearningEventAttendance(event_id=ev.id, agency_id=kept, role="Family support worker", attended=6),
                   LearningEventAttendance(event_id=ev.id, agency_id=spare, role="Manager", attended=1)])
        ids = (f1.id, f2.id, ev.id)
    result = agency_service.merge_agencies(SYSTEM, spare, kept)
    assert result.moved == {"findings": 2, "learning event attendance": 2}
    with read_session() as s:
        assert set(s.exec(select(FindingAgency.finding_id, FindingAgency.agency_id))) >= {(ids[0], kept), (ids[1], kept)}
        assert s.exec(select(FindingAgency).where(FindingAgency.agency_id == spare)).all() == []
        rows = {(a.agency_id, a.role, a.attended) for a in
                s.exec(select(LearningEventAttendance).where(LearningEventAttendance.event_id == ids[2]))}
        assert rows == {(kept, "Family support worker", 10), (kept, "Manager", 1)}
        assert s.get(LearningEvent, ids[2]).version == 2  # a correction opened before the merge is refused
