"""Screenshots of the running workbench with headless Chromium (for reviews, not committed).

Usage: start the app (``make run``), then
    .venv/bin/python tools/screenshots.py [--url http://localhost:8501] [--out screenshots-not-committed]

Writes baseline_zh.png (the baseline page in Chinese), explain_zh.png (binding rules, what one more
万元 buys, channels), curves_zh.png, impossible_zh.png (the impossible scenario's diagnosis),
relaxed_zh.png (after "apply these relaxations"), uncertainty_en.png, explain_en.png and compare_en.png (two pinned
scenarios compared, in English).  Uses Debian's /usr/bin/chromium; never downloads a browser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.serve import QUIET_JS  # noqa: E402


def idle(page, quiet_ms: int = 1500) -> None:
    """Wait until Streamlit's status widget has stayed away for ``quiet_ms`` (charts drawn)."""
    page.evaluate("window.__bsQuietSince = null")
    page.wait_for_function(QUIET_JS, arg=quiet_ms, polling=100, timeout=120_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://localhost:8501")
    ap.add_argument("--out", default="screenshots-not-committed")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = b.new_page(viewport={"width": 1600, "height": 2600})
        page.goto(a.url, wait_until="domcontentloaded")
        page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
        page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "baseline_zh.png"), full_page=True)

        page.get_by_role("tab", name="规则代价与边际价值").click()
        page.get_by_text("多 1000 万元预算能买到什么").first.wait_for(timeout=60_000)
        idle(page)
        page.screenshot(path=str(out / "explain_zh.png"), full_page=True)

        page.get_by_role("tab", name="响应曲线").click()
        idle(page)
        page.screenshot(path=str(out / "curves_zh.png"), full_page=True)

        # the impossible scenario: diagnosis, then the relaxed plan
        page.get_by_role("tab", name="分配方案").click()
        idle(page)
        page.get_by_label("内置情景").click()
        page.get_by_role("option").filter(has_text="不可行示例").first.click()
        page.get_by_text("为何不可行").first.wait_for(timeout=60_000)
        idle(page)
        page.screenshot(path=str(out / "impossible_zh.png"), full_page=True)
        page.get_by_role("button", name="应用这些放宽并求解").click()
        page.get_by_text("已应用").first.wait_for(timeout=60_000)
        idle(page)
        page.screenshot(path=str(out / "relaxed_zh.png"), full_page=True)
        page.get_by_label("内置情景").click()
        page.get_by_role("option").filter(has_text="基准方案").first.click()
        idle(page)

        # pin the baseline, then a bigger budget with a higher leverage floor, and compare in English
        page.get_by_role("button", name="固定当前方案").click()
        page.wait_for_timeout(1500)
        box = page.get_by_label("2026 年预算总额（万元）")
        box.fill("70000")
        box.press("Enter")
        page.wait_for_timeout(2000)
        page.get_by_role("button", name="固定当前方案").click()
        page.wait_for_timeout(1500)
        page.get_by_text("English", exact=True).click()
        page.get_by_text("Performance index").first.wait_for(timeout=30_000)
        page.get_by_role("tab").filter(has_text="Compare scenarios").click()
        idle(page)
        page.screenshot(path=str(out / "compare_en.png"), full_page=True)
        page.get_by_role("tab").filter(has_text="Uncertainty").click()
        page.get_by_text("Chance the plan beats the status quo").first.wait_for(timeout=60_000)
        idle(page)
        page.screenshot(path=str(out / "uncertainty_en.png"), full_page=True)
        page.get_by_role("tab").filter(has_text="Rule costs and margins").click()
        page.get_by_text("What one more 1,000 万元 buys").first.wait_for(timeout=60_000)
        idle(page)
        page.screenshot(path=str(out / "explain_en.png"), full_page=True)
        b.close()
    for f in sorted(out.glob("*.png")):
        print(f)


if __name__ == "__main__":
    main()
