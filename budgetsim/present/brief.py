"""The leadership brief (汇报材料): one to two pages in Word, editable, Chinese by default.

From a :class:`~budgetsim.present.compare.Comparison` (with the plans' explanations) and a
simulation of the recommended plan, :func:`brief_bytes` writes a ``.docx`` (python-docx):

1. a headline — the recommended plan against the reference (the baseline's status quo, or a
   plan) and the alternatives, in plain sentences;
2. a table of the recommended plan's budget money by fund category and year (万元);
3. two charts as PNG (vl-convert, CJK fonts): the allocation per year by category, and the
   indicators of every plan against the reference;
4. the rules that hold the plan back and what one step looser buys, in index points and in
   万元 of budget that would buy as much;
5. the risks: expected fiscal losses, the peak risk exposure, the chance each target is met
   and the chance the plan beats the status quo (:func:`budgetsim.simulate`);
6. the assumptions, with the illustrative ones named, and what differs between the plans.

``budgetsim brief`` and the app's download use the same code.
"""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

import numpy as np
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from ..analysis.explain import explain
from ..analysis.uncertainty import Simulation, simulate
from ..exceptions import BudgetsimError
from ..fileio import atomic_write_bytes
from ..scenario.provenance import input_sources, source_counts
from ..version import __version__
from . import charts
from .compare import STATUS_QUO, Comparison, budget_value_per_wan, differences
from .labels import YI, fmt_count, fmt_index, fmt_pct, fmt_wan, label, t

BODY_FONT = ("宋体", "SimSun")      # what a bureau's Word has; LibreOffice substitutes a CJK serif
HEAD_FONT = ("黑体", "SimHei")
LATIN_FONT = "Times New Roman"
TOP_RULES = 4  # binding rules listed in the brief (largest gain first)


def _zh(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _yi(wan: float, lang: str) -> str:
    """Large sums in 亿元 with two decimals ('33.15 亿元')."""
    return f"{wan / YI:,.2f} 亿元" if lang == "zh" else f"{wan / YI:,.2f} 亿元 (100M yuan)"


def _set_font(run, east: str, size: float | None = None, bold: bool | None = None) -> None:
    run.font.name = LATIN_FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold


class _Doc:
    """A python-docx document with the brief's fonts, margins and a few writing helpers."""

    def __init__(self, lang: str):
        self.lang = lang
        self.d = Document()
        sec = self.d.sections[0]
        sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)  # A4
        sec.top_margin = sec.bottom_margin = Cm(1.8)
        sec.left_margin = sec.right_margin = Cm(2.0)
        normal = self.d.styles["Normal"]
        normal.font.name = LATIN_FONT
        normal.font.size = Pt(10.5)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), self.body)
        normal.paragraph_format.space_after = Pt(2)
        normal.paragraph_format.line_spacing = 1.15

    @property
    def body(self) -> str:
        return BODY_FONT[0] if self.lang == "zh" else BODY_FONT[1]

    @property
    def head_font(self) -> str:
        return HEAD_FONT[0] if self.lang == "zh" else HEAD_FONT[1]

    def title(self, text: str, sub: str) -> None:
        p = self.d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(p.add_run(text), self.head_font, 16, True)
        p.paragraph_format.space_after = Pt(0)
        q = self.d.add_paragraph()
        q.alignment = WD_ALIGN_PARAGRAPH.CENTER
        r = q.add_run(sub)
        _set_font(r, self.body, 9)
        r.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    def heading(self, text: str) -> None:
        p = self.d.add_paragraph()
        p.paragraph_format.space_before = Pt(6)
        p.paragraph_format.space_after = Pt(2)
        _set_font(p.add_run(text), self.head_font, 12, True)

    def para(self, text: str, *, bold_lead: str | None = None, size: float | None = None) -> None:
        p = self.d.add_paragraph()
        if bold_lead:
            _set_font(p.add_run(bold_lead), self.head_font, size, True)
        _set_font(p.add_run(text), self.body, size)

    def bullet(self, text: str) -> None:
        self.para(("· " if self.lang == "zh" else "• ") + text)

    def table(self, header: list[str], rows: list[list[str]], widths_cm: list[float], *, bold_last: bool = False,
              size: float = 9, text_cols: int = 1) -> None:
        tb = self.d.add_table(rows=1 + len(rows), cols=len(header))
        tb.style = "Table Grid"
        tb.alignment = WD_TABLE_ALIGNMENT.CENTER
        tb.autofit = False
        for j, w in enumerate(widths_cm):
            tb.columns[j].width = Cm(w)  # the grid LibreOffice and Word lay out by
        for i, row in enumerate([header] + rows):
            for j, text in enumerate(row):
                cell = tb.cell(i, j)
                cell.width = Cm(widths_cm[j])
                p = cell.paragraphs[0]
                p.paragraph_format.space_after = Pt(0)
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT if j < text_cols else WD_ALIGN_PARAGRAPH.RIGHT
                bold = i == 0 or (bold_last and i == len(rows))
                _set_font(p.add_run(text), self.head_font if bold else self.body, size, bold)

    def images(self, pngs: list[bytes], width_cm: float) -> None:
        tb = self.d.add_table(rows=1, cols=len(pngs))
        tb.alignment = WD_TABLE_ALIGNMENT.CENTER
        for j, png in enumerate(pngs):
            p = tb.cell(0, j).paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.d.save(buf)
        return buf.getvalue()


