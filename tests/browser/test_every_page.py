"""Every page, for every demo role that can see it, plus the sign-in page and the accessibility
statement before signing in, looked at the way its users see it. Opening the pages is what costs
time, so each page is opened once and every check runs on it:

- WCAG 2.2 AA by axe-core (at 1440 px): any serious or critical violation fails, except the few
  listed in ALLOWED, which come from Streamlit's own markup that Panel cannot change;
- at 1440 px and again at 390 px (a phone): no metric's label or value cut off, no raw key, snake_case
  token or ISO date in the visible text (the rules of tests/test_pages_readable.py, on what the
  browser shows), and a screenshot in test-artifacts/pages/<role>/<page>-<width>.png to look at;
- at 1440 px: the key columns of the page's main table (KEY_COLUMNS) in view without scrolling the
  grid, and headings in order (no h1 followed by an h3);
- as the chair, on the pages of REFLOW at 640 px (a 1280 px window zoomed to 200%, WCAG 1.4.10 and
  1.4.4): no horizontal scroll and both export buttons whole.
Pages others are changing, where a check already fails, are in KNOWN; the test says when an entry
is no longer needed.

axe-core is pinned in package-lock.json and installed by `make test` (`npm ci`); if it is
missing the test fails, never skips.
"""

from __future__ import annotations

import json
import os
import re
from itertools import pairwise
from pathlib import Path

import pytest
from sqlmodel import Session, select

from panel.accounts import service as accounts
from panel.core.db import get_engine
from panel.models import Partnership, Referral, Review
from panel.ui.pages import PAGES, visible_pages
from tests.browser.conftest import ROOT, sign_in, wait_idle
from tests.conftest import TODAY
from tests.readable import ISO_DATE, SNAKE

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = os.environ.get("PANEL_AXE_ROLES", "admin chair member manager referrer regional").split()
FAILING = {"serious", "critical"}

# (rule id, regex on the offending node's CSS selector, why it cannot be fixed by Panel).
# Keep this short: every entry is a known gap, and the accessibility statement names it.
ALLOWED: list[tuple[str, str, str]] = [
    ("target-size", r"^#react-aria\d+-",
     "st.date_input draws day, month and year as React Aria segments inside one 40px-high field; a "
     "segment holding two digits is narrower than 24px. The field as a whole is the target (a click "
     "anywhere in it focuses it, and the date is typed), and Streamlit gives no way to size segments."),
]


def axe_version() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core not found at {AXE}: run `npm ci` (make test does); accessibility "
                    "checks never skip.")
    return json.loads((AXE.parent / "package.json").read_text())["version"]


