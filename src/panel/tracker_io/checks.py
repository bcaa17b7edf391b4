"""Row checks, part one: shared helpers, then the referral and notification sheets.

Referral rows go through `panel.referrals.rules.validate_referral`, as the referral form does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from panel.core.clock import add_working_days
from panel.core.validation import not_after_today
from panel.referrals.rules import parse_reference, validate_referral
from panel.reviews import lifecycle
from panel.screening import rules as screening
from panel.tracker_io.context import Context, TypeInfo
from panel.tracker_io.format import KEYS, SHEETS
from panel.tracker_io.parse import CellError, Parsed, parse_cell
from panel.tracker_io.report import ImportReport, Plan, Problem

# -- checking --------------------------------------------------------------------------------

@dataclass
class CheckedRow:
    """One sheet row: its clean values and field messages. Both halves of the checks build them."""

    n: int
    clean: dict[str, Any]
    errors: dict[str, str]
    new: bool = False


@dataclass
class KnownReferral:
    """A referral a row refers to: from this file or from the database. The review sheets
    (checks_reviews) look referrals up as these."""

    reference: str
    partnership_id: int | None
    aware_on: date | None
    status: str | None
    facts: dict | None  # screening facts, if they are valid
    in_db: bool
    outcome: str | None = None  # the signed decision's type key
    decided_on: date | None = None
    max_version: int = 0


_DATE_LABELS = {"aware_on": "The day the authority became aware", "decision": "The decision",
                "notification": "The notification", "started_on": "The review's start"}


def dates_out_of_order(dates: dict[str, date | None], order: list[str],
                       labels: dict[str, str] | None = None) -> dict[str, str]:
    """Messages for dates out of `order`, with the sheet's column labels; every sheet's checks
    word an order problem alike."""
    return lifecycle.check_dates_in_order(dates, order, {**_DATE_LABELS, **(labels or {})})


class RowChecker:
    """The shared row helpers and the referral and notification sheets; the review and
    milestone sheets (checks_reviews) extend it."""

    def __init__(self, parsed: Parsed, ctx: Context):
        self.parsed, self.ctx = parsed, ctx
        self.report = ImportReport(parsed.file_name, warnings=list(parsed.warnings),
                                   rows=parsed.row_count)
        self.plan = Plan()
        self.file_referrals: dict[str, tuple[CheckedRow, KnownReferral]] = {}
        self.file_reviews: dict[str, tuple[CheckedRow, dict]] = {}
        self.extra_review_rows: list[CheckedRow] = []  # duplicates and rows without a reference
        self.file_sources: dict[str, list[dict]] = {}  # learning sources by name (casefolded)

    # shared helpers --------------------------------------------------------------------------
    def problem(self, sheet: str, row: int, column: str | None, message: str) -> None:
        self.report.problems.append(Problem(sheet, row, column, message))

    def cells(self, sheet: str, n: int, raw: dict[str, Any]) -> CheckedRow:
        row = CheckedRow(n, {}, {})
        for col in SHEETS[sheet]:
            if col.name not in self.parsed.sheets[sheet].columns:
                continue
            try:
                value = parse_cell(col, raw.get(col.name))
            except CellError as e:
                row.errors[col.name] = str(e)
                value = None
            if value is None and col.required and col.name not in row.errors:
                row.errors[col.name] = "Required: this cell is empty."
            row.clean[col.name] = value
        return row

    def finish_row(self, sheet: str, row: CheckedRow) -> None:
        order = [c.name for c in SHEETS[sheet]]
        for col in sorted(row.errors, key=lambda c: order.index(c) if c in order else len(order)):
            self.problem(sheet, row.n, col, row.errors[col])

    def compare(self, sheet: str, row: CheckedRow, existing: dict) -> None:
        """A row whose key is already in the database: unchanged, or an error naming the columns."""
        present = self.parsed.sheets[sheet].columns
        differ = []
        for col in SHEETS[sheet]:
            if col.name not in present or col.name in KEYS[sheet]:
                continue
            mine = row.clean.get(col.name)
            if col.computed and mine is None:
                continue  # blank: keep what is there
            theirs = existing.get(col.name)
            if col.kind == "list":
                mine, theirs = tuple(sorted(mine or ())), tuple(sorted(theirs or ()))
            if col.kind == "bool":
                mine, theirs = bool(mine), bool(theirs)
            if mine != theirs:
                differ.append(col.name)
        if differ:
            cols = ", ".join(differ)
            row.errors.setdefault(KEYS[sheet][0], (
                f"Already in the database with different values in: {cols}. An import never changes "
                "existing records: correct them in the app, or make the file match."))
        else:
            self.report.counts[sheet]["unchanged"] += 1

    def referral(self, reference: str | None) -> KnownReferral | str | None:
        """The referral a notification or review row names, or why it cannot be used; None
        for a referral of this file whose own row has problems (reported there, not again)."""
        if not reference:
            return "Required: this cell is empty."
        ref = reference.upper()
        if ref in self.file_referrals:
            row, found = self.file_referrals[ref]
            return None if row.errors else found  # its own row reports the problem
        existing = self.ctx.referrals.get(ref)
        if existing is None or not self.ctx.may_import(existing["_pid"]):
            return f"No referral {ref} in this file or in the partnerships you can import into."
        return KnownReferral(ref, existing["_pid"], existing["aware_on"], existing["status"],
                         existing.get("_facts"), True, existing.get("_outcome"),
                         existing.get("_decided_on"), existing.get("_max_version", 0))

    def types_of(self, pid: int | None) -> dict[str, TypeInfo]:
        return self.ctx.review_types.get(pid, {}) if pid is not None else {}

    def referrals(self) -> None:
        ctx = self.ctx
        agency_ids = set(ctx.agencies.values())
        for n, raw in self.parsed.sheets["referrals"].rows:
            row = self.cells("referrals", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("reference") or "").upper() or None
            c["reference"] = ref
            if ref and "reference" not in e:
                try:
                    parse_reference(ref)
                except ValueError:
                    e["reference"] = f"{ref[:40]!r} is not a referral reference like NB-2025-014."
            if ref in self.file_referrals:
                e["reference"] = f"Duplicate reference: {ref} is also on row {self.file_referrals[ref][0].n}."
            code = (c.get("partnership_code") or "").upper() or None
            c["partnership_code"] = code
            pid = ctx.partnerships.get(code) if code else None
            if code and pid is None:
                e["partnership_code"] = f"No partnership with code {code[:12]!r}."
            elif pid is not None and not ctx.may_import(pid):
                e["partnership_code"] = f"You cannot import into partnership {code}: you are not its administrator."
            elif code and ref and "reference" not in e and not ref.startswith(code + "-"):
                e["reference"] = f"The reference must start with its partnership's code, {code}-."
            # Agencies, by name.
            agency = c.get("referrer_agency")
            if agency is not None:
                c["referrer_agency"] = ctx.agencies.get(agency.casefold())
                if c["referrer_agency"] is None:
                    e["referrer_agency"] = f"No agency named {agency[:60]!r}: use a name from the guide sheet."
            involved = c.get("agencies_involved") or ()
            unknown = [a for a in involved if a.casefold() not in ctx.agencies]
            if unknown:
                e["agencies_involved"] = f"No agency named {unknown[0][:60]!r}: use names from the guide sheet."
            c["agencies_involved"] = tuple(sorted({ctx.agencies[a.casefold()] for a in involved
                                                   if a.casefold() in ctx.agencies}))
            # The referral form's own checks, on the values that parsed.
            form = {k: v for k, v in c.items() if k not in e}
            form["referrer_agency_id"] = c.get("referrer_agency") if "referrer_agency" not in e else None
            form["agencies_involved"] = list(c["agencies_involved"])
            clean, form_errors = validate_referral(form, ctx.today, agency_ids)
            for field_name, msg in form_errors.items():
                e.setdefault("referrer_agency" if field_name == "referrer_agency_id" else field_name, msg)
            for k in ("child_initials", "referrer_name", "incident_summary", "referrer_view"):
                if k in c and k not in e and clean.get(k) is not None:
                    c[k] = clean[k]
            for flag in ("looked_after", "child_protection_plan", "known_to_csc", "custody_death",
                         "media_interest", "practice_concerns"):
                c[flag] = bool(c.get(flag))
            c.setdefault("interagency_concerns", None)
            c["interagency_concerns"] = c["interagency_concerns"] or "unclear"
            for k in ("dcs_informed_on", "decided_on"):
                if k not in e:
                    e.update(not_after_today(k, c.get(k), ctx.today))
            # The screening engine must accept the facts.
            facts = None
            if all(c.get(k) is not None and k not in e for k in ("aware_on", "harm", "abuse_or_neglect", "location")):
                facts = {"aware_on": c["aware_on"].isoformat(), "abuse_or_neglect": c["abuse_or_neglect"],
                         "harm": c["harm"], "location": c["location"],
                         "interagency_concerns": c["interagency_concerns"], "custody_death": c["custody_death"],
                         "looked_after": c["looked_after"], "media_interest": c["media_interest"],
                         "practice_concerns": c["practice_concerns"]}
                try:
                    screening.assess(facts)
                except ValueError as err:
                    key = str(err).split(":", 1)[0].strip()
                    e.setdefault(key if key in c else "harm", str(err))
                    facts = None
            # The panel's outcome.
            outcome, decided_on = c.get("outcome"), c.get("decided_on")
            if outcome is not None:
                info = self.types_of(pid).get(outcome) or self.types_of(pid).get(outcome.lower())
                if pid is not None and info is None:
                    e["outcome"] = (f"{outcome[:40]!r} is not a review type of {code}: "
                                    f"{', '.join(self.types_of(pid))}.")
                elif info is not None:
                    c["outcome"] = info.spec.key
                    regime = screening.assess(facts)["regime"] if facts else None
                    if regime and info.spec.regime != regime:
                        e["outcome"] = (f"{info.spec.name} is a {info.spec.regime} outcome; "
                                        f"{regime} applies to this referral.")
                if c.get("status") and c["status"] != "decided":
                    e.setdefault("status", "A referral with an outcome is decided: set the status to decided.")
                if decided_on is None and "decided_on" not in e:
                    e["decided_on"] = "Give the date of the decision with the outcome."
            elif decided_on is not None:
                e.setdefault("outcome", "Give the outcome (a review type key) with the decision date.")
            if decided_on and c.get("aware_on") and "decided_on" not in e:
                e.update({k: v for k, v in dates_out_of_order({"aware_on": c["aware_on"], "decided_on": decided_on},
                                                  ["aware_on", "decided_on"], {"decided_on": "The decision"}).items()
                          if k not in e})
            info_ref = KnownReferral(ref or "", pid, c.get("aware_on"), c.get("status"), facts, False,
                                 c.get("outcome"), decided_on)
            existing = ctx.referrals.get(ref) if ref else None
            if existing is not None and "reference" not in e:
                if not ctx.may_import(existing["_pid"]):
                    e["reference"] = f"Reference {ref} is already used by a referral of another partnership."
                else:
                    values = dict(existing, outcome=existing.get("_outcome"),
                                  decided_on=existing.get("_decided_on"))
                    if not e:
                        self.compare("referrals", row, values)
                    info_ref.in_db = True
                    info_ref.max_version = existing.get("_max_version", 0)
                    info_ref.outcome = existing.get("_outcome") or info_ref.outcome
                    info_ref.decided_on = existing.get("_decided_on") or info_ref.decided_on
            elif not e:
                row.new = True
                self.report.counts["referrals"]["new"] += 1
                self.plan.referrals.append({**c, "_pid": pid})
            if ref and ref not in self.file_referrals:
                self.file_referrals[ref] = (row, info_ref)
            self.finish_row("referrals", row)

    def notifications(self) -> None:
        ctx = self.ctx
        seen: dict[tuple[str, str], int] = {}
        for n, raw in self.parsed.sheets["notifications"].rows:
            row = self.cells("notifications", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("referral_reference") or "").upper() or None
            c["referral_reference"] = ref
            target = self.referral(ref) if "referral_reference" not in e else None
            if isinstance(target, str):
                e["referral_reference"] = target
                target = None
            body = c.get("body")
            key = (ref or "", body or "")
            if ref and body:
                if key in seen:
                    e["body"] = f"Duplicate: {ref} already has a {body} row (row {seen[key]})."
                else:
                    seen[key] = n
            aware = target.aware_on if target else None
            statutory = add_working_days(aware, screening.NOTIFY_WITHIN) if aware else None
            due = c.get("due_on") if c.get("due_on") is not None else statutory
            if statutory and c.get("due_on") not in (None, statutory) and "due_on" not in e:
                # Kept as the tracker had it, but the statutory figures use the statute's clock.
                self.report.warnings.append(Problem("notifications", n, "due_on", (
                    f"{ref} {body}: the due date {c['due_on']:%d/%m/%Y} is not the statutory "
                    f"one, {statutory:%d/%m/%Y} (5 working days after the authority became aware "
                    f"on {aware:%d/%m/%Y}). It is kept and shown, but the timeliness figures judge "
                    "on time against the statutory date.")))
            sent = c.get("sent_on")
            if "sent_on" not in e:
                e.update(not_after_today("sent_on", sent, ctx.today))
            for col, day in (("due_on", c.get("due_on")), ("sent_on", sent)):
                if day and aware and col not in e:
                    msgs = dates_out_of_order({"aware_on": aware, col: day}, ["aware_on", col],
                                  {"due_on": "The due date", "sent_on": "The notification"})
                    if msgs:
                        e[col] = msgs[col]
            existing = ctx.notifications.get(key) if target and target.in_db else None
            if existing is not None:
                if not e:
                    self.compare("notifications", row, existing)
            elif not e:
                self.report.counts["notifications"]["new"] += 1
                self.plan.notifications.append({**c, "due_on": due})
            self.finish_row("notifications", row)