# ----------------------------------------------------------------------------- content


def _pick(c: Comparison, recommended: str | None) -> str:
    if recommended is not None:
        if recommended not in c.names:
            raise BudgetsimError(f"recommended plan {recommended!r} is not among the compared plans {c.names}")
        if not c.results[recommended].ok:
            raise BudgetsimError(f"recommended plan {recommended!r} has no solution ({c.results[recommended].status})")
        return recommended
    for n in c.names:
        if c.results[n].ok:
            return n
    raise BudgetsimError("no compared plan has a solution: nothing to recommend in a brief")


def _plan_name(c: Comparison, n: str) -> str:
    """A plan as the brief names it: its title, with the pin's name when that says something else."""
    row = c.summary.set_index("scenario").loc[n]
    if n == row["scenario_id"] or n == row["title"]:
        return f"「{row['title']}」" if c.lang == "zh" else f"'{row['title']}'"
    return f"「{n}」（{row['title']}）" if c.lang == "zh" else f"'{n}' ({row['title']})"


def _ref_name(c: Comparison) -> str:
    ref = c.reference
    if ref.key == STATUS_QUO:
        return _zh(c.lang, "现状（维持当前分配比例）", "the status quo (today's split carried over)")
    return f"「{ref.name}」" if c.lang == "zh" else f"'{ref.name}'"


def _headline(c: Comparison, rec: str) -> list[str]:
    L = c.lang
    s = c.summary.set_index("scenario")
    r = c.results[rec]
    row = s.loc[rec]
    out = []
    diff = row["performance_diff"]
    if L == "zh":
        out.append(f"推荐方案{_plan_name(c, rec)}：规划期绩效指数 {fmt_index(row['performance'])}，"
                   f"较{_ref_name(c)}{'提高' if diff >= 0 else '降低'} {abs(diff):.2f} 分；安排预算 "
                   f"{_yi(row['budget_allocated_wan'], L)}，撬动外部资金 {_yi(row['external_wan'], L)}"
                   f"（每 1 元财政资金带动 {row['leverage']:.2f} 元）。")
    else:
        out.append(f"Recommended plan {_plan_name(c, rec)}: performance index {fmt_index(row['performance'])}, "
                   f"{abs(diff):.2f} points {'above' if diff >= 0 else 'below'} {_ref_name(c)}; budget "
                   f"{_yi(row['budget_allocated_wan'], L)}, external money mobilised {_yi(row['external_wan'], L)} "
                   f"({row['leverage']:.2f} yuan per fiscal yuan).")
    tot = r.indicator_totals.dropna(subset=["target"])
    if len(tot):
        parts = [f"{x[f'label_{L}']} {fmt_count(x['plan_total'], x[f'unit_{L}'])}"
                 f"（{_zh(L, '目标', 'target')} {fmt_count(x['target'], x[f'unit_{L}'])}）" for _, x in tot.iterrows()]
        met = int(tot["target_met"].sum())
        out.append(_zh(L, f"产出目标达成 {met} 项 / 共 {len(tot)} 项：", f"Targets met: {met} of {len(tot)}: ")
                   + ("、".join(parts) if L == "zh" else "; ".join(parts).replace("（", " (").replace("）", ")"))
                   + _zh(L, "。", "."))
    for n in c.names:
        if n == rec:
            continue
        alt = s.loc[n]
        if not c.results[n].ok:
            out.append(_zh(L, f"备选{_plan_name(c, n)}：当前规则下没有可行方案，须放宽的规则见 budgetsim explain。",
                           f"Alternative {_plan_name(c, n)}: no plan meets its rules; budgetsim explain shows "
                           f"which rules must give."))
            continue
        dp = alt["performance"] - row["performance"]
        db = alt["budget_allocated_wan"] - row["budget_allocated_wan"]
        if L == "zh":
            out.append(f"备选{_plan_name(c, n)}：绩效指数 {fmt_index(alt['performance'])}，比推荐方案"
                       f"{'高' if dp >= 0 else '低'} {abs(dp):.2f} 分，预算{'多' if db >= 0 else '少'} {fmt_wan(abs(db))}"
                       + (f"（每多 1 亿元多得 {dp / db * YI:.2f} 分）" if db > 1 and dp > 0 else "") + "。")
        else:
            out.append(f"Alternative {_plan_name(c, n)}: index {fmt_index(alt['performance'])}, {abs(dp):.2f} "
                       f"points {'above' if dp >= 0 else 'below'} the recommendation with {fmt_wan(abs(db))} "
                       f"{'more' if db >= 0 else 'less'} budget"
                       + (f" ({dp / db * YI:.2f} points per extra 亿元)" if db > 1 and dp > 0 else "") + ".")
    return out


