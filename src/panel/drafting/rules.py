"""The documents Panel drafts for the panel to edit (docs/domain.md §11): each partnership's
headings, the checks on them, the text each section starts with, and the partners' sign-off.

Plain Python over plain values: the service reads the record and hands it over as `RecordFacts`,
so what a draft says can be tested without a database. The National Panel's template headings
are unverified and vary by locality (§11), so headings are data with these defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from panel.core import anonymise
from panel.core.anonymise import Identifiers

KINDS = {"rapid_review": "Rapid review report", "terms_of_reference": "Terms of reference"}
# Which review type each drafted document belongs to (the review type's key).
KIND_OF_TYPE = {"rapid_review": "rapid_review", "lcspr": "terms_of_reference"}
# The three safeguarding partners (Children Act 2004 s.16E; docs/domain.md §11).
PARTNERS = {"local_authority": "The local authority", "police": "The police", "health": "Health"}
STATUSES = {"draft": "Draft", "approved": "Signed off by the three partners",
            "sent": "Sent to the National Panel"}
SIGNED_OFF = ("Signed off: the three safeguarding partners have approved this {what}, so it no longer "
              "changes. Record a new version outside Panel if it must.")

MAX_SECTIONS = 30
HEADING_MAX = 200
GUIDANCE_MAX = 1000
TEXT_MAX = 20_000
SIGNED_BY_MAX = 200
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _h(key: str, heading: str, guidance: str) -> dict:
    return {"key": key, "heading": heading, "guidance": guidance}


# The rapid review's purposes (docs/domain.md §4.3 and §11), in this order.
DEFAULT_HEADINGS: dict[str, list[dict]] = {
    "rapid_review": [
        _h("facts", "The facts as far as readily known",
           "What happened, when, to a child of what age; what is known and what is not yet."),
        _h("agencies", "The agencies involved and the key practice episodes",
           "Each agency's involvement, from its summary, and the episodes of practice that matter."),
        _h("immediate_action", "Immediate action taken to keep children safe",
           "What was done to keep this child and other children safe, and by whom."),
        _h("equality", "How race, other inequalities and disability shaped the family's experience and the practice",
           "Consider ethnicity, culture, language, faith, disability, poverty and how practice responded."),
        _h("learning", "The improvements and learning identified",
           "What could be improved, including learning identified before, and recurring themes."),
        _h("lcspr", "Whether an LCSPR should be held and why",
           "The reg.11 considerations (SI 2018/789) and the partners' decision."),
        _h("sign_off", "The partners' sign-off",
           "The local authority, the police and health: who signed for each, and when."),
    ],
    "terms_of_reference": [
        _h("scope", "Scope", "What the review will and will not look at."),
        _h("period", "Period under review", "From when to when, and why those dates."),
        _h("lines_of_enquiry", "Key lines of enquiry", "The questions the review will answer."),
        _h("agencies", "Agencies", "The agencies asked for chronologies and reports."),
        _h("family", "Family involvement", "How the family will be invited to contribute."),
        _h("methodology", "Methodology", "The reviewer, the model and the practitioner learning events."),
        _h("timescale", "Timescale", "The milestones, the parallel processes that may delay it, and publication."),
    ],
}


def slug(heading: str) -> str:
    """A key for a new heading: its words in snake_case, as the key column of other admin tables."""
    words = re.sub(r"[^a-z0-9]+", "_", (heading or "").lower()).strip("_")
    key = words[:40].rstrip("_") or "section"
    return key if key[0].isalpha() else f"s_{key}"[:40]


def check_headings(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """The headings as they will be kept, and the problems by field ("headings[2].heading").

    A row keeps its key (so a renamed heading keeps its place in drafts already made); a new row
    gets one from its heading. At least one heading, none blank or repeated, within the limits."""
    errors: dict[str, str] = {}
    rows = list(rows or [])  # blank rows stay, so each message names the row the editor shows
    if not rows:
        return [], {"headings": "Keep at least one heading."}
    if len(rows) > MAX_SECTIONS:
        errors["headings"] = f"Keep to {MAX_SECTIONS} headings."
    out: list[dict] = []
    seen_headings: dict[str, int] = {}
    keys: set[str] = set()
    for i, r in enumerate(rows):
        heading = " ".join(str(r.get("heading") or "").split())
        guidance = str(r.get("guidance") or "").strip()
        key = str(r.get("key") or "").strip()
        if not heading:
            errors[f"headings[{i}].heading"] = "Give this section a heading."
        elif len(heading) > HEADING_MAX:
            errors[f"headings[{i}].heading"] = f"Keep the heading to {HEADING_MAX} characters."
        elif heading.lower() in seen_headings:
            errors[f"headings[{i}].heading"] = f"The same heading as row {seen_headings[heading.lower()] + 1}."
        else:
            seen_headings[heading.lower()] = i
        if len(guidance) > GUIDANCE_MAX:
            errors[f"headings[{i}].guidance"] = f"Keep the guidance to {GUIDANCE_MAX} characters."
        if key and not _KEY.match(key):
            errors[f"headings[{i}].key"] = "A key is lower-case letters, digits and _ (up to 40), starting with a letter."
        if not key or key in keys:
            if key in keys and r.get("key"):
                errors.setdefault(f"headings[{i}].key", "Another heading has this key.")
            base, n = slug(heading), 2
            key = base
            while key in keys:
                key, n = f"{base[:36]}_{n}", n + 1
        keys.add(key)
        out.append({"key": key, "heading": heading, "guidance": guidance})
    return out, errors


def check_texts(texts: dict[str, str], keys: list[str]) -> dict[str, str]:
    """A draft's edited sections: only its own sections, each within the limit."""
    errors = {}
    for k, v in (texts or {}).items():
        if k not in keys:
            errors["sections"] = "This draft has no such section: reload the page."
        elif k in DERIVED:
            errors[f"section_{k}"] = "This section is written from the partners' sign-offs: it cannot be edited."
        elif len(v or "") > TEXT_MAX:
            errors[f"section_{k}"] = f"Keep the section to {TEXT_MAX:,} characters."
    return errors


