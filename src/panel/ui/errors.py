"""An unexpected error in a page: the user sees a plain message with a short reference, never a
traceback (source lines and paths help an attacker, and can carry data); the server log carries
the same reference with the traceback, so an administrator can find it."""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from panel.ui.common import esc

log = logging.getLogger("panel.errors")


class _Page(Protocol):
    def run(self) -> None: ...


def new_reference() -> str:
    return secrets.token_hex(4)


def run_page(page: _Page) -> None:
    """page.run(), with any unexpected error shown as a plain message and logged."""
    try:
        page.run()
    except ScriptControlException:
        raise  # st.stop, st.rerun and st.switch_page: control flow, not errors
    except Exception:
        ref = new_reference()
        log.exception("Unexpected error on page %s (reference %s)", getattr(page, "url_path", "?") or "?", ref)
        st.error("Sorry, something went wrong and this page could not be shown. If it happens again, tell "
                 f"your Panel administrator and give them this reference: {esc(ref)}.", icon=":material/error:")