def _allocation_rows(c: Comparison, rec: str) -> tuple[list[str], list[list[str]]]:
    L = c.lang
    a = c.allocation[(c.allocation["scenario"] == rec) & c.allocation["on_budget"]]
    s = c.results[rec].scenario
    years = sorted(a["year"].unique())
    header = [t("category", L), *[str(y) for y in years], t("wb_plan_total", L), t("col_vs_ref", L)]
    rows = []
    tot = np.zeros(len(years) + 2)
    for cid in s.categories:
        sub = a[a["category"] == cid]
        per = sub.groupby("year")["cash_wan"].sum().reindex(years).to_numpy()
        vals = np.concatenate([per, [per.sum(), per.sum() - sub["reference_cash_wan"].sum()]])
        tot += vals
        rows.append([label(s, "categories", cid, L), *[f"{v:,.0f}" for v in vals[:-1]], f"{vals[-1]:+,.0f}"])
    rows.append([t("wb_total", L), *[f"{v:,.0f}" for v in tot[:-1]], f"{tot[-1]:+,.0f}"])
    return header, rows


def _rules_rows(c: Comparison, rec: str) -> tuple[list[str], list[list[str]], float | None]:
    L = c.lang
    ex = c.explanations.get(rec)
    b = ex.binding_rules.sort_values("gain_if_relaxed", ascending=False, kind="stable")
    b = b.drop_duplicates("id").head(TOP_RULES)
    per_wan = budget_value_per_wan(ex)
    rules = c.rules[(c.rules["scenario"] == rec)].set_index("rule")
    header = [t("col_rule", L), t("wb_step", L), t("wb_gain_points", L), t("wb_gain_wan", L)]
    rows = []
    for _, x in b.iterrows():
        rr = rules.loc[x["id"]]
        gain = float(x["gain_if_relaxed"])
        rows.append([rr["rule_label"], rr["step"], f"{gain:.2f}",
                     f"{gain / per_wan:,.0f}" if per_wan else "—"])
    return header, rows, per_wan


