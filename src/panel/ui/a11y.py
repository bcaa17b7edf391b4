"""Accessibility helpers (WCAG 2.2 AA) and the facts the accessibility statement states.

A chart is drawn on a canvas that a screen reader cannot read, so every chart on a page comes
with a caption that says what it shows and the same figures as a table (WCAG 1.1.1).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from panel.ui.common import esc, esc_table

# What the statement says about how Panel was tested; tests/test_accessibility_page.py keeps the
# version in step with package.json, and tests/browser/test_every_page.py runs this version.
AXE_CORE_VERSION = "4.14.1"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
LAST_TESTED = "24 November 2026"


# A strong keyboard focus indicator on every control (WCAG 2.4.7, after GOV.UK's 3px ring).
# Streamlit marks some controls only faintly (a page link's focus is a 15% grey background);
# :focus-visible leaves mouse clicks unmarked. A constant: never put user text in st.html.
FOCUS_CSS = """<style>
:focus-visible { outline: 3px solid #1d4f91 !important; outline-offset: 2px !important; }
</style>"""


# Content reflows at a 390 px phone width (WCAG 1.4.10): a page link in the page's body wraps its
# label onto more lines instead of cutting it off (Streamlit keeps it on one line and clips it),
# and a table wider than the screen scrolls in its own box instead of running off the page. A
# result beside a form (a container keyed result_panel, in a column) stays in view while the form
# scrolls on a wide screen, and comes before it when the columns stack on a narrow one. A page's
# sections are h2 under its h1 (headings in order, WCAG 1.3.1), drawn at the calmer size Streamlit
# gives an h3.
REFLOW_CSS = """<style>
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] span,
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] p { white-space: normal !important; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] { height: auto !important; }
[data-testid="stMain"] [data-testid="stTable"] { overflow-x: auto; }
@media (min-width: 641px) { [data-testid="stColumn"]:has(.st-key-result_panel) {
  position: sticky; top: 4rem; align-self: flex-start; max-height: calc(100vh - 5rem); overflow-y: auto; } }
@media (max-width: 640px) { [data-testid="stColumn"]:has(.st-key-result_panel) { order: -1; } }
[data-testid="stMain"] h2 { font-size: 1.75rem; }
</style>"""


def focus_styles() -> None:
    """The app's own styles, on every page: the focus ring, and reflow at narrow widths."""
    st.html(FOCUS_CSS)
    st.html(REFLOW_CSS)


def chart_table(frame: pd.DataFrame, what: str, names: dict[str, str] | None = None) -> None:
    """The figures behind a chart, as a table in an expander beneath it: the chart's text
    alternative for screen reader and keyboard users (and anyone who wants the numbers).

    A plain HTML table (st.table), not the canvas grid: screen readers read it as a table.
    Dates are written out ("Tue 3 Nov 2026") and blanks left empty.
    """
    view = frame.copy()
    for col in view.columns:
        if pd.api.types.is_datetime64_any_dtype(view[col]):
            view[col] = view[col].dt.strftime("%a %-d %b %Y").fillna("")
    view = view.rename(columns=names or {})
    with st.expander(f"{esc(what)}: the figures as a table", icon=":material/table:"):
        st.table(esc_table(view.set_index(view.columns[0])))


def crosstab(frame: pd.DataFrame, rows: str, columns: str, value: str, row_title: str) -> pd.DataFrame:
    """A long frame (one row per cell of a heatmap or stack) as a readable grid, zeros filled."""
    if frame.empty:
        return pd.DataFrame({row_title: []})
    grid = frame.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum", fill_value=0)
    grid.columns = [str(c) for c in grid.columns]
    return grid.reset_index().rename(columns={rows: row_title})
