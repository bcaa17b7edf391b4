"""Row checks, part three: the learning sheets (findings, recommendations, actions) of the reviews
and learning sources in the file or the database (docs/domain.md §7.1).

The learning services' own pure checks word every problem, so a row is refused exactly when the
review page would refuse the same entry. References (F1, R1, A1) are local to the file: a row is
matched to learning already stored by its review and text (a finding, a recommendation) or by its
recommendation, text and owner (an action), so importing the same file again changes nothing.
"""

from __future__ import annotations

from panel.core import clock
from panel.core.validation import not_after_today
from panel.learning.actions import EMAIL_RE, evidence_problem
from panel.learning.carry import CARRIED_TO_MAX
from panel.learning.carry import REASON_MIN as CARRY_REASON_MIN
from panel.learning.follow_up_rules import date_problem
from panel.learning.owner import owner_problem, text_and_date_errors
from panel.learning.recommendations import NO_AGENCY, smart_errors
from panel.tracker_io.checks import CheckedRow, RowChecker

NOT_YOURS = "Link findings of this review or learning source only."


def _upper(value) -> str | None:
    return (value or "").upper() or None


def _nth(stored: dict[tuple, list[dict]], key: tuple, seen: dict[tuple, int]) -> dict | None:
    """The stored row this file row matches: rows sharing a key (the same text twice in a review)
    are matched in turn, in the order the export writes them."""
    n = seen[key] = seen.get(key, -1) + 1
    rows = stored.get(key) or []
    return rows[n] if n < len(rows) else None


def named_ids(found: dict[str, int], names, e: dict, col: str, what: str) -> tuple[int, ...]:
    """Names looked up (case aside) as sorted ids; the first unknown one is the row's problem."""
    unknown = [n for n in names if n.casefold() not in found]
    if unknown:
        e.setdefault(col, f"No {what} named {unknown[0][:60]!r}: use names from the {what} list in the app.")
    return tuple(sorted({found[n.casefold()] for n in names if n.casefold() in found}))


def refuse_retired(ctx, ids, kept, e: dict, col: str) -> None:
    """A retired agency is not named by a new row, as the forms no longer offer it; a row already
    stored keeps the agencies it named before they were retired (re-importing changes nothing)."""
    for a in ids:
        if a in ctx.retired and a not in set(kept or ()):
            e.setdefault(col, ctx.retired[a])
            return


