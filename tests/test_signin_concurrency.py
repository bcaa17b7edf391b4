"""Lockout under concurrent sign-in attempts, on the engine under test.

Each test releases its attempts together (a barrier) and holds every password check at a gate
until each attempt has either reached its check or been refused; only then do the checks run.
So the order in which attempts are counted is as tight as it can be, and the assertions are
invariants that hold under any interleaving: at most `max_failed_logins` passwords are checked,
the account ends locked, and a right password that comes after the limit is refused unchecked.
"""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.demo.small import DEMO_PASSWORD
from panel.models import AuditEvent, User

WRONG = "not-the-password-at-all"
LIMIT = 5  # the default PANEL_MAX_FAILED_LOGINS
WAIT = 120  # seconds: a bound on waiting for threads, never a pause


class Gate:
    """Holds each real password check until opened; records which passwords were checked."""

    def __init__(self, monkeypatch):
        self.cond = threading.Condition()
        self.checked: list[str] = []
        self.done = 0
        self.opened = False
        real = accounts.password_matches

        def gated(password, password_hash):
            if password_hash is not None:  # a real check (refusals check a throwaway hash)
                with self.cond:
                    self.checked.append(password)
                    self.cond.notify_all()
                    assert self.cond.wait_for(lambda: self.opened, timeout=WAIT)
            return real(password, password_hash)

        monkeypatch.setattr(accounts, "password_matches", gated)

    def attempt(self, barrier, password, results, i):
        try:
            if barrier is not None:
                barrier.wait(timeout=WAIT)
            results[i] = accounts.authenticate("member", password)
        except BaseException as e:  # reported by the test, not lost in the thread
            results[i] = e
        finally:
            with self.cond:
                self.done += 1
                self.cond.notify_all()

    def settled(self, n: int) -> bool:
        """Wait until n attempts have each reached their check or finished."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.checked) + self.done >= n, timeout=WAIT)

    def open(self) -> None:
        with self.cond:
            self.opened = True
            self.cond.notify_all()


def start(gate, passwords, results, offset=0, barrier=True):
    b = threading.Barrier(len(passwords)) if barrier else None
    threads = [threading.Thread(target=gate.attempt, args=(b, p, results, offset + i), daemon=True)
               for i, p in enumerate(passwords)]
    for t in threads:
        t.start()
    return threads


def finish(gate, threads, results):
    gate.open()
    for t in threads:
        t.join(WAIT)
        assert not t.is_alive()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors


def member() -> User:
    with read_session() as s:
        return s.exec(select(User).where(User.username == "member")).one()


def failures() -> list[str]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent.detail).where(AuditEvent.username == "member",
                                                           AuditEvent.action == "login_failed")))


def sign_ins() -> int:
    with read_session() as s:
        return len(s.exec(select(AuditEvent.id).where(AuditEvent.username == "member",
                                                      AuditEvent.action == "login")).all())


@pytest.fixture
def gate(demo_db, monkeypatch):
    monkeypatch.setenv("PANEL_LOGIN_SLEEP", "0")
    return Gate(monkeypatch)


def test_concurrent_wrong_passwords_check_only_the_limit_and_lock(gate):
    n = 12
    results: list = [None] * n
    threads = start(gate, [WRONG] * n, results)
    assert gate.settled(n)
    finish(gate, threads, results)
    assert len(gate.checked) == LIMIT
    assert results == [None] * n
    u = member()
    assert accounts.is_locked(u) and u.failed_logins == LIMIT
    details = failures()
    counted = sorted(d for d in details if d.startswith("wrong password"))
    assert counted == sorted([f"wrong password, attempt {k}" for k in range(1, LIMIT)]
                             + [f"wrong password, attempt {LIMIT}; locked for 15 minutes"])
    assert details.count("account locked") == n - LIMIT


def test_the_right_password_after_the_limit_in_a_burst_is_refused_and_the_lock_stays(gate):
    results: list = [None] * 10
    wrong = start(gate, [WRONG] * 9, results)
    assert gate.settled(9)  # the limit is reached: LIMIT checks held at the gate, the rest refused
    right = start(gate, [DEMO_PASSWORD], results, offset=9, barrier=False)
    assert gate.settled(10)
    finish(gate, wrong + right, results)
    assert results[9] is None and sign_ins() == 0
    assert DEMO_PASSWORD not in gate.checked and len(gate.checked) == LIMIT
    u = member()
    assert accounts.is_locked(u) and u.failed_logins == LIMIT


@pytest.mark.parametrize("round_", range(3))
def test_a_burst_of_wrong_and_right_together_never_passes_the_limit(gate, round_):
    """All ten at once: which get counted first varies; what must hold does not."""
    results: list = [None] * 10
    threads = start(gate, [WRONG] * 9 + [DEMO_PASSWORD], results)
    assert gate.settled(10)
    finish(gate, threads, results)
    assert len(gate.checked) == LIMIT
    right_checked = DEMO_PASSWORD in gate.checked
    assert (results[9] is not None) == right_checked == (sign_ins() == 1)
    assert all(r is None for r in results[:9])
    if not right_checked:
        u = member()
        assert accounts.is_locked(u) and u.failed_logins == LIMIT
