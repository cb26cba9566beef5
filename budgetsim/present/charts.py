"""Charts: Altair specifications of a plan, its response curves, indicators and comparisons.

Each ``*_data`` function returns the tidy DataFrame a chart draws (so the app can offer it
as CSV and tests can check it); each ``*_chart`` returns an ``alt.Chart``.  Labels come
from the scenario and :mod:`budgetsim.labels`; money is drawn in 亿元.  :func:`to_png`
renders a chart with vl-convert (CJK text needs a CJK font such as fonts-noto-cjk).
No Streamlit here: the CLI, scripts and tests use the same charts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ..exceptions import BudgetsimError
from ..fileio import atomic_write
from ..scenario.loading import Scenario
from .compare import STATUS_QUO, Comparison
from .labels import YI, label, labels, t, unit
from ..results import Result

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
WIDTH = 520
HEIGHT = 320


def _style(chart: alt.Chart) -> alt.Chart:
    return (chart.configure(font=FONT)
            .configure_axis(labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12)
            .configure_legend(labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12, labelLimit=260,
                              orient="bottom", direction="horizontal", columns=2)
            .configure_title(font=FONT, fontSize=14, anchor="start")
            .configure_view(strokeWidth=0))


# ----------------------------------------------------------------------------- allocation


def allocation_data(r: Result, lang: str = "zh") -> pd.DataFrame:
    """Plan budget money per category, mode and year (万元 and 亿元), with labels.

    ``amount_wan`` is the year's budget cash (for a guidance fund: the pay-ins, not the
    commitment, which is in ``decision_wan``)."""
    s = r.scenario
    a = r.allocation
    return pd.DataFrame({
        "year": a["year"].astype(int),
        "category": a["category"], "category_label": a["category"].map(labels(s, "categories", lang)),
        "mode": a["mode"], "mode_label": a["mode"].map(labels(s, "modes", lang)),
        "on_budget": a["on_budget"],
        "amount_wan": a["cash_wan"] if r.ok else np.nan,
        "amount_yi": a["cash_wan"] / YI if r.ok else np.nan,
        "decision_wan": a["amount_wan"] if r.ok else np.nan,
        "status_quo_wan": a["status_quo_cash_wan"],
    })


def allocation_chart(r: Result, lang: str = "zh", by: str = "category") -> alt.Chart:
    """Stacked bars per year: the plan's budget money by category (or by mode), in 亿元.

    Off-budget modes (tax incentives: forgone revenue, not budget cash) are left out."""
    if by not in ("category", "mode"):
        raise ValueError(f"by must be 'category' or 'mode', not {by!r}")
    d = allocation_data(r, lang)
    d = d[d["on_budget"]]  # budget money only: forgone tax is not budget spending
    ids = list(labels(r.scenario, "categories" if by == "category" else "modes", lang))
    g = d.groupby(["year", by, f"{by}_label"], sort=False)[["amount_wan", "amount_yi"]].sum().reset_index()
    g["stack"] = g[by].map({k: i for i, k in enumerate(ids)})
    order = [labels(r.scenario, "categories" if by == "category" else "modes", lang)[i] for i in ids
             if i in set(g[by])]
    title = t("alloc_by_category" if by == "category" else "alloc_by_mode", lang)
    chart = alt.Chart(g).mark_bar().encode(
        x=alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount_yi:Q", title=t("amount", lang), stack="zero"),
        color=alt.Color(f"{by}_label:N", title=t(by, lang), sort=order, scale=alt.Scale(scheme="tableau10")),
        order=alt.Order("stack:Q", sort="ascending"),
        tooltip=[alt.Tooltip("year:O", title=t("year", lang)),
                 alt.Tooltip(f"{by}_label:N", title=t(by, lang)),
                 alt.Tooltip("amount_wan:Q", title=t("amount_wan", lang), format=",.0f")],
    ).properties(title=title, width=WIDTH, height=HEIGHT)
    return _style(chart)


def plan_vs_status_quo_data(r: Result, lang: str = "zh") -> pd.DataFrame:
    """Budget money (on-budget modes) per category over the plan: plan vs status quo (万元, 亿元)."""
    s = r.scenario
    a = r.allocation[r.allocation["on_budget"]].groupby("category", sort=False)[
        ["cash_wan", "status_quo_cash_wan"]].sum()
    rows = []
    for cid in s.categories:
        for series, col in (("plan", "cash_wan"), ("status_quo", "status_quo_cash_wan")):
            v = float(a.loc[cid, col]) if (series == "status_quo" or r.ok) else np.nan
            rows.append({"category": cid, "category_label": label(s, "categories", cid, lang),
                         "series": series, "series_label": t(series, lang), "amount_wan": v,
                         "amount_yi": v / YI})
    return pd.DataFrame(rows)


def plan_vs_status_quo_chart(r: Result, lang: str = "zh") -> alt.Chart:
    d = plan_vs_status_quo_data(r, lang)
    chart = alt.Chart(d).mark_bar().encode(
        y=alt.Y("category_label:N", title=None, sort=list(labels(r.scenario, "categories", lang).values()),
                axis=alt.Axis(labelLimit=240)),
        yOffset=alt.YOffset("series_label:N", sort=[t("plan", lang), t("status_quo", lang)]),
        x=alt.X("amount_yi:Q", title=t("amount", lang)),
        color=alt.Color("series_label:N", title=None, sort=[t("plan", lang), t("status_quo", lang)],
                        scale=alt.Scale(range=["#1f77b4", "#bbbbbb"])),
        tooltip=[alt.Tooltip("category_label:N", title=t("category", lang)),
                 alt.Tooltip("series_label:N", title=t("series", lang)),
                 alt.Tooltip("amount_wan:Q", title=t("amount_wan", lang), format=",.0f")],
    ).properties(title=t("plan_vs_sq", lang), width=WIDTH, height=HEIGHT)
    return _style(chart)


# ----------------------------------------------------------------------------- response curves


def curve_data(r: Result, category: str, indicator: str, lang: str = "zh", points: int = 120) -> dict:
    """The true response curve of ``category`` → ``indicator`` with the plan's and status quo's points.

    Returns ``{"curve": DataFrame(effective_wan, output, slope), "points": DataFrame(year,
    series, effective_wan, output, slope), "marginal_per_yi": float}``; the marginal return is
    the slope at the plan's points, averaged over the years, per 亿元 of effective resources."""
    s = r.scenario
    curve = r.evaluator.curves[(category, indicator)]
    ci = s.categories.index(category)
    sq_e = r.status_quo_evaluation.effective[ci]
    plan_e = r.evaluation.effective[ci] if r.ok else np.full_like(sq_e, np.nan)
    top = float(np.nanmax(np.concatenate([plan_e, sq_e, [1.0]]))) * 1.6
    e = np.linspace(0.0, top, points)
    cdf = pd.DataFrame({"effective_wan": e, "output": curve.value(e), "slope": curve.slope(e)})
    rows = []
    for series, arr in (("plan", plan_e), ("status_quo", sq_e)):
        for t_, y in enumerate(s.years):
            ev = float(arr[t_])
            rows.append({"year": int(y), "series": series, "series_label": t(series, lang), "effective_wan": ev,
                         "output": float(curve.value(ev)) if not np.isnan(ev) else np.nan,
                         "slope": float(curve.slope(ev)) if not np.isnan(ev) else np.nan})
    pts = pd.DataFrame(rows)
    plan_slopes = pts.loc[pts["series"] == "plan", "slope"]
    marginal = float(plan_slopes.mean() * YI) if r.ok else float("nan")
    return {"curve": cdf, "points": pts, "marginal_per_yi": marginal}


