"""Every page, as every demo role that can open it, reads as words: no raw key, no snake_case
token, no ISO date and no float with a tail of decimals in what a person reads.

One AppTest run per page per role, on one demo database (with the demo's learning) shared by the
module: the pages only read it. Sentences (markdown, captions, alerts) are checked for tokens that
only a program writes (snake_case, ISO dates, long decimals); values a person reads on their own
(table cells and headings, metric labels and values, options) are also checked against RAW_VALUES,
bare keys that are English words too and so cannot be told apart inside a sentence.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.db import get_engine
from panel.models import Partnership, Referral, Review
from panel.ui.common import DATE_FORMAT, DATETIME_FORMAT
from panel.ui.pages import visible_pages
from tests.apptest import APP, shown
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager, drop_database, new_database
from tests.readable import BARE_DATE, ISO_DATE, LONG_DECIMAL, LOWER_PROPER, SNAKE

# The demo's roles, and a business manager of all three partnerships (tables with a partnership column).
ROLES = ["admin", "chair", "member", "manager", "referrer", "regional", MULTI_MANAGER]

# Keys that are English words (or lower-case acronyms): raw when they are a whole value a person
# reads (a cell, a heading, an option, a metric), fine inside a sentence.
RAW_VALUES = {"login", "logout", "open", "draft", "accept", "signed", "scr", "lcspr", "malr", "closed", "accepted",
              "rejected", "sent", "done", "overdue", "planned", "active", "known", "suspected", "system", "any",
              "decision", "months", "database", "england", "wales", "iro service", "lac review", "police",
              "health", "education", "other", "yes", "no", "none", "true", "false", "nan", "nat"}

# Pages this change may not edit (others are changing them at the same time): what the check finds
# there today, by page, so that anything new on every other page still fails. Remove an entry once
# its page is fixed; the test says when one no longer occurs.
# Each entry: a regex on a finding ("where: token"). Found when this test was written:
KNOWN: dict[str, tuple[str, ...]] = {}


ICON = re.compile(r":material/[a-z_]+:")
CODE = re.compile(r"`[^`]*`")


def _problems(text: str, whole_value: bool) -> list[str]:
    text = ICON.sub("", shown(str(text))).strip()
    text = CODE.sub("", text)  # `a code span`: what the person types (a sheet's name, a command)
    found = SNAKE.findall(text) + ISO_DATE.findall(text) + LONG_DECIMAL.findall(text)
    found += [f"date without its weekday: {d}" for d in BARE_DATE.findall(text)]
    found += [f"proper noun in lower case: {w}" for w in LOWER_PROPER.findall(text)]
    if whole_value and text.lower() in RAW_VALUES and text == text.lower():
        found.append(text)
    return found


def _dataframe(el) -> list[tuple[str, str]]:
    """(where, raw token) for a dataframe's visible headings and cells, as the column config shows them."""
    frame: pd.DataFrame = el.value
    config = json.loads(el.proto.columns or "{}")
    order = list(el.proto.column_order) or [str(c) for c in frame.columns]
    editable = el.editing_mode != "read_only"
    headings: list[str] = []
    out = []
    for col in order:
        if col not in frame.columns:
            continue
        conf = config.get(f"name:{col}", config.get(col, {})) or {}
        if conf.get("hidden"):
            continue
        label = conf.get("label") or col
        if label in headings:
            out.append((f"heading {label!r}", "two columns with one heading"))
        headings.append(label)
        out += [(f"heading {label!r}", p) for p in _problems(label, True)]
        if label[:1].islower():
            out.append((f"heading {label!r}", "heading not in sentence case"))
        type_config = conf.get("type_config") or {}
        fmt = type_config.get("format")
        shown_as = {o["value"]: o.get("label", o["value"]) for o in type_config.get("options") or []
                    if isinstance(o, dict)}
        if editable and not shown_as and not conf.get("disabled") and type_config.get("type") in (None, "text"):
            continue  # what the person types into an editable table, like a text box's value
        series = frame[col].replace(shown_as) if shown_as else frame[col]
        if pd.api.types.is_float_dtype(series) and not fmt:
            out.append((f"column {label!r}", "numbers without a format (shown as -7.000000)"))
            continue
        for v in series.dropna().unique()[:200]:
            if isinstance(v, (list, tuple)):
                vs = list(v)
            else:
                vs = [v]
            for one in vs:
                if isinstance(one, (date, datetime, pd.Timestamp)):
                    if fmt not in (DATE_FORMAT, DATETIME_FORMAT):
                        out.append((f"column {label!r}", f"date in another format ({fmt}): {one}"))
                    continue
                out += [(f"column {label!r}", p) for p in _problems(str(one), True)]
    return out


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def read_text(at: AppTest) -> list[tuple[str, str]]:
    """(where, raw token) for everything a person reads on the page."""
    out: list[tuple[str, str]] = []
    for el in _walk(at.main):
        kind = getattr(el, "type", "")
        proto = getattr(el, "proto", None)
        if kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error",
                    "success", "text", "toast"):
            out += [(kind, p) for p in _problems(el.value, False)]
        elif kind == "metric":
            out += [(f"metric {el.label!r}", p) for p in _problems(el.label, True) + _problems(el.value, True)]
        elif kind in ("dataframe", "arrow_data_frame"):
            out += _dataframe(el)
        elif kind == "table":
            frame = el.value
            for v in list(frame.columns) + [x for c in frame.columns for x in frame[c].dropna().unique()]:
                out += [("table", p) for p in _problems(str(v), True)]
        elif kind in ("selectbox", "radio", "multiselect", "select_slider", "button_group"):
            out += [(f"{kind} {el.label!r}", p) for o in el.options for p in _problems(o, True)]
            out += [(kind, p) for p in _problems(el.label, False)]
        elif kind == "expander" or (proto is not None and kind in ("tab",)):
            out += [(kind, p) for p in _problems(getattr(el, "label", "") or "", False)]
        elif kind in ("button", "download_button", "checkbox", "toggle", "text_input", "text_area",
                      "number_input", "date_input", "page_link"):
            label = getattr(el, "label", None) or getattr(proto, "label", "")
            out += [(kind, p) for p in _problems(label, False)]
    return out


