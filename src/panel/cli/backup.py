"""`panel backup FILE` and `panel restore FILE [--force]` (docs/reliability.md); the documents'
files go to and come back from the folder `FILE.files/` (docs/documents.md).

A backup is safe while the app is running. A restore replaces the whole database: it refuses a
database that holds data unless --force, and on SQLite needs the app stopped. Both are audited
as the system, with the operating-system user who ran them. Exit 0 on success, 2 on a refusal.
"""

from __future__ import annotations

import argparse
import sys


def _backup(args: argparse.Namespace) -> int:
    from panel import backup

    try:
        out = backup.backup(args.file)
    except backup.BackupError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"Backed up to {out.path} ({out.size:,} bytes, schema revision {out.revision}).")
    print(out.files.line("copied"), file=sys.stderr if out.files.missing else sys.stdout)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from panel import backup

    try:
        out = backup.restore(args.file, force=args.force)
    except backup.BackupError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"Restored from {out.path} (schema revision {out.revision}).")
    if out.upgraded_to:
        print(f"Upgraded the restored database to schema revision {out.upgraded_to}.")
    print(out.files.line("put back in the store"), file=sys.stderr if out.files.missing else sys.stdout)
    return 0


def add_parsers(sub) -> None:
    b = sub.add_parser("backup", help="back up the whole database to FILE (safe while the app runs)")
    b.add_argument("file", help="where to write the backup, e.g. backups/panel-2026-11-24.db")
    b.set_defaults(fn=_backup)
    r = sub.add_parser("restore", help="replace the database with a backup made by `panel backup`")
    r.add_argument("file", help="the backup file")
    r.add_argument("--force", action="store_true",
                   help="replace a database that already holds data (take a backup of it first)")
    r.set_defaults(fn=_restore)
