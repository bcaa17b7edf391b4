"""The learning-theme taxonomy and the rules about themes (docs/domain.md §7).

Pure functions over plain values: no database, no Streamlit. The services seed the taxonomy
from `DEFAULT_THEMES`, apply `recurring` to the tags they read, and hand user search text to
`search_terms` / `fts5_query` so that no query string ever reaches a full-text engine as syntax.

The taxonomy has two levels:

- **national** themes: the themes national analyses of case reviews use (docs/domain.md §7.2),
  so learning can be compared across partnerships;
- **local** themes: the key learning and the areas the board monitors as Bracknell Forest LSCB's
  Learning and Improvement Sub-Group publishes them, each mapped to the national theme it is
  counted under when learning is rolled up nationally.

Where that source names the same thing twice (domestic abuse appears both as key learning and as a
monitored area; "training" and "safeguarding training") it is one theme. The two homelessness
entries stay apart: the key learning is about families moving across borders, the monitored area
about homelessness itself. The mapping of each local theme is a judgement, recorded in
`LOCAL_THEMES` with its reason and in docs/learning.md; administrators can change the taxonomy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

RECURRING_MIN_REVIEWS = 3
RECURRING_YEARS = 3
NAME_MAX = 120


@dataclass(frozen=True)
class ThemeSpec:
    name: str
    kind: str  # "national" or "local"
    national: str | None  # the national theme a local theme maps to
    description: str


# The 24 national themes, in the order docs/domain.md §7.2 lists them.
NATIONAL_THEMES: tuple[tuple[str, str], ...] = (
    ("information sharing", "Agencies knew things the others did not; information was not shared, or not acted on."),
    ("risk assessment", "How risk to the child was assessed, reviewed and acted on, including tools such as DASH."),
    ("professional curiosity", "Checking what is said, asking the next question, seeing beyond the presenting issue."),
    ("the child's voice and lived experience", "What daily life was like for the child, and whether they were seen and heard."),
    ("disguised compliance", "Apparent co-operation by parents or carers that hid continuing risk."),
    ("critical thinking and escalation", "Challenge of decisions, professional disagreement and use of the escalation policy."),
    ("\"invisible\" men and fathers", "Fathers, partners and other men in the child's life who were not known or assessed."),
    ("whole-family assessment", "Assessing the family as a whole: parenting capacity alongside adults' own needs."),
    ("thresholds and early help", "Understanding and applying thresholds; help offered early, and step up or down."),
    ("transitions between areas", "Families moving between local authority, police or health areas, and records following them."),
    ("supervision and workload", "Reflective supervision, caseloads, staffing and the training that supports practice."),
    ("recording", "What was recorded, where, and whether records gave an accurate picture over time."),
    ("non-accidental injury in babies", "Injuries to babies and non-mobile infants, and the response to them."),
    ("sudden unexpected death in infancy", "Unexpected infant deaths, including safer sleep and co-sleeping risks."),
    ("criminal exploitation", "Children exploited to commit crime, including county lines."),
    ("extrafamilial harm", "Harm outside the family: exploitation, peer abuse, missing episodes, contextual safeguarding."),
    ("suicide and self-harm", "Children who died by or attempted suicide, and self-harm."),
    ("online harm", "Harm through online contact, content or bullying."),
    ("race, ethnicity and culture", "How a child's race, ethnicity, culture and faith shaped what agencies saw and did."),
    ("disability", "Disabled children and children with complex health needs."),
    ("children not in school", "Children missing education, electively home educated or persistently absent."),
    ("looked-after children and care leavers", "Children in care, care leavers and other children living away from their parents."),
    ("poverty and housing", "Poverty, debt, overcrowding and insecure housing as context for harm."),
    ("parental mental health", "A parent's or carer's mental ill-health and its effect on the care of the child."),
)

# Bracknell Forest LSCB's key learning, then the areas its board monitors. (name, national theme, why)
LOCAL_THEMES: tuple[tuple[str, str, str], ...] = (
    ("homeless families and moves across borders", "transitions between areas",
     "Key learning (Bracknell Forest LSCB): assessing homeless families' children and the challenge when families move out of the area."),
    ("domestic abuse", "risk assessment",
     "Key learning and a monitored area (Bracknell Forest LSCB): the dynamics of domestic abuse; national analyses treat it through risk assessment (DASH, MARAC)."),
    ("parenting capacity and anger management", "whole-family assessment",
     "Key learning (Bracknell Forest LSCB): assessing a parent's caring responsibilities when working on 'anger management'."),
    ("bruising protocol / injuries in young children", "non-accidental injury in babies",
     "Key learning (Bracknell Forest LSCB): injuries and marks in young children that should raise concern, as the bruising protocol says."),
    ("contradictory medical opinion and thorough examination", "critical thinking and escalation",
     "Key learning (Bracknell Forest LSCB): resolving contradictory medical opinion early, and examining children thoroughly."),
    ("sharing learning between partnerships", "information sharing",
     "Key learning (Bracknell Forest LSCB): sharing learning between partnerships (formerly LSCBs)."),
    ("safeguarding training", "supervision and workload",
     "Key learning ('appropriate levels of training') and a monitored area (Bracknell Forest LSCB)."),
    ("neglect", "the child's voice and lived experience",
     "Monitored area (Bracknell Forest LSCB); neglect is recognised through the child's lived experience over time."),
    ("missing children", "extrafamilial harm", "Monitored area (Bracknell Forest LSCB)."),
    ("child sexual exploitation", "extrafamilial harm", "Monitored area (Bracknell Forest LSCB)."),
    ("substance misuse", "whole-family assessment",
     "Monitored area (Bracknell Forest LSCB); parental substance misuse is assessed as part of the whole family."),
    ("mental health", "parental mental health",
     "Monitored area (Bracknell Forest LSCB); in reviews' learning it is mostly a parent's mental health."),
    ("early help", "thresholds and early help", "Monitored area (Bracknell Forest LSCB)."),
    ("homeless children and families", "poverty and housing", "Monitored area (Bracknell Forest LSCB)."),
    ("vulnerable children and young people", "extrafamilial harm",
     "Monitored area (Bracknell Forest LSCB); in board data mostly adolescents at risk outside the home."),
    ("children in need", "thresholds and early help", "Monitored area (Bracknell Forest LSCB): core information for children in need."),
    ("private fostering", "looked-after children and care leavers",
     "Monitored area (Bracknell Forest LSCB); the nearest national theme: children living away from their parents."),
    ("youth justice", "criminal exploitation", "Monitored area (Bracknell Forest LSCB)."),
    ("allegations against the children's workforce", "critical thinking and escalation",
     "Monitored area (Bracknell Forest LSCB): managing allegations (LADO), which rests on challenge and escalation."),
    ("workforce caseloads and vacancies", "supervision and workload", "Monitored area (Bracknell Forest LSCB)."),
)

DEFAULT_THEMES: tuple[ThemeSpec, ...] = tuple(
    [ThemeSpec(name, "national", None, desc) for name, desc in NATIONAL_THEMES]
    + [ThemeSpec(name, "local", national, why) for name, national, why in LOCAL_THEMES]
)


def theme_name_problem(name: str | None) -> str | None:
    """Why this is not a usable theme name, or None. Names are compared without case."""
    text = " ".join((name or "").split())
    if not text:
        return "Enter the theme's name."
    if len(text) > NAME_MAX:
        return f"Keep the name to {NAME_MAX} characters."
    return None


def clean_name(name: str) -> str:
    return " ".join((name or "").split())


# -- recurring themes -----------------------------------------------------------------------------

def window_start(as_of: date, years: int = RECURRING_YEARS) -> date:
    """The first day of the look-back window: the same day `years` years earlier (29 February
    falls back to 28 February), inclusive."""
    return as_of - relativedelta(years=years)


def recurring(theme_reviews: Iterable[tuple[object, object, date]], as_of: date,
              min_reviews: int = RECURRING_MIN_REVIEWS, years: int = RECURRING_YEARS) -> set:
    """Themes found in `min_reviews` or more distinct reviews and other learning sources together
    (docs/domain.md §7.1) in the last `years` years.

    `theme_reviews` holds (theme, review or source, date) tuples: one per place a theme was
    recorded in a review (on the review itself, or on one of its findings or recommendations) or
    in another source (on its findings or recommendations). A review or source counts for a theme
    when any of its dates falls in [as_of - years, as_of], both ends inclusive.
    """
    start = window_start(as_of, years)
    seen: dict[object, set] = {}
    for theme, review_id, day in theme_reviews:
        if review_id is None or day is None or not (start <= day <= as_of):
            continue
        seen.setdefault(theme, set()).add(review_id)
    return {theme for theme, reviews in seen.items() if len(reviews) >= min_reviews}


# -- search text ---------------------------------------------------------------------------------

MAX_TERMS = 12
MAX_TERM_CHARS = 40
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str | None) -> list[str]:
    """The words of a search box's text, as plain terms: everything that is not a letter or a
    digit separates words, so quotes, stars, minus signs, colons and brackets never reach a
    full-text engine as syntax. Underscores separate too (they do in the FTS5 tokenizer).
    Operators typed as words ("OR", "NEAR") are kept as ordinary words. Duplicates are dropped,
    order kept; at most `MAX_TERMS` terms of at most `MAX_TERM_CHARS` characters."""
    out: list[str] = []
    for raw in _WORD.findall((query or "").replace("_", " ")):
        term = raw.lower()[:MAX_TERM_CHARS]
        if term not in out:
            out.append(term)
        if len(out) == MAX_TERMS:
            break
    return out


def fts5_query(terms: Iterable[str]) -> str:
    """An FTS5 MATCH expression that finds rows containing every term (as a word prefix).

    Each term is a double-quoted string (the only FTS5 syntax used), so it is matched as text
    whatever it says; `search_terms` leaves no quote inside a term, and any that got here are
    doubled as FTS5 requires. Empty when there are no terms: callers then search nothing.
    """
    return " ".join('"' + t.replace('"', '""') + '"*' for t in terms if t)


# -- chart selections ----------------------------------------------------------------------------

def theme_from_selection(state, param: str, field: str = "theme") -> str | None:
    """The theme chosen in a chart: Streamlit's selection state for an Altair point selection
    on `field` (a dict-like {"selection": {param: [{field: value}, ...]}}), or None."""
    try:
        chosen = state["selection"][param]
    except (KeyError, TypeError, AttributeError):
        return None
    if isinstance(chosen, dict):
        chosen = chosen.get(field, [])
        chosen = chosen if isinstance(chosen, list) else [chosen]
        return str(chosen[0]) if chosen else None
    if isinstance(chosen, list):
        for item in chosen:
            if isinstance(item, dict) and item.get(field):
                return str(item[field])
    return None