def check_sign_off(*, partner: str | None, signed_by: str, signed_on: date | None, today: date,
                   drafted_on: date) -> dict[str, str]:
    """One partner's sign-off: which partner, who signed (name and role), and a date neither in
    the future nor before the draft it approves existed (docs/domain.md §11)."""
    errors = {}
    if partner not in PARTNERS:
        errors["partner"] = "Choose the partner: the local authority, the police or health."
    who = " ".join((signed_by or "").split())
    if len(who) < 3:
        errors["signed_by"] = "Give the name and role of who signed for the partner."
    elif len(who) > SIGNED_BY_MAX:
        errors["signed_by"] = f"Keep this to {SIGNED_BY_MAX} characters."
    if signed_on is None:
        errors["signed_on"] = "Enter the date it was signed."
    elif signed_on > today:
        errors["signed_on"] = "The date cannot be in the future."
    elif signed_on < drafted_on:
        errors["signed_on"] = f"The draft was made on {drafted_on:%d %b %Y}: it cannot be signed before."
    return errors


# --- filling a draft from the record ---------------------------------------------------------


@dataclass
class RecordFacts:
    """What the record knows, as plain values (the service reads them). Never the child's
    initials or date of birth: `identifiers` is only for scrubbing what free text carries."""

    reference: str
    identifiers: Identifiers = field(default_factory=Identifiers)
    incident_date: date | None = None
    aware_on: date | None = None
    notified_on: date | None = None
    started_on: date | None = None
    age_years: int | None = None
    sex: str = ""
    harm: str = ""
    abuse_or_neglect: str = ""
    circumstances: list[str] = field(default_factory=list)  # "looked after", "on a child protection plan"
    incident_summary: str = ""
    screening_reasons: list[str] = field(default_factory=list)
    rationale: str = ""
    # name, asked (labels), requests: each kind (label), due_on, received_on, summary, document (title)
    agencies: list[dict] = field(default_factory=list)
    considerations: list[tuple[str, str]] = field(default_factory=list)  # (question, answer label)
    lcspr_decision: str = ""  # its label
    lcspr_decided_on: date | None = None
    sign_offs: dict[str, dict] = field(default_factory=dict)  # partner -> signed_by, signed_on
    family: list[dict] = field(default_factory=list)  # event label, happened_on
    processes: list[dict] = field(default_factory=list)  # kind, status, next_event, next_on, reference
    milestones: list[dict] = field(default_factory=list)  # name, planned, actual


