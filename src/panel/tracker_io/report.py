"""What a check or an import reports back, and the plan of what to write when every row passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# -- the report ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # as Excel shows it: the header is row 1
    column: str | None
    message: str

    def line(self) -> str:
        where = self.sheet or "file"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column or "", "problem": self.message}


@dataclass
class ImportReport:
    file_name: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet -> new / unchanged
    rows: int = 0
    imported: bool = False
    decisions: int = 0  # signed decisions created for imported reviews and outcomes
    # Agency names the file uses that no agency has: listed for the importer to confirm; created
    # (kind "other") with the import when they ask.
    new_agencies: list[str] = field(default_factory=list)
    agencies_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new(self) -> int:
        return sum(c.get("new", 0) for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.get("unchanged", 0) for c in self.counts.values())

    def summary(self) -> str:
        if not self.ok:
            n = len(self.problems)
            return (f"{n} problem{'s' if n != 1 else ''} in {self.file_name}: nothing has been "
                    "imported. Fix the file and check it again.")
        head = f"All {self.rows} rows are valid: {self.new} new, {self.unchanged} unchanged."
        if self.imported:
            head = f"Imported {self.file_name}: {self.new} new rows, {self.unchanged} unchanged."
        return head

    def count_lines(self) -> list[str]:
        lines = [f"{sheet}: {c.get('new', 0)} new, {c.get('unchanged', 0)} unchanged"
                 for sheet, c in self.counts.items() if c.get("new") or c.get("unchanged")]
        if self.new_agencies:
            verb = "created" if self.agencies_created else "to create"
            lines.append(f"agencies: {len(self.new_agencies)} {verb} ({', '.join(self.new_agencies)})")
        return lines

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]


@dataclass
class Plan:
    """What to write, in the order to write it; only built when every row passed."""

    referrals: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)  # learning sources
    findings: list[dict] = field(default_factory=list)
    recommendations: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
