"""Retention rules: periods differ by record type and are configurable (docs/domain.md §8).

One policy per record type: a trigger event (the date the clock starts), a period, an optional
"keep at least until the child's Nth birthday", and what happens when it runs out:

- `delete`: the record and its dependent rows are removed;
- `anonymise`: the child-identifying fields are stripped, the record and its learning are kept;
- `review`: it is listed for a person to decide (nothing is changed automatically);
- `keep`: never due (published reviews and anonymised learning: public record, learning purpose).

Defaults and why they were chosen are in docs/retention.md. `PANEL_RETENTION_POLICY` names a
TOML or JSON file that overrides them per record type; it is validated whole and refused with
every problem named. Pure functions over plain values: no database, no Streamlit.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

from panel.core.anonymise import Identifiers, check

ACTIONS = ("delete", "anonymise", "review", "keep")
MAX_YEARS = 100
REDACTED = "[removed]"
ANONYMISED_SUMMARY = "Child-identifying details removed under the retention policy."


class RetentionConfigError(ValueError):
    """A policy file Panel refuses; `problems` lists every one, each naming where it is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The retention policy was refused:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """`start` plus the period; 29 Feb + 1 year is 28 Feb (clamped to the month's end)."""
        return start + relativedelta(years=self.years, months=self.months, days=self.days)

    def before(self, end: date) -> date:
        """The last start date whose period has run out by `end`."""
        return end - relativedelta(years=self.years, months=self.months, days=self.days)

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return " ".join(f"{n} {w}{'' if n == 1 else 's'}" for n, w in parts if n) or "0 days"


_PERIOD_PART = re.compile(r"(\d+)\s*(years?|y|months?|m|days?|d)\b", re.IGNORECASE)
_PERIOD = re.compile(r"(?:\d+\s*(?:years?|y|months?|m|days?|d)\b[\s,]*(?:and\s+)?)+", re.IGNORECASE)


