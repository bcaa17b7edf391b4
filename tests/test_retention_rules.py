"""Retention rules (panel.retention): periods, due dates at their boundaries, policy files."""

from __future__ import annotations

import json
from datetime import date

import pytest

from panel.core.anonymise import Identifiers
from panel.retention.rules import (
    DEFAULTS,
    RECORD_TYPES,
    Period,
    Policy,
    RetentionConfigError,
    due,
    is_due,
    latest_birth,
    load_policies,
    parse_period,
    policies_from,
    redact,
)


@pytest.mark.parametrize(("text", "period"), [
    ("6 years", Period(years=6)), ("6y", Period(years=6)), ("1 year", Period(years=1)),
    ("18 months", Period(months=18)), ("90 days", Period(days=90)),
    ("1 year 6 months", Period(years=1, months=6)), ("2 years and 3 days", Period(years=2, days=3)),
])
def test_periods_read(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(("text", "message"), [
    ("6", "is not a period"), ("six years", "is not a period"), ("6 weeks", "is not a period"),
    ("-1 years", "is not a period"), ("0 years", "is zero"), ("101 years", "longer than 100 years"),
    ("", "a period is text"), (6, "a period is text"), ("6 years x", "is not a period"),
])
def test_bad_periods_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_period(text)


def test_due_on_the_day_not_the_day_before():
    d = due(Policy("referral_not_taken_forward", Period(years=6), "delete"), date(2020, 3, 1))
    assert d.due_on == date(2026, 3, 1) and d.action == "delete"
    assert not is_due(d, date(2026, 2, 28))
    assert is_due(d, date(2026, 3, 1)) and is_due(d, date(2026, 3, 2))


def test_leap_day_trigger_is_clamped():
    d = due(Policy("meeting", Period(years=1), "delete"), date(2024, 2, 29))
    assert d.due_on == date(2025, 2, 28)


def test_childs_25th_birthday_when_later_than_the_period():
    policy = DEFAULTS["referral_with_review"]  # 6 years, anonymise, not before 25th birthday
    d = due(policy, date(2020, 1, 10), born_on=date(2010, 5, 5))
    assert d.due_on == date(2035, 5, 5) and d.action == "anonymise"
    assert not is_due(d, date(2035, 5, 4)) and is_due(d, date(2035, 5, 5))


def test_period_when_later_than_the_25th_birthday():
    d = due(DEFAULTS["referral_with_review"], date(2020, 1, 10), born_on=date(1996, 1, 1))
    assert d.due_on == date(2026, 1, 10)


def test_unknown_age_turns_an_automatic_action_into_a_review():
    d = due(DEFAULTS["decision"], date(2020, 1, 10), born_on=None)
    assert d.action == "review" and "age is unknown" in d.note and d.due_on == date(2026, 1, 10)


def test_latest_birth_from_an_age_never_shortens_the_keep():
    assert latest_birth(date(2015, 4, 1), 3, date(2020, 6, 10)) == date(2015, 4, 1)
    # aged 3 on 10 June 2020: born on 10 June 2017 at the latest
    assert latest_birth(None, 3, date(2020, 6, 10)) == date(2017, 6, 10)
    assert latest_birth(None, None, date(2020, 6, 10)) is None


def test_keep_is_never_due():
    d = due(DEFAULTS["learning"], date(1990, 1, 1))
    assert d.action == "keep" and not is_due(d, date(2100, 1, 1))


def test_every_record_type_has_a_default_allowed_for_it():
    assert set(DEFAULTS) == set(RECORD_TYPES)
    for key, policy in DEFAULTS.items():
        assert policy.action in RECORD_TYPES[key].actions, key
    # the audit log is never deleted by default, and reviews never automatically
    assert DEFAULTS["audit_log"].action == "review" and "delete" not in RECORD_TYPES["review"].actions


def test_override_changes_only_what_it_names():
    pol = policies_from({"meeting": {"period": "10 years"},
                         "referral_not_taken_forward": {"action": "anonymise", "keep_until_age": 21}})
    assert pol["meeting"] == Policy("meeting", Period(years=10), "delete")
    assert pol["referral_not_taken_forward"] == Policy("referral_not_taken_forward", Period(years=6),
                                                       "anonymise", keep_until_age=21)
    assert pol["decision"] == DEFAULTS["decision"]
    assert policies_from({"decision": {"keep_until_age": False}})["decision"].keep_until_age is None


def test_every_problem_in_a_bad_policy_is_named_together():
    with pytest.raises(RetentionConfigError) as e:
        policies_from({
            "referals": {"period": "6 years"},
            "meeting": {"period": "6 weeks", "colour": "red"},
            "review": {"action": "delete"},
            "reminder_log": {"keep_until_age": 25},
            "decision": {"keep_until_age": 99},
            "audit_log": {"action": "purge"},
        }, "policy.toml")
    problems = "\n".join(e.value.problems)
    assert len(e.value.problems) == 7
    assert "policy.toml [referals]: unknown record type; known types: referral_not_taken_forward" in problems
    assert "[meeting] period: '6 weeks' is not a period" in problems
    assert "[meeting]: unknown setting 'colour'" in problems
    assert "[review] action: 'delete' is not allowed for this record type; choose one of review, keep" in problems
    assert "[reminder_log] keep_until_age: this record type is not about a child" in problems
    assert "[decision] keep_until_age: a whole number of years from 1 to 30, not 99" in problems
    assert "[audit_log] action: 'purge' is not allowed for this record type; choose one of review, keep, delete" \
        in problems


def test_policy_files_toml_and_json(tmp_path):
    toml = tmp_path / "retention.toml"
    toml.write_text('[meeting]\nperiod = "3 years"\naction = "review"\n')
    assert load_policies(toml)["meeting"] == Policy("meeting", Period(years=3), "review")
    js = tmp_path / "retention.json"
    js.write_text(json.dumps({"reminder_log": {"period": "90 days"}}))
    assert load_policies(js)["reminder_log"].period == Period(days=90)
    assert load_policies(None) == DEFAULTS and load_policies("") == DEFAULTS


@pytest.mark.parametrize(("name", "text", "message"), [
    ("retention.yaml", "meeting: {}", "name a .toml or .json file"),
    ("retention.toml", "[meeting\nperiod = 1", "not valid TOML"),
    ("retention.json", "{", "not valid JSON"),
    ("retention.json", "[1, 2]", "expected a table of record types"),
])
def test_unreadable_policy_files_refused(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RetentionConfigError, match=message):
        load_policies(path)


def test_missing_policy_file_refused(tmp_path):
    with pytest.raises(RetentionConfigError, match="cannot be read"):
        load_policies(tmp_path / "nope.toml")


def test_redact_removes_initials_and_date_of_birth_only():
    ids = Identifiers(initials="JB", dob=date(2019, 3, 4))
    text = "JB was born on 04/03/2019; the JOB ASSESSMENT went ahead. Child X was seen."
    assert redact(text, ids) == "[removed] was born on [removed]; the JOB ASSESSMENT went ahead. Child X was seen."
    assert redact(None, ids) is None and redact("", ids) == ""
