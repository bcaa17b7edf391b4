"""The accessibility statement: open to every signed-in user and before signing in, true to the
checks (the axe-core version it names is the one package-lock.json installs), and the chart
text alternative helper."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.ui import a11y
from panel.ui.pages import visible_pages
from tests.apptest import APP, menu, signed_in, texts

ROOT = Path(__file__).resolve().parents[1]


def test_statement_names_the_axe_core_version_that_is_installed():
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == a11y.AXE_CORE_VERSION
    assert json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"] == a11y.AXE_CORE_VERSION


@pytest.mark.parametrize("username", ["admin", "chair", "member", "manager", "referrer", "regional"])
def test_every_role_has_the_statement_in_its_menu(demo_db, username):
    assert "accessibility" in [p.key for p in visible_pages(accounts.actor_for(username))]
    assert "Accessibility statement" in menu(signed_in(username))


def test_statement_page_renders_signed_in(demo_db):
    at = signed_in("referrer", "pages/accessibility.py")
    text = texts(at)
    for part in ("Compliance status", "Non-accessible content", "Enforcement procedure",
                 "Equality and Human Rights Commission", "Equality Commission for Northern Ireland",
                 f"axe-core {a11y.AXE_CORE_VERSION}", a11y.LAST_TESTED, "WCAG 2.5.8"):
        assert part in text, part


def test_sign_in_page_links_to_the_statement(demo_db):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    links = [el.proto.label for el in at.main.children.values() if el.type == "page_link"]
    assert "Accessibility statement" in links


def _chart_table_page():
    import pandas as pd

    from panel.ui.a11y import chart_table

    frame = pd.DataFrame({"review": ["NB-1", "NB-1"], "planned": pd.to_datetime(["2026-11-03", "2026-12-01"]),
                          "actual": pd.to_datetime(["2026-11-04", None])})
    chart_table(frame, "The timeline", {"review": "Review", "planned": "Target", "actual": "Happened"})


def test_chart_table_is_a_plain_table_with_dates_written_out():
    at = AppTest.from_function(_chart_table_page, default_timeout=60).run()
    assert not at.exception
    assert at.expander[0].label == "The timeline: the figures as a table"
    table = at.table[0].value
    assert table.index.name == "Review"
    assert table["Target"].tolist() == ["Tue 3 Nov 2026", "Tue 1 Dec 2026"]
    assert table["Happened"].tolist() == ["Wed 4 Nov 2026", ""]
