"""The administrator's import page, run directly under AppTest.

AppTest cannot drive st.file_uploader, so these check what the page shows before a file is
chosen: the template download, the guidance and the empty state for everyone else. The checks
and the import behind the upload are tested in tests/test_import.py.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from tests import apptest
from tests.apptest import shown, texts

PAGE = Path(__file__).resolve().parent.parent / "pages" / "import.py"


def page_as(username: str) -> AppTest:
    return apptest.page_as(PAGE, username)


def labels(at: AppTest, kind: str) -> list[str]:
    return [el.proto.label for el in at.get(kind)]


def test_admin_sees_template_download_guidance_and_uploader(demo_db):
    at = page_as("admin")
    assert "Import a tracker" in at.title[0].value
    assert "Download the template (.xlsx)" in labels(at, "download_button")
    # The demo administrator holds no panel role: no case export (it holds every child's details).
    assert "Export the tracker (.xlsx)" not in labels(at, "download_button")
    assert "Exporting the tracker needs a panel role" in texts(at)
    assert labels(at, "file_uploader") == ["Tracker workbook (.xlsx, up to 5 MB)"]
    shown = texts(at)
    for words in ("`referrals`, `notifications`, `reviews`", "nothing is imported",
                  "Formulas are never worked out", "20,000 rows", "Nothing is saved until you press Import"):
        assert words in shown
    assert [s.value for s in at.header][:2] == ["1. Download the template", "2. Check your file"]


def test_an_administrator_with_a_panel_role_may_export_their_partnerships_cases(demo_db):
    from panel.core.access import Actor

    admin = accounts.actor_for("admin")
    nb = next(p for p, r in admin.roles.items() if "admin" in r)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["actor"] = Actor(admin.user_id, admin.username, admin.name,
                                      {**admin.roles, nb: admin.roles[nb] | {"chair"}})
    at.run()
    assert not at.exception and "Export the tracker (.xlsx)" in labels(at, "download_button")


def test_non_admin_sees_an_empty_state(demo_db):
    for username in ("chair", "manager", "referrer"):
        at = page_as(username)
        assert "Only an administrator can import a tracker." in at.info[0].value
        assert labels(at, "download_button") == [] and labels(at, "file_uploader") == []


class _Upload:
    """Stands in for Streamlit's UploadedFile (AppTest cannot upload)."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def _with_upload(monkeypatch, name: str, data: bytes) -> AppTest:
    import streamlit as st

    monkeypatch.setattr(st, "file_uploader", lambda *a, **k: _Upload(name, data))
    return page_as("admin")


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_check_then_import_with_a_stubbed_upload(demo_db, monkeypatch):
    from panel import tracker_io
    from panel.tracker_io import service as imports

    admin = accounts.actor_for("admin")
    good = imports.template(admin)
    at = _with_upload(monkeypatch, "template.xlsx", good)
    assert _button(at, "Import").disabled  # not checked yet
    _button(at, "Check file").click().run()
    assert "All 8 rows are valid: 8 new, 0 unchanged." in texts(at)
    assert not _button(at, "Import").disabled
    _button(at, "Import").click().run()
    assert not at.exception
    assert "Imported template.xlsx: 8 new rows, 0 unchanged." in shown(at.success[0].value)

    rows = tracker_io.example_rows("EM", "Police")
    rows["referrals"][0]["harm"] = "bruised"
    bad = _with_upload(monkeypatch, "bad.xlsx", tracker_io.write_workbook(rows))
    _button(bad, "Check file").click().run()
    assert "1 problem in bad.xlsx: nothing has been imported." in shown(bad.error[0].value)
    table = bad.dataframe[0].value
    assert table.iloc[0].to_dict() == {"sheet": "referrals", "row": 2, "column": "harm",
                                       "problem": "'bruised' is not one of: died, serious_harm, other."}
    assert _button(bad, "Import").disabled
