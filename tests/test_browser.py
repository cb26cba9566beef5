"""The workbench in a real browser: ``streamlit run app.py`` driven by Playwright + Debian's Chromium.

Skipped (with the reason shown) when /usr/bin/chromium is missing, except under ``CI=true``
where it must run.  Never downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

import pytest

from tools.serve import QUIET_JS, ServerError, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("BUDGETSIM_CHROMIUM", "/usr/bin/chromium")  # Debian's Chromium by default
IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(cond: bool, reason: str) -> None:
    if cond:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def _streamlit(library: Path):
    """A fresh ``streamlit run app.py`` on a free local port with its own scenario library; stopped at the end."""
    try:
        with streamlit_server(env={"BUDGETSIM_LIBRARY": str(library)}, timeout=60) as srv:
            yield srv.url
    except ServerError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _streamlit(tmp_path_factory.mktemp("served") / "library.sqlite3") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    _require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _idle(page, quiet_ms: int = 1_000) -> None:
    """Wait until Streamlit is idle: its status widget has stayed away for ``quiet_ms`` on end.

    A single look is not enough under load: a rerun triggered by the last interaction may not
    have shown its status widget yet, and a click landing while it re-renders the page is lost
    ("retrying click action")."""
    page.evaluate("window.__bsQuietSince = null")
    page.wait_for_function(QUIET_JS, arg=quiet_ms, polling=100, timeout=90_000)


def _download(page, button, tries: int = 3):
    """Click a download button and return the download; retried when a rerun swallowed the click."""
    for attempt in range(tries):
        _idle(page)
        try:
            with page.expect_download(timeout=30_000) as dl:
                button().click()
            return dl.value
        except Exception:  # playwright's TimeoutError: the button was re-rendered under the click
            if attempt == tries - 1:
                raise


def _metric(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_page_renders_kpis_and_a_chart_and_a_lever_moves_a_kpi(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=60_000)
    before = _metric(page, "绩效指数")
    assert re.fullmatch(r"\d+\.\d\d", before), before
    assert "亿元" in _metric(page, "撬动外部资金")
    page.screenshot(path=str(tmp_path / "baseline.png"), full_page=True)

    _idle(page)
    box = page.get_by_label("2026 年预算总额（万元）")
    box.fill("80000")
    box.press("Enter")
    page.wait_for_function(
        "(before) => { const t = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.innerText.includes('绩效指数')); "
        "return t && !t.innerText.includes(before); }", arg=before, timeout=30_000)
    after = _metric(page, "绩效指数")
    assert float(after) > float(before)
    page.screenshot(path=str(tmp_path / "lever_moved.png"), full_page=True)
    assert (tmp_path / "baseline.png").stat().st_size > 10_000
    page.close()


def test_upload_pin_compare_and_downloads_in_the_browser(browser, server, tmp_path):
    import pandas as pd

    page = browser.new_page(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    before = _metric(page, "绩效指数")

    # a bad file: every problem listed, the baseline stays
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline\nbudget:\n  base_amount_wan: -5\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("情景文件有误").first.wait_for(timeout=30_000)
    assert page.get_by_text("budget.base_amount_wan").first.is_visible()
    assert _metric(page, "绩效指数") == before

    # a good file replaces the scenario
    good = tmp_path / "good.yaml"
    good.write_text("extends: baseline\nid: bigger\ntitle: {zh: 浏览器上传方案, en: Uploaded in the browser}\n"
                    "description: {zh: 测试, en: test}\nbudget:\n  base_amount_wan: 66000\n", encoding="utf-8")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(good))
    page.get_by_text("已载入：浏览器上传方案").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "(before) => { const t = [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".find(e => e.innerText.includes('绩效指数')); return t && !t.innerText.includes(before); }",
        arg=before, timeout=30_000)
    assert float(_metric(page, "绩效指数")) > float(before)

    # (66,000 万元 in 2026 is within the 20 % smoothing band from 2025; 70,000 would be impossible)
    # a chart as PNG (rendered on demand, CJK fonts)
    dl = _download(page, lambda: page.get_by_role("button", name="图片 PNG").first)
    png = Path(dl.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    # pin, open the comparison, download the workbook
    _idle(page)
    page.get_by_role("button", name="固定当前方案").click()
    page.get_by_text("已固定：方案 1").first.wait_for(timeout=30_000)
    page.get_by_role("tab").filter(has_text="情景对比").click()
    page.get_by_text("主要结果").first.wait_for(timeout=30_000)
    dl = _download(page, lambda: page.get_by_role("button", name="下载对比 Excel"))
    book = pd.read_excel(dl.path(), sheet_name=None, header=None)
    assert list(book) == ["封面", "主要结果", "分配方案", "指标", "规则", "参数变动", "数据来源"]
    assert list(book["主要结果"].iloc[0, :3]) == ["项目", "参照：现状", "方案 1"]
    assert "2026 年预算总额" in set(book["参数变动"][1])
    dl = _download(page, lambda: page.get_by_role("button", name="下载汇报材料（Word）"))
    from docx import Document
    text = "\n".join(p.text for p in Document(dl.path()).paragraphs)
    assert "推荐方案「方案 1」" in text and "四、风险" in text
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    page.close()


def test_rule_costs_diagnosis_and_uncertainty_in_the_browser(browser, server):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    page.get_by_role("tab").filter(has_text="规则代价与边际价值").click()
    page.get_by_text("卡住了方案：由 60,000 万元 放宽至 61,000 万元").first.wait_for(timeout=60_000)
    page.get_by_text("多给 1,000 万元预算，绩效指数多得几分").first.wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("tab").filter(has_text="不确定性").click()
    page.get_by_text("方案优于现状的概率").first.wait_for(timeout=60_000)
    value = _metric(page, "方案优于现状的概率")
    assert re.fullmatch(r"\d+\.\d%", value), value

    # the impossible scenario: the diagnosis, then "apply these relaxations" gives a plan
    _idle(page)
    page.get_by_label("内置情景").click()
    page.get_by_role("option").filter(has_text="不可行示例").first.click()
    page.get_by_text("为何不可行").first.wait_for(timeout=60_000)
    page.locator("[data-testid=stCode]").filter(has_text="new_hightech_firms").first.wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("button", name="应用这些放宽并求解").click()
    page.get_by_text("已应用").first.wait_for(timeout=60_000)
    page.locator('[data-testid="stMetric"]').filter(has_text="目标达成").first.wait_for(timeout=60_000)
    assert _metric(page, "目标达成") == "2/2"
    page.close()


def _edit_cell(page, grid, row: int, column: int, value: str, tries: int = 5) -> None:
    """Type ``value`` into a data-editor cell.  The grid is a canvas (no cell elements): click the first
    column of ``row`` (0 = first data row), move right to ``column``, open the cell's editor with Enter
    and wait for its input box (a click that lands during a rerun is lost: then start again)."""
    editor = page.locator("#portal input.gdg-input")
    for attempt in range(tries):
        _idle(page)
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 35 * row + 17)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=5_000)
            break
        except Exception:
            page.keyboard.press("Escape")
            if attempt == tries - 1:
                raise
    editor.fill(value)
    editor.press("Enter")


_TILE_CHANGED = ("([label, before]) => { const t = [...document.querySelectorAll('[data-testid=stMetric]')]"
                 ".find(e => e.innerText.includes(label)); "
                 "return t && !t.querySelector('[data-testid=stMetricValue]').innerText.includes(before); }")


def test_my_plan_edit_a_cell_and_the_draft_tiles_follow(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    page.get_by_role("tab").filter(has_text="我的方案").click()
    page.get_by_text("草案绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    before = _metric(page, "草案绩效指数")
    assert before == _metric(page, "最优方案绩效指数")  # the draft starts as the optimum
    assert _metric(page, "违反规则（处）") == "0"
    page.get_by_text("税收激励为减免的税收").first.scroll_into_view_if_needed()  # the note under the table
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=60_000)
    _edit_cell(page, grid, 1, 3, "1000")  # 基础前沿类 × 竞争性项目资助, 2027 → 1,000 万元
    page.wait_for_function(_TILE_CHANGED, arg=["草案绩效指数", before], timeout=60_000)
    _idle(page)
    after = _metric(page, "草案绩效指数")
    assert float(after) < float(before)
    assert int(_metric(page, "违反规则（处）")) > 0
    page.get_by_text("年度预算总额（全额安排）（2027 年）").first.wait_for(timeout=30_000)  # the cut leaves 2027 short of its envelope
    page.screenshot(path=str(tmp_path / "myplan_edited.png"))

    # pin the draft: it joins the comparison beside the optimum, scored as given
    _idle(page)
    page.get_by_role("button", name="固定草案以便对比").click()
    page.get_by_text("已固定：草案 1").first.wait_for(timeout=30_000)
    _idle(page)
    page.get_by_role("tab").filter(has_text="情景对比").click()
    page.get_by_text("主要结果").first.wait_for(timeout=30_000)
    page.get_by_text("草案 1").first.wait_for(timeout=30_000)


def _pin(page, name: str) -> None:
    _idle(page)
    box = page.get_by_label("方案名称")
    box.fill(name)
    box.press("Enter")
    _idle(page)
    page.get_by_role("button", name="固定当前方案").click()
    page.get_by_text(f"已固定：{name}").first.wait_for(timeout=30_000)


def _pins_listed(page, names: list[str]) -> None:
    _idle(page)
    page.get_by_role("tab").filter(has_text="情景对比").click()
    for name in names:
        page.locator("[data-testid=stMarkdownContainer] strong").filter(has_text=name).first.wait_for(timeout=60_000)


def test_pins_survive_a_reload_and_a_server_restart(browser, tmp_path):
    from budgetsim.library import Library

    library = tmp_path / "library.sqlite3"
    with _streamlit(library) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
        before = _metric(page, "绩效指数")
        _pin(page, "甲：基准")
        _idle(page)
        box = page.get_by_label("2026 年预算总额（万元）")
        box.fill("70000")
        box.press("Enter")
        page.wait_for_function(
            "(before) => { const t = [...document.querySelectorAll('[data-testid=stMetric]')]"
            ".find(e => e.innerText.includes('绩效指数')); return t && !t.innerText.includes(before); }",
            arg=before, timeout=30_000)
        _pin(page, "乙：预算 7 亿")
        page.reload(wait_until="domcontentloaded")  # a reload is a new session: the pins come from the library
        page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
        _pins_listed(page, ["甲：基准", "乙：预算 7 亿"])
        page.close()
    # the server is gone; a new one on the same library file
    with _streamlit(library) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
        _pins_listed(page, ["甲：基准", "乙：预算 7 亿"])
        page.get_by_text("主要结果").first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "pins_after_restart.png"))
        page.close()
    got = Library(library).entries("pin")
    assert [e.name for e in got] == ["甲：基准", "乙：预算 7 亿"]
    assert "base_amount_wan: 70000" in got[1].diff_yaml and "base_amount_wan" not in got[0].diff_yaml


# every box of the tiles (value and label), the buttons and the tab titles whose content is wider or taller
# than the box:
# text cut off ("110.58 …" once lost its unit at this size); inline boxes (no width of their own) skipped
_CUT = """() => [...document.querySelectorAll(
        '[data-testid=stMetricValue], [data-testid=stMetricValue] *, [data-testid=stMetricLabel] *, '
        + '[data-testid=stDownloadButton] button, [data-testid=stDownloadButton] button *, '
        + '[data-testid=stButton] button, [data-testid=stButton] button *, [data-testid=stTabs] [role=tablist]')]
    .filter(e => e.offsetParent !== null && e.clientWidth > 0 && !e.closest('[data-testid=stIconMaterial]')
                 && e.innerText !== e.querySelector('[data-testid=stIconMaterial]')?.innerText
                 && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1))
    .map(e => e.innerText)"""
# Material icons are a font Streamlit serves itself (no emoji font needed): drawn, each is one glyph about
# 20 px wide; a missing font would show its name as text ("push_pin"), far wider
_ICONS_DRAWN = """() => [...document.querySelectorAll('[data-testid=stIconMaterial]')]
    .filter(e => e.offsetParent !== null).map(e => [e.innerText, e.getBoundingClientRect().width])"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_is_cut_at_1280x720(browser, server, lang, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=60_000)
    words = {"zh": ("绩效指数", "撬动外部资金", "规划期预算"),
             "en": ("Performance index", "External money mobilised", "Budget over the plan")}[lang]
    if lang == "en":
        _idle(page)
        page.get_by_text("English").click()
        page.get_by_text(words[0]).first.wait_for(timeout=60_000)
    _idle(page)
    assert page.evaluate(_CUT) == []
    icons = page.evaluate(_ICONS_DRAWN)
    assert icons and all(w < 32 for _, w in icons), icons
    for label in words[1:]:  # the money tiles keep their unit, in full
        tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
        assert re.fullmatch(r"\d[\d,]*\.\d\d 亿元", tile.locator('[data-testid="stMetricValue"]').inner_text())
        assert tile.locator('[data-testid="stMetricLabel"]').inner_text().strip() == label  # no "…"
    if lang == "zh":  # Streamlit's own English replaced: the uploader and the inputs' hint
        button = page.locator('[data-testid="stFileUploaderDropzone"] button p')
        assert button.evaluate("e => getComputedStyle(e, '::after').content") == '"选择文件"'
        assert button.evaluate("e => getComputedStyle(e).fontSize") == "0px"
    page.screenshot(path=str(tmp_path / f"page_1280_{lang}.png"))
    page.close()


