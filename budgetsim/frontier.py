"""Frontiers: how performance and each indicator move as one scenario parameter moves.

:func:`frontier` solves a scenario at each value of one dotted parameter (above all the
budget, ``budget.base_amount_wan``) and returns a tidy table with the marginal value of the
parameter between neighbouring points — for the budget, the index points one more 亿元 buys,
which falls as the curves saturate.  :func:`frontier_chart` draws it with Altair (the
``app`` extra), and :func:`save_chart` writes ``.html``, ``.json`` or ``.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .exceptions import BudgetsimError, MISSING, Problem, ScenarioError
from .scenario import Scenario, get_path, load_scenario

WAN_PER_YI = 10_000.0  # 1 亿元 = 10,000 万元


def _check_path(s: Scenario, path: str) -> None:
    current = get_path(s.raw, path)
    if current is MISSING:
        raise ScenarioError([Problem("--param", path, f"not a path of the scenario '{s.id}'")], s.source)
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ScenarioError([Problem("--param", path, f"must point at a number; the scenario has {current!r}")],
                            s.source)


def frontier_values(start: float, stop: float, steps: int) -> list[float]:
    if steps < 2:
        raise BudgetsimError(f"--steps must be ≥ 2 (got {steps})")
    if not (np.isfinite(start) and np.isfinite(stop)) or stop <= start:
        raise BudgetsimError(f"--to must be greater than --from (got from {start}, to {stop})")
    return [float(round(v, 10)) for v in np.linspace(start, stop, steps)]


def frontier(scenario: Scenario | str | Path, path: str, values: Iterable[float], *,
             objective: str = "max-performance", solver: str = "highs", workers: int = 0,
             progress: bool = False) -> pd.DataFrame:
    """Solve ``scenario`` at each value of the dotted ``path``; one row per value.

    Columns: ``value`` (the parameter), every batch column (status, performance, status-quo
    performance, ``ind:<indicator>`` plan totals, leverage, budget used …) and
    ``marginal_performance`` — index points per unit of the parameter between this point and
    the previous one.  When the parameter is money in 万元 (the path ends in ``_wan``),
    ``marginal_per_yi`` gives index points per 亿元.  ``workers`` > 0 solves in parallel.
    """
    from .batch import run_batch

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_path(s, path)
    values = [float(v) for v in values]
    if len(values) < 2:
        raise BudgetsimError("a frontier needs at least two values")
    points = [s.with_changes({path: v}, new_id=f"{s.id}[{path}={v:g}]") for v in values]
    df = run_batch(points, workers=workers, progress=progress, objective=objective, solver=solver)
    df.insert(2, "parameter", path)
    df.insert(3, "value", values)
    perf = df["performance"].astype(float)
    df["marginal_performance"] = perf.diff() / df["value"].diff()
    if path.endswith("_wan"):
        df["marginal_per_yi"] = df["marginal_performance"] * WAN_PER_YI
    return df


def frontier_chart(df: pd.DataFrame, *, lang: str = "zh", scenario: Scenario | None = None):
    """An Altair chart: performance vs the parameter (with the status quo), and each indicator
    relative to its value at the first point."""
    try:
        import altair as alt
    except ImportError as exc:  # pragma: no cover
        raise BudgetsimError("charts need altair: pip install 'budgetsim[app]'") from exc
    path = str(df["parameter"].iloc[0])
    zh = lang == "zh"
    x_title = path
    scale = 1.0
    if path.endswith("_wan"):
        scale = 1 / WAN_PER_YI
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
    from .fileio import atomic_write

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("html", "json", "png", "svg"):
        raise BudgetsimError(f"--chart {str(path)!r}: unknown format; allowed endings: .html, .json, .png, .svg")
    return atomic_write(path, lambda tmp: chart.save(tmp, format=fmt))
