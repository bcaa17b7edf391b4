"""What a review's documents may be and who may open them (docs/domain.md §11), as plain Python.

A file is judged by its content, never by its name: a program renamed "report.docx" is still a
program. Only office documents, PDF and images are taken, within the size limit, and a zipped
office document is looked into (without unpacking it anywhere) so that a small file that would
unpack to gigabytes is refused before anything reads it. Pure: no database, no Streamlit.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype

DOCUMENT_KINDS = {
    "chronology": "Chronology",
    "agency_report": "Agency report",
    "terms_of_reference": "Terms of reference",
    "draft_report": "Draft report",
    "factual_accuracy": "Factual-accuracy comments",
    "final_report": "Final report",
    "rapid_review": "Rapid review report",
    "minutes_extract": "Minutes extract",
    "other": "Other",
}
# Kinds that answer an agency request of the same kind (panel.reviews.record.REQUEST_KINDS).
REQUEST_KINDS = ("chronology", "agency_report")

# Who may open a document (docs/domain.md §11). The lead reviewer is not a role: Panel keeps the
# review's lead reviewer as a name and an e-mail address (Review.lead_reviewer_email), with no
# link to a user, so the signed-in user whose account's e-mail matches it is the lead reviewer.
VISIBILITY = {
    "panel": "The panel only (panel members, chairs, the business manager)",
    "lead_reviewer": "The panel and the review's lead reviewer",
    "partners": "Every partner user of the partnership (read only)",
}
PANEL_ROLES = frozenset({"chair", "member", "manager"})
PARTNER_ROLES = frozenset({"chair", "member", "manager", "referrer"})

# Accepted types, by what the content is (filetype's extension), with the type a download says.
ACCEPTED = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "tif": "image/tiff",
    "webp": "image/webp",
}
EXTENSION_OF = {mime: ext for ext, mime in ACCEPTED.items()}
ACCEPTED_LABEL = "Word, Excel, PowerPoint (or OpenDocument), RTF, PDF, and PNG, JPEG, GIF, TIFF or WebP images"
# The first bytes of each accepted format: a file passes only if it starts with one of them, as
# well as being recognised by filetype (two checks that must agree).
SIGNATURES = {
    "zip": (b"PK\x03\x04",),  # docx, xlsx, pptx, odt, ods, odp
    "ole": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),  # doc, xls, ppt
    "rtf": (b"{\\rtf",),
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "tif": (b"II*\x00", b"MM\x00*"),
    "webp": (b"RIFF",),
}
_FAMILY = {"docx": "zip", "xlsx": "zip", "pptx": "zip", "odt": "zip", "ods": "zip", "odp": "zip",
           "doc": "ole", "xls": "ole", "ppt": "ole"}
PROGRAMS = {"exe", "elf", "wasm", "crx", "rpm", "deb", "swf", "nes", "cab", "ar"}
# Programs filetype does not name: Mach-O, Java classes, scripts with a #! line.
_PROGRAM_MAGIC = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
                  b"\xca\xfe\xba\xbe", b"#!", b"MZ")

# A zipped office document that unpacks to more than this, or by more than this ratio, or has
# more entries, is refused without reading it (a "zip bomb").
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 5000

PROGRAM = "This is a program, not a document: Panel takes only documents and images."
UNKNOWN = f"Panel cannot tell what this file is. It takes {ACCEPTED_LABEL}."
EMPTY = "The file is empty."
BOMB = ("This file would unpack to far more than it holds (or to too many parts): it is refused. "
        "Save it again from its program and upload that.")
NOT_OFFICE = "This zipped file is not an office document. Save it as Word, Excel or PowerPoint and upload that."


@dataclass(frozen=True)
class FileCheck:
    """What the content check found: the type to store (None when refused) and why not."""

    extension: str | None
    content_type: str | None
    problem: str | None = None


def max_bytes(max_mb: int) -> int:
    return max_mb * 1024 * 1024


def _zip_problem(data: bytes, extension: str) -> str | None:
    """Look into a zipped office document's directory (never unpacking it) for a zip bomb and for
    the part that every such document has."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return "The file is damaged: it cannot be opened as an office document."
    if len(infos) > MAX_ENTRIES:
        return BOMB
    unzipped = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if unzipped > MAX_UNZIPPED or unzipped > MAX_RATIO * max(packed, 1):
        return BOMB
    names = {i.filename for i in infos}
    needed = "mimetype" if extension in ("odt", "ods", "odp") else "[Content_Types].xml"
    if needed not in names:
        return NOT_OFFICE
    return None