# ----------------------------------------------------------------- issue 11: stale answers and language switches

_SIGN = """() => { const s = getComputedStyle(document.body, '::after');
    return !!s.content && s.content !== 'none' && s.content.includes('正在求解') && s.display !== 'none'; }"""
_PERF = """() => { const t = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes('绩效指数'));
    return t ? t.querySelector('[data-testid=stMetricValue]').innerText : null; }"""


def test_a_stale_answer_always_shows_the_solving_sign(browser, server):
    """Twenty fast arrow presses on a slider: while the tiles still show the old answer, the page says
    that it is solving; when the new answer is in, the sign is gone."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    assert not page.evaluate(_SIGN), "no sign when nothing is being solved"
    before = page.evaluate(_PERF)
    slider = page.get_by_role("slider").first  # the budget growth rate
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    samples = []  # (seconds since the last press, tile value, sign shown)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        samples.append((time.monotonic() - t0, page.evaluate(_PERF), page.evaluate(_SIGN)))
        if len(samples) > 20 and len({v for _, v, sign in samples[-20:] if not sign}) == 1 \
                and not any(sign for *_, sign in samples[-20:]):
            break  # one answer, no sign, for the last twenty looks: the new answer is in
        time.sleep(0.05)
    final = samples[-1][1]
    assert final != before, "the answer moved"
    stale = [s for s in samples if s[1] != final]  # an earlier answer still on screen
    assert stale, f"the final answer took a while to come (the sign is about that moment): {samples[:5]}"
    # an earlier answer without the sign: allowed in the first 0.3 s (the browser has not heard back yet)
    # and as a blip shorter than 0.3 s (one rerun handing over to the next); the bug was seconds of it
    gaps, start = [], None
    for when, value, sign in samples:
        if value != final and not sign and when > 0.3:
            start = when if start is None else start
            gaps.append(when - start)
        else:
            start = None
    unsigned = [round(s[0], 2) for s in stale if not s[2] and s[0] > 0.3]
    assert max(gaps, default=0.0) < 0.3, f"an earlier answer shown without the solving sign at {unsigned} s"
    _idle(page)
    assert not page.evaluate(_SIGN)
    page.close()


def test_a_language_switch_keeps_the_question_shown_selected(browser, server):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    page.get_by_text("达到目标，预算最省").first.click()
    _idle(page)
    page.get_by_text("English").first.click()
    page.get_by_text("Least budget that meets the targets").first.wait_for(timeout=30_000)
    _idle(page)
    checked = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-testid=stRadio]')]
        .map(g => [g.innerText.split('\\n')[0], [...g.querySelectorAll('input[type=radio]')].map(i => i.checked)]))""")
    assert checked["Question"] == [False, True, False], checked
    assert checked["Stack by"] == [True, False], checked
    page.close()


