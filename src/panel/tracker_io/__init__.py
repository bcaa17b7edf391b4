"""The tracker spreadsheet: its format, the template, reading a file and checking every row.

Pure: no database and no Streamlit. `panel.tracker_io.service` gathers what the checks need to
know about the database into a `Context` (plain dicts), calls `validate`, and writes the `Plan`
only when the report has no problems. The format is documented in docs/import-format.md.

Referral rows are checked by `panel.referrals.rules.validate_referral`, the same function as the
referral form, so an imported referral is valid exactly when a typed one would be.

A package split by idea: `format` (sheets, columns, allowed values), `report`, `parse`
(reading a file and its cells), `context`, `checks`, `checks_reviews`, `checks_sources` and
`checks_learning` (every row), and `template` (writing a workbook); `db_read`, `sources_db` and
`learning_db` are the database side, used by `service`. Their public names are gathered here: the service, the pages and
the tests use the format as one thing, `panel.tracker_io.X`, whichever module defines X.
"""

from panel.tracker_io.checks_reviews import validate
from panel.tracker_io.context import Context, TypeInfo, agency_names, references
from panel.tracker_io.format import (
    EARLIEST,
    EMPTY_RUN,
    FALSE,
    GUIDE_SHEET,
    IMPORTED_DEPARTURE,
    IMPORTED_RATIONALE,
    INTERAGENCY,
    ISO_RE,
    KEYS,
    LEARNING_SHEETS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_RATIO,
    MAX_ROWS,
    MAX_SECONDS,
    MAX_UNZIPPED,
    MILESTONE_COLUMNS,
    NOTE_MAX,
    NOTIFICATION_COLUMNS,
    REFERRAL_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_REF_RE,
    REVIEW_STATUSES,
    SHEETS,
    SOURCE_COLUMNS,
    SOURCE_SHEET,
    TRUE,
    UK_RE,
    Column,
)
from panel.tracker_io.parse import (
    CellError,
    Parsed,
    Sheet,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    read_workbook,
    too_large,
)
from panel.tracker_io.report import ImportReport, Plan, Problem
from panel.tracker_io.template import (
    build_template,
    cell_value,
    example_rows,
    example_source_rows,
    guide_rows,
    write_workbook,
)

__all__ = [
    "MAX_BYTES", "MAX_ROWS", "MAX_COLUMNS", "EMPTY_RUN", "MAX_UNZIPPED", "MAX_RATIO", "MAX_SECONDS",
    "IMPORTED_RATIONALE", "IMPORTED_DEPARTURE",
    "REVIEW_STATUSES", "INTERAGENCY", "REVIEW_REF_RE", "ISO_RE", "UK_RE", "TRUE", "FALSE",
    "NOTE_MAX", "EARLIEST", "Column", "REFERRAL_COLUMNS", "NOTIFICATION_COLUMNS",
    "REVIEW_COLUMNS", "MILESTONE_COLUMNS", "SOURCE_COLUMNS", "SOURCE_SHEET", "SHEETS", "GUIDE_SHEET", "KEYS", "LEARNING_SHEETS", "Problem",
    "ImportReport", "Plan", "Sheet", "Parsed", "too_large", "read_workbook", "CellError",
    "parse_date", "parse_bool", "parse_int", "parse_choice", "TypeInfo", "Context",
    "references", "agency_names", "validate", "cell_value", "write_workbook", "guide_rows", "example_rows", "example_source_rows",
    "build_template",
]
