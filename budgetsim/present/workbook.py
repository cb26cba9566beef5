"""The meeting workbook: a :class:`~budgetsim.present.compare.Comparison` as an Excel file colleagues open.

Sheets, in the page's language (Chinese by default): a cover (plans, date, version, reference,
input hashes, which inputs are illustrative), the headline results, the allocation with years
as columns and category × mode rows with subtotals and totals, indicators, rules with their
settings and whether they hold the plan back, changed parameters (labelled, with units) and
the inputs' sources.  Cells hold exact numbers; only their number format rounds (``#,##0``
万元, ``0.00`` index, ``0.0%`` shares).  Every total is the sum of the rows above it, written
as a value so that any reader (not only Excel) sees it.  The app's download and
``budgetsim compare --out`` write the same bytes (:func:`workbook_bytes`, :func:`write_workbook`).
"""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..fileio import atomic_write_bytes
from ..scenario.provenance import input_sources, source_counts
from ..version import __version__
from .compare import Comparison
from .labels import XL_COUNT, XL_INDEX, XL_POINTS, XL_RATIO, XL_SHARE, XL_WAN, label, t
from .parameters import describe

SHEET_KEYS = ("wb_cover", "wb_summary", "wb_allocation", "wb_indicators", "wb_rules", "wb_changes", "wb_inputs")
KIND_FORMAT = {"wan": XL_WAN, "share": XL_SHARE, "ratio": XL_RATIO, "count": XL_COUNT, "number": "0.####"}

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")
_SUB_FILL = PatternFill("solid", fgColor="F2F2F2")
_TOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
_THIN = Side(style="thin", color="999999")
_TOP = Border(top=_THIN)


def sheet_names(lang: str = "zh") -> list[str]:
    """The workbook's sheet names in ``lang``, in order."""
    return [t(k, lang) for k in SHEET_KEYS]


