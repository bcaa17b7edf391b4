"""docs/deployment.md cannot rot: its `panel` commands run, in the order written, against a
temporary database; its unit files pass `systemd-analyze verify` where that exists, and every
ExecStart program runs with `--help` in any case; its settings file holds only real settings,
with values they accept; nginx sends the websocket upgrade and keeps a browser on the instances
the units start. Commands that need root or other machines (systemctl, git, nginx) are not run:
each must name a tool on this list, so a typo'd or invented command still fails."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from panel.core.config import ConfigError, get_settings, variables
from tests.loopback import SMTPServer

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "deployment.md").read_text()
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Tools the document names that the test does not run (root, other machines, the network).
NOT_RUN = {"sudo", "systemctl", "journalctl", "git", "install", "useradd", "createuser", "createdb",
           "nginx", "python3.11", "cd", "set", ".", ".venv/bin/pip"}
PASSWORD = "heron-lantern-quarry-9"  # what `panel init` reads when asked for the password


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(DOC) if lang == language]


def shell_lines() -> list[str]:
    return [line.strip() for body in blocks("sh") for line in body.splitlines() if line.strip()]


def program(part: str) -> str:
    """The program a simple command runs, past `sudo` and its options (`sudo -s`: a shell, sudo)."""
    words = shlex.split(part)
    if words[:1] == ["sudo"]:
        rest = words[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in ("-u", "-g") else rest[1:]
        return rest[0] if rest else "sudo"
    return words[0] if words else ""


def units() -> dict[str, str]:
    """File name -> text of each systemd unit (an `ini` block whose first line names its path)."""
    out = {}
    for body in blocks("ini"):
        first, _, rest = body.partition("\n")
        m = re.fullmatch(r"# /etc/systemd/system/(\S+)", first.strip())
        assert m, f"a unit block must start with its path: {first!r}"
        out[m.group(1)] = rest
    return out


def exec_starts() -> list[list[str]]:
    """Each ExecStart's argv, the command inside `sh -c '...'` for a shell line."""
    out = []
    for text in units().values():
        for line in re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE):
            argv = shlex.split(line.replace("%%", "%"))
            if Path(argv[0]).name == "sh" and argv[1] == "-c":
                argv = shlex.split(argv[2])
                argv = argv[1:] if argv[0] == "exec" else argv
            out.append(argv)
    return out


def installed(tmp: Path) -> Path:
    """A stand-in for /srv/panel: this checkout's virtualenv and app, nothing else."""
    srv = tmp / "srv"
    srv.mkdir()
    (srv / ".venv").symlink_to(ROOT / ".venv")
    (srv / "app.py").symlink_to(ROOT / "app.py")
    return srv


def local(text: str, tmp: Path) -> str:
    return (text.replace("/srv/panel", str(tmp / "srv"))
            .replace("/var/backups/panel", str(tmp / "backups")))


def test_the_document_has_what_it_promises():
    assert len(shell_lines()) >= 20 and set(units()) >= {
        "panel@.service", "panel.target", "panel-remind.service", "panel-remind.timer",
        "panel-backup.service", "panel-backup.timer"}
    assert len(blocks("nginx")) == 1 and len(blocks("env")) == 1
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running a real installation"):]
    assert "(docs/deployment.md)" in section[:section.find("\n## ", 5)]


def test_every_shell_command_is_panel_or_a_named_tool():
    for line in shell_lines():
        for part in line.split(";"):
            name = program(part)
            assert name.endswith("bin/panel") or name in NOT_RUN, f"unknown command in: {line}"


def test_the_panel_commands_run_in_order_against_a_temporary_database(db, tmp_path, monkeypatch):
    srv = installed(tmp_path)
    (tmp_path / "backups").mkdir()
    inbox = SMTPServer(type("Inbox", (), {"handle_DATA": _accept})())
    inbox.start()
    try:
        env = dict(os.environ)
        for line in blocks("env")[0].splitlines():
            name, _, value = line.partition("=")
            if name not in ("DATABASE_URL", "PANEL_DATA_DIR"):  # the test's own database
                env[name] = value
        # The mail settings point at a local server without TLS or a password.
        env.update(PANEL_SMTP_HOST="127.0.0.1", PANEL_SMTP_PORT=str(inbox.port), PANEL_SMTP_SECURITY="none")
        env.pop("PANEL_SMTP_USERNAME")
        env.pop("PANEL_SMTP_PASSWORD")
        ran = []
        for line in shell_lines():
            if not program(line).endswith("bin/panel"):
                continue
            done = subprocess.run(["bash", "-c", local(line, tmp_path)], cwd=srv, env=env, input=PASSWORD + "\n",
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            ran.append(shlex.split(line)[1])
    finally:
        inbox.stop()
    assert ran[:4] == ["migrate", "init", "mail-test", "remind"]
    assert {"backup", "restore"} <= set(ran)
    assert (tmp_path / "backups" / "before-upgrade.db").exists()


async def _accept(self, server, session, envelope):
    return "250 Accepted"


def test_every_execstart_program_exists_and_answers_help(tmp_path):
    srv = installed(tmp_path)
    seen = set()
    for argv in exec_starts():
        exe = Path(local(argv[0], tmp_path))
        assert exe.exists() and os.access(exe, os.X_OK), argv[0]
        sub = [a for a in argv[1:] if not a.startswith("-")][:1]  # `run`, `remind`, `backup`
        done = subprocess.run([str(exe), *sub, "--help"], cwd=srv, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{argv}: {done.stderr}"
        seen.add(f"{exe.name} {' '.join(sub)}")
    assert seen == {"streamlit run", "panel remind", "panel backup"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_unit_files_pass_systemd_analyze_verify(tmp_path):
    installed(tmp_path)
    where = tmp_path / "units"
    where.mkdir()
    paths = []
    for name, text in units().items():
        text = local(text, tmp_path).replace("User=panel\n", "").replace("Group=panel\n", "")
        names = [name.replace("@.", "@8501."), name.replace("@.", "@8502.")] if "@." in name else [name]
        for n in names:
            (where / n).write_text(text)
            paths.append(str(where / n))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *paths], cwd=where,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not executable" not in done.stderr and "Failed to parse" not in done.stderr, done.stderr


def test_the_settings_file_holds_only_real_settings_with_accepted_values(monkeypatch):
    lines = [line for line in blocks("env")[0].splitlines() if line]
    names = [line.partition("=")[0] for line in lines]
    assert set(names) <= set(variables()), set(names) - set(variables())
    for line in lines:
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    try:
        settings = get_settings()
    except ConfigError as e:
        pytest.fail(str(e))
    assert settings.smtp_security == "starttls" and settings.database_url.startswith("postgresql://")


def test_nginx_passes_the_websocket_and_sticks_each_browser_to_an_instance():
    conf = blocks("nginx")[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in conf and 'proxy_set_header Connection "upgrade";' in conf
    assert "proxy_http_version 1.1;" in conf
    upstream = re.search(r"upstream panel \{(.*?)\}", conf, re.DOTALL).group(1)
    assert re.search(r"^\s*(ip_hash|hash \S+ consistent|sticky .+);", upstream, re.MULTILINE)
    ports = set(re.findall(r"server 127\.0\.0\.1:(\d+);", upstream))
    started = set(re.findall(r"panel@(\d+)\.service", units()["panel.target"]))
    assert ports == started and len(ports) >= 2
    assert "--server.address 127.0.0.1" in units()["panel@.service"]  # nginx is the only way in
    assert re.search(r"listen 443 ssl", conf) and "ssl_certificate " in conf
