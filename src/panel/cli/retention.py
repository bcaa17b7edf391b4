"""`panel retention`: what is due for review or deletion under the retention policy, and doing it.

`--dry-run` lists what is due and changes nothing. `--apply --as-of DATE` deletes or anonymises
what is due on that date, one audited transaction per record, after asking (unless `--yes`).
Records whose action is `review` are listed for a person to decide and never changed. The
policy is the defaults overridden by PANEL_RETENTION_POLICY (docs/retention.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from panel.cli.args import iso_date
from panel.retention.rules import RECORD_TYPES, RetentionConfigError

COLUMNS = (("due_on", "due on"), ("action", "action"), ("record_type", "record type"),
           ("partnership", "partnership"), ("reference", "reference"), ("trigger_on", "trigger"),
           ("note", "note"))


def _record_type(text: str) -> str:
    if text not in RECORD_TYPES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a record type; known: {', '.join(RECORD_TYPES)}")
    return text


def table(rows: list[dict]) -> str:
    """Plain fixed-width columns, so the output reads in a terminal and diffs in a log."""
    cells = [[label for _, label in COLUMNS]] + [[str(r.get(k) or "") for k, _ in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _counts(items) -> str:
    c = Counter(i.action for i in items)
    return ", ".join(f"{n} to {a}" for a, n in sorted(c.items())) or "nothing"


def retention(args: argparse.Namespace) -> int:
    from panel.core.access import SYSTEM
    from panel.core.clock import today
    from panel.retention import service

    if args.apply and args.as_of is None:
        print("--apply needs --as-of YYYY-MM-DD: say which day's retention to carry out.", file=sys.stderr)
        return 2
    as_of = args.as_of or today()
    try:
        pol = service.policies()
        items = service.due(SYSTEM, as_of, args.type)
    except RetentionConfigError as e:
        print(str(e), file=sys.stderr)
        return 2
    if args.dry_run:
        if args.json:
            print(json.dumps({
                "as_of": as_of.isoformat(),
                "policy": {k: {"period": str(p.period), "action": p.action, "keep_until_age": p.keep_until_age,
                               "rule": p.describe()} for k, p in pol.items()},
                "items": [i.as_dict() for i in items],
            }, indent=2, ensure_ascii=False))
            return 0
        if items:
            print(table([i.as_dict() for i in items]))
        print(f"Dry run as of {as_of.isoformat()}: {len(items)} due ({_counts(items)}); nothing was changed.")
        return 0
    acting = [i for i in items if i.action in ("delete", "anonymise")]
    if not acting:
        print(f"Nothing to delete or anonymise as of {as_of.isoformat()} "
              f"({sum(i.action == 'review' for i in items)} left for a person to review).")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"{len(acting)} records would be changed ({_counts(acting)}); add --yes to confirm "
                  "when not at a terminal.", file=sys.stderr)
            return 2
        answer = input(f"{_counts(acting)} as of {as_of.isoformat()}. This cannot be undone. Type yes: ")
        if answer.strip().lower() != "yes":
            print("Nothing was changed.")
            return 1
    result = service.apply(SYSTEM, as_of, args.type)
    done = Counter(i.action for i, _ in result.done)
    print(f"Retention as of {as_of.isoformat()}: {done['delete']} deleted, {done['anonymise']} anonymised, "
          f"{len(result.flagged)} left for a person to review, {len(result.failed)} failed.")
    for item, why in result.failed:
        print(f"Not changed: {item.record_type} {item.reference}: {why}", file=sys.stderr)
    return 2 if result.failed else 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `retention` subcommand to the `panel` command's subparsers."""
    r = subparsers.add_parser(
        "retention", help="list (--dry-run) or carry out (--apply) what the retention policy makes due",
        description=__doc__,
    )
    mode = r.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="list what is due; change nothing")
    mode.add_argument("--apply", action="store_true", help="delete or anonymise what is due (audited)")
    r.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD",
                   help="judge the periods as of this date (default today for --dry-run; required for --apply)")
    r.add_argument("--type", action="append", type=_record_type, metavar="RECORD_TYPE",
                   help=f"only this record type (repeatable): {', '.join(RECORD_TYPES)}")
    r.add_argument("--json", action="store_true", help="with --dry-run: print the policy and items as JSON")
    r.add_argument("--yes", action="store_true", help="with --apply: do not ask for confirmation")
    r.set_defaults(fn=retention)
    return r
