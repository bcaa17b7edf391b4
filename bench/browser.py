"""Browser timings in Debian's chromium (flags as in tests/browser/conftest.py), async
Playwright so many sessions can share one browser.

A page is timed from navigation start to its main element (table, chart or form) being
visible; the bare page (bench/bare_page.py) is timed the same way in the same run as the floor.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

CHROMIUM = os.environ.get("PANEL_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "panel-demo-2025"
COOKIE = "panel_session"
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT_MS", "60000"))


async def launch(pw) -> Browser:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)")
    return await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


async def new_context(browser: Browser, base: str) -> BrowserContext:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base)
    ctx.set_default_timeout(TIMEOUT)
    return ctx


async def sign_in(ctx: BrowserContext, username: str) -> Page:
    """Sign in once; the cookie then restores the sign-in on every navigation of the context."""
    page = await ctx.new_page()
    await page.goto("/")
    for attempt in range(3):
        box = page.get_by_role("textbox", name="Username")
        await box.first.wait_for()
        await page.wait_for_timeout(500)  # a fresh session may draw the form twice
        await box.fill(username)
        await page.get_by_role("textbox", name="Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        try:
            await expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=20_000)
            for _ in range(200):  # the sign-in cookie is written by a component, after the run
                if any(c["name"] == COOKIE for c in await ctx.cookies()):
                    return page
                await page.wait_for_timeout(100)
            raise RuntimeError(f"no sign-in cookie for {username}")
        except AssertionError:
            if attempt == 2:
                raise
    return page


async def timed_goto(page: Page, path: str, selector: str) -> float:
    """Seconds from navigation start until `selector` is visible."""
    t0 = time.perf_counter()
    await page.goto(path, wait_until="commit")
    await page.locator(selector).first.wait_for(state="visible", timeout=TIMEOUT)
    took = time.perf_counter() - t0
    await _dismiss_page_not_found(page)
    return took


async def _dismiss_page_not_found(page: Page) -> None:
    """Streamlit may show 'Page not found' over a deep link's first run (it has not yet seen
    app.py's st.navigation); the page renders beneath it. Close it so clicks reach the page."""
    dialog = page.get_by_role("dialog")
    if await dialog.count():
        await page.keyboard.press("Escape")
        await dialog.wait_for(state="hidden")


async def page_timings(browser: Browser, app: str, bare: str, pages, refs: dict, reps: int) -> dict:
    """Median time to main element per page (each user signed in once), and the bare floor."""
    out: dict[str, dict] = {}
    bare_ctx = await new_context(browser, bare)
    bare_page = await bare_ctx.new_page()
    await timed_goto(bare_page, "/", '[data-testid="stDataFrame"]')  # warm-up
    bare_times: list[float] = []
    contexts: dict[str, Page] = {}
    for p in pages:
        if p.user not in contexts:
            ctx = await new_context(browser, app)
            contexts[p.user] = await sign_in(ctx, p.user)
        pg = contexts[p.user]
        path = f"/{p.key}" + (f"?ref={refs[p.ref]}" if p.ref and refs.get(p.ref) else "")
        try:
            await timed_goto(pg, path, p.main)  # warm-up
            times = []
            for _ in range(reps):
                times.append(await timed_goto(pg, path, p.main))
                bare_times.append(await timed_goto(bare_page, "/", '[data-testid="stDataFrame"]'))
            out[p.key] = {"median_ms": round(statistics.median(times) * 1000), "user": p.user}
        except Exception as e:  # noqa: BLE001 - a page that fails to show is reported, not fatal
            out[p.key] = {"error": type(e).__name__ + ": " + str(e).splitlines()[0][:150], "user": p.user}
    out["_bare"] = {"median_ms": round(statistics.median(bare_times) * 1000) if bare_times else None}
    for pg in contexts.values():
        await pg.context.close()
    await bare_ctx.close()
    return out


# The work of one session in the load test: each returns {action: seconds}.

async def queue_round(page: Page, ref: str) -> dict[str, float]:
    t = {}
    t["queue: open"] = await timed_goto(page, "/queue", '[data-testid="stDataFrame"]')
    await page.get_by_text("Filters and search").click()
    t0 = time.perf_counter()
    box = page.get_by_role("textbox", name="Search by reference")
    await box.fill(ref)
    await box.press("Enter")
    metric = page.locator('[data-testid="stMetric"]', has_text="Referrals in this view")
    await expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("1", timeout=TIMEOUT)
    t["queue: filter"] = time.perf_counter() - t0
    t["queue: open a referral"] = await _open_from_select(page, "Open a referral", ref, "Open referral")
    return t


async def tracker_round(page: Page, ref: str) -> dict[str, float]:
    t = {}
    t["tracker: open"] = await timed_goto(page, "/tracker", '[data-testid="stDataFrame"]')
    value = page.locator('[data-testid="stMetric"]', has_text="Reviews").first.locator(
        '[data-testid="stMetricValue"]')
    before = (await value.inner_text()).strip()
    await page.get_by_text("Filters", exact=True).click()
    t0 = time.perf_counter()
    await page.get_by_role("button", name="Closed").click()
    await expect(value).not_to_have_text(before, timeout=TIMEOUT)
    t["tracker: filter"] = time.perf_counter() - t0
    t["tracker: open a review"] = await _open_from_select(page, "Open a review", ref, "Open review")
    return t


async def _open_from_select(page: Page, label: str, ref: str, button: str) -> float:
    combo = page.get_by_role("combobox", name=label)
    option = page.get_by_role("option", name=re.compile(re.escape(ref))).first
    for attempt in range(3):  # a rerun that lands mid-typing redraws the box empty: type again
        await combo.click()
        await combo.fill(ref)
        try:
            await option.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001
            if attempt == 2:
                raise
            await page.keyboard.press("Escape")
    await combo.press("Enter")
    t0 = time.perf_counter()
    await page.get_by_role("button", name=button).click()
    await page.get_by_role("heading", name=re.compile(re.escape(ref))).first.wait_for(state="visible")
    await page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
    return time.perf_counter() - t0