def _d(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def _write(what: str) -> str:
    """The sentence a section starts with when the record knows nothing for it."""
    return f"Panel holds nothing on this yet. Write {what} here."


def _facts(f: RecordFacts) -> str:
    who = "The child"
    if f.age_years is not None:
        who += f", aged {f.age_years}" if f.age_years else ", aged under 1"
    if f.sex:
        who += f" ({f.sex})"
    harm = {"died": "died", "serious_harm": "was seriously harmed"}.get(f.harm, "was harmed")
    lines = [f"{who}, {harm}" + (f" on {_d(f.incident_date)}" if f.incident_date else "")
             + (f"; abuse or neglect is {f.abuse_or_neglect}." if f.abuse_or_neglect else ".")]
    if f.circumstances:
        lines.append("The child was " + ", ".join(f.circumstances) + ".")
    if f.incident_summary.strip():
        lines += ["", f.incident_summary.strip()]
    if f.aware_on:
        lines += ["", f"The local authority became aware on {_d(f.aware_on)}."
                  + (f" The National Panel was notified on {_d(f.notified_on)}." if f.notified_on else "")]
    if f.screening_reasons:
        lines += ["", "The criteria the case meets, as the panel answered them:", *(f"- {r}" for r in f.screening_reasons)]
    if f.rationale.strip():
        lines += ["", "The panel's decision: " + f.rationale.strip()]
    return "\n".join(lines)


def _request(r: dict) -> str:
    """One thing asked of an agency, as the record has it: the summary's words once written, else
    when it arrived (and the document that answered it), else when it is due."""
    summary = (r.get("summary") or "").strip()
    if summary:
        return summary
    if r.get("received_on"):
        return (f"{r['kind']} received on {_d(r['received_on'])}"
                + (f" ({r['document']})." if r.get("document") else "."))
    return f"{r['kind']} asked for, due {_d(r['due_on'])}, not yet received."


def _agencies(f: RecordFacts) -> str:
    if not f.agencies:
        return _write("each agency involved and the key practice episodes (ask each agency for its chronology, "
                      "report or summary under Chronologies and agency reports)")
    out = []
    for a in f.agencies:
        out.append(f"{a['name']}" + (f" (asked for: {', '.join(a['asked'])})" if a.get("asked") else ""))
        out += [_request(r) for r in a.get("requests", [])] or ["Not asked for a chronology, report or summary yet."]
        out.append("")
    return "\n".join(out).strip()


def _lcspr(f: RecordFacts) -> str:
    lines = [f"- {q} {a}" for q, a in f.considerations if a]
    if f.lcspr_decision:
        lines += ["", f"The partners' decision: {f.lcspr_decision}"
                  + (f" (decided on {_d(f.lcspr_decided_on)})." if f.lcspr_decided_on else ".")]
    if not lines:
        return _write("the partners' answers to the reg.11 considerations and whether an LCSPR should be held "
                      "(record them under End of the rapid review)")
    return "\n".join(lines).strip()


def sign_off_text(sign_offs: dict[str, dict]) -> str:
    """What the sign-off section says: who signed for each partner and when, or not yet."""
    lines = []
    for key, label in PARTNERS.items():
        s = sign_offs.get(key)
        lines.append(f"- {label}: signed by {s['signed_by']} on {_d(s['signed_on'])}." if s
                     else f"- {label}: not yet signed.")
    return "\n".join(lines)


def _sign_off(f: RecordFacts) -> str:
    return sign_off_text(f.sign_offs)


def _scope(f: RecordFacts) -> str:
    harm = {"died": "the death", "serious_harm": "the serious harm"}.get(f.harm, "the harm")
    return (f"A Local Child Safeguarding Practice Review of {harm} of a child"
            + (f" on {_d(f.incident_date)}" if f.incident_date else "")
            + (f", decided on {_d(f.started_on)}." if f.started_on else ".")
            + " Say what the review will and will not look at.")


def _enquiry(f: RecordFacts) -> str:
    found = [q for q, a in f.considerations if a == "Yes"]
    if not found:
        return _write("the questions the review will answer")
    return "\n".join(["The rapid review found, of the reg.11 considerations:", *(f"- {q}" for q in found), "",
                      "Turn each into a question the review will answer."])


def _tor_agencies(f: RecordFacts) -> str:
    if not f.agencies:
        return _write("the agencies asked for chronologies and reports")
    return "\n".join(f"- {a['name']}" + (f": {', '.join(a['asked'])}" if a.get("asked") else "") for a in f.agencies)


def _family(f: RecordFacts) -> str:
    if not f.family:
        return _write("how the family will be invited to contribute (no step is recorded yet)")
    latest = f.family[-1]
    return (f"{len(f.family)} step(s) of the family's involvement recorded; the latest: {latest['event']} "
            f"on {_d(latest['happened_on'])}.")


def _period(f: RecordFacts) -> str:
    if f.incident_date:
        return (f"Up to the incident on {_d(f.incident_date)}. " + "Say from when the review looks back, and why.")
    return _write("the period under review")


def _timescale(f: RecordFacts) -> str:
    lines = [f"- {m['name']}: " + (f"done on {_d(m['actual'])}" if m.get("actual") else f"planned for {_d(m['planned'])}")
             for m in f.milestones if m.get("planned") or m.get("actual")]
    if f.processes:
        lines += ["", "Parallel processes that may shape the timetable:"]
        for p in f.processes:
            nxt = f"; next: {p['next_event']}" + (f" on {_d(p['next_on'])}" if p.get("next_on") else "") \
                if p.get("next_event") else ""
            lines.append(f"- {p['kind']} ({p['status'].lower()}{nxt})")
    return "\n".join(lines).strip() or _write("the timescale")


FILLERS = {
    "rapid_review": {"facts": _facts, "agencies": _agencies, "lcspr": _lcspr,
                     "sign_off": _sign_off},
    "terms_of_reference": {"scope": _scope, "lines_of_enquiry": _enquiry, "agencies": _tor_agencies,
                           "family": _family, "period": _period, "timescale": _timescale},
}


# Sections the record writes whenever the draft is shown or built, never the panel: the sign-off
# follows the SignOff rows (docs/domain.md §11), so it cannot say "not yet signed" once signed.
DERIVED = {"sign_off"}
DERIVED_HELP = "Written from the partners' sign-offs below: it changes as each partner signs, not here."


def derive(sections: list[dict], sign_offs: dict[str, dict]) -> list[dict]:
    """The draft's sections with each derived one written afresh from the record, and marked."""
    return [{**sec, "text": sign_off_text(sign_offs), "derived": True} if sec["key"] in DERIVED
            else {**sec, "derived": False} for sec in sections]


def scrub(text: str, identifiers: Identifiers) -> str:
    """Free text with the case's identifiers taken out (docs/domain.md §8): the child's initials
    become "Child X", a date of birth and a name are replaced by a note saying what was there."""
    hits = anonymise.check(text, identifiers)
    swap = {"initials": "Child X", "date_of_birth": "[date of birth removed]", "name": "[name removed]"}
    for h in reversed(hits):
        text = text[:h.start] + swap.get(h.kind, "[removed]") + text[h.end:]
    return text


def fill(kind: str, headings: list[dict], f: RecordFacts) -> list[dict]:
    """The draft's sections, one per heading in its order, each started from the record. A heading
    the record cannot fill (the partnership's own, or one Panel knows nothing for) says what to
    write, from its guidance. Every text is scrubbed of the case's identifiers."""
    fillers = FILLERS.get(kind, {})
    out = []
    for h in headings:
        filler = fillers.get(h["key"])
        text = filler(f) if filler else ""
        if not text.strip():
            text = "Panel holds nothing on this yet. Write this section here" + (
                f": {h['guidance'].strip()}" if (h.get("guidance") or "").strip() else ".")
        out.append({"key": h["key"], "heading": h["heading"], "text": scrub(text, f.identifiers)})
    return out


def safe_filename(reference: str, kind: str) -> str:
    """A download's name from the review's reference and the kind: letters, digits and - only."""
    ref = re.sub(r"[^A-Za-z0-9-]", "", reference or "")[:40] or "review"
    name = re.sub(r"[^a-z0-9]+", "-", KINDS.get(kind, "document").lower()).strip("-")
    return f"{ref}-{name}.docx"
