"""A final report's text, for the anonymisation check before publication (docs/domain.md §11, §8).

Word (.docx) files are read with python-docx, paragraph by paragraph and cell by cell; PDF files
with pypdf, page by page. Each piece keeps where it is ("paragraph 12", "table 1, row 3",
"page 4"), so a detail the check finds can be found again in the document. Reading is bounded
(pages and characters): a file built to take forever to read is refused, not read. A file whose
text cannot be read (a scan, an image, another format) says so: the check cannot vouch for it.
Pure: no database, no Streamlit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

MAX_PAGES = 500
MAX_CHARS = 5 * 1024 * 1024

NO_TEXT = ("No text found: a scan? The check cannot read it. Accept this with a reason (the report "
           "was checked by hand), or upload a PDF with text.")
UNREADABLE = ("The check reads Word (.docx) and PDF files only: it cannot read this one. Accept this with "
              "a reason (the report was checked by hand), or upload it as Word or PDF.")
TOO_LONG = (f"The file has more than {MAX_PAGES} pages or {MAX_CHARS // 1024 // 1024} MB of text: the check "
            "stopped reading it. Accept this with a reason, or upload a shorter file.")
DAMAGED = "The file could not be read as text (it may be damaged or protected by a password)."


@dataclass
class Extracted:
    """The text in pieces with where each is; `problem` when the check could not read it all."""

    pieces: list[tuple[str, str]] = field(default_factory=list)  # (location, text)
    problem: str | None = None


def _docx(data: bytes) -> Extracted:
    import docx

    d = docx.Document(io.BytesIO(data))
    out, total = Extracted(), 0
    for n, p in enumerate(d.paragraphs, start=1):
        if p.text.strip():
            out.pieces.append((f"paragraph {n}", p.text))
            total += len(p.text)
        if total > MAX_CHARS:
            return Extracted(out.pieces, TOO_LONG)
    for t, table in enumerate(d.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            text = " | ".join(c.text for c in row.cells if c.text.strip())
            if text:
                out.pieces.append((f"table {t}, row {r}", text))
                total += len(text)
            if total > MAX_CHARS:
                return Extracted(out.pieces, TOO_LONG)
    return out


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return Extracted([], DAMAGED)
    if len(reader.pages) > MAX_PAGES:
        return Extracted([], TOO_LONG)
    out, total = Extracted(), 0
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        if text.strip():
            out.pieces.append((f"page {n}", text))
            total += len(text)
        if total > MAX_CHARS:
            return Extracted(out.pieces, TOO_LONG)
    return out


def extract(data: bytes, extension: str) -> Extracted:
    """The text of a Word or PDF file in located pieces, or why it could not be read."""
    reader = {"docx": _docx, "pdf": _pdf}.get(extension)
    if reader is None:
        return Extracted([], UNREADABLE)
    try:
        found = reader(data)
    except Exception:  # noqa: BLE001 - any failure of a third-party reader on a hostile file is "cannot read"
        return Extracted([], DAMAGED)
    if not found.pieces and found.problem is None:
        found.problem = NO_TEXT
    return found
