"""Loopback ports for tests that talk to a mail server, without a window for a race.

Asking the kernel for a free port, closing it and binding it again later leaves a gap in which
another process (the other test worker, a database client's outgoing connection) can take that
port. Here the port stays held from the moment it is chosen until the test is done with it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class SMTPServer(Controller):
    """aiosmtpd's Controller on 127.0.0.1, on a port the kernel picks as it binds (read `port`
    after `start()`). Its start-up wait is a bound for a server that never comes up, not a
    speed test: aiosmtpd's 5 s default is too short for a busy machine."""

    def __init__(self, handler, **kwargs) -> None:
        kwargs.setdefault("ready_timeout", 60)
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]  # bound by now
        super()._trigger_server()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port where nobody listens, for as long as the block runs: the socket is bound
    but never listens, so a connection is refused and no other process can take the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
