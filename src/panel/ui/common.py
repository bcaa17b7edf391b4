"""Layout helpers so every page looks and behaves the same."""

from __future__ import annotations

import re
import string
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from panel.core.access import Actor
from panel.core.clock import day, days_in, moment, today  # noqa: F401  (pages take these from here with the layout helpers)
from panel.core.presentation import CHILD_FIELDS, HIDDEN, mask_rows

T = TypeVar("T")

RAG_LABELS = {"red": "Overdue", "amber": "Due soon", "green": "On track", "done": "Notified", "none": "-"}
# Text and background pairs with at least 4.5:1 contrast (WCAG 2.2 AA).
RAG_STYLES = {
    "Overdue": "background-color: #f6d7d2; color: #6b1109",
    "Due soon": "background-color: #fff2cc; color: #4d3800",
    "On track": "background-color: #d5eadb; color: #0b3d1a",
    "Notified": "background-color: #e3e8f0; color: #1b2a41",
}

# One date style wherever a person reads a date ("Fri 11 Dec 2026"); ISO dates only in exports and
# JSON. Tables: st.column_config.DateColumn(format=DATE_FORMAT); text: day(d) (panel.core.clock).
DATE_FORMAT = "ddd D MMM YYYY"
DATETIME_FORMAT = "ddd D MMM YYYY, HH:mm"


def in_sentence(label: str) -> str:
    """A label placed inside a sentence: its first word in lower case unless that word is an
    acronym or a proper noun written in capitals ("IRO service", "LAC"); the rest as written, so
    "harmed outside England" keeps its capital. Never `label.lower()`."""
    first, _, rest = (label or "").partition(" ")
    if len(first) > 1 and first[:2].isupper() or first in PROPER_NOUNS:
        return label
    return first[:1].lower() + first[1:] + (" " + rest if rest else "")


PROPER_NOUNS = {"England", "English", "Wales", "Ofsted", "Northbrook", "Eastmere", "Westvale"}


# Every ASCII punctuation character may be backslash-escaped in CommonMark, and an escaped one is
# always literal: so escaping all of them covers Markdown, GFM (tables, ~~, autolinks), HTML and
# entities (< &), LaTeX ($), and Streamlit's directives (:red[..], :material/..:), including ones
# a future version adds, with no list to keep up to date.
_MARKDOWN_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def esc(text: object) -> str:
    """User text to put inside anything Streamlit renders as Markdown (st.markdown, st.write,
    captions, alerts, headings, metrics, widget labels and help), so it shows as typed: no link,
    image, HTML, formatting, LaTeX, colour or icon. Widgets' own values (text_input's value,
    selectbox options) and st.text, st.code and dataframes are not Markdown: pass text there as is."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def esc_table(frame: pd.DataFrame) -> pd.DataFrame:
    """esc() on every text cell, heading and index label of a frame for st.table, which renders
    them as Markdown (st.dataframe does not: pass frames there as they are)."""
    def one(v: object) -> object:
        return esc(v) if isinstance(v, str) else v
    out = frame.map(one)
    out.columns = [one(c) for c in out.columns]
    out.index = pd.Index([one(i) for i in out.index], name=one(out.index.name))
    return out


_MAX_ID = 2**63 - 1  # a BIGINT: a larger number is no row and would overflow the database driver
_REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")


def _query_value(name: str) -> str | None:
    """The parameter's one value; None when absent or given more than once (?id=1&id=2)."""
    values = st.query_params.get_all(name)
    return values[0] if len(values) == 1 else None


def parse_id(raw: str | None) -> int | None:
    """A record number from the address: ASCII digits only (str.isdigit() accepts '²' and
    int() accepts ' 7', '+7', '7_0' and Arabic-Indic digits), 1 to 2**63-1; else None."""
    if raw is None or not re.fullmatch(r"[0-9]{1,19}", raw, flags=re.ASCII):
        return None
    number = int(raw)
    return number if 1 <= number <= _MAX_ID else None


def parse_ref(raw: str | None) -> str | None:
    """A reference (NB-2026-014, NB-2022-003-R1) from the address, upper-cased; else None."""
    if raw is None:
        return None
    ref = raw.strip().upper()
    return ref if _REFERENCE.fullmatch(ref) else None


