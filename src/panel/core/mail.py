"""Sending mail: one way to reach the mail server, used by reminders, minutes and the test message.

The connection follows the settings (README, "Configuration"): PANEL_SMTP_SECURITY says how it
is secured (`none`, `starttls` on a submission port such as 587, or `ssl` from the first byte,
port 465); PANEL_SMTP_USERNAME and PANEL_SMTP_PASSWORD sign in, and come from the environment
only, never the database. The server's certificate is checked against the system's trusted
authorities (an internal authority can be added with SSL_CERT_FILE), and its name must match
PANEL_SMTP_HOST: a password is never sent to a server that has not proved who it is.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from panel.core import audit
from panel.core.access import Actor
from panel.core.config import Settings, get_settings
from panel.core.db import transaction
from panel.core.errors import PanelError, ValidationFailed

CREDENTIALS = "PANEL_SMTP_USERNAME and PANEL_SMTP_PASSWORD"


class MailFailed(PanelError):
    """The mail server could not be reached, would not secure the connection, refused the sign-in
    or refused the mail. The message says which, in words an administrator can act on."""


def where(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}"


def _context() -> ssl.SSLContext:
    # Read afresh each time: SSL_CERT_FILE / SSL_CERT_DIR are honoured as the process has them.
    return ssl.create_default_context()


@contextmanager
def connection(settings: Settings | None = None, timeout: float | None = None,
               smtp_factory: Callable[..., smtplib.SMTP] | None = None) -> Iterator[smtplib.SMTP]:
    """An SMTP connection secured and signed in as the settings say, closed when the block ends.

    Errors are smtplib's, ssl's or the socket's, as raised: callers decide what a failure
    means for their work (nothing sent, some sent) and word it with `failure`.
    """
    settings = settings or get_settings()
    security = settings.smtp_security
    if settings.smtp_username and security == "none":
        raise PanelError(f"{CREDENTIALS} are set but PANEL_SMTP_SECURITY is none: Panel does not send "
                         "a password over an unencrypted connection. Set PANEL_SMTP_SECURITY to "
                         "starttls or ssl.")
    timeout = settings.smtp_timeout if timeout is None else timeout
    if security == "ssl":
        factory = smtp_factory or smtplib.SMTP_SSL
        opened = factory(settings.smtp_host, settings.smtp_port, timeout=timeout, context=_context())
    else:
        factory = smtp_factory or smtplib.SMTP
        opened = factory(settings.smtp_host, settings.smtp_port, timeout=timeout)
    smtp = opened
    try:
        if security == "starttls":
            smtp.starttls(context=_context())  # refuses (SMTPNotSupportedError) if not offered
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        yield smtp
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # everything sent was accepted already; a lost goodbye changes nothing
    finally:
        # After a failure the connection may be half-secured: close it without a QUIT, which
        # could raise in turn and hide the error that matters.
        smtp.close()


def reason(e: BaseException) -> str:
    """The server's own words where it gave some ('535 5.7.8 ...'), else the error's."""
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        return f"{e.smtp_code} {text}".strip()
    if isinstance(e, ssl.SSLCertVerificationError):
        return e.verify_message or str(e)
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e) or type(e).__name__


def failure(e: BaseException, settings: Settings) -> str:
    """'the mail server at host:port <what went wrong> (<its words>)', plus what to check."""
    at = f"the mail server at {where(settings)}"
    # smtplib's and ssl's errors are OSErrors too: the most particular first.
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return f"{at} refused the user name and password ({reason(e)}); check {CREDENTIALS}"
    if isinstance(e, smtplib.SMTPNotSupportedError):
        if "STARTTLS" in str(e).upper():
            return (f"{at} does not offer STARTTLS ({reason(e)}); check PANEL_SMTP_SECURITY "
                    "and PANEL_SMTP_PORT")
        return f"{at} does not offer sign-in ({reason(e)}); check {CREDENTIALS}"
    if isinstance(e, ssl.SSLCertVerificationError):
        return (f"{at} could not prove who it is: its certificate is not trusted or does not name "
                f"{settings.smtp_host} ({reason(e)}); check PANEL_SMTP_HOST")
    if isinstance(e, ssl.SSLError):
        return (f"{at} could not secure the connection ({reason(e)}); check PANEL_SMTP_SECURITY "
                "and PANEL_SMTP_PORT")
    if isinstance(e, smtplib.SMTPConnectError):
        return f"{at} refused the connection ({reason(e)})"
    if isinstance(e, smtplib.SMTPServerDisconnected) or not isinstance(e, smtplib.SMTPException):
        return f"{at} is not reachable ({reason(e)})"
    return f"{at} refused the mail ({reason(e)})"


def new_message(settings: Settings, to: str, subject: str) -> EmailMessage:
    """Headers every message from Panel carries."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    return msg


def _address(address: str) -> str:
    clean = (address or "").strip()
    local, at, domain = clean.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() or c in ",;<>" for c in clean):
        raise ValidationFailed({"address": "Give one e-mail address, like name@example.org."})
    return clean


def send_test_message(actor: Actor, address: str,
                      smtp_factory: Callable[..., smtplib.SMTP] | None = None) -> str:
    """Send a short message to `address` through the configured server, so an administrator can
    see the settings work before reminders depend on them. Returns where it was accepted.

    Administrators only (it sends mail as Panel to any address). The audit row is written once
    the server has accepted the message; a failure raises MailFailed and records nothing.
    """
    actor.require("user.manage")
    to = _address(address)
    settings = get_settings()
    msg = new_message(settings, to, "Panel: test message")
    msg.set_content(f"This is a test message from Panel, sent by {actor.name} to check the mail "
                    "settings. Nothing needs doing.\n")
    try:
        with connection(settings, smtp_factory=smtp_factory) as smtp:
            smtp.send_message(msg, from_addr=settings.smtp_sender, to_addrs=[to])
    except (OSError, smtplib.SMTPException) as e:
        raise MailFailed(f"Could not send the test message: {failure(e, settings)}.") from e
    with transaction() as s:
        audit.record(s, actor, "mail_test", "email", None, None,
                     detail=f"test message to {to} accepted by {where(settings)} "
                            f"({settings.smtp_security})")
    return where(settings)
