"""`make bench` (`make bench QUICK=1` for a fast subset): Panel's benchmark
(docs/performance.md).

a. every page's server-side run time (AppTest) at demo and region scale;
b. the same pages in Chromium against a bare Streamlit page, measured in the same run;
c. 20 concurrent browser sessions working the queue and tracker vs one session;
d. the server's memory with those sessions.
Writes bench/results.md and prints it. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import data, machine, pages, report
from tests.streamlit_server import streamlit

RESULTS = data.ROOT / "bench" / "results.md"


def server_times(scale: str, data_dir: Path, runs: int, quick: bool) -> list[dict]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, "-m", "bench.server_time", str(data_dir), out.name, "--runs", str(runs)]
        env = {**os.environ, "STREAMLIT_LOGGER_LEVEL": "error", "PYTHONPATH": str(data.ROOT)}
        print(f"bench: a. server time, {scale} scale", flush=True)
        subprocess.run(cmd + (["--quick"] if quick else []), cwd=data.ROOT, env=env, check=True)
        return json.loads(Path(out.name).read_text())


async def in_browser(data_dir: Path, scale: str, quick: bool, reps: int, sessions: int, seconds: float,
                     logs: Path) -> tuple[dict, dict]:
    from playwright.async_api import async_playwright

    from bench import browser, load

    refs = data.refs(data_dir)
    env = data.env_for(data_dir)
    with streamlit(data.ROOT / "app.py", env, logs / "app.log") as (app, pid), \
            streamlit(data.ROOT / "bench" / "bare_page.py", env, logs / "bare.log") as (bare, _):
        async with async_playwright() as pw:
            b = await browser.launch(pw)
            print(f"bench: b. pages in chromium, {scale} scale", flush=True)
            timings = await browser.page_timings(b, app, bare, pages.selected(quick), refs, reps)
            print(f"bench: c. 1 session for {seconds:.0f} s", flush=True)
            one = await load.run(b, app, pid, refs, 1, seconds, shots=logs)
            print(f"bench: c. {sessions} sessions for {seconds:.0f} s", flush=True)
            many = await load.run(b, app, pid, refs, sessions, seconds, shots=logs)
            await b.close()
    return {"scale": scale, "pages": timings}, {"scale": scale, "one": one, "many": many}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="five pages, fewer runs, shorter load test")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args(argv)
    quick = a.quick or os.environ.get("QUICK") not in (None, "", "0")
    started = time.time()
    info = machine.describe()
    notes = []
    scales = {"demo": data.prepare("demo")}
    if data.region_available():
        scales["region"] = data.prepare("region")
    else:
        notes.append("Region-scale data is not available (panel demo-data has no --scale): demo only.")
    counts = {s: data.counts(d) for s, d in scales.items()}
    server = {s: server_times(s, d, 3 if quick else 7, quick) for s, d in scales.items()}
    browser_res = load_res = None
    if not a.no_browser:
        scale = "region" if "region" in scales else "demo"
        logs = data.DATA / "logs"  # the servers' logs and failure screenshots, kept for a look
        logs.mkdir(parents=True, exist_ok=True)
        browser_res, load_res = asyncio.run(in_browser(
            scales[scale], scale, quick, reps=1 if quick else 3, sessions=5 if quick else a.sessions,
            seconds=20 if quick else 60, logs=logs))
        notes.append(f"Server logs and screenshots of failed actions: {logs.relative_to(data.ROOT)}/.")
    notes.append(f"Whole benchmark took {time.time() - started:.0f} s.")
    text, targets = report.render(info, counts, server, browser_res, load_res, notes, quick)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
