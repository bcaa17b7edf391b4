"""A wide table that gives way to a list on a phone (WCAG 1.4.10 reflow).

The grid (st.dataframe) is drawn on a canvas at the widths its columns need: on a 390 px phone a
table of eight columns shows two and hides the rest off to the side. Below NARROW_PX the page
shows the same rows as a list instead, each on its own lines, and above it the table exactly as
before. The choice is the browser's (a CSS media query on the two containers' keys): the server
does not know how wide the screen is. Hidden by `display: none`, the other one is out of the
accessibility tree too, so a screen reader meets the rows once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

NARROW_PX = 640
# A constant: never put user text in st.html.
# The keyed container and the layout wrapper Streamlit puts round it, so that no gap is left either.
CSS = """<style>
@media (max-width: 640px) { [class*="st-key-wide_only_"],
    [data-testid="stLayoutWrapper"]:has(> [class*="st-key-wide_only_"]) { display: none !important; } }
@media (min-width: 641px) { [class*="st-key-narrow_only_"],
    [data-testid="stLayoutWrapper"]:has(> [class*="st-key-narrow_only_"]) { display: none !important; } }
</style>"""  # 640 px: NARROW_PX, written out so that the CSS is one literal


def table_or_list(key: str, table: Callable[[], None], items: list[str]) -> None:
    """`table()` on a wide screen; on a narrow one `items`, Markdown list items (user text in
    them already through esc()), one per row. `key` tells this pair from others on the page."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", key)
    st.html(CSS)
    with st.container(key=f"wide_only_{key}"):
        table()
    with st.container(key=f"narrow_only_{key}"):
        st.markdown("\n".join(items))  # not user text: the caller put each item's user text through esc()
