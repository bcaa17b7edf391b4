"""Cached reads for the pages whose queries cost most at scale (docs/performance.md).

`st.cache_data` is shared by every session of the server process, so each cached function
takes, as arguments that form its key:
- the acting user's scope for the permission the service checks (the partnerships it would
  read, and whether the user is regional) and the database: two users see the same cached
  result only when the service would have given them the same one;
- the audit high-water mark (`audit.high_water()`): every write commits an audit row in its
  own transaction, so any write, from any process or the command line, moves the mark and the
  next read misses the cache. No page has to remember to clear anything.
The actor itself is passed as `_actor` (not hashed) so the service still checks it on a miss.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from panel.accounts import audit_log
from panel.core import audit
from panel.core.access import Actor
from panel.core.config import get_settings
from panel.learning import reach
from panel.learning import service as learning
from panel.reports import service as reports
from panel.reviews import tracker
from panel.themes import recurrence as theme_recurrence

TTL = 600  # seconds: bounds staleness for anything a write could miss, and memory
MAX_ENTRIES = 200  # per function


def scope(actor: Actor, permission: str) -> tuple:
    """What a service's answer depends on for this actor: partnerships holding `permission`
    (and which database: tests, and any multi-database process, must never share entries)."""
    return (get_settings().database_url, permission, tuple(actor.partnerships_with(permission)),
            actor.is_regional, actor.is_system)


def generation() -> int:
    return audit.high_water()


def _cache(fn=None, *, entries: int = MAX_ENTRIES):
    def wrap(fn):
        return st.cache_data(ttl=TTL, max_entries=entries, show_spinner=False)(fn)
    return wrap if fn is None else wrap(fn)


# Learning explorer: SQL aggregates over every finding, recommendation and theme tag. Its four
# frames share one function, each entry keyed by the frame's name too, holding as many entries
# as four functions would.
@_cache(entries=4 * MAX_ENTRIES)
def _learning_frame(key: tuple, gen: int, frame: str, f: learning.LearningFilter, _actor: Actor) -> pd.DataFrame:
    return getattr(learning, frame)(_actor, f)


@_cache
def _totals(key: tuple, gen: int, f: learning.LearningFilter, today: date, _actor: Actor):
    return learning.totals(_actor, f, today)


@_cache
def _years(key: tuple, gen: int, partnership_ids: tuple | None, _actor: Actor) -> list[int]:
    return learning.years(_actor, list(partnership_ids) if partnership_ids else None)


def theme_by_year(actor: Actor, f: learning.LearningFilter) -> pd.DataFrame:
    return _learning_frame(scope(actor, "learning.read"), generation(), "theme_by_year", f, actor)


def theme_by_review_type(actor: Actor, f: learning.LearningFilter) -> pd.DataFrame:
    return _learning_frame(scope(actor, "learning.read"), generation(), "theme_by_review_type", f, actor)


def theme_by_agency(actor: Actor, f: learning.LearningFilter) -> pd.DataFrame:
    return _learning_frame(scope(actor, "learning.read"), generation(), "theme_by_agency", f, actor)


def cooccurrence(actor: Actor, f: learning.LearningFilter) -> pd.DataFrame:
    return _learning_frame(scope(actor, "learning.read"), generation(), "cooccurrence", f, actor)


def totals(actor: Actor, f: learning.LearningFilter, today: date):
    return _totals(scope(actor, "learning.read"), generation(), f, today, actor)


def years(actor: Actor, partnership_ids: list[int] | None = None) -> list[int]:
    ids = tuple(partnership_ids) if partnership_ids else None
    return _years(scope(actor, "learning.read"), generation(), ids, actor)


@_cache
def _reach(key: tuple, gen: int, f: learning.LearningFilter, _actor: Actor) -> pd.DataFrame:
    return reach.theme_reach(_actor, f)


def theme_reach(actor: Actor, f: learning.LearningFilter) -> pd.DataFrame:
    """Per theme: found, recommended, done and practitioners reached (the explorer's last tab)."""
    return _reach(scope(actor, "learning.read"), generation(), f, actor)


# Review tracker: every review's clock, and the timeline of the most urgent.

@_cache
def _tracker_reviews(key: tuple, gen: int, f: tracker.TrackerFilter, today: date, _actor: Actor) -> pd.DataFrame:
    return tracker.reviews(_actor, f, today)


@_cache
def _tracker_timeline(key: tuple, gen: int, f: tracker.TrackerFilter, today: date, refs: tuple,
                      _actor: Actor) -> pd.DataFrame:
    return tracker.timeline(_actor, f, today, list(refs))


def tracker_reviews(actor: Actor, f: tracker.TrackerFilter, today: date) -> pd.DataFrame:
    return _tracker_reviews(scope(actor, "review.read"), generation(), f, today, actor)


def tracker_timeline(actor: Actor, f: tracker.TrackerFilter, today: date, references: list[str]) -> pd.DataFrame:
    return _tracker_timeline(scope(actor, "review.read"), generation(), f, today, tuple(references), actor)


# Timeliness: every figure over every notification, decision and review of the partnerships.

@_cache
def _timeliness(key: tuple, gen: int, as_of: date, partnership_ids: tuple | None, period: str,
                _actor: Actor) -> dict:
    return reports.timeliness(_actor, as_of, list(partnership_ids) if partnership_ids else None, period)


def timeliness(actor: Actor, as_of: date, partnership_ids: list[int] | None = None,
               period: str = "12m") -> dict:
    ids = tuple(partnership_ids) if partnership_ids else None
    return _timeliness(scope(actor, "report.timeliness"), generation(), as_of, ids, period, actor)


# Screening: the referral's themes that recur in its partnership (reg.11), over every review's tags.

@_cache
def _recurring_themes(key: tuple, gen: int, reference: str, as_of: date, _actor: Actor) -> list:
    return theme_recurrence.referral_recurring_themes(_actor, reference, as_of)


def recurring_themes(actor: Actor, reference: str, as_of: date) -> list:
    return _recurring_themes(scope(actor, "referral.read"), generation(), reference, as_of, actor)


# Audit log: the actions and record types for its filters (DISTINCT over every audit row). Audited
# reads do not move the generation, so a read-only action seen for the first time joins the
# list when the entry expires (TTL); every change action joins it at once.

@_cache
def _audit_choices(key: tuple, gen: int, _actor: Actor) -> tuple[list[str], list[str]]:
    return audit_log.choices(_actor)


def audit_choices(actor: Actor) -> tuple[list[str], list[str]]:
    return _audit_choices(scope(actor, "audit.read"), generation(), actor)