class _Writer:
    """Rows into one worksheet, with a number format per cell and widths from the content."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}

    def put(self, values: list[Any], fmts: list[str | None] | None = None, *, font=None, fill=None,
            border=None) -> int:
        for j, v in enumerate(values, start=1):
            if isinstance(v, (np.floating, np.integer)):
                v = v.item()
            if isinstance(v, float) and np.isnan(v):
                v = None
            cell = self.ws.cell(row=self.row, column=j, value=v)
            fmt = fmts[j - 1] if fmts and j - 1 < len(fmts) else None
            if fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
                cell.number_format = fmt
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if border is not None:
                cell.border = border
            if isinstance(v, str) and len(v) > 60:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            self.widths[j] = max(self.widths.get(j, 0), _display_width(v, fmt))
        self.row += 1
        return self.row - 1

    def head(self, values: list[str]) -> None:
        self.put(values, font=_BOLD, fill=_HEAD_FILL)

    def skip(self, n: int = 1) -> None:
        self.row += n

    def finish(self, freeze: str | None = None, max_width: int = 60) -> None:
        for j, w in self.widths.items():
            self.ws.column_dimensions[get_column_letter(j)].width = min(max(8, w + 2), max_width)
        if freeze:
            self.ws.freeze_panes = freeze


def _display_width(value: Any, fmt: str | None = None) -> int:
    """Characters a cell needs: CJK characters are twice as wide as Latin ones."""
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{value:,.2f}" if fmt != XL_COUNT and fmt != XL_WAN else f"{value:,.0f}"
    else:
        text = str(value)
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text.split("\n")[0][:80])


def _zh(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


# ----------------------------------------------------------------------------- sheets


def _cover(c: Comparison, ws, made: _dt.datetime) -> None:
    L = c.lang
    w = _Writer(ws)
    w.put([t("wb_title", L)], font=_TITLE)
    w.put([t("wb_made", L), made.strftime("%Y-%m-%d %H:%M")])
    w.put([t("wb_version", L), __version__])
    ref = c.reference
    ref_text = (t("ref_status_quo", L) if ref.key == "status_quo" else ref.name)
    w.put([t("wb_reference", L), ref_text])
    w.put([_zh(L, "单位", "Units"), t("wb_units_note", L)])
    w.skip()
    w.head([t("wb_scenario_col", L), t("wb_file", L), "id", t("col_objective", L), t("wb_status", L),
            t("wb_illustrative", L), t("wb_input_hash", L)])
    for _, row in c.summary.iterrows():
        s = c.results[row["scenario"]].scenario
        n = source_counts(s)
        w.put([row["scenario"], row["title"], row["scenario_id"], row["objective_label"], row["status_label"],
               t("wb_illustrative_count", L, n=n["illustrative"], total=n["total"]), row["input_hash"]])
    w.skip()
    w.put([t("wb_illustrative_note", L)], font=_BOLD)
    w.head([t("wb_input", L), _zh(L, "文件中的位置", "Where in the file"),
            _zh(L, "为示例假设的方案", "Illustrative in")])
    seen: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for name in c.names:
        s = c.results[name].scenario
        for item in input_sources(s):
            if item.illustrative:
                seen.setdefault(item.path, []).append(name)
                labels.setdefault(item.path, describe(s, item.path, L).label)
    for path, names in seen.items():
        w.put([labels[path], path, "、".join(names) if L == "zh" else ", ".join(names)])
    w.finish(max_width=70)
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width, 40)


def _summary(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    ref = c.reference
    ref_head = f"{_zh(L, '参照', 'Reference')}：{ref.name}" if L == "zh" else f"Reference: {ref.name}"
    w.head([_zh(L, "项目", "Measure"), ref_head, *c.names])
    s = c.summary.set_index("scenario")
    ref_col = {"performance": ref.performance, "budget_allocated_wan": ref.budget_wan,
               "external_wan": ref.external_wan, "leverage": ref.leverage}
    rows = [
        ("title", t("wb_file", L), None, _zh(L, "—", "—")),
        ("objective_label", t("col_objective", L), None, None),
        ("status_label", t("wb_status", L), None, None),
        ("performance", t("col_performance", L), XL_INDEX, None),
        ("performance_diff", f"{t('col_vs_ref', L)}（{_zh(L, '分', 'points')}）" if L == "zh"
         else f"{t('col_vs_ref', L)} (points)", XL_POINTS, 0.0),
        ("budget_allocated_wan", t("col_budget_wan", L), XL_WAN, None),
        ("budget_envelope_wan", t("wb_envelope_wan", L), XL_WAN, None),
        ("external_wan", t("col_external_wan", L), XL_WAN, None),
        ("leverage", t("wb_leverage", L), XL_RATIO, None),
        ("targets_met", t("wb_targets", L), XL_COUNT, None),
        ("targets_total", t("wb_targets_total", L), XL_COUNT, None),
        ("expected_losses_wan", t("col_losses_wan", L), XL_WAN, None),
        ("peak_risk_exposure_wan", t("col_exposure_wan", L), XL_WAN, None),
        ("message", t("wb_message", L), None, None),
    ]
    for key, name, fmt, ref_default in rows:
        ref_v = ref_col.get(key, ref_default)
        vals = [s.loc[n, key] for n in c.names]
        vals = [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in vals]
        if key == "message" and not any(vals):
            continue
        w.put([name, ref_v, *vals], [None, fmt, *[fmt] * len(vals)])
    w.finish(freeze="B2", max_width=48)


def _allocation(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    a = c.allocation
    years = sorted(a["year"].unique())
    ref_name = c.reference.name
    head = [t("category", L), t("mode", L), *[str(y) for y in years], t("wb_plan_total", L),
            f"{_zh(L, '参照', 'Reference')}：{ref_name}" if L == "zh" else f"Reference: {ref_name}",
            t("col_vs_ref", L)]
    money = [None, None] + [XL_WAN] * (len(years) + 3)
    w.put([f"{_zh(L, '单位：万元（引导基金按当年实缴出资计）', 'Money in 万元 (guidance funds: the year’s pay-ins)')}"])
    for name in c.names:
        r = c.results[name]
        s = r.scenario
        w.skip()
        w.put([f"{t('wb_scenario_col', L)}：{name}（{s.title(L)}）" if L == "zh" else f"Plan: {name} ({s.title(L)})"],
              font=_TITLE)
        if not r.ok:
            w.put([t("wb_no_plan", L), r.message])
            continue
        w.head(head)
        d = a[a["scenario"] == name]
        budget_total = np.zeros(len(years) + 3)
        off_rows = []
        for cid in s.categories:
            sub = np.zeros(len(years) + 3)
            cat_rows = d[d["category"] == cid]
            for mid in dict.fromkeys(cat_rows["mode"]):
                m = cat_rows[cat_rows["mode"] == mid].set_index("year")
                vals = [float(m.loc[y, "cash_wan"]) for y in years]
                ref_total = float(m["reference_cash_wan"].sum())
                line = np.array(vals + [sum(vals), ref_total, sum(vals) - ref_total])
                row = [label(s, "categories", cid, L), label(s, "modes", mid, L) + ("" if m["on_budget"].all() else " *"),
                       *line]
                if m["on_budget"].all():
                    w.put(row, money)
                    sub += line
                else:
                    off_rows.append(row)
            w.put([t("wb_subtotal", L, name=label(s, "categories", cid, L)), "", *sub], money, font=_BOLD,
                  fill=_SUB_FILL)
            budget_total += sub
        w.put([t("wb_budget_total", L), "", *budget_total], money, font=_BOLD, fill=_TOTAL_FILL, border=_TOP)
        for row in off_rows:
            w.put(row, money)
        if off_rows:
            w.put([f"* {t('wb_tax_note', L)}"])
    w.finish(max_width=40)
    ws.freeze_panes = "C1"


def _indicators(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    d = c.indicators
    ref_name = c.reference.name
    head = [t("indicator", L), t("unit", L), t("target", L),
            f"{_zh(L, '参照', 'Reference')}：{ref_name}" if L == "zh" else f"Reference: {ref_name}"]
    for n in c.names:
        head += [n, f"{n} {t('col_vs_ref', L)}", f"{n} {t('met', L)}"]
    w.head(head)
    first = d[d["scenario"] == c.names[0]]
    for _, row in first.iterrows():
        iid = row["indicator"]
        vals: list[Any] = [row["indicator_label"], row["unit"], row["target"], row["reference_total"]]
        fmts: list[str | None] = [None, None, XL_COUNT, XL_COUNT]
        for n in c.names:
            x = d[(d["scenario"] == n) & (d["indicator"] == iid)].iloc[0]
            met = x["target_met"]
            vals += [x["plan_total"], x["diff"],
                     "" if met is None or (isinstance(met, float) and np.isnan(met)) else
                     (t("wb_yes", L) if met else t("wb_no", L))]
            fmts += [XL_COUNT, "+#,##0;-#,##0;0", None]
        w.put(vals, fmts)
    w.finish(freeze="B2", max_width=36)


def _rules(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    w.head([t("wb_scenario_col", L), t("col_rule", L), t("on", L) if L == "en" else "启用", t("wb_rule_value", L),
            t("wb_binds", L), t("wb_step", L), t("wb_gain_points", L), t("wb_gain_wan", L)])
    for _, row in c.rules.iterrows():
        binds = row["binds"]
        text = (t("wb_unknown", L) if binds is None or (isinstance(binds, float) and np.isnan(binds))
                else t("wb_yes", L) if binds else t("wb_no", L))
        w.put([row["scenario"], row["rule_label"], row["state"], row["setting"], text, row["step"] or None,
               row["gain_points"], row["gain_wan"]], [None] * 6 + ["0.000", XL_WAN])
    w.finish(freeze="C2", max_width=70)


def _changes(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    w.head([t("wb_scenario_col", L), t("col_param", L), t("wb_unit", L), t("wb_change_from", L),
            t("wb_change_to", L)])
    if not len(c.changes):
        w.put([t("differs_none", L)])
    for _, row in c.changes.iterrows():
        fmt = KIND_FORMAT.get(row["kind"])
        unit = "" if row["kind"] == "share" else row["unit"]
        w.put([row["scenario"], row["parameter"], unit, row["baseline_value"], row["value"]],
              [None, None, None, fmt, fmt])
    w.finish(freeze="B2", max_width=60)


def _inputs(c: Comparison, ws) -> None:
    L = c.lang
    w = _Writer(ws)
    w.head([t("wb_input", L), _zh(L, "文件中的位置", "Where in the file"), *c.names])
    order: dict[str, str] = {}
    by_plan: dict[str, dict[str, str]] = {}
    for n in c.names:
        s = c.results[n].scenario
        refs = s.spec.references
        for item in input_sources(s):
            order.setdefault(item.path, describe(s, item.path, L).label)
            src = t("wb_illustrative", L) if item.illustrative else (
                refs[item.source].text if item.source in refs else item.source)
            by_plan.setdefault(n, {})[item.path] = src
    for path, lab in order.items():
        w.put([lab, path, *[by_plan.get(n, {}).get(path, "") for n in c.names]])
    w.finish(freeze="C2", max_width=60)


def _write(c: Comparison, target, made: _dt.datetime | None = None) -> None:
    made = made or _dt.datetime.now()
    wb = Workbook()
    names = sheet_names(c.lang)
    wb.active.title = names[0]
    _cover(c, wb.active, made)
    for key, fn in zip(SHEET_KEYS[1:], (_summary, _allocation, _indicators, _rules, _changes, _inputs)):
        fn(c, wb.create_sheet(t(key, c.lang)))
    wb.save(target)


def workbook_bytes(c: Comparison, made: _dt.datetime | None = None) -> bytes:
    """The meeting workbook as .xlsx bytes (for a download button)."""
    buf = io.BytesIO()
    _write(c, buf, made)
    return buf.getvalue()


def write_workbook(c: Comparison, path: str | Path, made: _dt.datetime | None = None) -> Path:
    """Write the meeting workbook to ``path`` atomically."""
    return atomic_write_bytes(path, workbook_bytes(c, made))


def allocation_frame(c: Comparison, name: str) -> pd.DataFrame:
    """One plan's budget cash by category × mode (rows) and year (columns), 万元 — the table the
    allocation sheet and the brief show (on-budget modes; tax incentives apart)."""
    a = c.allocation[(c.allocation["scenario"] == name) & c.allocation["on_budget"]]
    return a.pivot_table(index=["category_label", "mode_label"], columns="year", values="cash_wan",
                         aggfunc="sum", sort=False)
