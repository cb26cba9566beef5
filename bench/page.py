"""Benchmark: how soon the workbench answers in a real browser (headless Chromium), against a bare solve.

    python bench/page.py [--n 10] [--chromium /usr/bin/chromium]

Starts ``streamlit run app.py`` on a free local port, opens the page once (a warm server: the
scenarios loaded, the baseline solved, the HiGHS model built), then measures, median of ``--n``:

* first tiles — a new browser tab (an empty browser cache) opens the page; the time until the KPI
  tiles show the performance index (navigation, Streamlit's own start-up, the script up to the
  tiles).  A new page shows its tiles alone, then asks for the rest (``workbench.first_paint``):
  the line under the figures also says when the sidebar's first widget and the open tab's first
  chart appeared, so the cost of the whole page stays in view;
* lever move  — the 2026 budget is typed in and Enter pressed (a value not solved before);
  the time until the performance tile shows the new plan's number;
* a bare ``budgetsim.solve`` of such a scenario in this process (the floor of a lever move).

The same two figures are taken on a bare Streamlit page with one sidebar input and one tile
(Streamlit's own floor on this machine: its JavaScript start-up and one rerun), so the page's
own cost shows beside what no app can go below.

Targets (issue 16): first tiles ≤ 1.0 s on a warm server, a lever move ≤ 300 ms.  Both pages are
served by the same Streamlit; the line above the figures says whether its event loop is uvloop
(without it the server's sockets keep Nagle's algorithm on and every file a page fetches waits ~40 ms).
Needs Debian's ``chromium`` and the ``playwright`` package (never downloads a browser).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import budgetsim as bs
from tools.serve import ServerError, streamlit_server

TILE = "[data-testid=stMetric]"
PERF_LABEL = {"zh": "绩效指数", "en": "Performance index"}
BUDGET_LABEL = "2026 年预算总额（万元）"
# the performance tile's value, or null while it is not drawn
PERF_JS = """(label) => { const t = [...document.querySelectorAll('[data-testid=stMetric]')]
    .find(e => e.innerText.includes(label));
    if (!t) return null; const v = t.querySelector('[data-testid=stMetricValue]');
    return v ? v.innerText : null; }"""


# recorded in the page from navigation start: when Streamlit's app shell, the tiles, the first sidebar widget and
# the first chart appeared
MARKS_JS = """(() => { window.__marks = {}; const want = {app: '[data-testid=stApp]',
    widget: '[data-testid=stSidebar] [data-testid=stWidgetLabel]', tiles: '[data-testid=stMetricValue]',
    chart: '[data-testid=stVegaLiteChart]'};
  const look = () => { for (const [k, sel] of Object.entries(want)) {
      if (!(k in window.__marks) && document.querySelector(sel)) window.__marks[k] = performance.now(); } };
  new MutationObserver(look).observe(document, {childList: true, subtree: true}); })();"""


FLOOR_APP = """import streamlit as st
v = st.sidebar.number_input("2026 年预算总额（万元）", value=60000.0, step=100.0)
st.metric("绩效指数", f"{v / 555.0:.2f}")
"""


@contextlib.contextmanager
def bench_server(app: Path):
    """``app`` served with a scratch scenario library; a start-up failure ends the benchmark with its reason."""
    library = Path(tempfile.mkdtemp(prefix="bench_page_")) / "library.sqlite3"
    try:
        with streamlit_server(app, env={"BUDGETSIM_LIBRARY": str(library), "PYTHONPATH": str(ROOT)},
                              poll=0.2) as srv:
            yield srv.url
    except ServerError as err:
        raise SystemExit(str(err)) from None


def wait_value(page, changed_from: str | None, timeout_ms: int = 60_000) -> str:
    """Wait (polling every animation frame) until the performance tile shows a value other than
    ``changed_from``; return it."""
    page.wait_for_function(f"(a) => {{ const v = ({PERF_JS})(a[0]); return v !== null && v !== a[1]; }}",
                           arg=[PERF_LABEL["zh"], changed_from], polling="raf", timeout=timeout_ms)
    return page.evaluate(PERF_JS, PERF_LABEL["zh"])


def idle(page, quiet_ms: int = 600) -> None:
    """Until Streamlit's running indicator has stayed away for ``quiet_ms``."""
    page.evaluate("window.__q = null")
    page.wait_for_function("""(ms) => { const now = performance.now();
        if (document.querySelector('[data-testid=stStatusWidget]')) { window.__q = null; return false; }
        if (window.__q == null) window.__q = now; return now - window.__q >= ms; }""",
                           arg=quiet_ms, polling=50, timeout=90_000)