def run_axe(page) -> list[dict]:
    """Serious and critical violations on the current page, one entry per offending node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    found = []
    for v in result["violations"]:
        if v["impact"] not in FAILING:
            continue
        for node in v["nodes"]:
            selector = " ".join(str(t) for t in node["target"])
            found.append({"rule": v["id"], "impact": v["impact"], "selector": selector,
                          "html": node["html"][:200], "help": v["help"],
                          "inactive": v["id"] == "color-contrast" and inactive(page, selector)})
    return found


def inactive(page, selector: str) -> bool:
    """Whether the node is part of a disabled widget. WCAG 1.4.3 exempts the text of inactive
    components; axe skips disabled controls but not the separate label Streamlit draws for them."""
    return page.evaluate("""sel => {
        const el = document.querySelector(sel);
        const box = el && el.closest('[data-testid="stElementContainer"], .stElementContainer');
        return !!(box && box.querySelector(':disabled, [aria-disabled="true"]'));
    }""", selector)


def allowed(violation: dict) -> bool:
    return violation["inactive"] or any(violation["rule"] == rule and re.search(pattern, violation["selector"])
               for rule, pattern, _ in ALLOWED)


def demo_references(data_dir: Path, monkeypatch) -> dict[str, str]:
    """A real Northbrook referral and review from the server's demo data, for pages that show
    one record (?ref=)."""
    monkeypatch.setenv("PANEL_DATA_DIR", str(data_dir))  # DATABASE_URL too on PostgreSQL: set by demo_db
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    with Session(get_engine()) as s:
        nb = s.exec(select(Partnership).where(Partnership.code == "NB")).one()
        referral = s.exec(select(Referral).where(Referral.partnership_id == nb.id)
                          .order_by(Referral.id.desc())).first()
        accepted = s.exec(select(Referral).where(Referral.partnership_id == nb.id,
                                                 Referral.status == "accepted")).first()
        review = s.exec(select(Review).where(Review.partnership_id == nb.id)
                        .order_by(Review.id.desc())).first()
    return {"referral": referral.reference, "screening": accepted.reference,
            "review": review.reference, "briefing": review.reference}


def open_page(page, path: str) -> None:
    """Open a page by its address, signed in by the cookie `sign_in` waited for."""
    page.goto(path)
    page.get_by_role("button", name="Sign out", exact=True).wait_for()


# Charts (vega-embed) and grids (glide) draw after the script run has sent them: drawn once every
# visible chart has its canvas or SVG marks and every visible grid its canvas.
DRAWN = """() => {
    const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility());
    return shown('[data-testid="stVegaLiteChart"]').every(c => c.querySelector('canvas, svg.marks'))
        && shown('[data-testid="stDataFrame"]').every(g => g.querySelector('canvas'));
}"""


def idle(page) -> None:
    wait_idle(page)
    page.wait_for_function(DRAWN)
    wait_idle(page)


WIDE, PHONE, ZOOMED = 1440, 390, 640
HEIGHT = 1000
SHOTS = ROOT / "test-artifacts" / "pages"

# Keys a person must never read, wherever they are on the page (code spans included); and, outside
# code, anything shaped like a key or an ISO date (tests/test_pages_readable.py's rules).
RAW_KEYS = ("serious_harm", "abuse_or_neglect", "working_days", "child_age_years", "rapid_review")
LOWER_LCSPR = re.compile(r"\blcspr\b")

# The columns of a page's main table a person comes to it for: in view on a 1440 px screen without
# scrolling the grid sideways. Headings as shown, matched on the first visible table that has them.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "tracker": ("Due", "Working days left", "Clock"),
    "queue": ("Reference", "Child", "Referring agency", "Clock"),
    "actions": ("Clock", "Due", "Working days left"),
    "decision-log": ("Decided", "Referral", "Outcome"),
}

# Pages zoomed to 200% (WCAG 1.4.10 reflow, 1.4.4 resize text), as the chair, who sees them all.
REFLOW = ("queue", "screening", "tracker", "review")
REFLOW_ROLE = "chair"

# Pages others are changing right now, where a check already fails: (page, regex on a finding, the
# roles it is found for, none for every role that opens the page). Remove an entry once its page
# is fixed: a role that opens the page and no longer finds it fails.
KNOWN: list[tuple[str, str, tuple[str, ...]]] = []  # none today: every page passes every check

# One evaluation per page and width: what the checks need, measured in the page.
MEASURE = """() => {
    const shown = e => e.checkVisibility();
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    // Metric labels and values, and every element inside them, wider than their box: cut off.
    const cut = [...document.querySelectorAll('[data-testid="stMetricLabel"], [data-testid="stMetricValue"]')]
        .filter(shown)
        .filter(m => [m, ...m.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
        .map(m => m.innerText.trim());
    // Material icons are words in the markup ("fact_check") drawn as one glyph by their font: not read.
    const icons = [...document.querySelectorAll('span, i')].filter(e => e.childElementCount === 0
        && /^[a-z0-9_]+$/.test(e.textContent) && getComputedStyle(e).fontFamily.includes('Material'));
    icons.forEach(e => e.setAttribute('data-panel-icon', ''));
    const ICONS = '[data-panel-icon]';
    const words = e => { const c = e.cloneNode(true); c.querySelectorAll(ICONS).forEach(i => i.remove());
                         return c.textContent.trim(); };
    const headings = [...main.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(shown)
        .map(h => [Number(h.tagName[1]), words(h)]);
    const code = [...document.querySelectorAll(`code, pre, kbd, samp, ${ICONS}`)].filter(shown).map(e => e.innerText);
    // Streamlit's dataframe is a canvas (glide-data-grid). Its accessible table lists only the
    // columns at least partly in view and has no geometry, so the column widths come from the
    // props of the grid that draws the canvas: each column's right edge, and how far the grid shows.
    const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')].filter(shown).map(g => {
        const canvas = g.querySelector('canvas');
        const fiber = canvas && Object.keys(canvas).find(k => k.startsWith('__reactFiber$'));
        let f = fiber && canvas[fiber], props = null;
        for (let n = 0; f && n < 10 && !props; f = f.return, n++) {
            const p = f.memoizedProps;
            if (p && Array.isArray(p.columns) && p.cellXOffset !== undefined) props = p;
        }
        if (!props) return null;
        const box = canvas.getBoundingClientRect();
        let right = box.left - (g.querySelector('.dvn-scroller')?.scrollLeft || 0);
        return {shows: Math.min(box.right, innerWidth),
                columns: props.columns.map(c => ({title: c.title, right: (right += c.width)}))};
    });
    return {cut, headings, code, grids, text: document.body.innerText};
}"""

REFLOW_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    const wide = e => e && e.scrollWidth > e.clientWidth + 1 ? [e.dataset.testid, e.scrollWidth, e.clientWidth] : null;
    const buttons = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDownloadButton"] button')]
        .map(b => ({label: b.innerText.trim(), shown: b.checkVisibility(),
                    cut: [b, ...b.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1),
                    right: b.getBoundingClientRect().right}));
    return {page: document.documentElement.scrollWidth > innerWidth
                ? ['document', document.documentElement.scrollWidth, innerWidth] : null,
            main: wide(main), block: wide(block), buttons, width: innerWidth};
}"""


def frames(page) -> None:
    """Streamlit does not rerun on a resize, so one idle check (not the five that see a rerun
    through) and two frames of layout are enough."""
    wait_idle(page, checks=1)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def raw_text(text: str, code: list[str]) -> list[str]:
    """Keys, snake_case tokens and ISO dates in `text`, the page's visible text."""
    found = [k for k in RAW_KEYS if k in text] + [f"lower-case {w}" for w in LOWER_LCSPR.findall(text)]
    for snippet in sorted(code, key=len, reverse=True):
        if snippet:
            text = text.replace(snippet, " ")
    found += [t for t in SNAKE.findall(text) if t not in RAW_KEYS]
    return found + [f"ISO date {d}" for d in ISO_DATE.findall(text)]


def heading_jumps(headings: list[list]) -> list[str]:
    """A heading more than one level below the one before it (h1 then h3)."""
    return [f"h{a} {ta!r} then h{b} {tb!r}" for (a, ta), (b, tb) in pairwise(headings) if b > a + 1]


def hidden_columns(grids: list[dict | None], want: tuple[str, ...]) -> list[str]:
    """Key columns whose heading's right edge is beyond what the table shows without scrolling it."""
    if not grids:
        return []  # no table on this page for this role (nothing to list)
    if any(g is None for g in grids):
        return ["a table's column widths could not be read (has Streamlit's dataframe changed?)"]
    out = []
    for title in want:
        holding = [g for g in grids if any(c["title"].lower() == title.lower() for c in g["columns"])]
        if not holding:
            out.append(f"no table has a column {title!r}")
            continue
        g = holding[0]
        col = next(c for c in g["columns"] if c["title"].lower() == title.lower())
        if col["right"] > g["shows"] + 1:
            out.append(f"column {title!r} ends at {col['right']:.0f} px, the table shows up to {g['shows']:.0f} px")
    return out


def look(page, key: str, width: int) -> list[str]:
    """The findings of the checks at this width: each 'check: detail'."""
    seen = page.evaluate(MEASURE)
    found = [f"metric cut off at {width} px: {t!r}" for t in seen["cut"]]
    found += [f"raw text at {width} px: {t}" for t in raw_text(seen["text"], seen["code"])]
    if width == WIDE:
        found += [f"heading jump: {j}" for j in heading_jumps(seen["headings"])]
        found += [f"key column out of view: {c}" for c in hidden_columns(seen["grids"], KEY_COLUMNS.get(key, ()))]
    return found


def reflow(page) -> list[str]:
    """At 200% zoom: no sideways scroll, and each download button whole and in view."""
    seen = page.evaluate(REFLOW_JS)
    found = [f"scrolls sideways at 200% zoom: {w}" for w in (seen["page"], seen["main"], seen["block"]) if w]
    labels = [b["label"] for b in seen["buttons"]]
    if len(set(labels)) != len(labels):
        found.append(f"download buttons with one label at 200% zoom: {labels}")
    found += [f"download button cut off at 200% zoom: {b['label']!r}" for b in seen["buttons"]
              if not b["shown"] or b["cut"] or b["right"] > seen["width"]]
    return found


def shoot(page, who: str, key: str, width: int) -> None:
    out = SHOTS / who.replace(" ", "-")
    out.mkdir(parents=True, exist_ok=True)
    # The first screenful: Streamlit scrolls its main block, not the document, so a full-page
    # screenshot would show no more and cost more.
    page.screenshot(path=str(out / f"{key}-{width}.png"))


def looks(page, who: str, key: str) -> list[str]:
    """Every check at 1440 px, at 390 px and (REFLOW pages, as REFLOW_ROLE) at 640 px, screenshots
    at each; the page left at 1440 px."""
    found = look(page, key, WIDE)
    shoot(page, who, key, WIDE)
    widths = [PHONE, ZOOMED] if key in REFLOW and who == REFLOW_ROLE else [PHONE]
    for width in widths:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        frames(page)
        found += look(page, key, width) if width == PHONE else reflow(page)
        shoot(page, who, key, width)
    page.set_viewport_size({"width": WIDE, "height": HEIGHT})  # the next page opens at 1440 px
    return found


def new_page(browser, server):
    context = browser.new_context(viewport={"width": WIDE, "height": HEIGHT}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


# One test per role (and one signed out), so the two test workers share the page views.
@pytest.mark.parametrize("who", ["signed out", *ROLES])
def test_every_page_reads_and_is_accessible(who, browser, server, tmp_path, monkeypatch):
    version = axe_version()
    checked: list[str] = []
    violations: list[dict] = []
    titles: dict[str, tuple[str, str]] = {}  # page -> (expected, shown)
    unopened: list[str] = []
    findings: list[tuple[str, str]] = []  # (page, finding)

    def check(page, key: str, where: str, title: str) -> None:
        idle(page)
        found = run_axe(page)
        checked.append(where)
        titles[where] = (f"{title} · Panel", page.title())
        for v in found:
            v.update(role=who, page=where, allowed=allowed(v))
        violations.extend(found)
        findings.extend((key, f) for f in looks(page, who, key))

    context, page = new_page(browser, server)
    if who == "signed out":
        page.goto("/")
        page.get_by_role("textbox", name="Username").wait_for()
        check(page, "sign-in", "sign-in", "Sign in")
        page.get_by_role("link", name="Accessibility statement").click()  # linked beneath the form
        page.get_by_role("heading", level=1, name="Accessibility statement").wait_for()
        check(page, "accessibility", "accessibility", "Accessibility statement")
    else:
        refs = demo_references(tmp_path, monkeypatch)
        specs = visible_pages(accounts.actor_for(who))
        get_engine().dispose()
        sign_in(page, who)
        for spec in specs:
            query = f"?ref={refs[spec.key]}" if spec.key in refs else ""
            try:
                open_page(page, f"/{spec.key}{query}")
                page.get_by_role("heading", level=1).first.wait_for()
            except Exception as e:  # a page that never draws is a failure too, but check the rest
                out = ROOT / "test-artifacts"
                out.mkdir(exist_ok=True)
                page.screenshot(path=str(out / f"axe-{who}-{spec.key}.png"), full_page=True)
                unopened.append(f"{spec.key}{query}: {str(e).splitlines()[0]}")
                continue
            check(page, spec.key, spec.key + query, spec.title)
    context.close()

    failing = [v for v in violations if not v["allowed"]]
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / f"axe-{who.replace(' ', '-')}.json").write_text(
        json.dumps({"axe": version, "checked": checked, "violations": violations}, indent=1))
    print(f"\naxe-core {version}, tags {', '.join(TAGS)}, {who}: {len(checked)} pages checked "
          f"({', '.join(checked)}); {len(violations)} serious/critical node(s), "
          f"{len(violations) - len(failing)} allowed, {len(failing)} failing")
    for v in violations:
        print(f"  {'allowed ' if v['allowed'] else 'FAIL    '}{v['impact']:8} {v['rule']:24} "
              f"{v['page']:28} {v['selector']}  {v['html']}")
    mine = [(p, rx) for p, rx, roles in KNOWN if not roles or who in roles]
    known = [(k, f) for k, f in findings if any(k == p and re.search(rx, f) for p, rx in mine)]
    unexpected = [(k, f) for k, f in findings if (k, f) not in known]
    print(f"{who}: {len(findings)} finding(s) at {WIDE}/{PHONE} px, {len(known)} known; screenshots in {SHOTS}")
    for k, f in findings:
        print(f"  {'known   ' if (k, f) in known else 'FAIL    '}{k:20} {f}")
    assert not unopened, f"pages that did not open: {unopened}"
    # Each page's browser title is its own name, the same for every role.
    assert {w: shown for w, (_, shown) in titles.items()} == {w: want for w, (want, _) in titles.items()}
    assert not failing, f"{len(failing)} serious/critical axe violation(s); see the list above"
    assert not unexpected, "pages that do not read well at every width:\n" + "\n".join(f"{k}: {f}" for k, f in unexpected)
    # An entry of KNOWN whose page this role opened and that matched nothing is no longer needed.
    opened = {c.split("?")[0] for c in checked}
    stale = [(p, rx) for p, rx in mine if p in opened and not any(k == p and re.search(rx, f) for k, f in findings)]
    assert not stale, f"in KNOWN but no longer found (remove them): {stale}"


def test_every_page_has_its_own_title():
    """Titles differ between pages, so a browser tab or history entry says which page it is."""
    titles = [spec.title for spec in PAGES]
    assert len(set(titles)) == len(titles)


# The checks catch what they are for: each on a page made to fail it, and on one made to pass, with
# no server. The grid stands in for Streamlit's: a canvas whose React fiber holds the columns' widths.
GRID = """<div data-testid="stDataFrame" style="width: 900px"><div class="dvn-scroller"></div>
<canvas width="900" height="50" style="width: 900px"></canvas></div>
<script>
document.querySelector('canvas')['__reactFiber$test'] = {return: {memoizedProps: {cellXOffset: 0,
    columns: %s.map(([title, width]) => ({title, width}))}}};
</script>"""
NARROW = [["Reference", 100], ["Child", 100], ["Referring agency", 150], ["Clock", 80]]
WIDE_GRID = [["Reference", 100], ["Status", 720], ["Child", 100], ["Referring agency", 150], ["Clock", 80]]


@pytest.mark.parametrize(("html", "found"), [
    ('<div data-testid="stMetricValue" style="width: 60px; overflow: hidden; white-space: nowrap">'
     '<p>Mon 15 Mar 2027</p></div>', ["metric cut off at 1440 px: 'Mon 15 Mar 2027'"]),
    ('<div data-testid="stMetricLabel" style="width: 300px"><p>Mon 15 Mar 2027</p></div>', []),
    ("<p>Harm: serious_harm, due 2026-12-04, an lcspr by owner_agency</p>",
     ["raw text at 1440 px: serious_harm", "raw text at 1440 px: lower-case lcspr",
      "raw text at 1440 px: owner_agency", "raw text at 1440 px: ISO date 2026-12-04"]),
    ('<p>Put it on the <code>learning_sources</code> sheet <span style="font-family: Material Symbols Rounded">fact_check</span>'
     " of the LCSPR, due Fri 4 Dec 2026</p>", []),
    ('<div data-testid="stMain"><h1>Queue</h1><h3>Filters</h3></div>', ["heading jump: h1 'Queue' then h3 'Filters'"]),
    ('<div data-testid="stMain"><h1>Queue</h1><h2>Filters</h2><h3>Dates</h3><h2>Results</h2></div>', []),
    (GRID % WIDE_GRID, [f"key column out of view: column {c!r} ends at {x} px, the table shows up to 900 px"
                        for c, x in (("Child", 920), ("Referring agency", 1070), ("Clock", 1150))]),
    (GRID % NARROW, []),
], ids=["metric cut off", "metric whole", "raw keys", "words", "heading jump", "headings in order",
        "column out of view", "columns in view"])
def test_the_checks_find_what_they_look_for(browser, html, found):
    context = browser.new_context(viewport={"width": WIDE, "height": HEIGHT})
    page = context.new_page()
    page.set_content(f"<body style='margin: 0'>{html}</body>")
    assert look(page, "queue", WIDE) == found
    context.close()


@pytest.mark.parametrize(("html", "found"), [
    ('<div data-testid="stMain" style="width: 900px">Wide</div>', ["scrolls sideways at 200% zoom: ['document', 900, 640]"]),
    ('<div data-testid="stMain" style="width: 600px"><div data-testid="stDownloadButton"><button>Export CSV</button></div>'
     '<div data-testid="stDownloadButton"><button style="width: 40px; overflow: hidden; white-space: nowrap">'
     "<span>Export Excel</span></button></div></div>", ["download button cut off at 200% zoom: 'Export Excel'"]),
    ('<div data-testid="stMain"><div data-testid="stDownloadButton"><button>Export</button></div>'
     '<div data-testid="stDownloadButton"><button>Export</button></div></div>',
     ["download buttons with one label at 200% zoom: ['Export', 'Export']"]),
    ('<div data-testid="stMain" style="width: 600px"><div data-testid="stDownloadButton"><button>Export CSV</button>'
     '</div><div data-testid="stDownloadButton"><button>Export Excel</button></div></div>', []),
], ids=["sideways scroll", "button cut off", "buttons alike", "reflows"])
def test_the_zoom_check_finds_what_it_looks_for(browser, html, found):
    context = browser.new_context(viewport={"width": ZOOMED, "height": HEIGHT})
    page = context.new_page()
    page.set_content(f"<body style='margin: 0'>{html}</body>")
    assert reflow(page) == found
    context.close()
