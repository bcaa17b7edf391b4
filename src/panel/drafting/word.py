"""A drafted document as a Word file (docs/domain.md §11): the title, each heading in the
partnership's order with its section's text, and a page header naming the review's reference.

Pure: sections in, .docx bytes out. The header carries the reference, never the child's
initials (§8), and the document properties carry no user's name, so none travels with the file.
"""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

from panel.learning.briefing import xml_safe

BULLETS = ("- ", "* ", "• ")


def _body(doc, text: str) -> None:
    lines = [ln.strip() for ln in xml_safe(text).splitlines()]
    if not any(lines):
        doc.add_paragraph("-")
    for line in lines:
        if not line:
            continue
        if line.startswith(BULLETS):
            doc.add_paragraph(line[2:].strip(), style="List Bullet")
        else:
            doc.add_paragraph(line)


def build(title: str, reference: str, sections: list[dict], status: str = "") -> bytes:
    """The document as .docx bytes. `sections` are {heading, text} in order; `status` (e.g.
    "Draft") goes beside the reference in the page header."""
    doc = Document()
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.comments = xml_safe(title), "", "", ""
    props.subject, props.keywords, props.category = xml_safe(title), "", ""
    header = doc.sections[0].header.paragraphs[0]
    header.text = xml_safe(f"{reference}" + (f" · {status}" if status else "") + " · OFFICIAL-SENSITIVE")
    header.runs[0].font.size = Pt(8)
    doc.add_paragraph(xml_safe(title), style="Title")
    doc.add_paragraph(xml_safe(f"Review {reference}"))
    for s in sections:
        doc.add_paragraph(xml_safe(s["heading"]), style="Heading 1")
        _body(doc, s.get("text") or "")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