class _Learning:
    """The three sheets in order; each keeps its rows by the file's reference for the next."""

    def __init__(self, ch: RowChecker):
        self.ch, self.ctx, self.sheets = ch, ch.ctx, ch.parsed.sheets
        self.findings: dict[str, tuple[CheckedRow, dict]] = {}
        self.recs: dict[str, tuple[CheckedRow, dict]] = {}

    def rows(self, sheet: str):
        return self.sheets[sheet].rows if sheet in self.sheets else ()

    def review(self, ref: str | None) -> tuple[int, bool] | str | None:
        """(partnership id, already stored) of the review a row names, why it cannot be used, or
        None for a review of this file whose own row has problems (reported there)."""
        if ref in self.ch.file_reviews:
            row, record = self.ch.file_reviews[ref]
            return None if row.errors or record["_pid"] is None else (record["_pid"], not record["_new"])
        existing = self.ctx.reviews.get(ref)
        if existing is None or not self.ctx.may_import(existing["_pid"]):
            return f"No review {ref} in this file or in the partnerships you can import into."
        return existing["_pid"], True

    def start(self, sheet: str, n: int, raw: dict, key: str, seen: dict) -> CheckedRow:
        row = self.ch.cells(sheet, n, raw)
        ref = row.clean[key] = _upper(row.clean.get(key))
        if ref in seen:
            row.errors[key] = f"Duplicate reference: {ref} is also on row {seen[ref][0].n}."
        return row

    def owner(self, row: CheckedRow) -> tuple[int | None, bool, object, dict | None]:
        """(partnership id, already stored, owner key, source record) of the review or learning
        source a row names: exactly one of them, as the review and source pages ask. The key is
        equal for rows of the same owner: the review's reference, or the source's."""
        c, e = row.clean, row.errors
        ref = c["review_reference"] = _upper(c.get("review_reference"))
        name = c.get("source")
        none = (None, False, None, None)
        if "review_reference" in e or "source" in e:
            return none
        if c.get("source_partnership_code") and not name:
            e["source_partnership_code"] = "Only a learning source's row has this: give the source, or leave it blank."
            return none
        if problem := owner_problem(ref, 1 if name else None):
            e["source" if ref and name else "review_reference"] = problem["owner"]
            return none
        if name:
            return self.source(row, name)
        target = self.review(ref)
        if isinstance(target, str):
            e["review_reference"] = target
            return none
        return (*target, ref, None) if target else none

    def source(self, row: CheckedRow, name: str) -> tuple[int | None, bool, object, dict | None]:
        """The learning source a row names (reference, or title if it has none): in the
        learning_sources sheet of this file, or stored in a partnership the file may write to."""
        key = name.casefold()
        in_file = self.ch.file_sources.get(key, [])
        matched = {r["_id"] for r in in_file if r["_id"]}
        stored = [v for v in self.ctx.source_names.get(key, ())
                  if v["_id"] not in matched and self.ctx.may_import(v["_pid"])]
        found = [*in_file, *stored]
        if code := _upper(row.clean.get("source_partnership_code")):
            if code not in self.ctx.partnerships:
                row.errors["source_partnership_code"] = f"No partnership with code {code[:12]!r}."
                return None, False, None, None
            found = [r for r in found if r["partnership_code"] == code]
        if not found:
            row.errors["source"] = (f"No learning source {name[:60]!r} in the learning_sources sheet of this file "
                                    "or in the partnerships you can import into: name it by its reference, or "
                                    "by its title if it has none.")
            return None, False, None, None
        if len(found) > 1:
            row.errors["source"] = (f"{len(found)} learning sources are named {name[:60]!r}: give the source's "
                                    "partnership in source_partnership_code, or give each source a reference and "
                                    "name it by that.")
            return None, False, None, None
        src = found[0]
        if src.get("_row") is not None and src["_row"].errors or src["_pid"] is None:
            return None, False, None, None  # its own row reports the problem
        row.clean["source"] = src["reference"] or src["title"]
        row.clean["source_partnership_code"] = src["partnership_code"]
        return src["_pid"], src["_id"] is not None, ("source", src["_id"]) if src["_id"] else ("file", id(src)), src

    def keep(self, sheet: str, row: CheckedRow, existing: dict | None, plan: list, record: dict) -> None:
        """Unchanged (or an error naming the columns) when stored already, else new."""
        if existing is not None:
            record["_id"] = existing["_id"]
            if not row.errors:
                self.ch.compare(sheet, row, existing)
        elif not row.errors:
            self.ch.report.counts[sheet]["new"] += 1
            plan.append(record)
        self.ch.finish_row(sheet, row)

    # sheets ----------------------------------------------------------------------------------
    def check_findings(self) -> None:
        texts: dict[tuple, int] = {}
        for n, raw in self.rows("findings"):
            row = self.start("findings", n, raw, "finding_reference", self.findings)
            c, e = row.clean, row.errors
            pid, stored, whose, src = self.owner(row)
            for k, msg in text_and_date_errors("finding", c.get("text"), c.get("recorded_on"), self.ctx.today,
                                               editing=False).items():
                e.setdefault(k, msg)
            c["themes"] = named_ids(self.ctx.themes, c.get("themes") or (), e, "themes", "theme")
            c["agencies"] = named_ids(self.ctx.agencies, c.get("agencies") or (), e, "agencies", "agency")
            key = (whose, c.get("text"))
            record = {**c, "_pid": pid, "_id": None, "_owner": whose, "_source": src}
            existing = _nth(self.ctx.findings, key, texts) if stored else None
            refuse_retired(self.ctx, c["agencies"], existing and existing["agencies"], e, "agencies")
            if c["finding_reference"] and c["finding_reference"] not in self.findings:
                self.findings[c["finding_reference"]] = (row, record)
            self.keep("findings", row, existing, self.ch.plan.findings, record)

    def check_recommendations(self) -> None:
        texts: dict[tuple, int] = {}
        for n, raw in self.rows("recommendations"):
            row = self.start("recommendations", n, raw, "recommendation_reference", self.recs)
            c, e = row.clean, row.errors
            pid, stored, whose, src = self.owner(row)
            recorded, accepted = c.get("recorded_on"), c.get("accepted_on")
            for k, msg in {**text_and_date_errors("recommendation", c.get("text"), recorded, self.ctx.today,
                                                  editing=False),
                           **smart_errors(c.get("outcome_sought"), c.get("measure"), c.get("due_on"),
                                           recorded)}.items():
                e.setdefault(k, msg)
            links = c["finding_references"] = tuple(_upper(f) for f in c.get("finding_references") or ())
            themes: set[int] = set()
            for ref in links:
                found = self.findings.get(ref)
                if found is None:
                    e.setdefault("finding_references", f"No finding {ref[:30]} in the findings sheet of this file.")
                elif whose is not None and found[1]["_owner"] != whose:
                    e.setdefault("finding_references", NOT_YOURS)
                else:
                    themes.update(found[1]["themes"])
            c["target_agencies"] = named_ids(self.ctx.agencies, c.get("target_agencies") or (), e,
                                          "target_agencies", "agency")
            if not c["target_agencies"]:
                e.setdefault("target_agencies", NO_AGENCY)
            if c.get("status") == "accepted":
                if accepted is None:
                    e.setdefault("accepted_on", "Give the day the partnership accepted it.")
                elif msg := not_after_today("accepted_on", accepted, self.ctx.today):
                    e.update({k: v for k, v in msg.items() if k not in e})
                elif recorded and accepted < recorded:
                    e.setdefault("accepted_on", f"It was recorded on {clock.day(recorded)}: it cannot have been "
                                                "accepted before that.")
            elif accepted is not None and c.get("status"):
                e.setdefault("accepted_on", "Only an accepted recommendation has this: set the status to accepted.")
            given = "themes" in self.sheets["recommendations"].columns and c.get("themes")
            c["themes"] = named_ids(self.ctx.themes, c.get("themes") or (), e, "themes", "theme") if given else None
            key = (whose, c.get("text"))
            record = {**c, "themes": c["themes"] if given else tuple(sorted(themes)), "_pid": pid, "_id": None,
                      "_owner": whose, "_source": src,
                      "_findings": [(f, self.findings[f][1]) for f in links if f in self.findings]}
            existing = _nth(self.ctx.recommendations, key, texts) if stored else None
            refuse_retired(self.ctx, c["target_agencies"], existing and existing["target_agencies"], e, "target_agencies")
            if existing is not None:
                ids = {r["_id"]: f for f, (_, r) in self.findings.items() if r["_id"]}
                existing = {**existing, "finding_references": tuple(ids.get(i, f"#{i}") for i in existing["_finding_ids"])}
            if c["recommendation_reference"] and c["recommendation_reference"] not in self.recs:
                self.recs[c["recommendation_reference"]] = (row, record)
            self.keep("recommendations", row, existing, self.ch.plan.recommendations, record)

    def check_actions(self) -> None:
        seen: dict[str, tuple[CheckedRow, dict]] = {}
        keys: dict[tuple, int] = {}
        for n, raw in self.rows("actions"):
            row = self.start("actions", n, raw, "action_reference", seen)
            c, e = row.clean, row.errors
            ref = c["recommendation_reference"] = _upper(c.get("recommendation_reference"))
            rec = self.recs.get(ref) if ref else None
            if ref and rec is None and "recommendation_reference" not in e:
                e["recommendation_reference"] = f"No recommendation {ref[:30]} in the recommendations sheet of this file."
            agency = c.get("owner_agency")
            if agency is not None:
                c["owner_agency"] = self.ctx.agencies.get(agency.casefold())
                if c["owner_agency"] is None:
                    e.setdefault("owner_agency", f"No agency named {agency[:60]!r}: use a name from the agency list.")
            if c.get("owner_email") and not EMAIL_RE.match(c["owner_email"]):
                e.setdefault("owner_email", "Enter an e-mail address like name@example.org.")
            if c.get("text") is not None and len(c["text"]) < 5:
                e.setdefault("text", "Say what will be done.")
            self._dates_and_status(row, rec[1] if rec and not rec[0].errors else None)
            rid = rec[1]["_id"] if rec else None
            key = (rid, c.get("text"), (c.get("owner_name") or "").casefold())
            existing = _nth(self.ctx.actions, key, keys) if rid else None
            if existing is not None:
                existing = {**existing, "recommendation_reference": ref}
            refuse_retired(self.ctx, [c["owner_agency"]] if c.get("owner_agency") else (),
                     existing and [existing["owner_agency"]], e, "owner_agency")
            record = {**c, "_rec": rec[1] if rec else None}
            if c["action_reference"] and c["action_reference"] not in seen:
                seen[c["action_reference"]] = (row, record)
            self.keep("actions", row, existing, self.ch.plan.actions, record)

    def _dates_and_status(self, row: CheckedRow, rec: dict | None) -> None:
        """Due no earlier than the recommendation was recorded or accepted; evidence of impact to
        close; a name and a reason to carry (the register's rules, docs/domain.md §7.1)."""
        c, e, today = row.clean, row.errors, self.ctx.today
        due, status = c.get("due_on"), c.get("status")
        if rec and due and rec.get("recorded_on"):
            start = max(rec["recorded_on"], rec.get("accepted_on") or rec["recorded_on"])
            if due < start:
                word = "accepted" if start != rec["recorded_on"] else "recorded"
                e.setdefault("due_on", f"The recommendation was {word} on {clock.day(start)}: the action cannot "
                                       "be due before that.")
        closed_on = c.get("closed_on")
        if status == "closed":
            if msg := evidence_problem(c.get("evidence_of_impact")):
                e.setdefault("evidence_of_impact", msg)
            if closed_on is None:
                e.setdefault("closed_on", "Give the day the action was closed.")
            elif msg := not_after_today("closed_on", closed_on, today):
                e.update({k: v for k, v in msg.items() if k not in e})
            elif msg := date_problem(c.get("follow_up_on"), closed_on):
                e.setdefault("follow_up_on", msg)
        elif status:
            for col in ("evidence_of_impact", "closed_on", "follow_up_on"):
                if c.get(col) is not None:
                    e.setdefault(col, "Only a closed action has this: set the status to closed, or leave it blank.")
        if status == "carried":
            if not c.get("carried_to"):
                e.setdefault("carried_to", "Name who takes the action on: a person, a group or a plan.")
            elif len(c["carried_to"]) > CARRIED_TO_MAX:
                e.setdefault("carried_to", f"Keep this to {CARRIED_TO_MAX} characters.")
            if len(c.get("carried_reason") or "") < CARRY_REASON_MIN:
                e.setdefault("carried_reason", "Say why the action is carried rather than closed with evidence "
                                               "of impact.")
        elif status:
            for col in ("carried_to", "carried_reason"):
                if c.get(col) is not None:
                    e.setdefault(col, "Only a carried action has this: set the status to carried, or leave it blank.")


def check_learning(ch: RowChecker) -> None:
    """The findings, recommendations and actions sheets, in that order (each names the one before)."""
    learning = _Learning(ch)
    learning.check_findings()
    learning.check_recommendations()
    learning.check_actions()
