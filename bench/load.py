"""Concurrent sessions working the queue and the tracker for a fixed time, and the server's
memory meanwhile: p50 and p95 per action."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench import browser
from bench.server import rss_mb

USERS = ("chair", "member", "manager")  # Northbrook panel users: the queue and the tracker are theirs


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


async def _worker(page, refs: dict, until: float, out: dict[str, list[float]], errors: list[str],
                  shots=None) -> None:
    while time.perf_counter() < until:
        for work, ref in ((browser.queue_round, refs["referral"]), (browser.tracker_round, refs["review"])):
            if time.perf_counter() >= until:
                return
            try:
                for action, secs in (await work(page, ref)).items():
                    out.setdefault(action, []).append(secs)
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(type(e).__name__ + ": " + str(e).splitlines()[0][:120] + f" at {page.url}")
                if shots is not None and len(errors) <= 3:
                    await page.screenshot(path=str(shots / f"load-error-{len(errors)}.png"))


async def run(pw_browser, app: str, pid: int, refs: dict, sessions: int, seconds: float, shots=None) -> dict:
    pages = []
    for i in range(sessions):
        ctx = await browser.new_context(pw_browser, app)
        pages.append(await browser.sign_in(ctx, USERS[i % len(USERS)]))
    rss_before = rss_mb(pid)
    samples: list[float] = []
    out: dict[str, list[float]] = {}
    errors: list[str] = []
    until = time.perf_counter() + seconds

    async def sample() -> None:
        while time.perf_counter() < until:
            samples.append(rss_mb(pid))
            await asyncio.sleep(1)

    await asyncio.gather(sample(), *(_worker(p, refs, until, out, errors, shots) for p in pages))
    samples.append(rss_mb(pid))
    for p in pages:
        await p.context.close()
    return {
        "sessions": sessions, "seconds": seconds, "errors": len(errors), "first_errors": errors[:3],
        "rss_before_mb": round(rss_before), "rss_max_mb": round(max(samples)),
        "actions": {a: {"n": len(v), "p50_ms": round(statistics.median(v) * 1000), "p95_ms": round(pct(v, 0.95) * 1000)}
                    for a, v in sorted(out.items())},
    }
