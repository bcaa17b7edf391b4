"""`panel import FILE [--dry-run]` and `panel export-tracker FILE`: the tracker workbook from the
command line (docs/import-format.md). The command line acts as the system, for every partnership.

`import` prints the report: every problem as "sheet row N, column: reason". It exits 0 when the
file was imported (or, with --dry-run, is valid) and 2 with the report on any problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def import_file(args: argparse.Namespace) -> int:
    from panel import tracker_io
    from panel.core.access import SYSTEM
    from panel.core.clock import today
    from panel.tracker_io import service as imports

    path = Path(args.file)
    if not path.is_file():
        print(f"{path}: no such file.", file=sys.stderr)
        return 2
    size = path.stat().st_size
    if (problem := tracker_io.too_large(size)) is not None:
        print(problem.line(), file=sys.stderr)
        return 2
    report = imports.import_tracker(SYSTEM, path.read_bytes(), path.name, today(), dry_run=args.dry_run,
                                    create_agencies=args.create_agencies)
    for w in report.warnings:
        print(f"warning: {w.line()}", file=sys.stderr)
    if not report.ok:
        if report.new_agencies and not args.create_agencies:
            print("Agencies not in Panel yet (add them, or import again with --create-agencies): "
                  + "; ".join(report.new_agencies), file=sys.stderr)
        for line in report.lines():
            print(line, file=sys.stderr)
        print(report.summary(), file=sys.stderr)
        return 2
    for line in report.count_lines():
        print(line)
    if args.dry_run:
        print(f"Dry run: {report.summary()} Nothing was written.")
    elif report.imported:
        print(f"{report.summary()} {report.decisions} signed decisions recorded.")
    else:
        print(f"{report.summary()} Nothing to write: every row is already in the database.")
    return 0


def export_file(args: argparse.Namespace) -> int:
    from panel.core.access import SYSTEM
    from panel.reports.service import partnership_ids_for_codes
    from panel.tracker_io import service as imports

    pids = partnership_ids_for_codes(args.partnership) if args.partnership else None
    data = imports.export_tracker(SYSTEM, pids)
    Path(args.file).write_bytes(data)
    print(f"Wrote {args.file} ({len(data):,} bytes). The export is logged.")
    return 0


def add_parsers(subparsers) -> None:
    """Add `import` and `export-tracker` to the `panel` command's subparsers."""
    i = subparsers.add_parser("import", help="import a tracker workbook (.xlsx); every row is checked first",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("file", metavar="FILE", help="the workbook, in the format of docs/import-format.md")
    i.add_argument("--dry-run", action="store_true", help="check every row and print the report; write nothing")
    i.add_argument("--create-agencies", action="store_true",
                   help="create the agencies the file names that Panel does not have yet (kind other), "
                        "in the same transaction as the rows")
    i.set_defaults(fn=import_file)
    e = subparsers.add_parser("export-tracker", help="export referrals, notifications, reviews and "
                              "milestones as a tracker workbook the import reads")
    e.add_argument("file", metavar="FILE", help="where to write the .xlsx")
    e.add_argument("--partnership", action="append", metavar="CODE",
                   help="only this partnership (repeatable); default every partnership")
    e.set_defaults(fn=export_file)
