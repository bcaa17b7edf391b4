"""`panel remind`: e-mail each owner one digest of their overdue and due-soon items.

Meant to run daily from cron (docs/reminders.md). `--dry-run` prints the digests instead and
neither sends nor writes anything.
"""

from __future__ import annotations

import argparse
import sys

from panel.cli.args import iso_date


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def remind(args: argparse.Namespace) -> int:
    from panel.core.clock import today
    from panel.reminders import service as reminders

    as_of = args.as_of or today()
    to_send = reminders.digests(as_of)
    items = sum(d.items for d in to_send)
    if args.dry_run:
        for d in to_send:
            print(f"To: {d.recipient}")
            print(f"Subject: {d.subject}")
            print()
            print(d.body)
            print("=" * 72)
        print(f"Dry run: {_plural(len(to_send), 'digest')} ({_plural(items, 'item')}) "
              f"as of {as_of.isoformat()}; nothing was sent.")
        return 0
    if not to_send:
        print(f"Nothing to remind anyone of as of {as_of.isoformat()}.")
        return 0
    try:
        result = reminders.send(to_send)
    except reminders.MailServerUnavailable as e:
        print(str(e), file=sys.stderr)
        return 2
    print(f"Sent {_plural(len(result.sent), 'digest')} ({_plural(result.items, 'item')}) "
          f"as of {as_of.isoformat()}.")
    if result.refused:
        for d, why in result.refused:
            print(f"The mail server refused {d.recipient} ({why}); that digest was not marked as sent.",
                  file=sys.stderr)
        return 2
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `remind` subcommand to the `panel` command's subparsers."""
    r = subparsers.add_parser(
        "remind", help="e-mail each owner a digest of overdue and due-soon items (daily, from cron)",
        description=__doc__,
    )
    r.add_argument("--dry-run", action="store_true",
                   help="print every digest instead of sending; nothing is sent or recorded")
    r.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD",
                   help="work the clocks out as of this date (default: today)")
    r.set_defaults(fn=remind)
    return r
