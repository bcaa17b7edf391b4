"""The machine a benchmark ran on, for the results header."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> str:
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _postgres() -> str:
    try:
        out = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "not installed"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed (the benchmark runs on SQLite)"


def _chromium() -> str:
    try:
        out = subprocess.run([os.environ.get("PANEL_CHROMIUM", "/usr/bin/chromium"), "--version"],
                             capture_output=True, text=True, timeout=20)
        return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def describe() -> dict[str, str]:
    import streamlit

    load = os.getloadavg()
    return {
        "Date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": _cpu_model(),
        "Cores": str(os.cpu_count()),
        "RAM": _ram_gb(),
        "Load average at start": " ".join(f"{x:.1f}" for x in load),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Streamlit": streamlit.__version__,
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": _postgres(),
        "Chromium": _chromium(),
    }
