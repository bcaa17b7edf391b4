"""The minutes of a panel meeting as a Word document. Pure: takes plain dicts, returns
.docx bytes. Holds references only (no child identifiers): minutes circulate to attendees."""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.shared import Pt, RGBColor

from panel.core.clock import day
from panel.learning.briefing import xml_safe

INK = RGBColor(0x1B, 0x2A, 0x41)
ATTENDANCE = {"present": "Present", "apologies": "Apologies", "invited": "Invited, did not attend"}


def _fmt(d) -> str:
    return f"{d:%A %d %B %Y}" if isinstance(d, date) else str(d or "")


def _safe(value):
    """Every string made storable in Word (user text can carry control characters)."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def build(meeting: dict, people: list[dict], items: list[dict]) -> bytes:
    meeting, people, items = _safe(meeting), _safe(people), _safe(items)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    h = doc.add_heading(f"Minutes: {meeting['partnership']} case review panel", level=0)
    for run in h.runs:
        run.font.color.rgb = INK
    doc.add_paragraph(f"Meeting held {_fmt(meeting['held_on'])}. Chair: {meeting.get('chair') or 'not recorded'}.")
    if meeting.get("quorum"):
        doc.add_paragraph(meeting["quorum"])

    doc.add_heading("Attendance", level=1)
    for key in ("present", "apologies", "invited"):
        group = [p for p in people if p["attendance"] == key]
        if not group:
            continue
        doc.add_heading(ATTENDANCE[key], level=2)
        for p in group:
            doc.add_paragraph(f"{p['name']}" + (f" ({p['agency']})" if p.get("agency") else ""), style="List Bullet")

    conflicts = [(i["title"], n) for i in items for n in i.get("conflicts", [])]
    doc.add_heading("Conflicts of interest", level=1)
    if conflicts:
        for title, name in conflicts:
            doc.add_paragraph(f"{name} declared a conflict on “{title}” and took no part in its decision.",
                              style="List Bullet")
    else:
        doc.add_paragraph("None declared.")

    doc.add_heading("Items", level=1)
    all_actions = []
    for n, it in enumerate(items, 1):
        doc.add_heading(f"{n}. {it['title']}", level=2)
        doc.add_paragraph(f"{it['kind']}. Status: {it['status']}.")
        if it.get("summary"):
            doc.add_paragraph("Discussion: " + it["summary"])
        for d in it.get("decisions", []):
            p = doc.add_paragraph()
            p.add_run("Decision: ").bold = True
            p.add_run(f"{d['outcome']} ({d['status']}, {_fmt(d['decided_on'])}).")
            doc.add_paragraph("Rationale: " + d["rationale"])
            if d.get("departure"):
                doc.add_paragraph("Departs from the criteria because: " + d["departure"])
        for a in it.get("actions", []):
            all_actions.append((n, a))
            doc.add_paragraph(f"Action: {a['text']} Owner: {a['owner']}. Due {_fmt(a['due_on'])}.",
                              style="List Bullet")

    doc.add_heading("Actions", level=1)
    if all_actions:
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("Item", "Action", "Owner", "Due"), strict=True):
            cell.text = text
        for n, a in all_actions:
            row = table.add_row().cells
            row[0].text, row[1].text, row[2].text, row[3].text = str(n), a["text"], a["owner"], f"{day(a['due_on'])}"
    else:
        doc.add_paragraph("No actions.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
