"""docs/import-format.md stays true to the format: each sheet's table lists exactly the columns
`panel.tracker_io.format` declares, each marked required as the format has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from panel.tracker_io import SHEETS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "import-format.md").read_text()


def documented(sheet: str) -> dict[str, bool]:
    """Column -> required, from the table under the sheet's heading (a row may name several)."""
    start = DOC.index(f"### `{sheet}`\n")
    end = DOC.find("\n#", start + 1)
    found: dict[str, bool] = {}
    for line in DOC[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or cells[1] not in ("yes", "no"):
            continue
        for name in re.split(r",\s*", cells[0]):
            assert name not in found, f"{sheet}.{name} is documented twice"
            found[name] = cells[1] == "yes"
    return found


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_each_sheet_table_lists_the_format_columns(sheet):
    assert documented(sheet) == {c.name: c.required for c in SHEETS[sheet]}
