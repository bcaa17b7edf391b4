"""Which pages the benchmark opens, as whom, and what on each page counts as 'shown'."""

from __future__ import annotations

from dataclasses import dataclass

# The element whose appearance means the page has shown what it is for (its main table or
# chart; a form for pages that are a form).
TABLE = '[data-testid="stDataFrame"]'
CHART = '[data-testid="stVegaLiteChart"]'
FORM = '[data-testid="stForm"]'
METRIC = '[data-testid="stMetric"]'


@dataclass(frozen=True)
class BenchPage:
    key: str          # the url path in src/panel/ui/pages.py PAGES
    path: str         # the page file, for AppTest.switch_page
    user: str         # the demo account whose role uses the page
    main: str         # CSS selector of the main element (browser)
    ref: str = ""     # name of the reference in data.refs() the page opens (?ref=)


PAGES: list[BenchPage] = [
    BenchPage("queue", "pages/queue.py", "chair", TABLE),
    BenchPage("screening", "pages/screening.py", "chair", TABLE, ref="screening"),
    BenchPage("make-referral", "pages/make_referral.py", "referrer", FORM),
    BenchPage("my-referrals", "pages/my_referrals.py", "referrer", TABLE),
    BenchPage("referral", "pages/referral.py", "chair", TABLE, ref="referral"),
    BenchPage("tracker", "pages/tracker.py", "manager", TABLE),
    BenchPage("review", "pages/review.py", "manager", TABLE, ref="review"),
    BenchPage("timeliness", "pages/timeliness.py", "manager", CHART),
    BenchPage("meeting", "pages/meeting.py", "chair", FORM),
    BenchPage("decision-log", "pages/decision_log.py", "chair", TABLE),
    BenchPage("explorer", "pages/explorer.py", "member", CHART),
    BenchPage("actions", "pages/actions.py", "manager", TABLE),
    BenchPage("briefing", "pages/briefing.py", "chair", '[data-testid="stTextArea"]', ref="briefing"),
    BenchPage("import", "pages/import.py", "admin", '[data-testid="stFileUploader"]'),
    BenchPage("themes", "pages/themes.py", "admin", TABLE),
    BenchPage("review-types", "pages/review_types.py", "admin", FORM),
]
QUICK = ("queue", "tracker", "referral", "review", "timeliness")
TITLE = "h1"


def selected(quick: bool) -> list[BenchPage]:
    """Every page of the product's registry (a page added later is opened by the first role
    that may, and counts as shown once its title is), or the quick subset."""
    from panel.ui.pages import PAGES as PRODUCT

    known = {p.key: p for p in PAGES}
    out = [known.get(p.key) or BenchPage(p.key, p.path, _user_for(p.permissions), TITLE) for p in PRODUCT]
    return [p for p in out if p.key in QUICK] if quick else out


def _user_for(permissions: tuple[str, ...]) -> str:
    """The first demo account (named after its role) whose role may open a page."""
    from panel.core.access import PERMISSIONS

    for role in ("chair", "manager", "member", "referrer", "admin"):
        if not permissions or any(role in PERMISSIONS[p] for p in permissions):
            return role
    return "admin"
