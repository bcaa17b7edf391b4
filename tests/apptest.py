"""Helpers to run app.py under Streamlit's AppTest as a signed-in user."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"


def signed_in(username: str, page: str | None = None, query: dict | None = None) -> AppTest:
    """app.py as `username`, already signed in, optionally switched to `page`."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["_panel_signed_in_at"] = datetime.now(UTC)
    if query:
        for k, v in query.items():
            at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def menu(at: AppTest) -> list[str]:
    """Labels of the sidebar page links (our own menu; Streamlit's is hidden)."""
    return [el.proto.label for el in at.sidebar.children.values() if el.type == "page_link"]


_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """Markdown source as the reader sees it: the backslash escapes that panel.ui.common.esc puts
    before user text's punctuation removed. AppTest gives the source, not the rendering."""
    return _ESCAPE.sub(r"\1", markdown)


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text"):
        parts += [getattr(e, "value", "") or "" for e in getattr(at, kind)]
    return "\n".join(shown(str(p)) for p in parts)


def page_as(path: Path | str, username: str) -> AppTest:
    """The page file run on its own for `username` (as app.py leaves the signed-in Actor in the
    session), checked to have raised nothing."""
    from panel.accounts import service as accounts

    at = AppTest.from_file(str(path), default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(username)
    at.run()
    assert not at.exception, at.exception
    return at


def press(at: AppTest, label: str) -> AppTest:
    """Press the button labelled `label` and run the page again, checked to have raised nothing."""
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at
