"""The briefing library's rules (docs/domain.md §7.3, §8): how a version's text is kept, what a
save accepts, and the anonymisation check on a briefing's title and sections. Pure: no database,
no Streamlit; panel.learning.library applies them."""

from __future__ import annotations

import json

from panel.core import anonymise
from panel.core.anonymise import Hit, Identifiers
from panel.core.errors import ValidationFailed
from panel.learning.briefing import SECTION_KEYS

STATUSES = {"draft": "Draft", "approved": "Approved", "published": "Published", "withdrawn": "Withdrawn"}
TITLE_MAX = 200
SECTION_MAX = 4000


def encode(title: str, sections: dict[str, str]) -> str:
    """A version's JSON: its seven sections and its title, so a later draft cannot rename what is
    published. Not ASCII-escaped, so a search for "café" finds it in the column."""
    return json.dumps({"title": title, **{k: sections.get(k) or "" for k in SECTION_KEYS}},
                      ensure_ascii=False, sort_keys=True)


def decode(text: str | None) -> tuple[str, dict[str, str]]:
    """(title, sections) of a version's JSON; anything unreadable reads as empty."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    return str(data.get("title") or ""), {k: str(data.get(k) or "") for k in SECTION_KEYS}


def normal(title: str | None, sections: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """The text as it is saved: the title on one line, each section trimmed."""
    return " ".join((title or "").split()), {k: str((sections or {}).get(k) or "").strip() for k in SECTION_KEYS}


def clean(title: str | None, sections: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """The text to save, or ValidationFailed naming the title or the section that is wrong."""
    title, text = normal(title, sections)
    errors = {}
    if not title:
        errors["title"] = "Give the briefing a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})."
    for k, v in text.items():
        if len(v) > SECTION_MAX:
            errors[k] = f"Keep this section to {SECTION_MAX} characters (it has {len(v)})."
    if not errors and not any(text.values()):
        errors["background"] = "Write at least one section before you save."
    if errors:
        raise ValidationFailed(errors)
    return title, text


def check(title: str, sections: dict[str, str], identifiers: Identifiers) -> list[Hit]:
    """The anonymisation check on the title, then every section in order; each hit names where
    it is ("title" or the section's key)."""
    return [Hit(h.start, h.end, h.matched, h.kind, h.why, section=where)
            for where, text in (("title", title), *((k, sections.get(k)) for k in SECTION_KEYS))
            for h in anonymise.check(text or "", identifiers)]


def refusal(hits: list[Hit], what: str) -> ValidationFailed:
    """The check's hits as messages beside the title and each section, never quoting what was
    found (the message may be read on a shared screen), and one for the whole version."""
    by: dict[str, list[str]] = {}
    for h in hits:
        by.setdefault(h.section, []).append(f"{anonymise.KINDS[h.kind]} at character {h.start + 1}")
    errors = {k: "Possible identifier: " + "; ".join(v) + ". Replace it with \"Child X\" or remove it."
              for k, v in by.items()}
    errors["version"] = (f"Not {what}: the anonymisation check found {len(hits)} possible identifier(s) of "
                         "the child. Correct the text, save it as a new draft and approve that.")
    return ValidationFailed(errors)


def matches(terms: list[str], title: str, sections: dict[str, str]) -> bool:
    """Every search word is in the title or the text (case aside)."""
    text = " ".join([title, *sections.values()]).lower()
    return all(t.lower() in text for t in terms)
