"""Screenshots of the running workbench with headless Chromium (for reviews, not committed).

Usage: start the app (``make run``), then
    .venv/bin/python tools/screenshots.py [--url http://localhost:8501] [--out screenshots-not-committed]

Writes baseline_zh.png (the baseline page in Chinese), curves_zh.png and compare_en.png (two pinned
scenarios compared, in English).  Uses Debian's /usr/bin/chromium; never downloads a browser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright


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

        page.get_by_role("tab", name="响应曲线").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "curves_zh.png"), full_page=True)

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
        page.wait_for_timeout(2500)
        page.screenshot(path=str(out / "compare_en.png"), full_page=True)
        b.close()
    for f in sorted(out.glob("*.png")):
        print(f)


if __name__ == "__main__":
    main()