def measure(app: Path, n: int, chromium: str, whole: tuple[str, ...]) -> dict:
    """First tiles (new browser tab, empty cache) and lever moves on ``app``, ``n`` of each; after each
    first tiles, waits for the marks in ``whole`` (the page complete) before the next tab."""
    from playwright.sync_api import sync_playwright

    first, move, marks = [], [], []
    with bench_server(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        warm = browser.new_page(viewport={"width": 1500, "height": 1100})  # warms the server up
        warm.goto(url, wait_until="domcontentloaded")
        wait_value(warm, None, 120_000)
        idle(warm)
        warm.close()
        for _ in range(n):
            ctx = browser.new_context(viewport={"width": 1500, "height": 1100})  # an empty browser cache
            ctx.add_init_script(MARKS_JS)
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(url, wait_until="commit")
            wait_value(page, None)
            first.append(time.perf_counter() - t0)
            page.wait_for_function("(ks) => ks.every(k => k in window.__marks)", arg=list(whole),
                                   timeout=60_000)  # the rest of the page, asked for once the tiles show
            idle(page)
            marks.append(page.evaluate("window.__marks"))
            ctx.close()
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(url, wait_until="domcontentloaded")
        before = wait_value(page, None, 120_000)
        idle(page)
        box = page.get_by_label(BUDGET_LABEL)
        for i in range(n):
            box.fill(str(62000 + 311 * i))  # a budget not solved before
            t0 = time.perf_counter()
            box.press("Enter")
            before = wait_value(page, before)
            move.append(time.perf_counter() - t0)
            idle(page)
        browser.close()
    return {"first": first, "move": move, "marks": marks}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--chromium", default=os.environ.get("BUDGETSIM_CHROMIUM", "/usr/bin/chromium"))
    a = ap.parse_args()

    base = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    bs.solve(base)
    solve = []
    for i in range(a.n):
        s = base.with_changes({"budget.base_amount_wan": 61000.0 + 137.0 * i})
        t0 = time.perf_counter()
        bs.solve(s)
        solve.append(time.perf_counter() - t0)

    floor_app = Path(tempfile.mkdtemp(prefix="bench_floor_")) / "floor.py"
    floor_app.write_text(FLOOR_APP, encoding="utf-8")
    ours = measure(ROOT / "app.py", a.n, a.chromium, whole=("widget", "chart"))
    floor = measure(floor_app, a.n, a.chromium, whole=("widget",))
    ms = lambda xs: statistics.median(xs) * 1000
    spread = lambda xs: f"min {min(xs) * 1000:.0f}, max {max(xs) * 1000:.0f}"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio (uvloop missing: ~40 ms more per file served)"
    print(f"== workbench in headless Chromium (median of {a.n}; machine load {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores; server event loop {loop})")
    print(f"bare solve of a new scenario     : {ms(solve):8.1f} ms")
    for name, key, target in (("first tiles after opening", "first", 1000), ("lever move to new tiles", "move", 300)):
        o, f = ours[key], floor[key]
        print(f"{name:33s}: {ms(o):8.1f} ms  ({spread(o)}; target ≤ {target:,} ms) = {ms(o) / ms(solve):.0f}x a bare "
              f"solve; bare Streamlit page {ms(f):.0f} ms ({spread(f)})")
    for label, res in (("workbench", ours), ("bare page", floor)):
        mk = {k: statistics.median(m.get(k, float("nan")) for m in res["marks"])
              for k in ("app", "tiles", "widget", "chart")}
        print(f"  {label}, in the page from navigation start: app shell {mk['app']:.0f} ms, tiles {mk['tiles']:.0f} ms, "
              f"first sidebar widget {mk['widget']:.0f} ms" + (f", first chart {mk['chart']:.0f} ms"
                                                               if mk["chart"] == mk["chart"] else ""))


if __name__ == "__main__":
    main()