def response_curve_chart(r: Result, category: str, indicator: str, lang: str = "zh") -> alt.Chart:
    """The response curve with the plan's yearly points (and the status quo's) on it."""
    s = r.scenario
    cd = curve_data(r, category, indicator, lang)
    u = unit(s, indicator, lang)
    x = alt.X("effective_wan:Q", title=t("effective", lang), axis=alt.Axis(format=",.0f"))
    y = alt.Y("output:Q", title=f"{t('output', lang)}（{u}）" if lang == "zh" else f"{t('output', lang)} ({u})")
    line = alt.Chart(cd["curve"]).mark_line(color="#555555").encode(
        x=x, y=y, tooltip=[alt.Tooltip("effective_wan:Q", format=",.0f", title=t("effective", lang)),
                           alt.Tooltip("output:Q", format=",.2f", title=t("output", lang)),
                           alt.Tooltip("slope:Q", format=".5f", title=t("marginal", lang))])
    pts = alt.Chart(cd["points"].dropna()).mark_point(filled=True, size=80).encode(
        x=x, y=y,
        color=alt.Color("series_label:N", title=None, sort=[t("plan", lang), t("status_quo", lang)],
                        scale=alt.Scale(range=["#d62728", "#999999"])),
        tooltip=[alt.Tooltip("year:O", title=t("year", lang)), alt.Tooltip("series_label:N", title=t("series", lang)),
                 alt.Tooltip("effective_wan:Q", format=",.0f", title=t("effective", lang)),
                 alt.Tooltip("output:Q", format=",.2f", title=t("output", lang)),
                 alt.Tooltip("slope:Q", format=".5f", title=t("marginal", lang))])
    title = t("curve_title", lang, cat=label(s, "categories", category, lang), ind=label(s, "indicators", indicator, lang))
    chart = (line + pts).properties(title=title, width=WIDTH, height=HEIGHT)
    return _style(chart)