@pytest.fixture(scope="module")
def shared_demo(learning_template, tmp_path_factory):
    """One copy of the demo database with its learning, for the whole module (the pages only read)."""
    database = new_database(tmp_path_factory.mktemp("readable"), learning_template)
    with pytest.MonkeyPatch.context() as mp:
        database.use(mp)
        mp.setenv("PANEL_TODAY", TODAY.isoformat())
        add_multi_manager()
        with Session(get_engine()) as s:
            nb = s.exec(select(Partnership).where(Partnership.code == "NB")).one()
            accepted = s.exec(select(Referral).where(Referral.partnership_id == nb.id,
                                                     Referral.status == "accepted")).first()
            referral = s.exec(select(Referral).where(Referral.partnership_id == nb.id)
                              .order_by(Referral.id.desc())).first()
            review = s.exec(select(Review).where(Review.partnership_id == nb.id)
                            .order_by(Review.id.desc())).first()
            refs = {"screening": accepted.reference, "referral": referral.reference,
                    "review": review.reference, "briefing": review.reference}
        yield refs
        get_engine().dispose()
    drop_database(database)


def _signed_in(username: str) -> AppTest:
    """app.py as `username`, signed in, on its first page: switch_page then run for each page."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["_panel_signed_in_at"] = datetime.now(UTC)
    at.run()
    return at


def _open(at: AppTest, path: str, ref: str | None) -> AppTest:
    for k in list(at.query_params):
        del at.query_params[k]
    if ref:
        at.query_params["ref"] = ref
    at.switch_page(path)
    at.run()
    assert not at.exception, f"{path}: {at.exception}"
    return at


def test_every_page_reads_as_words(shared_demo):
    found: dict[str, Counter] = {}
    seen: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for role in ROLES:
        at = _signed_in(role)
        for spec in visible_pages(accounts.actor_for(role)):
            if spec.key in ("no-access",):
                continue
            _open(at, spec.path, shared_demo.get(spec.key))
            problems = read_text(at)
            seen[(spec.key, role)] = problems
            for where, token in problems:
                found.setdefault(spec.key, Counter())[f"{where}: {token}"] += 1
    for (page, role), problems in sorted(seen.items()):
        print(f"{page} as {role}: {len(problems)}")
    report = "\n".join(f"{page} ({sum(c.values())}): " + "; ".join(sorted(c)) for page, c in sorted(found.items()))
    print(report)
    unexpected = {page: sorted(k for k in c if not any(re.search(a, k) for a in KNOWN.get(page, ())))
                  for page, c in found.items()}
    unexpected = {p: v for p, v in unexpected.items() if v}
    assert not unexpected, "raw keys, ISO dates or long decimals a person reads:\n" + "\n".join(
        f"{p}: {v}" for p, v in sorted(unexpected.items()))
    stale = {page: [a for a in allowed if not any(re.search(a, k) for k in found.get(page, ()))]
             for page, allowed in KNOWN.items()}
    assert not any(stale.values()), f"allowed but no longer found (remove them from KNOWN): {stale}"


@pytest.mark.parametrize(("text", "whole", "found"), [
    ("changed: abuse_or_neglect, child_age_years", False, ["abuse_or_neglect", "child_age_years"]),
    ("Due 2026-12-04", False, ["2026-12-04"]), ("-7.000000", True, ["-7.000000"]),
    ("login", True, ["login"]), ("Please login again", False, []), ("draft", True, ["draft"]),
    ("Draft", True, []), ("Due 4 Dec 2026", False, ["date without its weekday: 4 Dec 2026"]),
    ("Due Fri 4 Dec 2026", False, []), ("harmed outside england", False, ["proper noun in lower case: england"]),
    ("Put it on the `learning_sources` sheet", False, []), ("Median 0.5 days", False, []),
])
def test_the_check_finds_raw_text_and_passes_words(text, whole, found):
    assert _problems(text, whole) == found