def query_given(name: str) -> bool:
    """The address names the parameter at all: a malformed value is then "not found", not absent."""
    return name in st.query_params


def query_id(name: str) -> int | None:
    """The record number in the address parameter `name`, or None when absent or malformed.
    Every page reads its query parameters through query_id/query_ref/query_word."""
    return parse_id(_query_value(name))


def query_ref(name: str) -> str | None:
    """The reference in the address parameter `name`, or None when absent or malformed."""
    return parse_ref(_query_value(name))


def query_word(name: str, allowed: tuple[str, ...]) -> str | None:
    """The address parameter `name` when it is one of `allowed` (?mode=screen); else None."""
    value = _query_value(name)
    return value if value in allowed else None


def actor() -> Actor:
    """The signed-in user, put in the session by app.py before any page runs.

    Until app.py has first called st.navigation in this server process, Streamlit runs a
    requested page's file from pages/ directly, bypassing app.py (its older "pages folder"
    mode, decided per process). Sessions that open while the first one is still on its first
    run get that mode too, so it is not only the very first request. No page may render without
    the sign-in, so such a run is sent through app.py; the address it was asked for (page and
    query) is kept as the page to open once signed in, or a deep link would land on the first
    menu page instead.
    """
    if "actor" not in st.session_state:
        remember_requested_page(urlsplit(st.context.url or "").path, st.query_params.to_dict())
        st.switch_page("app.py")
    return st.session_state["actor"]


NEXT_PAGE = "_panel_next"  # (page key, query) a deep link asked for, opened once signed in


def remember_requested_page(path: str, query: dict[str, str]) -> None:
    """Keep the page an address names (its last path segment is the page key) to open after
    signing in; the root names none. The newest address wins."""
    key = path.rstrip("/").rsplit("/", 1)[-1]
    if key:
        st.session_state[NEXT_PAGE] = (key, query)


def _viewed(kind: str) -> set[str]:
    # Per user: a second user signed in to the same browser tab has not viewed anything yet.
    who = actor().username
    return st.session_state.setdefault("_panel_viewed", {}).setdefault((who, kind), set())


def first_view(kind: str, reference: str) -> bool:
    """True the first time the signed-in user opens the record in this browser session: a rerun
    is not a new view, so services audit a view only then."""
    return reference not in _viewed(kind)


def mark_viewed(kind: str, reference: str) -> None:
    _viewed(kind).add(reference)


def presenting() -> bool:
    """Presentation mode: the screen is shared, so child identifiers are hidden on every page.

    The preference lives on the user's row and comes with the Actor that app.py reads from the
    database on every run, so a reload, another tab, a page switch or a deep link keeps it.
    With no signed-in Actor on this run the answer cannot be known: hide.
    """
    who = st.session_state.get("actor")
    return True if who is None else bool(getattr(who, "presenting", True))


def child_text(text: Any) -> Any:
    """Every child identifier a page shows (initials, age band, date of birth, sex, ethnicity,
    the incident in words, free text about the case) goes through here: hidden when presenting."""
    return HIDDEN if presenting() else text


def child_rows(data: T) -> T:
    """A table for st.dataframe (a DataFrame or a list of dicts) with its child columns masked
    when presenting: the values never reach the browser, not even in a hidden column."""
    if not presenting():
        return data
    if isinstance(data, pd.DataFrame):
        cols = [c for c in data.columns if c in CHILD_FIELDS]
        return data.assign(**{c: HIDDEN for c in cols}) if cols else data
    return mask_rows(list(data))


def header(title: str, icon: str, caption: str | None = None) -> None:
    st.title(f"{icon} {title}", anchor=False)
    if presenting():
        st.caption(":material/visibility_off: Presentation mode: child identifiers are hidden.")
    if caption:
        st.caption(caption)


def field_error(errors: dict[str, str], field: str) -> None:
    """The message for one field, shown directly beneath it."""
    if msg := errors.get(field):
        st.error(esc(msg), icon=":material/error:")


def empty_state(message: str, next_step: str | None = None) -> None:
    st.info(message + (f"\n\n{next_step}" if next_step else ""), icon=":material/info:")
