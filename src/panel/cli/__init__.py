"""The `panel` command: set up and look after an installation without the web app."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from panel.cli.agencies import add_parser as add_agencies_parser
from panel.cli.args import iso_date
from panel.cli.backup import add_parsers as add_backup_parsers
from panel.cli.imports import add_parsers as add_import_parsers
from panel.cli.mail import add_parser as add_mail_parser
from panel.cli.remind import add_parser as add_remind_parser
from panel.cli.retention import add_parser as add_retention_parser
from panel.core.config import check_settings
from panel.core.errors import PanelError, ValidationFailed


def _migrate(args) -> int:
    from panel import migrate

    migrate.upgrade()
    print("Database is at the latest schema.")
    return 0


def _demo_data(args) -> int:
    from panel.core.config import get_settings
    from panel.core.db import read_session
    from panel.demo import small as demo

    if not get_settings().demo:  # a real installation: never invented partnerships
        if args.if_empty:
            print("PANEL_DEMO=0: a real installation; demo data not loaded.")
            return 0
        print("PANEL_DEMO=0: this is a real installation, so demo data is never loaded.", file=sys.stderr)
        return 1
    with read_session() as s:
        empty = demo.is_empty(s)
    if not empty:
        if args.if_empty:
            print("Database already has data; demo data not loaded.")
            return 0
        print("The database already has data; demo data loads only into an empty one.", file=sys.stderr)
        return 1
    if getattr(args, "scale", "demo") != "demo":
        from panel.demo import scale as demo_scale

        counts = demo_scale.load(args.scale, today=args.today, seed=args.seed)
        print(f"Loaded {args.scale} demo data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    counts = demo.load(today=args.today)
    print("Loaded demo data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def _create_partnership(args) -> int:
    from panel.accounts.partnerships import create_partnership
    from panel.core.access import SYSTEM

    pid = create_partnership(SYSTEM, args.code, args.name, args.area or "")
    print(f"Created partnership {args.code.strip()} (id {pid}) with the default review types.")
    return 0


def _init(args) -> int:
    """The first administrator of an empty database (and, if given, the first partnership);
    never demo data."""
    from panel.accounts import service as accounts
    from panel.accounts import setup
    from panel.core.access import SYSTEM

    if not setup.needs_setup():
        print(setup.CLOSED, file=sys.stderr)
        return 1
    setup.create_first_admin(SYSTEM, username=args.admin, name=args.name, email=args.email,
                             password=_password(args))
    print(f"Created the first administrator, {args.admin}.")
    if args.partnership:
        code, name = args.partnership
        setup.create_first_partnership(accounts.actor_for(args.admin), code, name, args.area or "")
        print(f"Created partnership {code} with the default review types; {args.admin} administers it.")
    print("Sign in to Panel: the set-up checklist shows what is still to do.")
    return 0


def _password(args) -> str:
    pw = os.environ.get("PANEL_NEW_PASSWORD")
    if pw:
        return pw
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise ValidationFailed({"password": "The two passwords differ."})
    return first


def _create_user(args) -> int:
    from panel.accounts.service import create_user
    from panel.core.access import SYSTEM

    memberships = []
    for item in args.role:
        code, _, role = item.partition(":")
        memberships.append((code.upper(), role))
    user_id = create_user(
        SYSTEM, username=args.username, name=args.name, email=args.email,
        password=_password(args), memberships=memberships, agency=args.agency,
        is_regional=args.regional,
    )
    print(f"Created user {args.username} (id {user_id}).")
    return 0


def _reset_password(args) -> int:
    from panel.accounts.service import set_password
    from panel.core.access import SYSTEM

    set_password(SYSTEM, args.username, _password(args))
    print(f"Password reset for {args.username}; their existing sign-ins are ended, and they choose "
          "their own password at their next sign-in.")
    return 0


def _period(value: str) -> str:
    """--period: 12m, all or a four-digit year; anything else is argparse's error and exit 2."""
    from datetime import date

    from panel.reports.timeliness import period_bounds

    try:
        period_bounds(value.strip().lower(), date(2000, 1, 1))  # any date: only the form is checked
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a period: use 12m (the 12 months to --as-of), all, or a year "
            "such as 2025") from None
    return value.strip().lower()