def check_file(data: bytes, max_mb: int) -> FileCheck:
    """Accept the bytes as a document, judged by their content, or say why not."""
    if not data:
        return FileCheck(None, None, EMPTY)
    if len(data) > max_bytes(max_mb):
        return FileCheck(None, None, f"The file is {len(data) / 1024 / 1024:.1f} MB: the largest Panel takes is "
                                     f"{max_mb} MB. Save a smaller copy (for example a PDF without images).")
    kind = filetype.guess(data)
    extension = kind.extension if kind else None
    if extension in PROGRAMS or (extension is None and data.startswith(_PROGRAM_MAGIC)):
        return FileCheck(None, None, PROGRAM)
    if extension == "zip" and data.startswith(SIGNATURES["zip"]):
        return FileCheck(None, None, NOT_OFFICE)
    if extension not in ACCEPTED or not data.startswith(SIGNATURES[_FAMILY.get(extension, extension)]):
        return FileCheck(None, None, UNKNOWN)
    if extension == "webp" and data[8:12] != b"WEBP":
        return FileCheck(None, None, UNKNOWN)
    if _FAMILY.get(extension) == "zip" and (problem := _zip_problem(data, extension)):
        return FileCheck(None, None, problem)
    return FileCheck(extension, ACCEPTED[extension])


def has_signature(data: bytes) -> bool:
    """Whether the bytes start like one of the accepted formats (for the property tests)."""
    return any(data.startswith(sig) for sigs in SIGNATURES.values() for sig in sigs)


_SEPARATORS = re.compile(r"[\\/]")
_UNSAFE = re.compile(r'[<>:"|?*]')


def clean_filename(raw: str | None) -> str:
    """The name as uploaded, made safe to keep and to offer back: the last part of any path only,
    without control characters or characters a file system refuses, at most 255 characters
    (the extension kept), never empty."""
    name = _SEPARATORS.split(raw or "")[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE.sub("_", name).strip().strip(". ")
    if not name:
        return "document"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[:255 - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:255]
    return name or "document"


def download_name(filename: str, content_type: str) -> str:
    """The name a download gets: the uploaded name's stem with the extension of what the file is
    (a PDF uploaded as "report.docx" is offered as "report.pdf")."""
    name = clean_filename(filename)
    ext = EXTENSION_OF.get(content_type)
    if not ext:
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = (stem or "document")[:255 - len(ext) - 1]
    return f"{stem}.{ext}"


def may_see(visibility: str, roles: frozenset[str] | set[str], is_lead_reviewer: bool = False) -> bool:
    """Whether a user with `roles` in the document's partnership may open it."""
    if roles & PANEL_ROLES:
        return True
    if visibility == "partners":
        return bool(roles & PARTNER_ROLES)
    if visibility == "lead_reviewer":
        return is_lead_reviewer and bool(roles & PARTNER_ROLES)
    return False


def visible_levels(roles: frozenset[str] | set[str], is_lead_reviewer: bool = False) -> tuple[str, ...]:
    """The visibility levels a user with `roles` may open, for one query's filter."""
    return tuple(v for v in VISIBILITY if may_see(v, roles, is_lead_reviewer))


def is_lead_reviewer(user_email: str | None, lead_reviewer_email: str | None) -> bool:
    """The user is the review's lead reviewer when their e-mail matches the one on the review."""
    return bool(user_email and lead_reviewer_email
                and user_email.strip().casefold() == lead_reviewer_email.strip().casefold())


def check_upload(*, kind: str | None, title: str, visibility: str | None) -> dict[str, str]:
    """The form's fields (the file is checked by check_file)."""
    errors = {}
    if kind not in DOCUMENT_KINDS:
        errors["kind"] = "Choose what kind of document this is."
    if not (title or "").strip():
        errors["title"] = "Give the document a title, e.g. \"Police chronology\"."
    elif len(title.strip()) > 200:
        errors["title"] = "Keep the title to 200 characters."
    if visibility not in VISIBILITY:
        errors["visibility"] = "Choose who may see it."
    return errors


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
