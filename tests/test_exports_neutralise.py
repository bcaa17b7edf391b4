"""Exports: any text a spreadsheet would run as a formula comes out inert, in CSV
and in Excel (openpyxl reads it back as a string, never a formula), while numbers, dates and
ordinary text are left exactly as they were."""

from __future__ import annotations

import csv
import io
import math
import os
from datetime import date, datetime

import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.core import exports

DANGER = ("=", "+", "-", "@", "\t", "\r")
CASES = {"n": 0}


def whole_module_here(request) -> bool:
    """Every test of this module ran in this process (no -k, no xdist), so the count is whole."""
    mine = [i for i in request.session.items if i.module is request.module]
    return not os.environ.get("PYTEST_XDIST_WORKER") and len(mine) == len(
        [n for n in dir(request.module) if n.startswith("test_")])

# text that may start with anything a spreadsheet treats as a formula (Excel also treats a
# leading "+", "-" and "@" as one; tab and carriage return can hide one from a reader)
risky = st.builds(lambda p, s: p + s, st.sampled_from(DANGER + ("", " ", "'", "a")),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                          max_size=30))
formulas = st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+SUM(A1:A2)", "-2+3", "@SUM(1)",
                            "=cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-", "=", "@"])
cell_text = st.one_of(risky, formulas)
numbers = st.one_of(st.integers(-10**12, 10**12), st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False))
days = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 1, 1))


def _inert(text: str) -> bool:
    return not text.startswith(DANGER)


@settings(max_examples=300)
@given(st.one_of(cell_text, numbers, days, st.none()))
def test_neutralise_makes_any_single_value_safe(value):
    CASES["n"] += 1
    out = exports.neutralise(value)
    if isinstance(value, str):
        assert _inert(out)
        assert out == value or out == "'" + value  # only ever a leading apostrophe added
        if _inert(value):
            assert out == value  # ordinary text untouched
    else:
        assert out is value  # numbers, dates, None untouched


def _frame(texts, nums, ds, header):
    n = min(len(texts), len(nums), len(ds))
    return pd.DataFrame({header: texts[:n], "amount": nums[:n], "on": ds[:n], "note": ["ok"] * n})


@settings(max_examples=150)
@given(texts=st.lists(cell_text, min_size=1, max_size=6), nums=st.lists(numbers, min_size=6, max_size=6),
       ds=st.lists(days, min_size=6, max_size=6), header=cell_text)
def test_csv_export_is_inert_and_keeps_numbers(texts, nums, ds, header):
    CASES["n"] += 1
    df = _frame(texts, nums, ds, header)
    rows = list(csv.reader(io.StringIO(exports.to_csv(df).decode("utf-8-sig"), newline="")))
    assert all(_inert(c) for c in rows[0]), rows[0]  # headers
    assert all(_inert(row[0]) for row in rows), rows  # the text column (numbers may be negative)
    body = rows[1:]
    assert len(body) == len(df)
    for row, (_, src) in zip(body, df.iterrows(), strict=True):
        assert row[0] in (src.iloc[0], "'" + src.iloc[0])
        assert float(row[1]) == float(src["amount"])
        assert row[2] == src["on"].isoformat()


@settings(max_examples=60)  # each writes and reads back a workbook
@given(texts=st.lists(cell_text, min_size=1, max_size=6), nums=st.lists(numbers, min_size=6, max_size=6),
       ds=st.lists(days, min_size=6, max_size=6), header=cell_text)
def test_xlsx_export_reads_back_as_strings_not_formulas(texts, nums, ds, header):
    CASES["n"] += 1
    df = _frame(texts, nums, ds, header)
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(df)))  # not data_only: formulas would show
    ws = wb.active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
    assert all(_inert(c.value) for c in cells if isinstance(c.value, str))
    for r, (_, src) in enumerate(df.iterrows(), start=2):
        text_cell, amount, on = ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value
        expected = exports.neutralise(exports._for_excel(src.iloc[0]))  # control characters dropped first
        assert (text_cell or "") == expected
        assert isinstance(text_cell, str | type(None))
        assert isinstance(amount, int | float) and math.isclose(amount, src["amount"], rel_tol=1e-12, abs_tol=0)
        assert isinstance(on, datetime | date) and (on.date() if isinstance(on, datetime) else on) == src["on"]


def test_every_dtype_that_holds_text_is_neutralised():
    """pandas' string and category dtypes hold text too: a formula there must not slip through."""
    CASES["n"] += 1
    df = pd.DataFrame({"s": pd.Series(["=1+1", "fine"], dtype="string"),
                       "c": pd.Series(["+2+2", "fine"], dtype="category"), "o": ["@x", "fine"]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(df)))
    cells = [c for row in wb.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert all(_inert(c.value) for c in cells if isinstance(c.value, str))
    rows = list(csv.reader(io.StringIO(exports.to_csv(df).decode("utf-8-sig"))))
    assert all(_inert(c) for row in rows for c in row)


def test_zz_export_cases_printed(request):
    print(f"\nfuzz (exports): {CASES['n']} cases run")
    if whole_module_here(request):  # under -k or xdist the count is partial
        assert CASES["n"] >= 500