def test_calibration_upload_report_and_apply_in_the_browser(browser, server, tmp_path):
    """Calibrate to records (issue 14): a bad file lists its cells, the thin example says the prior
    dominates every curve, the report downloads, and the calibrated scenario becomes the current one."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
    _idle(page)
    page.get_by_role("tab").filter(has_text="按记录校准").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="上传记录文件")
    uploader.wait_for(timeout=60_000)
    bad = tmp_path / "bad.csv"
    bad.write_text("表 table,年度 year,专项类别 category,支持方式 mode,指标 indicator,项目编号 project,数值 value\n"
                   "支出,2024,基础前沿类,机构式资助,,,-3\n支出,2024,no_such,机构式资助,,,5\n", encoding="utf-8")
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    page.get_by_text("记录文件有误").first.wait_for(timeout=60_000)
    assert page.get_by_text("bad.csv line 2, 数值 value").first.is_visible()
    assert page.get_by_text("bad.csv line 3, 专项类别 category").first.is_visible()

    uploader.locator('input[type="file"]').set_input_files(str(ROOT / "scenarios" / "records" /
                                                                "yangzhou_thin_2023_2025.csv"))
    page.get_by_text("各曲线一览").first.wait_for(timeout=120_000)
    _idle(page)
    assert _metric(page, "记录年度") == "2023–2025"
    assert _metric(page, "其中先验主导") == "19"
    dl = _download(page, lambda: page.get_by_role("button", name="下载校准报告（HTML）"))
    html = Path(dl.path()).read_text(encoding="utf-8")
    assert html.count("<svg") == 19 and "先验主导" in html
    _idle(page)
    page.get_by_role("button", name="设为当前情景").click()
    page.get_by_text("已设为当前情景").first.wait_for(timeout=60_000)
    page.get_by_text("按记录校准）").first.wait_for(timeout=60_000)  # the header names the calibrated scenario
    page.screenshot(path=str(tmp_path / "calibrated.png"), full_page=True)
    page.close()


# ----------------------------------------------------------------- issue 17: many users at once

_TILES = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=stMetric]')].map(e => [
    (e.querySelector('[data-testid=stMetricLabel]') || e).innerText.trim(),
    (e.querySelector('[data-testid=stMetricValue]') || e).innerText.trim()]))"""
