"""The incident notification as a Word document: the same sections as the page and the .txt
(`rules.sections`), for a notifier who keeps a copy on the case file. Pure: a draft in, bytes out."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

from panel.learning.briefing import xml_safe
from panel.notifications.rules import Draft, sections
from panel.screening.rules import BODY_NAMES


def build(d: Draft) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    # Free text (the incident's summary, names) can carry characters Word cannot store.
    doc.add_heading(xml_safe(f"Notification to {BODY_NAMES.get(d.body, d.body)}"), level=0)
    for heading, lines in sections(d):
        doc.add_heading(xml_safe(heading), level=1)
        for line in lines:
            label, sep, value = line.partition(": ")
            p = doc.add_paragraph(style="List Bullet" if heading.startswith("Still") else None)
            if sep and len(label) < 60:
                p.add_run(xml_safe(label + sep)).bold = True
                p.add_run(xml_safe(value))
            else:
                p.add_run(xml_safe(line))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
