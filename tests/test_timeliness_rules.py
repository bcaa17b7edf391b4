"""The statutory rules the timeliness figures follow (docs/domain.md §6.4, docs/timeliness-report.md):
percentages rounded half up, on pure rows with no database."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from panel.reports import timeliness

AS_OF = date(2026, 1, 30)


def expected(n: int, d: int) -> str:
    """What a manager gets by hand, or from Excel's =ROUND(n/d*100, 1)."""
    return str((Decimal(100 * n) / Decimal(d)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def notifications(on_time: int, late: int) -> list[dict]:
    """`on_time` notifications sent on their due date and `late` ones sent the day after."""
    due = date(2025, 6, 2)
    return [{"referral": f"R{i}", "partnership": "NB", "body": "national_panel",
             "aware_on": due - timedelta(days=7), "due_on": due,
             "sent_on": due if i < on_time else due + timedelta(days=1)}
            for i in range(on_time + late)]


# -- percentages are rounded half up -------------------------------------------------------------

def test_halves_round_up_as_a_manager_would():
    # 1 of 16 is 6.25% and 1 of 8 is 12.5%: round() would give 6.2 and (to whole) 12.
    assert timeliness.percent(1, 16) == 6.3
    assert timeliness.percent(3, 16) == 18.8  # 18.75
    assert timeliness.percent(5, 16) == 31.3  # 31.25
    assert timeliness.percent(0, 3) == 0.0
    assert timeliness.percent(2, 3) == 66.7
    assert timeliness.percent(0, 0) is None


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=1, max_value=2000).flatmap(
    lambda d: st.tuples(st.integers(min_value=0, max_value=d), st.just(d))))
def test_every_shown_percentage_is_decimal_half_up(nd):
    n, d = nd
    want = expected(n, d)
    assert f"{timeliness.percent(n, d):.1f}" == want  # the page, the command's table, Excel
    assert json.dumps(timeliness.percent(n, d)) == want  # the JSON


def test_the_report_rounds_half_up():
    report = timeliness.build_report(AS_OF, notifications=notifications(1, 15))
    fig = report["notifications"]
    assert (fig["on_time"], fig["total"], fig["percent_on_time"]) == (1, 16, 6.3)
    assert fig["by_year"][0]["percent_on_time"] == 6.3
    assert fig["by_partnership"][0]["percent_on_time"] == 6.3
    assert timeliness.trend(report)[0]["percent_on_time"] == 6.3
