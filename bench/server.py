"""Read a running server's memory (the server itself is tests/streamlit_server.py's)."""

from __future__ import annotations

import os
from pathlib import Path


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            out += [int(c) for c in text]
    except OSError:
        pass
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of the process and all its descendants, in MB (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(p)
    return total / 1024