# ----------------------------------------------------------------------------- indicators


def indicator_data(r: Result, lang: str = "zh") -> pd.DataFrame:
    """Plan totals per indicator, relative to the status quo (= 100), with targets."""
    tot = r.indicator_totals
    sq = tot["status_quo_total"].replace(0, np.nan)
    return pd.DataFrame({
        "indicator": tot["indicator"], "indicator_label": tot[f"label_{lang}"], "unit": tot[f"unit_{lang}"],
        "plan_total": tot["plan_total"], "status_quo_total": tot["status_quo_total"], "target": tot["target"],
        "target_met": tot["target_met"],
        "plan_rel": 100 * tot["plan_total"] / sq, "target_rel": 100 * tot["target"] / sq,
    })


def indicator_chart(r: Result, lang: str = "zh") -> alt.Chart:
    d = indicator_data(r, lang)
    order = list(d["indicator_label"])
    y = alt.Y("indicator_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    tip = [alt.Tooltip("indicator_label:N", title=t("indicator", lang)),
           alt.Tooltip("plan_total:Q", format=",.1f", title=t("plan", lang)),
           alt.Tooltip("status_quo_total:Q", format=",.1f", title=t("status_quo", lang)),
           alt.Tooltip("target:Q", format=",.0f", title=t("target", lang)),
           alt.Tooltip("unit:N", title=t("unit", lang))]
    bars = alt.Chart(d).mark_bar(color="#1f77b4").encode(
        y=y, x=alt.X("plan_rel:Q", title=t("relative", lang)), tooltip=tip)
    rule = alt.Chart(pd.DataFrame({"x": [100.0]})).mark_rule(color="#777777", strokeDash=[4, 3]).encode(x="x:Q")
    target = alt.Chart(d.dropna(subset=["target_rel"])).mark_tick(
        color="#d62728", thickness=3, size=22).encode(y=y, x="target_rel:Q", tooltip=tip)
    chart = (bars + rule + target).properties(title=t("ind_vs_sq", lang), width=WIDTH, height=HEIGHT)
    return _style(chart)


# ----------------------------------------------------------------------------- comparison


def _reference_label(c: Comparison) -> str:
    ref = c.reference
    return f"参照：{ref.name}" if c.lang == "zh" else f"Reference: {ref.name}"


