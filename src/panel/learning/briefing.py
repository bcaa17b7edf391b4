"""The 7-minute briefing as a Word document: one page, seven short numbered sections (docs/domain.md §2).

Pure: takes a title and the seven sections' text, returns the .docx bytes. The service
(`panel.learning.briefings`) drafts the text from the review's record and runs the
anonymisation check before anything is built.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

# The seven sections in their order: (key, heading). Commonly used (docs/domain.md §2): background; why
# it matters; three sections of key information/findings; things to remember; what to do.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("background", "Background"),
    ("why_it_matters", "Why it matters"),
    ("key_findings_1", "Key findings"),
    ("key_findings_2", "Key findings (continued)"),
    ("key_findings_3", "Key findings (continued)"),
    ("things_to_remember", "Things to remember"),
    ("what_to_do", "What to do: reflective questions"),
)
SECTION_KEYS = tuple(k for k, _ in SECTIONS)
HEADINGS = dict(SECTIONS)
# About what fits on one A4 page at the compact sizes below, with the title and footer.
ONE_PAGE_CHARS = 4200
CHILD_X_NOTE = ("The child is referred to as Child X. This briefing is anonymised: it holds no "
                "names, initials or dates of birth.")
BULLETS = ("- ", "* ", "• ")
INK = RGBColor(0x1B, 0x2A, 0x41)


def title_for(review_type: str, year: int) -> str:
    return f"7-minute briefing: {review_type} ({year})"


def numbered_heading(key: str) -> str:
    return f"{SECTION_KEYS.index(key) + 1}. {HEADINGS[key]}"


def total_chars(sections: dict[str, str]) -> int:
    return sum(len((sections.get(k) or "").strip()) for k in SECTION_KEYS)


def fits_one_page(sections: dict[str, str]) -> bool:
    return total_chars(sections) <= ONE_PAGE_CHARS


def _compact(doc) -> None:
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)  # A4
    sec.top_margin = sec.bottom_margin = Cm(1.4)
    sec.left_margin = sec.right_margin = Cm(1.6)
    sec.header_distance = sec.footer_distance = Cm(0.7)
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(9.5)
    normal.paragraph_format.space_before, normal.paragraph_format.space_after = Pt(0), Pt(2)
    normal.paragraph_format.line_spacing = 1.0
    for name, size in (("Title", 16), ("Heading 1", 11)):
        st = styles[name]
        st.font.name, st.font.size, st.font.bold = "Calibri", Pt(size), True
        st.font.color.rgb = INK
        st.paragraph_format.space_before = Pt(6 if name == "Heading 1" else 0)
        st.paragraph_format.space_after = Pt(2 if name == "Heading 1" else 4)
        st.paragraph_format.keep_with_next = True
    bullet = styles["List Bullet"]
    bullet.font.size = Pt(9.5)
    bullet.paragraph_format.space_after = Pt(1)


# Characters XML 1.0 (so Word) cannot hold: pasted text can carry them, and python-docx refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str | None) -> str:
    """Text as Word can store it: control characters other than tab and newline dropped."""
    return _NOT_XML.sub("", text or "")


def _body(doc, text: str) -> None:
    lines = [line.rstrip() for line in xml_safe(text).strip().splitlines()]
    if not any(lines):
        doc.add_paragraph("-")
        return
    for line in lines:
        if not line.strip():
            continue
        stripped = line.lstrip()
        if stripped.startswith(BULLETS):
            doc.add_paragraph(stripped[2:].strip(), style="List Bullet")
        else:
            doc.add_paragraph(stripped)


def build_docx(title: str, sections: dict[str, str], subtitle: str | None = None,
               created: datetime | None = None) -> bytes:
    """The briefing as .docx bytes: a title, an optional subtitle line, the seven numbered
    sections in order (a missing section is shown as "-"), and the Child X note as footer.

    Lines starting with "- ", "* " or "• " become bullet points; other lines are paragraphs.
    Document properties carry the title only: no author, so no user's name travels with it."""
    doc = Document()
    _compact(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.comments = xml_safe(title), "", "", ""
    props.subject, props.keywords, props.category = "7-minute briefing", "", ""
    if created is not None:
        props.created = props.modified = created
    doc.add_paragraph(xml_safe(title), style="Title")
    if subtitle:
        p = doc.add_paragraph(xml_safe(subtitle))
        p.runs[0].italic = True
    for key in SECTION_KEYS:
        doc.add_paragraph(numbered_heading(key), style="Heading 1")
        _body(doc, sections.get(key, ""))
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = CHILD_X_NOTE
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.runs[0].font.size = Pt(8)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