def parse_period(text) -> Period:
    """"6 years", "18 months", "90 days", "6y", "1 year 6 months". Refuses zero, negative,
    unitless or over 100 years (a typo there would delete, or keep, far too much)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f'a period is text such as "6 years" or "18 months", not {text!r}')
    s = text.strip()
    if not _PERIOD.fullmatch(s):
        raise ValueError(f'{text!r} is not a period such as "6 years", "18 months" or "90 days"')
    found = {"y": 0, "m": 0, "d": 0}
    for m in _PERIOD_PART.finditer(s):
        found[m.group(2)[0].lower()] += int(m.group(1))
    period = Period(found["y"], found["m"], found["d"])
    if period == Period():
        raise ValueError(f"{text!r} is zero: a retention period must be longer than that")
    if period.years + period.months / 12 + period.days / 365 > MAX_YEARS:
        raise ValueError(f"{text!r} is longer than {MAX_YEARS} years")
    return period


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str
    trigger: str  # what starts the clock, in words
    actions: tuple[str, ...]  # the actions allowed for this type
    child: bool  # whether "keep until the child's Nth birthday" can apply


@dataclass(frozen=True)
class Policy:
    record_type: str
    period: Period
    action: str
    keep_until_age: int | None = None  # keep at least until the child's birthday of this age

    def describe(self) -> str:
        rt = RECORD_TYPES[self.record_type]
        text = f"{self.action} {self.period} after {rt.trigger}"
        if self.keep_until_age:
            text += f", and not before the child's {_ordinal(self.keep_until_age)} birthday"
        return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


RECORD_TYPES: dict[str, RecordType] = {rt.key: rt for rt in (
    RecordType("referral_not_taken_forward", "Referral not taken forward",
               "the referral was closed as not for the panel", ("delete", "anonymise", "review", "keep"), True),
    RecordType("decision", "Referral decided with no review",
               "the panel's signed decision", ("anonymise", "review", "keep"), True),
    RecordType("referral_with_review", "Case details of a referral that led to a review",
               "its last review closed (every milestone recorded)", ("anonymise", "review", "keep"), True),
    RecordType("review", "Review record, not published",
               "the review closed (every milestone recorded)", ("review", "keep"), True),
    RecordType("meeting", "Meeting (agenda, attendance, minutes)",
               "the meeting was held", ("delete", "review", "keep"), False),
    RecordType("learning", "Learning (findings, recommendations, actions)",
               "it was recorded", ("review", "keep"), False),
    RecordType("reminder_log", "Reminder e-mail log",
               "the digest was sent", ("delete", "review", "keep"), False),
    RecordType("user_disabled", "Disabled user account",
               "the user's last activity", ("anonymise", "review", "keep"), False),
    # Audit rows are append-only at the database: `delete` goes through the one allowed path,
    # panel.core.audit.purge_before (docs/security.md), from the command line only.
    RecordType("audit_log", "Audit log rows",
               "the row was written", ("review", "keep", "delete"), False),
)}

DEFAULTS: dict[str, Policy] = {p.record_type: p for p in (
    Policy("referral_not_taken_forward", Period(years=6), "delete"),
    Policy("decision", Period(years=6), "anonymise", keep_until_age=25),
    Policy("referral_with_review", Period(years=6), "anonymise", keep_until_age=25),
    Policy("review", Period(years=6), "review", keep_until_age=25),
    Policy("meeting", Period(years=6), "delete"),
    Policy("learning", Period(years=6), "keep"),
    Policy("reminder_log", Period(years=2), "delete"),
    Policy("user_disabled", Period(years=6), "anonymise"),
    Policy("audit_log", Period(years=6), "review"),
)}

_KEYS = ("period", "action", "keep_until_age")


def policies_from(data, source: str = "the policy") -> dict[str, Policy]:
    """The defaults overridden by `data` ({record type: {period, action, keep_until_age}}).

    Every problem is collected and raised together, so one run of the command shows them all."""
    problems: list[str] = []
    out = dict(DEFAULTS)
    if not isinstance(data, dict):
        raise RetentionConfigError([f"{source}: expected a table of record types, got {type(data).__name__}"])
    for key, over in data.items():
        where = f"{source} [{key}]"
        rt = RECORD_TYPES.get(key)
        if rt is None:
            problems.append(f"{where}: unknown record type; known types: {', '.join(RECORD_TYPES)}")
            continue
        if not isinstance(over, dict):
            problems.append(f"{where}: expected a table with {', '.join(_KEYS)}")
            continue
        for extra in sorted(set(over) - set(_KEYS)):
            problems.append(f"{where}: unknown setting {extra!r}; settings: {', '.join(_KEYS)}")
        policy = out[key]
        if "period" in over:
            try:
                policy = replace(policy, period=parse_period(over["period"]))
            except ValueError as e:
                problems.append(f"{where} period: {e}")
        if "action" in over:
            if over["action"] not in rt.actions:
                problems.append(f"{where} action: {over['action']!r} is not allowed for this record type; "
                                f"choose one of {', '.join(rt.actions)}")
            else:
                policy = replace(policy, action=over["action"])
        if "keep_until_age" in over:
            age = over["keep_until_age"]
            if age is False or age == 0:
                policy = replace(policy, keep_until_age=None)
            elif not rt.child:
                problems.append(f"{where} keep_until_age: this record type is not about a child")
            elif isinstance(age, bool) or not isinstance(age, int) or not 1 <= age <= 30:
                problems.append(f"{where} keep_until_age: a whole number of years from 1 to 30, not {age!r}")
            else:
                policy = replace(policy, keep_until_age=age)
        out[key] = policy
    if problems:
        raise RetentionConfigError(problems)
    return out


def load_policies(path: str | Path | None) -> dict[str, Policy]:
    """The defaults, overridden by the TOML (.toml) or JSON (.json) file at `path` if given."""
    if not path:
        return dict(DEFAULTS)
    p = Path(path)
    if p.suffix.lower() not in (".toml", ".json"):
        raise RetentionConfigError([f"{p}: name a .toml or .json file"])
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise RetentionConfigError([f"{p}: cannot be read ({e.strerror or e})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8")) if p.suffix.lower() == ".toml" else json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RetentionConfigError([f"{p}: not valid {p.suffix[1:].upper()} ({e})"]) from None
    return policies_from(data, str(p))


def latest_birth(dob: date | None, age_years: int | None, age_on: date | None) -> date | None:
    """The child's date of birth, or the latest it can be from an age on a date.

    A child aged A on day D was born no later than D minus A years; counting from that keeps
    the record at least as long as the true birthday would (never shorter)."""
    if dob is not None:
        return dob
    if age_years is not None and age_on is not None:
        return age_on - relativedelta(years=age_years)
    return None


@dataclass(frozen=True)
class Due:
    due_on: date
    action: str
    note: str = ""


def due(policy: Policy, trigger_on: date, born_on: date | None = None) -> Due:
    """When a record falls due and what then happens to it.

    The later of trigger + period and (if the policy keeps it until an age) the child's birthday
    of that age. When that age rule applies but the child's age is unknown, the period alone
    sets the date and the action becomes `review`: a person decides, nothing is automatic."""
    due_on, action, note = policy.period.after(trigger_on), policy.action, ""
    if policy.keep_until_age:
        if born_on is not None:
            due_on = max(due_on, born_on + relativedelta(years=policy.keep_until_age))
        elif action in ("delete", "anonymise"):
            action, note = "review", "the child's age is unknown: a person decides"
    return Due(due_on, action, note)


def is_due(d: Due, as_of: date) -> bool:
    """Due on the due date itself; `keep` is never due."""
    return d.action != "keep" and d.due_on <= as_of


def redact(text: str | None, identifiers: Identifiers) -> str | None:
    """`text` with every place that shows the child's initials, date of birth or a case name
    replaced by [removed] (the briefing's anonymisation check finds them)."""
    if not text:
        return text
    out, last = [], 0
    for hit in check(text, identifiers):
        out.append(text[last:hit.start])
        out.append(REDACTED)
        last = hit.end
    out.append(text[last:])
    return "".join(out)
