"""The decision rules every page and service asks: departure from the criteria, whether a decision
can be recorded or signed, and which agenda items carry to the next meeting."""

from __future__ import annotations

import pytest

from panel.meetings import rules as meeting_rules
from panel.screening import rules as screening_rules


@pytest.mark.parametrize(
    ("route", "outcome_routes", "departs"),
    [
        ("scr", "scr", False),
        ("rapid_review", "rapid_review,consider_local_review", False),
        ("consider_local_review", "rapid_review,consider_local_review", False),
        ("no_review", "rapid_review,consider_local_review", True),
        ("scr", "consider_local_review,no_review", True),
        ("rapid_review", ("rapid_review",), False),
        ("no_review", ("rapid_review", "consider_local_review"), True),
        ("no_review", ["no_review"], False),
        ("scr", "", True),
        ("no_review", "rapid_review, no_review", False),  # as an admin might type it
        ("rapid_review", "rapid_review_extra", True),  # a whole route, never a prefix
    ],
)
def test_departs_from_criteria(route, outcome_routes, departs) -> None:
    assert screening_rules.departs_from_criteria(route, outcome_routes) is departs


def test_departs_from_criteria_rejects_an_unknown_route() -> None:
    with pytest.raises(ValueError, match="'SCR'"):
        screening_rules.departs_from_criteria("SCR", "scr")


@pytest.mark.parametrize(
    ("status", "has_signed", "refused"),
    [
        ("accepted", False, False),
        ("received", False, True),
        ("declined", False, True),
        ("decided", False, True),
        ("decided", True, False),  # an amendment of the signed decision
        ("accepted", True, False),
    ],
)
def test_screening_decision_refusal(status, has_signed, refused) -> None:
    assert (screening_rules.decision_refusal(status, has_signed) is not None) is refused


@pytest.mark.parametrize(
    ("signer", "conflicted", "refused"),
    [(1, [], False), (1, [2, 3], False), (1, [1], True), (1, [3, 1], True), (None, [1], False)],
)
def test_sign_refusal(signer, conflicted, refused) -> None:
    assert (screening_rules.sign_refusal(signer, conflicted) is not None) is refused


@pytest.mark.parametrize(
    ("status", "carries"),
    [("pending", True), ("carried", True), ("decided", False), ("discussed", False)],
)
def test_carries_over(status, carries) -> None:
    assert meeting_rules.carries_over(status) is carries


def test_carries_over_rejects_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="'done'"):
        meeting_rules.carries_over("done")


QUORATE = meeting_rules.Quorum(met=True, counted=["A", "B", "C"])
INQUORATE = meeting_rules.Quorum(met=False, missing=["the police"])


@pytest.mark.parametrize(
    ("kind", "reference", "status", "quorum", "voters", "field"),
    [
        ("referral", "NB-2026-001", "pending", QUORATE, None, None),
        ("referral", "NB-2026-001", "carried", QUORATE, [1, 2], None),
        ("referral", "NB-2026-001", "pending", INQUORATE, None, "quorum"),
        ("referral", "NB-2026-001", "decided", QUORATE, None, "item"),
        ("referral", None, "pending", QUORATE, None, "item"),
        ("other", "NB-2026-001", "pending", QUORATE, None, "item"),
        ("sign_off", None, "pending", INQUORATE, None, "item"),  # not a decision at all, whatever the quorum
        ("referral", "NB-2026-001", "pending", QUORATE, [1, 3], "conflicts"),
        ("referral", "NB-2026-001", "pending", QUORATE, [1, 4], "present"),
        ("referral", "NB-2026-001", "pending", INQUORATE, [1, 3], "conflicts"),
    ],
)
def test_meeting_decision_refusal(kind, reference, status, quorum, voters, field) -> None:
    refusal = meeting_rules.decision_refusal(kind, reference, status, quorum, voters,
                                             present=[1, 2, 3], conflicted=[3], names={3: "Cass"})
    assert list(refusal) == ([field] if field else [])
    if field == "conflicts":
        assert "Cass" in refusal["conflicts"]
