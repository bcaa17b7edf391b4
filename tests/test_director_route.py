"""The director's route before the panel (docs/domain.md §3): the director's decision, and the
DCS told of every notification."""

import pytest

from panel.accounts import service as accounts
from panel.core.errors import NotFound, ValidationFailed
from panel.referrals import service as referrals
from panel.screening import service as screening
from tests.conftest import TODAY


def accepted_ref():
    df, _ = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("accepted",)), TODAY)
    return df.iloc[0]["reference"]


def test_director_route_recorded_with_audit(demo_db):
    chair = accounts.actor_for("chair")
    ref = accepted_ref()
    screening.record_director_route(chair, ref, "notify", TODAY, TODAY)
    d = referrals.get_referral(chair, ref, TODAY)
    assert d.referral.director_decision == "notify" and d.referral.dcs_informed_on == TODAY
    assert "director_route" in [e.action for e in d.history]


@pytest.mark.parametrize(("decision", "dcs", "field"), [
    (None, None, "director_decision"),
    ("notify", None, "dcs_informed_on"),
    ("refer_to_panel", TODAY.replace(year=TODAY.year + 1), "dcs_informed_on"),
])
def test_director_route_refuses_bad_input(demo_db, decision, dcs, field):
    with pytest.raises(ValidationFailed) as e:
        screening.record_director_route(accounts.actor_for("chair"), accepted_ref(), decision, dcs, TODAY)
    assert field in e.value.errors


def test_director_route_is_walled(demo_db):
    with pytest.raises(NotFound):
        screening.record_director_route(accounts.actor_for("chair.em"), accepted_ref(), "internal_review", None, TODAY)
