"""Writing the tracker format: a workbook from rows, the guide sheet and the template
with its fictional example rows."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from panel.core.exports import neutralise
from panel.reviews.types import DEFAULT_REVIEW_TYPES, ReviewTypeSpec
from panel.tracker_io.format import GUIDE_SHEET, SHEETS, SOURCE_SHEET

# -- writing a workbook ----------------------------------------------------------------------

def cell_value(value: Any) -> Any:
    """A value as the tracker format writes it into a cell: a list as "a; b", and text a
    spreadsheet would run as a formula neutralised. Tests build raw workbooks with it too."""
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    return neutralise(value)


def write_workbook(sheets: Mapping[str, Iterable[Mapping[str, Any]]],
                   guide: Iterable[Iterable[Any]] = ()) -> bytes:
    """The tracker format: one sheet per kind with the header row, then the guide."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        for i, col in enumerate(columns):
            letter = _letter(i)
            ws.column_dimensions[letter].width = 14 if col.kind in ("date", "bool", "int") else 24
        header = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=col.name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheets.get(name, ()):
            cells = []
            for col in columns:
                value = cell_value(row.get(col.name))
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            ws.append(cells)
    ws = wb.create_sheet(GUIDE_SHEET)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 60
    ws.column_dimensions["E"].width = 80
    for line in guide:
        ws.append([cell_value(v) for v in line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def guide_rows(agencies: Iterable[str] = (), partnerships: Iterable[str] = (),
               review_types: Mapping[str, Iterable[ReviewTypeSpec]] | None = None) -> list[list[Any]]:
    """The guide sheet: every column with its allowed values, then agencies and review types."""
    rows: list[list[Any]] = [
        ["Panel tracker import format. Fill the sheets referrals, notifications, reviews, "
         "milestones, learning_sources (audits, inspections and other learning beside reviews) and the "
         "learning (findings, recommendations, actions: each of a review or of a learning source); row 1 "
         "is the header. Delete the example rows first. Nothing is imported "
         "unless every row passes; importing the same file again changes nothing."],
        [],
        ["sheet", "column", "required", "what it holds", "allowed values"],
    ]
    for sheet, columns in SHEETS.items():
        for col in columns:
            allowed = ""
            if col.choices:
                allowed = "; ".join(col.choices)
            elif col.kind == "date":
                allowed = "a date cell, YYYY-MM-DD or DD/MM/YYYY"
            elif col.kind == "bool":
                allowed = "TRUE / FALSE (also yes / no)"
            elif col.kind == "int":
                allowed = "a whole number"
            rows.append([sheet, col.name, "yes" if col.required else "no", col.help, allowed])
    rows += [[], ["Partnership codes"]]
    rows += [["", code] for code in partnerships]
    rows += [[], ["Agencies (every agency column; a retired agency only on learning already imported)"]]
    rows += [["", name] for name in agencies]
    rows += [[], ["Review types", "review_type_key / outcome", "regime", "name",
                  "milestone keys (in order); outcomes with none create no review"]]
    types = review_types if review_types is not None else {"every partnership": DEFAULT_REVIEW_TYPES}
    for code, specs in types.items():
        for spec in specs:
            rows.append([code, spec.key, spec.regime, spec.name, ", ".join(m.key for m in spec.milestones)])
    return rows


def example_rows(partnership_code: str = "NB", agency: str = "Children's social care") -> dict[str, list[dict]]:
    """One fictional row per sheet that passes the checks: a WT2018 serious harm case, its
    National Panel notification, its rapid review and the first milestone, and the review's
    learning (a finding, an accepted recommendation answering it, an open action)."""
    ref = f"{partnership_code}-2025-900"
    return {
        "referrals": [{
            "reference": ref, "partnership_code": partnership_code, "received_on": date(2025, 3, 4),
            "aware_on": date(2025, 3, 3), "referrer_name": "Designated safeguarding lead",
            "referrer_agency": agency, "identified_by": "social_worker", "child_initials": "XY",
            "child_age_years": 1, "child_sex": "female", "child_ethnicity": "not_recorded",
            "looked_after": False, "child_protection_plan": False, "known_to_csc": True,
            "incident_date": date(2025, 3, 1),
            "incident_summary": "Fictional example: baby admitted with injuries inconsistent with the account given.",
            "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
            "status": "decided", "agencies_involved": (agency,), "interagency_concerns": "unclear",
            "outcome": "rapid_review", "decided_on": date(2025, 3, 7),
        }],
        "notifications": [{
            "referral_reference": ref, "body": "national_panel", "due_on": date(2025, 3, 10),
            "sent_on": date(2025, 3, 6), "sent_reference": "CIN-2025-0001",
        }],
        "reviews": [{
            "review_reference": f"{ref}-R1", "referral_reference": ref, "review_type_key": "rapid_review",
            "started_on": date(2025, 3, 7), "notified_on": date(2025, 3, 6), "status": "open",
        }],
        "milestones": [{
            "review_reference": f"{ref}-R1", "milestone_key": "agency_summaries_requested",
            "planned_on": date(2025, 3, 7), "actual_on": date(2025, 3, 7),
        }],
        "findings": [{
            "finding_reference": "F1", "review_reference": f"{ref}-R1", "recorded_on": date(2025, 4, 1),
            "text": "Fictional example: the health visitor's concerns were not shared with the GP.",
            "nature": "concern", "agencies": (agency,),
        }],
        "recommendations": [{
            "recommendation_reference": "R1", "review_reference": f"{ref}-R1", "finding_references": ("F1",),
            "text": "Fictional example: agencies share concerns about babies with the GP within a week.",
            "target_agencies": (agency,), "outcome_sought": "Concerns reach the GP.",
            "measure": "A case file audit in six months.", "due_on": date(2025, 12, 31), "status": "accepted",
            "accepted_on": date(2025, 4, 20), "recorded_on": date(2025, 4, 15),
        }],
        "actions": [{
            "action_reference": "A1", "recommendation_reference": "R1", "owner_agency": agency,
            "owner_name": "Head of service", "text": "Fictional example: brief every team on sharing with the GP.",
            "due_on": date(2025, 9, 30), "status": "open",
        }],
    }


def example_source_rows(partnership_code: str = "NB", agency: str = "Children's social care") -> list[dict]:
    """A fictional learning source for the template's learning_sources sheet: a case file audit.
    (The tests' example rows leave it out; findings and recommendations name one by its reference
    in their source column.)"""
    return [{
        "partnership_code": partnership_code, "kind": "case_file_audit",
        "title": "Fictional example: audit of strategy discussions for babies",
        "reference": f"{partnership_code}-AUDIT-EXAMPLE", "topic": "Fictional example: who took part in strategy discussions.",
        "cases_sampled": 12, "started_on": date(2025, 5, 1), "completed_on": date(2025, 6, 30), "agencies": (agency,),
    }]


def build_template(partnership_code: str = "NB", agencies: Iterable[str] = ("Children's social care",),
                   partnerships: Iterable[str] = ("NB",),
                   review_types: Mapping[str, Iterable[ReviewTypeSpec]] | None = None) -> bytes:
    """The downloadable template: headers, one fictional example row per sheet, the guide."""
    agencies = list(agencies)
    agency = agencies[0] if agencies else "Children's social care"
    return write_workbook({**example_rows(partnership_code, agency),
                           SOURCE_SHEET: example_source_rows(partnership_code, agency)},
                          guide_rows(agencies, partnerships, review_types))
