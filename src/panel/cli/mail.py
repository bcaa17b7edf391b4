"""`panel mail-test ADDRESS`: send one message through the configured mail server, so the
settings are known to work before reminders and minutes depend on them."""

from __future__ import annotations

import argparse


def mail_test(args: argparse.Namespace) -> int:
    from panel.core.access import SYSTEM
    from panel.core.mail import send_test_message

    server = send_test_message(SYSTEM, args.address)  # MailFailed: one line, exit 2 (cli.main)
    print(f"The mail server at {server} accepted a test message to {args.address.strip()}.")
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `mail-test` subcommand to the `panel` command's subparsers."""
    m = subparsers.add_parser(
        "mail-test", help="send a test message through the configured mail server",
        description=__doc__,
    )
    m.add_argument("address", help="where to send it, e.g. you@example.org")
    m.set_defaults(fn=mail_test)
    return m
