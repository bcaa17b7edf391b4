"""Builders shared by several test modules: one place, so no test module imports another.

Fixtures live in tests/conftest.py; these are plain functions and constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import SQLModel, select

from panel.core.clock import add_working_days
from panel.core.db import read_session, transaction
from panel.models import Action, Agency, Finding, Recommendation, RecommendationAgency, Review
from tests.conftest import TODAY


def row_counts() -> dict[str, int]:
    """Rows in every table, by table name: compare before and after to see what a call wrote."""
    with read_session() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


# -- the action register: learning planted on top of the demo's reviews ---------------------------

NB_REVIEW = "NB-2026-005-R1"
EM_REVIEW = "EM-2026-009-R1"
OWNER = "Quinn Testowner"  # no demo action has this owner
EVIDENCE = ("A re-audit of 20 strategy meetings in October found police attended all of them, "
            "up from 9 of 20 before the review.")


@dataclass
class Planted:
    nb_rec: int
    em_rec: int
    overdue: int  # NB, Police, due 5 days ago
    amber: int  # NB, Children's social care, due in 3 working days
    green: int  # NB, Police, due in 60 days
    closed: int  # NB, closed with evidence
    em_overdue: int  # EM: another partnership's action


def agency_id(name: str) -> int:
    with read_session() as s:
        return s.exec(select(Agency.id).where(Agency.name == name)).one()


def plant_learning(owner: str = OWNER) -> Planted:
    """A finding, recommendation and actions on one NB review and one EM review."""
    police, csc = agency_id("Police"), agency_id("Children's social care")
    with transaction() as s:
        out = {}
        for key, ref in (("nb", NB_REVIEW), ("em", EM_REVIEW)):
            rv = s.exec(select(Review).where(Review.reference == ref)).one()
            f = Finding(partnership_id=rv.partnership_id, review_id=rv.id, recorded_on=date(2026, 9, 1),
                        text=f"Strategy meetings in {ref} were held without police.")
            s.add(f)
            s.flush()
            r = Recommendation(partnership_id=rv.partnership_id, finding_id=f.id, review_id=rv.id,
                               recorded_on=date(2026, 9, 1),
                               text="Police attend every strategy meeting about a child under one.")
            s.add(r)
            s.flush()
            s.add(RecommendationAgency(recommendation_id=r.id, agency_id=police))
            out[key] = (rv, r)

        def add(key, agency, due, text, **kw):
            rv, r = out[key]
            a = Action(partnership_id=rv.partnership_id, recommendation_id=r.id, owner_agency_id=agency,
                       owner_name=kw.pop("owner_name", owner), owner_email=kw.pop("owner_email", "quinn@example.org"),
                       text=text, due_on=due, **kw)
            s.add(a)
            s.flush()
            return a.id

        ids = Planted(
            nb_rec=out["nb"][1].id, em_rec=out["em"][1].id,
            green=add("nb", police, TODAY + timedelta(days=60), "Publish the revised strategy meeting guidance."),
            amber=add("nb", csc, add_working_days(TODAY, 3), "Brief every team manager on the guidance."),
            overdue=add("nb", police, TODAY - timedelta(days=5), "Audit strategy meeting attendance."),
            closed=add("nb", police, TODAY - timedelta(days=30), "Train call handlers.", status="closed",
                       evidence_of_impact=EVIDENCE, closed_on=TODAY - timedelta(days=2)),
            em_overdue=add("em", police, TODAY - timedelta(days=40), "Eastmere: audit attendance."),
        )
    return ids