def _report_timeliness(args) -> int:
    """The timeliness figures as JSON (the documented schema) or a short table."""
    import json

    from panel.core.access import SYSTEM
    from panel.reports import service as reports

    pids = reports.partnership_ids_for_codes(args.partnership) if args.partnership else None
    report = reports.timeliness(SYSTEM, args.as_of, pids, args.period)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    scope = ", ".join(p["code"] for p in report["partnerships"]) or "no partnerships"
    print(f"Timeliness as of {report['as_of']} ({scope}), {report['period']['label']}")
    for row in reports.summary_rows(report)[:3]:
        pct = "-" if row["percent_on_time"] is None else f"{row['percent_on_time']:.1f}%"
        held = (f", withheld or delayed {report['lcsprs']['withheld']}"
                if row["figure"] == report["lcsprs"]["title"] and report["lcsprs"]["withheld"] else "")
        print(f"  {row['figure']:<64} {row['on_time']:>4}/{row['total']:<4} {pct:>6}"
              f"  late {row['late']}, not yet due {row['not_yet_due']}{held}")
    od = report["overdue_milestones"]
    print(f"  Overdue milestones now: {od['total']} ({od['statutory']} statutory) in {od['reviews']} reviews")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="panel", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create the database or upgrade it to the latest schema").set_defaults(fn=_migrate)
    d = sub.add_parser("demo-data", help="load fictional demo data into an empty database")
    d.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if there is data")
    d.add_argument("--today", type=iso_date, metavar="YYYY-MM-DD", help="lay the demo out around this date")
    d.add_argument("--scale", choices=("demo", "region", "nation"), default="demo",
                   help="demo (default): 3 partnerships; region: 10 partnerships, 15 years "
                        "(~20,000 referrals); nation: 150 partnerships, ten times region (docs/scale-data.md)")
    d.add_argument("--seed", type=int, default=2025, help="random seed for --scale region/nation")
    d.set_defaults(fn=_demo_data)
    i = sub.add_parser("init", help="a real installation: the first administrator on an empty database "
                       "(password from stdin or PANEL_NEW_PASSWORD); never loads demo data")
    i.add_argument("--admin", required=True, metavar="USERNAME", help="the administrator's username")
    i.add_argument("--name", required=True, help="their full name")
    i.add_argument("--email", required=True)
    i.add_argument("--partnership", nargs=2, metavar=("CODE", "NAME"),
                   help='also create the first partnership, e.g. NB "Northbrook Safeguarding Children Partnership"')
    i.add_argument("--area", help="the partnership's local authority area")
    i.set_defaults(fn=_init)
    c = sub.add_parser("create-partnership", help="create a partnership with the default review types")
    c.add_argument("code", help="2-8 capital letters, e.g. NB; starts its referral references")
    c.add_argument("name", help='e.g. "Northbrook Safeguarding Children Partnership"')
    c.add_argument("--area", help="the local authority area it covers")
    c.set_defaults(fn=_create_partnership)
    u = sub.add_parser("create-user", help="create a user (password from stdin or PANEL_NEW_PASSWORD)")
    u.add_argument("username")
    u.add_argument("--name", required=True)
    u.add_argument("--email", required=True)
    u.add_argument("--role", action="append", required=True, metavar="CODE:ROLE",
                   help="partnership code and role, e.g. NB:chair (repeatable)")
    u.add_argument("--agency")
    u.add_argument("--regional", action="store_true", help="may see anonymised learning of every partnership")
    u.set_defaults(fn=_create_user)
    r = sub.add_parser("reset-password", help="set a new password and end the user's sign-ins")
    r.add_argument("username")
    r.set_defaults(fn=_reset_password)
    add_agencies_parser(sub)
    add_remind_parser(sub)
    add_mail_parser(sub)
    add_import_parsers(sub)
    add_retention_parser(sub)
    add_backup_parsers(sub)
    rep = sub.add_parser("report", help="reports for annual reports and returns")
    rep_sub = rep.add_subparsers(dest="report", required=True)
    t = rep_sub.add_parser("timeliness", help="statutory timeliness figures (docs/timeliness-report.md)")
    t.add_argument("--as-of", required=True, type=iso_date, metavar="YYYY-MM-DD",
                   help="judge every clock as it stood at the end of this date (later events "
                        "are left out)")
    t.add_argument("--partnership", action="append", metavar="CODE",
                   help="only this partnership, e.g. NB (repeatable; default all)")
    t.add_argument("--period", type=_period, default="12m", metavar="12m|all|YYYY",
                   help="the headline's period: 12m, the 12 months to --as-of (default); all; or "
                        "a calendar year such as 2025 (the trend by year always has every year)")
    t.add_argument("--json", action="store_true", help="print the report as JSON")
    t.set_defaults(fn=_report_timeliness)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if problem := check_settings():  # before any command touches the database or the mail
        print(problem, file=sys.stderr)
        return 2
    try:
        return args.fn(args)
    except ValidationFailed as e:
        for field, message in e.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 2
    except PanelError as e:
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
