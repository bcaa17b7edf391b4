"""Uploads and workbooks cost bounded time and memory, whatever a file claims about itself.

Each hostile workbook is read in a child process, so its peak memory is that process's own
(resource.getrusage(RUSAGE_CHILDREN) in a parent with no other child) and its CPU time is not
stretched by other work on the machine. The bounds (2 CPU seconds, 200 MB above the reader's
baseline) are far above what a bounded read costs and far below what an unbounded one did.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from panel import tracker_io
from panel.tracker_io import parse
from tests import import_shapes as shapes

ROOT = Path(__file__).resolve().parent.parent
CPU_SECONDS = 2.0
EXTRA_MB = 200

# Reads the file named by argv[1] after a warm-up read, and prints what it found and cost.
_READER = textwrap.dedent("""
    import json, resource, sys, time
    from panel.tracker_io.parse import read_workbook
    from tests.import_shapes import honest
    read_workbook(honest(1))  # imports and first-use caches belong to the baseline
    data = open(sys.argv[1], "rb").read()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    parsed = read_workbook(data)
    print(json.dumps({"baseline_kb": baseline, "wall": time.perf_counter() - wall,
                      "cpu": time.process_time() - cpu, "rows": parsed.row_count,
                      "problems": [p.message for p in parsed.problems],
                      "warnings": [w.line() for w in parsed.warnings]}))
""")

# Runs the reader as its only child, so RUSAGE_CHILDREN is the reader's peak alone.
_PARENT = textwrap.dedent("""
    import json, resource, subprocess, sys
    out = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True,
                         text=True, timeout=120, cwd=sys.argv[3])
    if out.returncode:
        sys.exit(out.stderr)
    result = json.loads(out.stdout)
    result["peak_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps(result))
""")


def measured_read(data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    out = subprocess.run([sys.executable, "-c", _PARENT, _READER, str(path), str(ROOT)],
                         capture_output=True, text=True, timeout=150, cwd=ROOT, check=True)
    result = json.loads(out.stdout)
    result["extra_mb"] = (result["peak_kb"] - result["baseline_kb"]) / 1024
    return result


# --- the upload ------------------------------------------------------------------------------

def test_server_upload_limit_is_the_largest_file_panel_reads():
    """Streamlit accepts uploads from any page, signed in or not: the server-wide limit is the
    largest of Panel's own limits (a review's document, docs/domain.md §11, or a tracker import),
    so no upload larger than the largest file Panel reads is ever held in memory. The tracker
    import still refuses anything over its own, smaller limit in code."""
    from panel.core.config import Settings

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    document_mb = Settings.model_fields["max_document_mb"].default
    assert config["server"]["maxUploadSize"] == max(document_mb, tracker_io.MAX_BYTES // 1024 // 1024)
    assert tracker_io.MAX_BYTES < config["server"]["maxUploadSize"] * 1024 * 1024


# --- hostile workbooks ----------------------------------------------------------------------

@pytest.mark.parametrize("shape, refusal, warning", [
    # 5 KB declaring A1:XFD1048576 with a value in row 1,048,576: the gap is empty rows.
    ("declared", None, "referrals row 1048576: Reading stopped after 1,000 empty rows"),
    ("declared_four", None, "milestones row 1048576: Reading stopped after 1,000 empty rows"),
    # 1.4 MB of deflated XML: 500,000 rows of formatted but empty cells, no dimension record.
    ("styled_empty", None, "referrals row 1002: Reading stopped after 1,000 empty rows"),
    ("wide_row", "The referrals sheet has more than 100 columns", None),
    ("zip_bomb", "unpacks 1,028 times larger than it is stored", None),
    ("zip_bomb_large", "The workbook unpacks to 300 MB, more than the 100 MB limit", None),
])
def test_hostile_workbook_costs_bounded_time_and_memory(shape, refusal, warning, tmp_path):
    result = measured_read(shapes.SHAPES[shape](), tmp_path)
    cost = f"{shape}: {result['cpu']:.2f} s CPU, {result['wall']:.2f} s wall, +{result['extra_mb']:.0f} MB"
    assert result["cpu"] < CPU_SECONDS, cost
    assert result["extra_mb"] < EXTRA_MB, cost
    if refusal:
        assert any(refusal in p for p in result["problems"]), result["problems"]
    else:
        assert result["rows"] == 0, result
        assert any(w.startswith(warning) for w in result["warnings"]), result["warnings"]


# --- honest workbooks -----------------------------------------------------------------------

def test_formatted_empty_rows_below_the_data_do_not_count_or_refuse():
    """Only rows holding a value count against MAX_ROWS; formatting below stops the reading."""
    parsed = parse.read_workbook(shapes.honest(300, trailing_styled=1_500))
    assert not parsed.problems and parsed.row_count == 300
    assert [w.line() for w in parsed.warnings] == [
        "referrals row 1302: Reading stopped after 1,000 empty rows in a row: this row and any "
        "below were not read. If there is more data, delete the empty rows above it."]


def test_a_sheet_that_simply_ends_has_no_warning():
    parsed = parse.read_workbook(shapes.honest(300, trailing_styled=999))
    assert not parsed.problems and not parsed.warnings and parsed.row_count == 300


def test_a_wrong_declared_dimension_loses_no_columns():
    """A sheet declaring only A1 still has every column read: the declaration is never trusted."""
    data = shapes.declared_narrow()
    parsed = parse.read_workbook(data)
    assert not parsed.problems, [p.line() for p in parsed.problems]
    assert parsed.sheets["referrals"].columns == [c.name for c in tracker_io.REFERRAL_COLUMNS]


def test_reading_stops_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(parse, "MAX_SECONDS", -1.0)
    parsed = parse.read_workbook(shapes.honest(3))
    assert len(parsed.problems) == 1
    assert parsed.problems[0].message.startswith("Reading the file took more than")
    assert parsed.sheets == {}