def comparison_allocation_data(c: Comparison) -> pd.DataFrame:
    """Budget cash over the plan by category for the reference (first, when it is the status quo)
    and each compared plan (万元 and 亿元)."""
    a = c.allocation[c.allocation["on_budget"]]
    g = a.groupby(["scenario", "category", "category_label"], sort=False)["cash_wan"].sum(min_count=1)
    out = g.reset_index().rename(columns={"cash_wan": "amount_wan"})  # budget cash over the plan
    ref = c.reference
    if ref is not None and ref.key == STATUS_QUO:
        first = c.allocation[(c.allocation["scenario"] == c.names[0]) & c.allocation["on_budget"]]
        r = first.groupby(["category", "category_label"], sort=False)["reference_cash_wan"].sum().reset_index()
        r = r.rename(columns={"reference_cash_wan": "amount_wan"})
        r.insert(0, "scenario", _reference_label(c))
        out = pd.concat([r, out], ignore_index=True)
    out["amount_yi"] = out["amount_wan"] / YI
    return out


def comparison_allocation_chart(c: Comparison) -> alt.Chart:
    """Plan total by category for the reference and each compared plan (stacked bars, 亿元)."""
    lang = c.lang
    d = comparison_allocation_data(c)
    order = list(dict.fromkeys(d["scenario"]))
    chart = alt.Chart(d).mark_bar().encode(
        x=alt.X("scenario:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=160)),
        y=alt.Y("amount_yi:Q", title=t("amount", lang)),
        color=alt.Color("category_label:N", title=t("category", lang),
                        sort=list(dict.fromkeys(d["category_label"]))),
        order=alt.Order("category:N"),
        tooltip=[alt.Tooltip("scenario:N", title=t("col_scenario", lang)),
                 alt.Tooltip("category_label:N", title=t("category", lang)),
                 alt.Tooltip("amount_wan:Q", title=t("amount_wan", lang), format=",.0f")],
    ).properties(title=t("compare_alloc", lang), width=WIDTH, height=HEIGHT)
    return _style(chart)


def comparison_indicator_data(c: Comparison) -> pd.DataFrame:
    """Each plan's indicator totals relative to the ONE reference (= 100): equal totals draw
    equal bars, whatever each plan's own status quo."""
    d = c.indicators.copy()
    d["plan_rel"] = 100 * d["plan_total"] / d["reference_total"].replace(0, np.nan)
    return d


def comparison_indicator_chart(c: Comparison) -> alt.Chart:
    lang = c.lang
    d = comparison_indicator_data(c)
    y = alt.Y("indicator_label:N", title=None, sort=list(dict.fromkeys(d["indicator_label"])),
              axis=alt.Axis(labelLimit=260))
    bars = alt.Chart(d).mark_bar().encode(
        y=y,
        yOffset=alt.YOffset("scenario:N", sort=c.names),
        x=alt.X("plan_rel:Q", title=t("relative_ref", lang)),
        color=alt.Color("scenario:N", title=t("col_scenario", lang), sort=c.names),
        tooltip=[alt.Tooltip("scenario:N", title=t("col_scenario", lang)),
                 alt.Tooltip("indicator_label:N", title=t("indicator", lang)),
                 alt.Tooltip("plan_total:Q", format=",.0f", title=t("plan", lang)),
                 alt.Tooltip("reference_total:Q", format=",.0f", title=_reference_label(c)),
                 alt.Tooltip("unit:N", title=t("unit", lang))],
    )
    rule = alt.Chart(pd.DataFrame({"x": [100.0]})).mark_rule(color="#777777", strokeDash=[4, 3]).encode(x="x:Q")
    title = f"{t('ind_vs_ref', lang)}（{_reference_label(c)}）" if lang == "zh" else \
        f"{t('ind_vs_ref', lang)} ({_reference_label(c)})"
    chart = (bars + rule).properties(title=title, width=WIDTH, height=HEIGHT + 60)
    return _style(chart)


# ----------------------------------------------------------------------------- export


def to_png(chart: alt.Chart | dict, scale: float = 2.0) -> bytes:
    """The chart (or its Vega-Lite spec) as PNG bytes (vl-convert; system fonts, so CJK needs fonts-noto-cjk)."""
    import vl_convert as vlc  # lazy: only exports need it

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return vlc.vegalite_to_png(spec, scale=scale)


# ----------------------------------------------------------------------------- explanation


def marginal_value_data(ex, lang: str = "zh") -> pd.DataFrame:
    """What one more 1,000 万元 of each year's envelope buys (index points; for the least-budget
    question, 万元 of budget needed), with the finite-difference check beside the dual."""
    m = ex.marginal_budget_value
    per = t("mbv_label_budget", lang) if ex.objective == "min-budget" else t("mbv_label", lang)
    return pd.DataFrame({
        "year": m["year"].astype(int).to_numpy() if len(m) else np.array([], dtype=int),
        "per_1000_wan": m["value_per_1000_wan"].to_numpy(dtype=float),
        "per_wan": m["value"].to_numpy(dtype=float),
        "finite_difference": m["finite_difference"].to_numpy(dtype=float),
        "envelope_wan": m["envelope_wan"].to_numpy(dtype=float),
        "measure": [per] * len(m),
    })


def marginal_value_chart(ex, lang: str = "zh") -> alt.Chart:
    """Bars per year: what one more 1,000 万元 of that year's budget buys."""
    d = marginal_value_data(ex, lang)
    title = d["measure"].iloc[0] if len(d) else t("mbv_label", lang)
    chart = alt.Chart(d).mark_bar(color="#2a9d8f").encode(
        x=alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("per_1000_wan:Q", title=title),
        tooltip=[alt.Tooltip("year:O", title=t("year", lang)),
                 alt.Tooltip("per_1000_wan:Q", title=title, format=".4f"),
                 alt.Tooltip("envelope_wan:Q", title=t("col_envelope", lang), format=",.0f")],
    )
    text = alt.Chart(d).mark_text(dy=-8, fontSize=12).encode(
        x="year:O", y="per_1000_wan:Q", text=alt.Text("per_1000_wan:Q", format=".3f"))
    return _style((chart + text).properties(title=t("mbv_title", lang), width=WIDTH, height=HEIGHT - 60))


# ----------------------------------------------------------------------------- uncertainty


def performance_distribution_data(sim, lang: str = "zh", bins: int = 40) -> pd.DataFrame:
    """The performance index across draws as a histogram on common bins: plan and status quo.

    Columns: series, series_label, bin_start, bin_end, bin_mid, draws, share (of the series'
    draws in the bin)."""
    series = {name: np.asarray(p.performance, dtype=float) for name, p in sim.plans.items()}
    allv = np.concatenate(list(series.values()))
    lo, hi = float(np.min(allv)), float(np.max(allv))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    rows = []
    for name, v in series.items():
        counts, _ = np.histogram(v, bins=edges)
        lab = t(name, lang) if name in ("plan", "status_quo") else name
        for k in range(bins):
            rows.append({"series": name, "series_label": lab, "bin_start": float(edges[k]),
                         "bin_end": float(edges[k + 1]), "bin_mid": float((edges[k] + edges[k + 1]) / 2),
                         "draws": int(counts[k]), "share": float(counts[k] / len(v))})
    return pd.DataFrame(rows)


def performance_percentiles_data(sim, lang: str = "zh") -> pd.DataFrame:
    """P5 / P50 / P95 of the performance index per series (long form, for the chart's rules)."""
    p = sim.performance
    rows = []
    for _, r in p.iterrows():
        lab = t(r["plan"], lang) if r["plan"] in ("plan", "status_quo") else r["plan"]
        for q in ("p5", "p50", "p95"):
            rows.append({"series": r["plan"], "series_label": lab, "percentile": q.upper(),
                         "case": t({"p5": "pct_low", "p50": "pct_mid", "p95": "pct_high"}[q], lang),
                         "value": float(r[q])})
    return pd.DataFrame(rows)


def performance_distribution_chart(sim, lang: str = "zh") -> alt.Chart:
    """Overlaid histograms of the performance index under the draws (plan vs status quo), with
    each series' P5 / P50 / P95 as dashed rules."""
    d = performance_distribution_data(sim, lang)
    pct = performance_percentiles_data(sim, lang)
    order = [t("plan", lang), t("status_quo", lang)]
    color = alt.Color("series_label:N", title=None, sort=order, scale=alt.Scale(domain=order,
                                                                                 range=["#1f77b4", "#999999"]))
    bars = alt.Chart(d).mark_bar(opacity=0.55, binSpacing=0).encode(
        x=alt.X("bin_start:Q", title=t("kpi_performance", lang), scale=alt.Scale(zero=False)),
        x2="bin_end:Q",
        y=alt.Y("share:Q", title=t("share_of_draws", lang), stack=None, axis=alt.Axis(format="%")),
        y2=alt.datum(0),
        color=color,
        tooltip=[alt.Tooltip("series_label:N", title=t("series", lang)),
                 alt.Tooltip("bin_start:Q", format=".1f", title=t("from", lang)),
                 alt.Tooltip("bin_end:Q", format=".1f", title=t("to", lang)),
                 alt.Tooltip("share:Q", format=".1%", title=t("share_of_draws", lang))])
    rules = alt.Chart(pct).mark_rule(strokeDash=[4, 3], strokeWidth=1.5).encode(
        x="value:Q", color=color,
        tooltip=[alt.Tooltip("series_label:N", title=t("series", lang)),
                 alt.Tooltip("case:N", title=t("pct_case", lang)),
                 alt.Tooltip("value:Q", format=".2f", title=t("kpi_performance", lang))])
    title = t("dist_title", lang, n=f"{sim.draws:,}")
    return _style((bars + rules).properties(title=title, width=WIDTH, height=HEIGHT))


# --- frontiers (budgetsim frontier --chart) ------------------------------------------


def frontier_chart(df: pd.DataFrame, *, lang: str = "zh", scenario: Scenario | None = None):
    """An Altair chart: performance vs the parameter (with the status quo), and each indicator
    relative to its value at the first point."""
    path = str(df["parameter"].iloc[0])
    zh = lang == "zh"
    x_title = path
    scale = 1.0
    if path.endswith("_wan"):
        scale = 1 / YI
        x_title = f"{path}（亿元）" if zh else f"{path} (100 M yuan)"
    ok = df[df["status"] == "optimal"].copy()
    ok["x"] = ok["value"] * scale
    perf = pd.concat([
        pd.DataFrame({"x": ok["x"], "index": ok["performance"], "series": "方案" if zh else "plan"}),
        pd.DataFrame({"x": ok["x"], "index": ok["status_quo_performance"],
                      "series": "现状分配" if zh else "status quo"}),
    ])
    top = alt.Chart(perf).mark_line(point=True).encode(
        x=alt.X("x:Q", title=x_title),
        y=alt.Y("index:Q", title="绩效指数" if zh else "performance index", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None),
        strokeDash=alt.StrokeDash("series:N", legend=None),
        tooltip=["x:Q", "index:Q", "series:N"],
    ).properties(width=520, height=260,
                 title="绩效随参数变化（边际收益递减）" if zh else "Performance as the parameter moves")
    labels = {}
    if scenario is not None:
        labels = {f"ind:{i}": getattr(ind, f"label_{lang}") for i, ind in scenario.spec.indicators.items()}
    ind_cols = [c for c in ok.columns if c.startswith("ind:")]
    rows = []
    for c in ind_cols:
        first = ok[c].iloc[0] if len(ok) else np.nan
        for xv, v in zip(ok["x"], ok[c]):
            rows.append({"x": xv, "relative": 100 * v / first if first else np.nan,
                         "indicator": labels.get(c, c.removeprefix("ind:"))})
    bottom = alt.Chart(pd.DataFrame(rows)).mark_line().encode(
        x=alt.X("x:Q", title=x_title),
        y=alt.Y("relative:Q", title="指标（首点 = 100）" if zh else "indicator (first point = 100)",
                scale=alt.Scale(zero=False)),
        color=alt.Color("indicator:N", title="指标" if zh else "indicator"),
        tooltip=["x:Q", "relative:Q", "indicator:N"],
    ).properties(width=520, height=260)
    return alt.vconcat(top, bottom).resolve_scale(color="independent")


def save_chart(chart: Any, path: str | Path) -> Path:
    """Write an Altair chart atomically as ``.html``, ``.json`` or ``.png`` (PNG via vl-convert)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("html", "json", "png", "svg"):
        raise BudgetsimError(f"--chart {str(path)!r}: unknown format; allowed endings: .html, .json, .png, .svg")
    return atomic_write(path, lambda tmp: chart.save(tmp, format=fmt))
