"""A `streamlit run` server on a free port, for the browser tests and the benchmark alike: started,
waited for until its health check answers, and stopped."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class DidNotStart(RuntimeError):
    """The server never answered its health check; the message holds its log."""



@contextmanager
def streamlit(script: Path, env: dict, log: Path, start_within: float = 60) -> Iterator[tuple[str, int]]:
    """(url, pid) of `streamlit run script` with `env`, its output in `log`.

    The server binds port 0 and the kernel gives it a free port, read back from its log. Tests
    run on two workers: a port chosen here and passed on could be taken by the other worker's
    server before this one bound it, and the health check would then be answered by the wrong
    server."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", "0",
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = _wait_started(proc, log, start_within)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


_SERVING = re.compile(r"URL: (http://127\.0\.0\.1:\d+)")


def _wait_started(proc: subprocess.Popen, log: Path, within: float) -> str:
    """The url `proc` serves, once its log names it and its health check answers."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        found = _SERVING.search(log.read_text())
        if found:
            try:
                if urllib.request.urlopen(found[1] + "/_stcore/health", timeout=2).status == 200:
                    return found[1]
            except OSError:
                pass
        time.sleep(0.3)
    raise DidNotStart("streamlit did not start:\n" + log.read_text())
