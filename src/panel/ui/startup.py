"""Checks the web app makes before it draws anything."""

from __future__ import annotations

import sys

import streamlit as st

from panel.core.config import check_settings
from panel.ui.common import esc


def require_valid_settings() -> None:
    """Stop the app, with one line naming the variable, when a setting is malformed.

    Without this the first page to read a setting would fail with a traceback mid-run; here the
    operator sees the reason on the page and in the server's log, and nothing else runs."""
    problem = check_settings()
    if problem is None:
        return
    print(problem, file=sys.stderr)
    st.error(esc(problem), icon=":material/settings:")
    st.stop()
