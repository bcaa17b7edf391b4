"""The shared checks in panel.core.validation, and that the forms which check a date against
today give the one message."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from panel.core.db import escape_like
from panel.core.validation import FUTURE_DATE, not_after_today
from panel.referrals.rules import validate_referral

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("value", "expected"), [
    (None, {}),
    (date(2000, 1, 1), {}),
    (TODAY, {}),
    (TODAY + timedelta(days=1), {"sent_on": FUTURE_DATE}),
    (date(9999, 12, 31), {"sent_on": FUTURE_DATE}),
])
def test_not_after_today(value, expected):
    assert not_after_today("sent_on", value, TODAY) == expected


def test_the_future_date_message_says_what_is_wrong():
    assert FUTURE_DATE == "The date cannot be in the future."


def test_referral_dates_in_the_future_all_get_the_one_message():
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    _, errors = validate_referral({"received_on": tomorrow, "aware_on": tomorrow, "incident_date": tomorrow,
                                   "child_dob": tomorrow}, TODAY, agency_ids=set())
    assert {k: errors[k] for k in ("received_on", "aware_on", "incident_date", "child_dob")} == dict.fromkeys(
        ("received_on", "aware_on", "incident_date", "child_dob"), FUTURE_DATE)


@pytest.mark.parametrize(("text", "escaped"), [
    ("plain", "plain"),
    ("100%", "100\\%"),
    ("a_b", "a\\_b"),
    ("back\\slash", "back\\\\slash"),
    ("\\%_", "\\\\\\%\\_"),
])
def test_escape_like(text, escaped):
    assert escape_like(text) == escaped