_SHOWS = f"""(want) => {{ const got = ({_TILES})(); const k = Object.keys(want);
    return Object.keys(got).length === k.length && k.every(x => got[x] === want[x]); }}"""


def test_two_users_at_once_each_see_their_own_answer(browser, server):
    """Two browser contexts — two Streamlit sessions of one server, sharing its caches and HiGHS
    sessions — each on its own scenario, press Enter on their own budget at the same moment, twice:
    each page settles on what ``budgetsim.solve`` gives for its own settings, never the other's."""
    import budgetsim as bs
    from budgetsim.present.levers import lever_changes, levers_for
    from budgetsim.present.views import kpi_values

    budgets = {"baseline": (61_500, 66_500), "budget_plus_10": (64_000, 59_500)}  # all within reach in 2026
    users = {}
    for sid in budgets:
        base = bs.load_scenario(ROOT / "scenarios" / f"{sid}.yaml")
        levers = levers_for(base)
        lever = next(lv for lv in levers if lv.path == "budget.base_amount_wan")
        want = [kpi_values(bs.solve(base.with_changes(lever_changes(levers, {lever.path: float(v)}))), "zh")
                for v in budgets[sid]]
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_text("绩效指数").first.wait_for(timeout=60_000)
        if sid != "baseline":
            _idle(page)
            page.get_by_label("内置情景").click()
            page.get_by_role("option").filter(has_text=base.title("zh")).first.click()
        page.wait_for_function(_SHOWS, arg=kpi_values(bs.solve(base), "zh"), polling=100, timeout=60_000)
        box = page.get_by_test_id("stSidebar").get_by_label(lever.label("zh"), exact=True)
        # after a scenario switch the previous scenario's lever may linger until the rerun is done
        deadline = time.monotonic() + 30
        while box.count() != 1 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        users[sid] = (ctx, page, box, want)
    assert users["baseline"][3][0] != users["budget_plus_10"][3][0]  # the two answers can be told apart
    for step in range(2):
        for sid, (_, page, box, _) in users.items():
            _idle(page, quiet_ms=500)
            box.fill(f"{budgets[sid][step]:.2f}")
        for _, page, box, _ in users.values():  # both reruns start together
            box.press("Enter")
        for sid, (_, page, _, want) in users.items():
            try:
                page.wait_for_function(_SHOWS, arg=want[step], polling=100, timeout=60_000)
            except Exception:  # playwright's TimeoutError: say what the page shows instead
                _idle(page)
                pytest.fail(f"{sid}, budget {budgets[sid][step]:,}: the page shows {page.evaluate(_TILES)}, "
                            f"budgetsim.solve gives {want[step]}")
            assert not page.locator("[data-testid=stException]").count()
    for ctx, *_ in users.values():
        ctx.close()
