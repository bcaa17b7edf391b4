"""Benchmark databases, generated once into bench/.data/<scale> (git-ignored) and reused.

Pages that open one record get a `?ref=` picked from the data: the most recent record of the
first partnership (Northbrook) that the page's role would open.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
TODAY = "2026-11-23"  # the date the tests pin; the demo is laid out around it
PANEL = [sys.executable, "-m", "panel.cli"]


def env_for(data_dir: Path) -> dict:
    env = {**os.environ, "PANEL_DATA_DIR": str(data_dir), "PANEL_TODAY": TODAY, "PANEL_LOGIN_SLEEP": "0",
           "PANEL_COOKIE_KEY": "bench-only-cookie-key-" + "x" * 20}
    env.pop("DATABASE_URL", None)
    return env


def region_available() -> bool:
    out = subprocess.run([*PANEL, "demo-data", "--help"], capture_output=True, text=True, cwd=ROOT)
    return "--scale" in out.stdout


def prepare(scale: str) -> Path:
    """The data directory for `scale` ("demo" or "region"), created on first use."""
    d = DATA / scale
    db = d / "panel.db"
    if db.exists() and (d / ".complete").exists():
        subprocess.run([*PANEL, "migrate"], env=env_for(d), cwd=ROOT, check=True, capture_output=True)
        return d
    d.mkdir(parents=True, exist_ok=True)
    for f in d.glob("panel.db*"):
        f.unlink()
    env = env_for(d)
    subprocess.run([*PANEL, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    extra = [] if scale == "demo" else ["--scale", scale]
    print(f"bench: generating {scale}-scale data into {d} …", flush=True)
    subprocess.run([*PANEL, "demo-data", "--today", TODAY, *extra], env=env, cwd=ROOT, check=True)
    (d / ".complete").write_text("ok\n")
    return d


def counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "panel.db") as c:
        return {t: c.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: S608 - fixed names
                for t in ("partnership", "referral", "review", "reviewmilestone", "finding", "action", "auditevent")}


def refs(data_dir: Path) -> dict[str, str]:
    """A reference for each page that opens one record (Northbrook, most recent first)."""
    with sqlite3.connect(data_dir / "panel.db") as c:
        nb = c.execute("select id from partnership where code='NB'").fetchone()[0]

        def one(sql: str) -> str:
            row = c.execute(sql, (nb,)).fetchone()
            return row[0] if row else ""

        referral = one("select reference from referral where partnership_id=? and status in "
                       "('new','awaiting_information') order by aware_on desc, id desc")
        screening = one("select reference from referral where partnership_id=? and status='accepted' "
                        "order by aware_on desc, id desc") or one(
            "select reference from referral where partnership_id=? order by id desc")
        review = one("select reference from review where partnership_id=? and status='open' "
                     "order by started_on desc, id desc")
        closed = one("select reference from review where partnership_id=? and status='closed' "
                     "order by started_on desc, id desc")
    return {"referral": referral, "screening": screening, "review": review, "briefing": closed or review}
