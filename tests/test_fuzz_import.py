"""Hostile input to the importer: junk workbooks (random sheets, headers and cell types, formulas,
huge strings, NUL and control characters, dates as text) and the valid example with junk put in
its cells. The importer never crashes: it returns a report naming sheet, row and column, or raises
a PanelError; and a refused file writes nothing at all (rows and audit unchanged)."""

from __future__ import annotations

import copy
import io
import os
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from panel import tracker_io
from panel.core.access import SYSTEM
from panel.core.db import dispose_engine, get_engine
from panel.core.errors import PanelError
from panel.tracker_io import SHEETS
from tests.conftest import TODAY, build_template, new_database
from tests.factories import CSC, do_import, setup_installation, tracker_counts

CASES = {"n": 0}
SETTINGS = settings(max_examples=120, suppress_health_check=list(HealthCheck), deadline=None)
HEADERS = sorted({c.name for cols in SHEETS.values() for c in cols})  # every real column

cells = st.one_of(
    st.none(), st.integers(-10**15, 10**15), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 1, 1)),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\")", "+cmd", "@SUM(1)", "-1", "x" * 40_000, "a\x00b",
                     "31/02/2025", "2025-13-01", "01/01/1900", "yesterday", "NB-2025-900", "nb-2025-900 ",
                     "\u202eevil", "TRUE", "yes", "N/A", "0", "1e309", ""]),
)


def _clean_for_openpyxl(v):
    """openpyxl refuses control characters on write: a real file cannot hold them either."""
    if isinstance(v, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", v)
    return v


def _book(sheets: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, lines in sheets.items():
        ws = wb.create_sheet(name)
        for line in lines:
            ws.append([_clean_for_openpyxl(v) for v in line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


sheet_names = st.one_of(st.sampled_from(sorted(SHEETS)), st.text(alphabet="abcdefghij_ ", min_size=1, max_size=12))
junk_books = st.dictionaries(
    sheet_names.map(lambda s: s[:31].strip() or "x"),
    st.lists(st.lists(st.one_of(cells, st.sampled_from(HEADERS)), max_size=8), max_size=6),
    min_size=1, max_size=4)


@pytest.fixture(scope="module")
def install(empty_template, tmp_path_factory):
    template = build_template(tmp_path_factory.mktemp("fuzz-import-template"), setup_installation,
                              template=empty_template)
    database = new_database(tmp_path_factory.mktemp("fuzz-import"), template)
    with pytest.MonkeyPatch.context() as mp:
        database.use(mp)
        mp.setenv("PANEL_TODAY", TODAY.isoformat())
        yield
        dispose_engine(get_engine().url.render_as_string(hide_password=False))


def _check(data: bytes) -> None:
    CASES["n"] += 1
    before = tracker_counts()
    try:
        report = do_import(data, SYSTEM)
    except PanelError as e:
        assert str(e).strip()
        assert tracker_counts() == before
        return
    if not report.ok:
        assert not report.imported and tracker_counts() == before, "a refused file wrote something"
        assert report.problems and all(p.message.strip() for p in report.problems)
        assert all(isinstance(line, str) for line in report.lines())


@SETTINGS
@given(book=junk_books)
def test_junk_workbooks_are_refused_cleanly(install, book):
    _check(_book(book))


@SETTINGS
@given(edits=st.lists(st.sampled_from(sorted(SHEETS)).flatmap(lambda sh: st.tuples(
    st.just(sh), st.integers(0, 3), st.sampled_from([c.name for c in SHEETS[sh]]), cells)),
                      min_size=1, max_size=4))
def test_the_example_with_junk_in_its_cells(install, edits):
    rows = copy.deepcopy(tracker_io.example_rows("NB", CSC))
    for sheet, index, column, value in edits:
        if rows.get(sheet):
            rows[sheet][index % len(rows[sheet])][column] = _clean_for_openpyxl(value)
    try:
        data = tracker_io.write_workbook(rows)
    except (ValueError, TypeError):
        return  # a value openpyxl itself will not write cannot arrive in a real file
    _check(data)


@settings(max_examples=40, suppress_health_check=list(HealthCheck), deadline=None)
@given(blob=st.one_of(st.binary(max_size=2000), st.sampled_from([b"", b"PK\x03\x04", b"PK\x03\x04" + b"\x00" * 100,
                                                                  b"<html></html>", "naïve,csv\n1,2".encode()])))
def test_files_that_are_not_workbooks(install, blob):
    _check(blob)


def test_zz_import_cases_printed(request):
    print(f"\nfuzz (import): {CASES['n']} hostile files run")
    mine = [i for i in request.session.items if i.module is request.module]
    if not os.environ.get("PYTEST_XDIST_WORKER") and len(mine) == 4:  # a partial run counts partially
        assert CASES["n"] >= 200
