"""Row checks, part two: the review and milestone sheets, the signed decisions they imply,
the order the sheets run in, and `validate`, the entry point."""

from __future__ import annotations

from datetime import date

from panel.core import clock
from panel.core.validation import not_after_today
from panel.reviews import lifecycle
from panel.reviews.record import EMAIL_RE, GATES
from panel.reviews.types import CLOSURE_KEY, PUBLICATION_KEY
from panel.screening import rules as screening
from panel.tracker_io.checks import CheckedRow, KnownReferral, RowChecker, dates_out_of_order
from panel.tracker_io.checks_learning import check_learning
from panel.tracker_io.checks_sources import check_sources
from panel.tracker_io.context import Context, TypeInfo
from panel.tracker_io.format import REVIEW_REF_RE, SHEETS
from panel.tracker_io.parse import Parsed
from panel.tracker_io.report import ImportReport, Plan, Problem


class _Checker(RowChecker):
    """Every sheet in order: the rows checked above, then reviews, milestones and decisions."""

    # sheets ----------------------------------------------------------------------------------
    def run(self) -> tuple[ImportReport, Plan | None]:
        for sheet in SHEETS:
            self.report.counts[sheet] = {"new": 0, "unchanged": 0}
        if "referrals" in self.parsed.sheets:
            self.referrals()
        if "notifications" in self.parsed.sheets:
            self.notifications()
        if "reviews" in self.parsed.sheets:
            self.reviews()
        new_reviews = self.milestones()
        self.decisions(new_reviews)
        check_sources(self)
        check_learning(self)
        self.report.problems.sort(key=lambda p: (list(SHEETS).index(p.sheet) if p.sheet in SHEETS else -1,
                                                 p.row or 0))
        if self.report.problems:
            return self.report, None
        return self.report, self.plan

    def _anchor(self, review: dict, target: KnownReferral) -> date:
        """The rapid review's day 0 when the notification date is not given (as the app does)."""
        if review.get("notified_on"):
            return review["notified_on"]
        if target.facts:
            due = [date.fromisoformat(x["due"]) for x in screening.assess(target.facts)["notify"]]
            if due:
                return min(due)
        return review["started_on"]

    def reviews(self) -> None:
        ctx = self.ctx
        for n, raw in self.parsed.sheets["reviews"].rows:
            row = self.cells("reviews", n, raw)
            c, e = row.clean, row.errors
            ref = (c.get("review_reference") or "").upper() or None
            c["review_reference"] = ref
            referral_ref = (c.get("referral_reference") or "").upper() or None
            c["referral_reference"] = referral_ref
            m = REVIEW_REF_RE.match(ref) if ref else None
            if ref and "review_reference" not in e:
                if ref in self.file_reviews:
                    e["review_reference"] = f"Duplicate reference: {ref} is also on row {self.file_reviews[ref][0].n}."
                elif m is None:
                    e["review_reference"] = (f"{ref[:40]!r} is not a review reference: the referral's "
                                             "reference, -R and a number, like NB-2025-014-R1.")
                elif referral_ref and m["referral"] != referral_ref:
                    e["review_reference"] = f"A review of {referral_ref} has a reference starting {referral_ref}-R."
            target = self.referral(referral_ref) if "referral_reference" not in e else None
            if isinstance(target, str):
                e["referral_reference"] = target
                target = None
            if target is not None and target.in_db and target.facts is None:
                e["referral_reference"] = (f"Referral {referral_ref}'s screening answers are not valid: "
                                           "fix them on its screening page first.")
            if target is not None and target.status and target.status != "decided":
                e.setdefault("referral_reference", f"Referral {referral_ref} has status {target.status!r}: "
                             "only a decided referral has a review (set its status to decided).")
            pid = target.partnership_id if target else None
            info = None
            key = c.get("review_type_key")
            if key and target is not None and pid is not None:
                types = self.types_of(pid)
                info = types.get(key) or types.get(key.lower())
                if info is None:
                    e["review_type_key"] = f"{key[:40]!r} is not a review type of this partnership: {', '.join(types)}."
                elif not info.spec.creates_review:
                    e["review_type_key"] = (f"{info.spec.name!r} is an outcome without a review: "
                                            "put it in the referral's outcome column.")
                    info = None
                else:
                    c["review_type_key"] = info.spec.key
                    regime = screening.assess(target.facts)["regime"] if target.facts else None
                    if regime and info.spec.regime != regime:
                        e["review_type_key"] = (f"{info.spec.name} is a {info.spec.regime} review; "
                                                f"{regime} applies to {referral_ref}.")
            aware = target.aware_on if target else None
            for col in ("started_on", "notified_on", "sent_to_national_panel_on"):
                if col not in e:
                    e.update(not_after_today(col, c.get(col), ctx.today))
            for col in ("started_on", "notified_on"):
                if c.get(col) and aware and col not in e:
                    msgs = dates_out_of_order({"aware_on": aware, col: c[col]}, ["aware_on", col],
                                  {"started_on": "The review's start (the decision)",
                                   "notified_on": "The notification"})
                    if msgs:
                        e[col] = msgs[col]
            sent = c.get("sent_to_national_panel_on")
            if sent and c.get("started_on") and "sent_to_national_panel_on" not in e and sent < c["started_on"]:
                e["sent_to_national_panel_on"] = "The review cannot be sent before it started."
            email = c.get("lead_reviewer_email")
            if email and not EMAIL_RE.match(email):
                e.setdefault("lead_reviewer_email", "Enter an e-mail address like name@example.org.")
            pub = c["publication_status"] = c.get("publication_status") or "planned"
            if pub != "planned" and len(c.get("publication_reason") or "") < 10:
                e.setdefault("publication_reason", "Say why publication is delayed or withheld (a sentence).")
            rapid = info is not None and info.spec.key == "rapid_review"
            if info is not None and not rapid:
                for col in ("lcspr_decision", "sent_to_national_panel_on", "national_panel_response"):
                    if c.get(col):
                        e.setdefault(col, "Only a rapid review has this.")
            if c.get("national_panel_response") and not sent:
                e.setdefault("national_panel_response", "Give sent_to_national_panel_on before the response.")
            if c.get("national_panel_response") == "disagrees" and not c.get("national_panel_note"):
                e.setdefault("national_panel_note", "Say what the National Panel disagreed with.")
            # Only a closed review has a closing date (an open one with a date would read as closed,
            # and a superseded one never closes); a closed one without it is read as closed all the
            # same, as a tracker kept before the date was recorded has it (docs/domain.md §6.3).
            closed = c.get("closed_on")
            if closed and "closed_on" not in e:
                e.update(not_after_today("closed_on", closed, ctx.today))
                if c.get("status") and c["status"] != "closed":
                    e.setdefault("closed_on", f"Only a closed review has a closing date: the status is {c['status']!r}.")
                elif c.get("started_on"):
                    e.update({k: v for k, v in dates_out_of_order(
                        {"started_on": c["started_on"], "closed_on": closed}, ["started_on", "closed_on"],
                        {"closed_on": "The closing date"}).items() if k not in e})
            link = c["rapid_review_reference"] = (c.get("rapid_review_reference") or "").upper() or None
            if link and info is not None and info.spec.key != "lcspr":
                e.setdefault("rapid_review_reference", "Only an LCSPR is started by a rapid review's decision.")
            existing = ctx.reviews.get(ref) if ref else None
            record = {**c, "_row": row, "_target": target, "_type": info, "_pid": pid, "_new": False}
            if existing is not None and "review_reference" not in e:
                if not ctx.may_import(existing["_pid"]):
                    e["review_reference"] = f"Reference {ref} is already used by a review of another partnership."
                elif not e:
                    self.compare("reviews", row, existing)
            elif existing is None and not e and target is not None and info is not None:
                record["_new"] = True
            if ref and ref not in self.file_reviews:
                self.file_reviews[ref] = (row, record)
            else:
                self.extra_review_rows.append(row)
        self._links()

    def _links(self) -> None:
        """Each LCSPR's rapid review, once every review row is read (it may come later in the file)."""
        started: dict[str, str] = {}  # rapid review -> the LCSPR naming it first
        for ref, (row, record) in self.file_reviews.items():
            link = record.get("rapid_review_reference")
            if link and "rapid_review_reference" not in row.errors:
                if msg := self._link_problem(ref, record, link, started):
                    row.errors["rapid_review_reference"] = msg

    def _link_problem(self, ref: str, record: dict, link: str, started: dict[str, str]) -> str | None:
        """Why `link` cannot be this LCSPR's rapid review: it must be a rapid review of the same
        referral, in this file or the database, that decided to hold an LCSPR no later than the
        LCSPR started and started no other (docs/domain.md §6.3)."""
        referral = record.get("referral_reference")
        m = REVIEW_REF_RE.match(link)
        if m is None:
            return f"{link[:40]!r} is not a review reference: give the rapid review's, like {referral or 'NB-2025-014'}-R1."
        if referral and m["referral"] != referral:
            return f"{link} is a review of {m['referral']}: name a rapid review of the same referral, {referral}."
        existing = self.ctx.reviews.get(link)
        if existing is not None and not self.ctx.may_import(existing["_pid"]):
            existing = None
        if link in self.file_reviews:
            facts = self.file_reviews[link][1]
            if facts["_type"] is None:
                return None  # its own row reports why
        elif existing is not None:
            facts = existing
        else:
            return f"No review {link} in this file or in the partnerships you can import into."
        spec = facts["_type"].spec
        if spec.key != "rapid_review":
            return f"{link} is a {spec.name}, not a rapid review: only a rapid review's decision starts an LCSPR."
        if facts.get("lcspr_decision") != "lcspr":
            return (f"Rapid review {link} did not decide to hold an LCSPR: give its lcspr_decision as lcspr "
                    "or leave this blank.")
        if facts.get("started_on") and record.get("started_on") and record["started_on"] < facts["started_on"]:
            day = facts["started_on"]
            return f"The LCSPR cannot start before its rapid review {link} ({clock.day(day)})."
        other = (existing or {}).get("_lcspr") or started.setdefault(link, ref)
        if other != ref:
            return f"Rapid review {link} already started the LCSPR {other}: it starts one only."
        return None

    def milestones(self) -> list[dict]:
        """Milestone rows, then every new review's full milestone list and its date order."""
        ctx = self.ctx
        rows_by_review: dict[str, dict[str, CheckedRow]] = {}
        all_rows: list[CheckedRow] = []
        for n, raw in (self.parsed.sheets["milestones"].rows if "milestones" in self.parsed.sheets else ()):
            row = self.cells("milestones", n, raw)
            all_rows.append(row)
            c, e = row.clean, row.errors
            ref = (c.get("review_reference") or "").upper() or None
            c["review_reference"] = ref
            key = (c.get("milestone_key") or "").lower() or None
            c["milestone_key"] = key
            record = self.file_reviews[ref][1] if ref in self.file_reviews else None
            existing = ctx.reviews.get(ref) if ref else None
            if existing is not None and not ctx.may_import(existing["_pid"]):
                existing = None
            if ref and "review_reference" not in e:
                if record is None and existing is None:
                    e["review_reference"] = f"No review {ref} in this file or in the partnerships you can import into."
            info = record["_type"] if record is not None else (existing or {}).get("_type")
            if key and info is not None and "milestone_key" not in e:
                keys = [m.key for m in info.spec.milestones]
                if key not in keys:
                    e["milestone_key"] = f"{key[:40]!r} is not a milestone of {info.spec.name}: {', '.join(keys)}."
            if "actual_on" not in e:
                e.update(not_after_today("actual_on", c.get("actual_on"), ctx.today))
            if ref and key:
                mine = rows_by_review.setdefault(ref, {})
                if key in mine:
                    e.setdefault("milestone_key", f"Duplicate: {ref} already has a {key} row (row {mine[key].n}).")
                else:
                    mine[key] = row
            in_db = existing is not None and (record is None or not record["_new"])
            if in_db and not e:
                old = ctx.milestones.get((ref, key))
                if old is None:
                    e["milestone_key"] = (f"Review {ref} in the database has no {key} milestone "
                                          "(its type changed after it was created).")
                else:
                    self.compare("milestones", row, old)
        # New reviews: the type's milestones with the file's dates, checked in order.
        new_reviews = []
        for ref, (rrow, record) in self.file_reviews.items():
            if not record["_new"]:
                continue
            if record["_type"] is None or record["_target"] is None:
                rrow.errors.setdefault("review_type_key", "This review cannot be checked: fix its referral first.")
                continue
            mine = rows_by_review.get(ref, {})
            info: TypeInfo = record["_type"]
            target: KnownReferral = record["_target"]
            spec = info.spec
            try:
                planned = lifecycle.planned_dates(spec, record["started_on"], self._anchor(record, target))
            except ValueError as err:  # an edited type the lifecycle cannot plan
                rrow.errors["review_type_key"] = str(err)
                planned = {}
            actual = {k: r.clean.get("actual_on") for k, r in mine.items() if not r.errors}
            labels = {m.key: m.name for m in spec.milestones}
            anchors = {"decision": record["started_on"], "notification": record.get("notified_on")}
            for m in spec.milestones:
                day, start = actual.get(m.key), anchors.get(m.anchor)
                if day and start:
                    msgs = dates_out_of_order({m.anchor: start, m.key: day}, [m.anchor, m.key], labels)
                    if msgs:
                        mine[m.key].errors.setdefault("actual_on", msgs[m.key])
            gates = [m.key for m in spec.milestones if m.key in GATES]
            for key, msg in dates_out_of_order(actual, gates, labels).items():
                mine[key].errors.setdefault("actual_on", msg)
            closure, closed = actual.get(CLOSURE_KEY), record.get("closed_on")
            if closure and closed and closed < closure:
                rrow.errors.setdefault("closed_on", f"The closure milestone was recorded on {clock.day(closure)}: "
                                                    "the review cannot close before.")
            if actual.get(PUBLICATION_KEY) and record.get("publication_status") == "withheld":
                mine[PUBLICATION_KEY].errors.setdefault(
                    "actual_on", "The review's publication is withheld: it has no publication date.")
            if rrow.errors or any(r.errors for r in mine.values()):
                continue
            milestones = []
            for i, m in enumerate(spec.milestones):
                r = mine.get(m.key)
                given = r.clean.get("planned_on") if r is not None else None
                milestones.append({"key": m.key, "name": m.name, "position": i, "statutory": m.statutory,
                                   "planned_on": given or planned[m.key], "actual_on": actual.get(m.key)})
            self.report.counts["reviews"]["new"] += 1
            self.report.counts["milestones"]["new"] += len(mine)
            new_reviews.append({**{k: v for k, v in record.items() if not k.startswith("_")},
                                "_pid": record["_pid"], "_type_id": info.id, "milestones": milestones})
        for rrow, _ in self.file_reviews.values():
            self.finish_row("reviews", rrow)
        for rrow in self.extra_review_rows:
            self.finish_row("reviews", rrow)
        for row in all_rows:
            self.finish_row("milestones", row)
        self.plan.reviews = new_reviews
        return new_reviews

    def decisions(self, new_reviews: list[dict]) -> None:
        """One signed decision per referral that gets reviews or an outcome and has none yet;
        new reviews of a referral with a signed decision join that decision."""
        if self.report.problems:
            return
        first: dict[str, dict] = {}
        # The panel's decision opened the first review; an LCSPR a rapid review started never is it.
        for rv in sorted(new_reviews, key=lambda r: (bool(r.get("rapid_review_reference")), r["started_on"],
                                                     r["review_reference"])):
            first.setdefault(rv["referral_reference"], rv)
        with_outcome = {r["reference"] for r in self.plan.referrals if r.get("outcome")}
        for ref in sorted(set(first) | with_outcome):
            target = self.file_referrals[ref][1] if ref in self.file_referrals else self.referral(ref)
            if not isinstance(target, KnownReferral) or target.facts is None:
                continue  # already reported
            if target.in_db and self.ctx.referrals[ref].get("_outcome"):
                continue
            given = self.file_referrals[ref][0].clean if ref in self.file_referrals else {}
            rv = first.get(ref)
            key = given.get("outcome") or rv["review_type_key"]
            info = self.types_of(target.partnership_id)[key]
            result = screening.assess(target.facts)
            self.plan.decisions.append({
                "referral_reference": ref, "review_type_id": info.id, "review_type_key": info.spec.key,
                "decided_on": given.get("decided_on") or rv["started_on"],
                "engine_regime": result["regime"], "engine_route": result["route"],
                "departs": screening.departs_from_criteria(result["route"], info.spec.routes), "version_no": target.max_version + 1,
            })
        self.report.decisions = len(self.plan.decisions)


def validate(parsed: Parsed, ctx: Context) -> tuple[ImportReport, Plan | None]:
    """Check every row of every sheet; the plan is None unless every row passed."""
    if parsed.problems:
        report = ImportReport(parsed.file_name, problems=list(parsed.problems),
                              warnings=list(parsed.warnings), rows=parsed.row_count)
        if any(p.column and p.row == 1 for p in parsed.problems):
            report.warnings.append(Problem("", None, None, "Rows were not checked: fix the columns first."))
        return report, None
    return _Checker(parsed, ctx).run()
