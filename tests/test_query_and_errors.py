"""Addresses and errors: every query parameter is parsed by panel.ui.common (a malformed one is
"not found", never a crash), an unexpected error shows a reference and no code, the log keeps the
traceback under that reference, and the browser is configured to show no error details and no
grid export."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest
from streamlit.config import ShowErrorDetailsConfigOptions
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.ui.common import parse_id, parse_ref

ROOT = Path(__file__).resolve().parent.parent
BAD_IDS = ["²", "1" * 20, "9223372036854775808", "-1", "0", "", " 7", "+7", "7_0", "٣", "abc", "1.0"]
BAD_REFS = ["![x](http://127.0.0.1:9/p.png)", "", " ", "NB 2026", "²", "x" * 41, "-NB", "NB_2026_014"]
LISTS = [["1", "2"], ["NB-2026-001", "NB-2026-002"]]


@pytest.mark.parametrize("raw", BAD_IDS)
def test_a_malformed_number_is_none(raw):
    assert parse_id(raw) is None


@pytest.mark.parametrize("raw", BAD_REFS)
def test_a_malformed_reference_is_none(raw):
    assert parse_ref(raw) is None


def test_well_formed_values_parse():
    assert parse_id("7") == 7 and parse_id("9223372036854775807") == 2**63 - 1 and parse_id(None) is None
    assert parse_ref(" nb-2026-014 ") == "NB-2026-014" and parse_ref("NB-2022-003-R1") == "NB-2022-003-R1"


# (page, parameter, the user, the "not found" text the page shows)
PAGES = [
    ("actions.py", "id", "chair", "No action with that number"),
    ("meeting.py", "meeting", "chair", "No meeting with that number"),
    ("referral.py", "ref", "chair", "No referral with that reference"),
    ("screening.py", "ref", "chair", "No referral with that reference"),
    ("review.py", "ref", "chair", "No review with that reference"),
    ("briefing.py", "ref", "chair", "No review with that reference"),
    ("sources.py", "id", "chair", "No learning source with that number"),
    ("library.py", "id", "referrer", "No published briefing with that number"),
]
CASES = [(page, param, user, msg, value) for page, param, user, msg in PAGES
         for value in ([*BAD_IDS, LISTS[0]] if param in ("id", "meeting") else [*BAD_REFS, LISTS[1]])]


@pytest.mark.parametrize(("page", "param", "user", "message", "value"), CASES,
                         ids=[f"{c[0]}-{c[4]!r}" for c in CASES])
def test_each_page_answers_a_malformed_parameter_with_not_found(demo_db, page, param, user, message, value):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(user)
    at.query_params[param] = value
    at.run()
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]


def test_pages_read_query_parameters_only_through_the_helper():
    for path in sorted((ROOT / "pages").glob("*.py")):
        reads = re.findall(r"query_params\.(?:get\w*|to_dict)\(|(?<!del st\.)query_params\[[^\]]+\](?!\s*=)|in st\.query_params",
                           path.read_text())
        assert not reads, f"{path.name} reads query_params directly: {reads}"


# --- unexpected errors --------------------------------------------------------------------------


def _failing_app(kind: str) -> None:
    import streamlit as st

    from panel.ui.errors import run_page

    class Page:
        url_path = "boom"

        def run(self) -> None:
            st.write("before")
            if kind == "error":
                raise RuntimeError("secret detail at /srv/panel/pages/boom.py")
            if kind == "stop":
                st.stop()
            if kind == "rerun" and not st.session_state.get("rerun_done"):
                st.session_state["rerun_done"] = True
                st.rerun()
            st.write("after")

    run_page(Page())


def _run(kind: str) -> AppTest:
    at = AppTest.from_function(_failing_app, args=(kind,), default_timeout=30)
    at.run()
    return at


def test_an_unexpected_error_shows_a_reference_and_the_log_has_it_with_the_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="panel.errors")
    at = _run("error")
    assert not at.exception, at.exception  # no Streamlit exception element: no traceback at all
    [message] = [e.value for e in at.error]
    ref = re.search(r"reference\W+([0-9a-f\\]{8,})", message).group(1).replace("\\", "")
    assert "Traceback" not in message and "RuntimeError" not in message and "secret" not in message
    [record] = [r for r in caplog.records if r.name == "panel.errors"]
    assert ref in record.getMessage() and record.exc_info and record.exc_info[0] is RuntimeError
    caplog.clear()  # the error was this test's point


def test_stop_and_rerun_pass_through_untouched(caplog):
    at = _run("stop")
    assert not at.exception and not at.error and [m.value for m in at.markdown] == ["before"]
    at = _run("rerun")
    assert not at.exception and not at.error and [m.value for m in at.markdown] == ["before", "after"]
    assert not [r for r in caplog.records if r.name == "panel.errors"]


# --- the browser's configuration ----------------------------------------------------------------


def test_config_hides_error_details_and_the_grids_own_export():
    client = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"]
    assert client["showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE.value
    assert client["disableDataExport"] is True
