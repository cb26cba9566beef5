"""The leadership brief (budgetsim.present.brief, ``budgetsim brief``): its content, and its pages as
LibreOffice lays them out.

The rendering test needs Debian's LibreOffice (``libreoffice-writer-nogui``) and ``pdftoppm``
(``poppler-utils``); it is skipped with the reason shown when they are missing, except under
``CI=true`` (``.ci/run`` installs them), where it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from docx import Document

from budgetsim.cli import main

from .conftest import SCENARIOS

IN_CI = os.environ.get("CI", "").lower() == "true"
FILES = [str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "budget_plus_10.yaml")]


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for tb in doc.tables:
        for row in tb.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def brief_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "b.docx"
    assert main(["brief", *FILES, "--out", str(out)]) == 0
    return out


def test_brief_says_what_the_meeting_needs(brief_path):
    doc = Document(brief_path)
    text = _text(doc)
    for heading in ("一、结论", "二、推荐方案的预算安排", "三、卡住方案的规则", "四、风险", "五、主要假设"):
        assert heading in text
    # headline in plain sentences, against the status quo and the alternative
    assert re.search(r"推荐方案「基准方案（2026–2030，示例数据）」：规划期绩效指数 \d+\.\d\d，较现状（维持当前分配比例）提高 \d+\.\d\d 分",
                     text)
    assert re.search(r"备选「预算增加 10%」：绩效指数 \d+\.\d\d，比推荐方案高 \d+\.\d\d 分，预算多 [\d,]+ 万元", text)
    # a table by category and year, whose total row adds up
    alloc = doc.tables[0]
    head = [c.text for c in alloc.rows[0].cells]
    assert head[:6] == ["专项类别", "2026", "2027", "2028", "2029", "2030"]
    body = [[c.text for c in r.cells] for r in alloc.rows[1:]]
    assert body[-1][0] == "合计" and len(body) == 6
    for k in range(1, 7):
        col = [float(r[k].replace(",", "")) for r in body[:-1]]
        assert abs(sum(col) - float(body[-1][k].replace(",", ""))) <= len(col)  # whole 万元, rounded per cell
    assert body[-1][1] == "60,000"
    # two charts
    assert len(doc.inline_shapes) == 2
    # binding rules with what relaxing each buys, in points and 万元
    rules = doc.tables[2]
    assert [c.text for c in rules.rows[0].cells] == ["规则", "放宽一步", "放宽一步多得（分）", "折合预算（万元）"]
    rows = [[c.text for c in r.cells] for r in rules.rows[1:]]
    by_rule = {f[0]: f for f in rows}
    assert "900 家 → 890 家" in by_rule["规划期产出目标"][1]
    assert "60,000 万元 → 61,000 万元" in by_rule["年度预算总额（全额安排）"][1]  # its dearest year, 2026
    gains = [float(f[2]) for f in rows]
    assert gains == sorted(gains, reverse=True) and gains[-1] > 0
    assert all(int(f[3].replace(",", "")) > 0 for f in rows)
    assert len({f[0] for f in rows}) == len(rows)  # one row per rule: its dearest year
    # risks from the simulation, assumptions with the illustrative ones named
    assert re.search(r"预期财政损失 [\d.]+ 亿元", text) and "最高风险敞口" in text
    assert re.search(r"新增高新技术企业达到 900 家：\d+ %", text)
    assert re.search(r"示例假设（须替换为本局数据）\d+ 项 / 共 \d+ 项", text) and "预算规模" in text
    assert "2026 年预算总额" in text  # what differs between the plans, as a labelled parameter
    for jargon in ("对偶", "有限差分", "紧约束", "CVaR", "P5", "pp"):
        assert jargon not in text


def test_brief_in_english_and_bad_input(tmp_path, capsys):
    out = tmp_path / "en.docx"
    assert main(["brief", *FILES, "--out", str(out), "--lang", "en", "--recommend", "budget_plus_10",
                 "--draws", "500"]) == 0
    text = _text(Document(out))
    assert "Recommended plan 'Budget +10 %'" in text and "Alternative 'Baseline plan" in text
    assert main(["brief", *FILES, "--out", str(tmp_path / "b.pdf")]) == 2
    assert ".docx" in capsys.readouterr().err
    assert main(["brief", *FILES, "--out", str(tmp_path / "b.docx"), "--recommend", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = (f"{name} not found: install Debian's libreoffice-writer-nogui and poppler-utils "
                  "(.ci/run does) to render the brief")
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return path


def test_brief_renders_to_one_or_two_pages(brief_path, tmp_path):
    soffice, pdftoppm = _tool("soffice"), _tool("pdftoppm")
    env = {**os.environ, "HOME": str(tmp_path)}  # a fresh LibreOffice profile, never the user's
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(brief_path)],
                   check=True, timeout=240, env=env, capture_output=True)
    pdf = tmp_path / "b.pdf"
    assert pdf.is_file()
    subprocess.run([pdftoppm, "-r", "80", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pages) <= 2, f"the brief has {len(pages)} pages; a leadership brief is one or two"
    assert pages[0].read_bytes()[:4] == b"\x89PNG" and pages[0].stat().st_size > 50_000  # text and charts, not blank
    keep = os.environ.get("BUDGETSIM_BRIEF_PNG")
    if keep:  # where to keep page 1 to look at it
        shutil.copy(pages[0], keep)
