"""Server-side run time of each page under Streamlit's AppTest: one warm-up run, then the
median of N reruns, as wall time and as the process's CPU time (the CPU time is what the
targets compare: on a shared machine wall time mostly measures the neighbours). Runs in its own process per data set (the engine is per process):

    python -m bench.server_time DATA_DIR OUT.json [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import data, pages

APP = data.ROOT / "app.py"


def measure(page: pages.BenchPage, ref: str, runs: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = page.user
    at.session_state["_panel_signed_in_at"] = datetime.now(UTC)
    if ref:
        at.query_params["ref"] = ref
    at.run()
    at.switch_page(page.path)
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()  # warm-up: the first run of the page in this session
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    if at.exception:
        return {"page": page.key, "user": page.user, "ref": ref, "error": str(at.exception[0].message)[:200]}
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        at.run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    return {"page": page.key, "user": page.user, "ref": ref, "first_ms": ms(first), "first_cpu_ms": ms(first_cpu),
            "median_ms": ms(statistics.median(times)), "cpu_ms": ms(statistics.median(cpu)), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args(argv)
    os.environ.update({k: v for k, v in data.env_for(a.data_dir).items() if k.startswith("PANEL_")})
    os.environ.pop("DATABASE_URL", None)
    os.chdir(data.ROOT)
    import logging

    import streamlit.runtime.scriptrunner_utils.script_run_context  # noqa: F401 - creates its logger

    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching"):
        logging.getLogger(name).setLevel(logging.ERROR)
    refs = data.refs(a.data_dir)
    results = []
    for p in pages.selected(a.quick):
        if a.only and p.key not in a.only:
            continue
        try:
            r = measure(p, refs.get(p.ref, ""), a.runs)
        except Exception as e:  # noqa: BLE001 - one failing page is reported, the rest still measured
            r = {"page": p.key, "user": p.user, "ref": refs.get(p.ref, ""), "error": f"{type(e).__name__}: {e}"[:200]}
        print(f"  {p.key:<14} wall {r.get('median_ms', r.get('error'))} ms, cpu {r.get('cpu_ms')} ms",
              file=sys.stderr, flush=True)
        results.append(r)
    a.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