def _risk_lines(c: Comparison, rec: str, sim: Simulation) -> list[str]:
    L = c.lang
    r = c.results[rec]
    lo = sim.losses.set_index(["plan", "loss"])
    total, pool, fund = (lo.loc[("plan", k), "mean"] for k in ("total", "pool_draws", "fund_write_offs"))
    sq_total = lo.loc[("status_quo", "total"), "mean"]
    p95 = lo.loc[("plan", "total"), "p95"]
    sm = r.summary()
    exp = sim.exposure.set_index("plan")
    cap = r.scenario.rule("contingent_liability_cap")
    out = []
    if L == "zh":
        out.append(f"预期财政损失 {_yi(total, L)}（资金池代偿 {_yi(pool, L)}，引导基金核销 {_yi(fund, L)}），"
                   f"现状为 {_yi(sq_total, L)}；二十次里最坏的一次约 {_yi(p95, L)}。")
        line = f"最高风险敞口 {_yi(sm['peak_risk_exposure_wan'], L)}（资金池或有负债、在投基金与未缴承诺合计）"
        if cap is not None and "plan" in exp.index:
            line += (f"；资金池或有负债按基准参数不超过上限 {_yi(float(np.max(r.scenario.per_year(cap.cap_wan))), L)}，"
                     f"但参数不利时超过上限的可能为 {fmt_pct(exp.loc['plan', 'prob_above_cap'])}")
        out.append(line + "。")
    else:
        out.append(f"Expected fiscal losses {_yi(total, L)} (pool draws {_yi(pool, L)}, fund write-offs "
                   f"{_yi(fund, L)}), against {_yi(sq_total, L)} for the status quo; the worst in twenty about "
                   f"{_yi(p95, L)}.")
        line = f"Peak risk exposure {_yi(sm['peak_risk_exposure_wan'], L)} (pool liability, money in funds, unpaid commitments)"
        if cap is not None and "plan" in exp.index:
            line += (f"; the pools' liability stays under the cap at base values, but breaks it in "
                     f"{fmt_pct(exp.loc['plan', 'prob_above_cap'])} of draws")
        out.append(line + ".")
    ind = sim.indicators
    plan = ind[(ind["plan"] == "plan") & ind["target"].notna()]
    sq = ind[(ind["plan"] == "status_quo")].set_index("indicator")
    if len(plan):
        parts = []
        for _, x in plan.iterrows():
            u = getattr(r.scenario.spec.indicators[x["indicator"]], f"unit_{L}")
            parts.append(_zh(L, f"{label(r.scenario, 'indicators', x['indicator'], L)}达到 {fmt_count(x['target'], u)}："
                                f"{fmt_pct(x['prob_target_met'])}（现状 {fmt_pct(sq.loc[x['indicator'], 'prob_target_met'])}）",
                             f"{label(r.scenario, 'indicators', x['indicator'], L)} ({fmt_count(x['target'], u)}) "
                             f"{fmt_pct(x['prob_target_met'])}, status quo {fmt_pct(sq.loc[x['indicator'], 'prob_target_met'])}"))
        out.append(_zh(L, "各项目标达成的把握：", "Chance each target is met: ") + ("；".join(parts) if L == "zh" else "; ".join(parts))
                   + _zh(L, "。", "."))
    beats = sim.prob_beats_status_quo.get("plan")
    perf = sim.performance.set_index("plan")
    if beats is not None:
        beats_text = _zh(L, "超过 99 %", "over 99 %") if beats > 0.995 else fmt_pct(beats)
        out.append(_zh(L, f"方案优于现状的概率 {beats_text}；绩效指数九成情形落在 {perf.loc['plan', 'p5']:.1f}–"
                          f"{perf.loc['plan', 'p95']:.1f}（{sim.draws:,} 次模拟，种子 {sim.seed}）。",
                       f"Chance the plan beats the status quo {beats_text}; nine cases in ten the index lies in "
                       f"{perf.loc['plan', 'p5']:.1f}–{perf.loc['plan', 'p95']:.1f} ({sim.draws:,} draws, seed {sim.seed})."))
    return out


_GROUPS = {"plan": ("规划期", "plan period"), "budget": ("预算规模", "budget envelope"),
           "status_quo": ("现状分配", "status-quo split"), "dimensions": ("评价维度权重", "dimension weights"),
           "indicators": ("指标参考水平", "indicator reference levels"),
           "categories": ("各类别响应曲线", "response curves"), "modes": ("支持方式参数", "support-mode parameters"),
           "uncertainty": ("不确定性范围", "uncertainty ranges")}


def _assumption_lines(c: Comparison, rec: str) -> list[str]:
    L = c.lang
    s = c.results[rec].scenario
    n = source_counts(s)
    groups: dict[str, list[str]] = {}
    for item in input_sources(s):
        if item.illustrative:
            head = item.path.split(".")[0]
            parts = item.path.split(".")
            if head in ("indicators", "modes") and len(parts) >= 2:
                groups.setdefault(head, []).append(label(s, head, parts[1], L))
            elif head == "categories" and len(parts) == 2:
                groups.setdefault(head, []).append(label(s, "categories", parts[1], L))
            else:
                groups.setdefault(head, [])
    named = []
    for head, items in groups.items():
        zh, en = _GROUPS.get(head, (head, head))
        items = list(dict.fromkeys(items))
        named.append((zh if L == "zh" else en) + (f"（{'、'.join(items)}）" if items and L == "zh"
                                                   else f" ({', '.join(items)})" if items else ""))
    out = [_zh(L, f"示例假设（须替换为本局数据）{n['illustrative']} 项 / 共 {n['total']} 项：", 
               f"Illustrative assumptions (to replace with the bureau's figures): {n['illustrative']} of {n['total']} "
               f"inputs: ") + ("；".join(named) if L == "zh" else "; ".join(named)) + _zh(L, "。", ".")]
    b = s.spec.budget
    if b.base_amount_wan:
        out.append(_zh(L, f"预算：{b.base_year} 年 {_yi(b.base_amount_wan, L)}，此后每年增长 {fmt_pct(b.growth_rate)}；"
                          f"现状为 {s.spec.status_quo.base_year} 年的分配比例，按各年预算延续。",
                       f"Budget: {_yi(b.base_amount_wan, L)} in {b.base_year}, then {fmt_pct(b.growth_rate)} a year; the "
                       f"status quo carries {s.spec.status_quo.base_year}'s split over the plan."))
    diff = differences(c)
    if len(diff):
        pcol = t("col_param", L)
        parts = []
        for _, x in diff.iterrows():
            vals = "，".join(f"{_plan_name(c, n)}{x[n]}" for n in c.names) if L == "zh" else \
                ", ".join(f"{_plan_name(c, n)} {x[n]}" for n in c.names)
            parts.append(f"{x[pcol]}：{vals}" if L == "zh" else f"{x[pcol]}: {vals}")
        out.append(_zh(L, "各方案的差别：", "How the plans differ: ") + ("；".join(parts) if L == "zh" else "; ".join(parts))
                   + _zh(L, "。", "."))
    out.append(_zh(L, f"绩效指数：各项指标按权重折算，达到参考水平记 100，逐年贴现合计（贴现率 "
                      f"{fmt_pct(s.spec.plan.discount_rate)}）。", 
                   f"Performance index: indicators weighted, the reference level scores 100, discounted over the "
                   f"years ({fmt_pct(s.spec.plan.discount_rate)} a year)."))
    return out


