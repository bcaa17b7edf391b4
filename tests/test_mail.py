"""Mail through a real server that wants encryption and a password: STARTTLS or TLS from the
first byte, AUTH, a certificate the client must trust, and the clear refusals when something is
wrong (a wrong password, an untrusted certificate, a server without STARTTLS). The server is
aiosmtpd on a loopback port; its certificate is made here by a throwaway authority that only
this test trusts (through SSL_CERT_FILE, as an installation with an internal authority would)."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func
from sqlmodel import select

from panel import cli
from panel.accounts import service as accounts
from panel.core import mail
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PanelError, PermissionDenied, ValidationFailed
from panel.models import AuditEvent, ReminderLog
from panel.reminders import service as reminders
from tests.conftest import TODAY
from tests.loopback import SMTPServer

USER, PASSWORD = "panel-relay", "relay-secret-7"


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_certificates(where: Path) -> tuple[Path, Path, Path]:
    """(authority certificate, server certificate, server key) for 127.0.0.1 and localhost."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_pub = ca_key.public_key()
    ca = (x509.CertificateBuilder().subject_name(_name("Panel test authority")).issuer_name(_name("Panel test authority"))
          .public_key(ca_pub).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_pub), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_pub), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = where / "ca.pem", where / "server.pem", where / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class Relay:
    """An aiosmtpd handler and authenticator: one account, and every message it accepted."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage, bool]] = []
        self.logins: list[tuple[str, bool]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)  # the server answers (235 or 535)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append((list(envelope.rcpt_tos), msg, encrypted))
        return "250 Accepted"


@pytest.fixture
def certs(tmp_path, monkeypatch):
    ca, cert, key = make_certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def relay(certs, monkeypatch):
    """Start a relay: security 'starttls' (STARTTLS required before AUTH or mail) or 'ssl'."""
    started: list[SMTPServer] = []

    def start(security: str = "starttls", *, offer_starttls: bool = True, password: str = PASSWORD) -> Relay:
        handler = Relay()
        kwargs = dict(authenticator=handler.authenticate, auth_required=True, auth_require_tls=True)
        if security == "ssl":
            # This aiosmtpd version knows TLS only from STARTTLS: on a TLS-from-the-start port it
            # would withhold AUTH, so the requirement is lifted (the connection is TLS anyway).
            kwargs.update(ssl_context=certs, auth_require_tls=False)
        elif offer_starttls:
            kwargs.update(tls_context=certs, require_starttls=True)
        controller = SMTPServer(handler, **kwargs)
        controller.start()
        started.append(controller)
        for name, value in {"PANEL_SMTP_HOST": "127.0.0.1", "PANEL_SMTP_PORT": str(controller.port),
                            "PANEL_SMTP_SECURITY": security, "PANEL_SMTP_USERNAME": USER,
                            "PANEL_SMTP_PASSWORD": password, "PANEL_SMTP_TIMEOUT": "60",
                            "PANEL_SMTP_SENDER": "panel@partnership.example.org"}.items():
            monkeypatch.setenv(name, value)
        return handler

    yield start
    for controller in started:
        controller.stop()


def audits(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def reminder_logs() -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(ReminderLog)).one()


def test_mail_test_command_sends_over_starttls_with_a_password(db, relay, capsys):
    server = relay("starttls")
    assert cli.main(["mail-test", "someone@example.org"]) == 0
    out = capsys.readouterr().out
    assert "accepted" in out and "someone@example.org" in out
    [(rcpts, msg, encrypted)] = server.messages
    assert rcpts == ["someone@example.org"] and encrypted
    assert msg["Subject"] == "Panel: test message" and msg["From"] == "panel@partnership.example.org"
    assert server.logins == [(USER, True)]
    [row] = audits("mail_test")
    assert row.username == "system" and "someone@example.org" in row.detail and "starttls" in row.detail


def test_tls_from_the_first_byte_works_too(db, relay):
    server = relay("ssl")
    mail.send_test_message(SYSTEM, "someone@example.org")
    assert [(r, enc) for r, _, enc in server.messages] == [(["someone@example.org"], True)]


def test_a_wrong_password_is_named_and_nothing_is_sent_or_audited(db, relay, capsys):
    server = relay("starttls", password="not-the-password")
    assert cli.main(["mail-test", "someone@example.org"]) == 2
    err = capsys.readouterr().err
    assert "refused the user name and password (535" in err
    assert "check PANEL_SMTP_USERNAME and PANEL_SMTP_PASSWORD" in err
    assert "not-the-password" not in err
    assert server.messages == [] and server.logins and all(not ok for _, ok in server.logins)
    assert audits("mail_test") == []


def test_reminders_with_a_wrong_password_mark_nothing_as_sent(demo_db, relay, capsys):
    server = relay("starttls", password="not-the-password")
    assert reminders.digests(TODAY), "the demo should have reminders due"
    assert cli.main(["remind", "--as-of", TODAY.isoformat()]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Could not send reminders: the mail server at 127.0.0.1:")
    assert "refused the user name and password (535" in err and err.strip().endswith("Nothing was marked as sent.")
    assert server.messages == [] and reminder_logs() == 0 and audits("reminder") == []


def test_reminders_go_through_starttls_and_auth(demo_db, relay, capsys):
    server = relay("starttls")
    due = reminders.digests(TODAY)
    assert cli.main(["remind", "--as-of", TODAY.isoformat()]) == 0
    assert len(server.messages) == len(due) == reminder_logs()
    assert all(encrypted for _, _, encrypted in server.messages)


def test_an_untrusted_certificate_gets_no_password(db, relay, monkeypatch, tmp_path):
    server = relay("starttls")
    (tmp_path / "other").mkdir()
    other_ca, _, _ = make_certificates(tmp_path / "other")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    with pytest.raises(mail.MailFailed, match="could not prove who it is: its certificate is not trusted"):
        mail.send_test_message(SYSTEM, "someone@example.org")
    assert server.logins == [] and server.messages == []


def test_starttls_asked_of_a_server_without_it_is_named(db, relay):
    server = relay("starttls", offer_starttls=False)
    with pytest.raises(mail.MailFailed, match="does not offer STARTTLS") as e:
        mail.send_test_message(SYSTEM, "someone@example.org")
    assert "PANEL_SMTP_SECURITY" in str(e.value)
    assert server.logins == [] and server.messages == []


def test_a_password_is_never_sent_unencrypted(db, relay, monkeypatch):
    server = relay("starttls")
    monkeypatch.setenv("PANEL_SMTP_SECURITY", "none")
    with pytest.raises(PanelError, match="does not send a password over an unencrypted connection"):
        mail.send_test_message(SYSTEM, "someone@example.org")
    assert server.logins == [] and server.messages == []


def test_only_an_administrator_sends_a_test_message_to_one_address(demo_db, relay):
    server = relay("starttls")
    with pytest.raises(PermissionDenied):
        mail.send_test_message(accounts.actor_for("chair"), "someone@example.org")
    with pytest.raises(ValidationFailed):
        mail.send_test_message(accounts.actor_for("admin"), "a@example.org, b@example.org")
    assert server.messages == [] and audits("mail_test") == []
    mail.send_test_message(accounts.actor_for("admin"), "someone@example.org")
    [row] = audits("mail_test")
    assert row.username == "admin"