def brief_bytes(c: Comparison, recommended: str | None = None, simulation: Simulation | None = None, *,
                draws: int = 2_000, seed: int = 1, made: _dt.datetime | None = None) -> bytes:
    """The brief as .docx bytes.  ``recommended`` defaults to the first plan with a solution;
    ``simulation`` (of that plan) is run here with ``draws`` and ``seed`` when not given."""
    L = c.lang
    rec = _pick(c, recommended)
    r = c.results[rec]
    if rec not in c.explanations:
        c.explanations[rec] = explain(r)
    sim = simulation if simulation is not None else simulate(r, draws, seed)
    made = made or _dt.datetime.now()
    doc = _Doc(L)
    ill = " · " + _zh(L, "含示例假设数据", "contains illustrative figures") if source_counts(r.scenario)["illustrative"] else ""
    doc.title(_zh(L, "财政科技专项资金分配方案汇报", "Fiscal S&T special funds: the plan for decision"),
              f"{r.scenario.spec.plan.years[0]}–{r.scenario.spec.plan.years[-1]} · {made:%Y-%m-%d} · "
              f"budgetsim {__version__}{ill}")
    doc.heading(_zh(L, "一、结论", "1. In short"))
    for line in _headline(c, rec):
        doc.bullet(line)

    doc.heading(_zh(L, f"二、推荐方案的预算安排（万元，较参照：{c.reference.name}）",
                    f"2. The recommended plan's budget (万元; vs reference: {c.reference.name})"))
    header, rows = _allocation_rows(c, rec)
    first = 3.0  # the longest category name (8 characters) fits; "规划期合计" keeps one line at 2 cm
    rest = (17.0 - first) / (len(header) - 1)
    doc.table(header, rows, [first] + [rest] * (len(header) - 1), bold_last=True)
    pngs = [charts.to_png(charts.allocation_chart(r, L, "category"), scale=1.6),
            charts.to_png(charts.comparison_indicator_chart(c), scale=1.6)]
    doc.images(pngs, 8.3)

    doc.heading(_zh(L, "三、卡住方案的规则：放宽一步能换来多少", "3. Rules that hold the plan back: what one step looser buys"))
    header, rows, per_wan = _rules_rows(c, rec)
    if rows:
        doc.table(header, rows, [5.0, 6.4, 2.8, 2.8], text_cols=2)
        if per_wan:
            doc.para(_zh(L, f"折合预算：达到同样的提高需要多安排的预算（多给 1,000 万元预算，绩效指数约多得 "
                            f"{per_wan * 1000:.2f} 分，按各年预算加权）。",
                         f"Budget equivalent: the extra budget that would add as much (1,000 万元 more adds about "
                         f"{per_wan * 1000:.2f} points, weighted over the years)."), size=9)
    else:
        doc.para(t("explain_binding_none", L))

    doc.heading(_zh(L, "四、风险", "4. Risks"))
    for line in _risk_lines(c, rec, sim):
        doc.bullet(line)

    doc.heading(_zh(L, "五、主要假设", "5. Assumptions"))
    for line in _assumption_lines(c, rec):
        doc.bullet(line)
    return doc.bytes()


def write_brief(c: Comparison, path: str | Path, recommended: str | None = None, **kw) -> Path:
    """Write the brief to ``path`` atomically (see :func:`brief_bytes`)."""
    return atomic_write_bytes(path, brief_bytes(c, recommended, **kw))
