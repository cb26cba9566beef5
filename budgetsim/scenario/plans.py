"""A user's own plan as a file: 万元 per fund category × support mode × year, in Excel or CSV.

The plan file is what a finance bureau fills in: one sheet named ``plan`` with a row per
channel (category × support mode: Chinese label, English-readable id), a column per plan
year, amounts in 万元, and a total row per year (an Excel ``SUM``; ignored on reading).
CSV comes wide (the same columns) or tidy long (``category, mode, year, amount_wan``).

Reading (:func:`read_plan`) accepts ids or Chinese/English labels, and lists **every**
problem at once with its cell (``plan!E7``) and what is allowed: unknown or ineligible
channels, negative, blank or non-numeric amounts, missing or extra years, missing or
repeated channels, a workbook without a ``plan`` sheet.  Files are read the way scenario
files are (:mod:`budgetsim.scenario.reading`: the size checked before reading, one decoder),
so a CSV saved by Excel in GBK is read as such; the encoding is reported.
The amounts are the decision itself: for a guidance fund, the year's commitment.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exceptions import MISSING, Problem, ScenarioError
from .loading import Scenario
from .reading import decode, read_bytes

SHEET = "plan"
SHEET_ALIASES = ("plan", "方案")
MAX_PLAN_BYTES = 5_000_000
ID_HEADERS = ("category_id", "mode_id")
LABEL_HEADERS = {"zh": ("类别", "支持方式"), "en": ("Category", "Mode")}
TOTAL_WORDS = ("合计", "总计", "total")
_CAT_HEADERS = {"category_id", "category", "类别", "专项类别", "类别 / category"}
_MODE_HEADERS = {"mode_id", "mode", "支持方式", "support mode", "支持方式 / mode"}
_YEAR_HEADERS = {"year", "年度", "年份"}
_AMOUNT_HEADERS = {"amount_wan", "amount", "金额", "金额（万元）", "金额(万元)", "amount (万元)"}


class PlanError(ScenarioError):
    """A plan file cannot be used; ``problems`` lists every reason, each at its cell."""

    noun = "plan"


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan for one scenario: ``amounts`` is channels × years in 万元, in the scenario's channel order."""

    amounts: np.ndarray
    source: str = "<plan>"
    encoding: str | None = None


# ----------------------------------------------------------------------------- writing


def plan_rows(s: Scenario, x: np.ndarray, lang: str = "zh") -> tuple[list[str], list[list]]:
    """Header and one row per channel: label, label, category id, mode id, amount per year (万元)."""
    head = [*LABEL_HEADERS[lang], *ID_HEADERS, *s.years]
    rows = []
    for j, (c, m) in enumerate(s.channels):
        rows.append([getattr(s.spec.categories[c], f"label_{lang}"), getattr(s.spec.modes[m], f"label_{lang}"),
                     c, m, *[round(float(v), 2) for v in x[j]]])
    return head, rows


def plan_notes(s: Scenario, lang: str) -> list[str]:
    """What a reader of the plan table needs to know: the unit, tax incentives, guidance-fund commitments."""
    zh = lang == "zh"
    out = [("金额单位：万元。可改动年份列中的数字；类别与支持方式可写编号或中英文名称；"
            "合计行按预算内资金自动求和，读取时忽略。"
            if zh else "Amounts in 万元 (10,000 yuan). Edit the year columns; categories and modes may be ids or "
            "Chinese/English labels; the total row sums on-budget money and is ignored on reading.")]
    if any(not s.mode(m).on_budget for _, m in s.channels):
        out.append("税收激励为减免的税收（税式支出），不计入科技预算合计。" if zh else
                   "Tax incentives are forgone revenue (tax expenditure), not counted in the budget total.")
    multi = _multi_year_channels(s, lang)
    if multi:
        names = "、".join(multi) if zh else ", ".join(multi)
        out.append(f"多年期项目（{names}）一栏为当年立项额（合同总额），按拨付进度分年支付；"
                   "规划前已立项项目的续拨另列（情景中的 prior_awards），不填在这里。" if zh else
                   f"Multi-year awards ({names}): the year's award (contract total), paid over the following "
                   "years by its schedule; money still due on awards made before the plan (prior_awards in the "
                   "scenario) is not entered here.")
    if any(s.mode(m).fund is not None for _, m in s.channels):
        out.append("引导基金一栏为当年认缴承诺额，按出资进度分年拨付。" if zh else
                   "Guidance funds: the year's commitment, paid in over the following years.")
    return out


def _multi_year_channels(s: Scenario, lang: str) -> list[str]:
    """Labels of the grant modes (and channels) the budget pays over several years."""
    out = []
    for c, m in s.channels:
        mode = s.mode(m)
        own = s.spec.channels.get(c, {}).get(m)
        sched = (own.payout if own is not None and own.payout is not None else mode.payout)
        if mode.fund is None and sched is not None and len(sched) > 1:
            label = getattr(mode, f"label_{lang}")
            if own is not None and own.payout is not None:
                label = f"{getattr(s.spec.categories[c], f'label_{lang}')} × {label}"
            if label not in out:
                out.append(label)
    return out


def plan_xlsx_bytes(s: Scenario, x: np.ndarray, lang: str = "zh") -> bytes:
    """The plan file as an Excel workbook (one sheet ``plan``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    head, rows = plan_rows(s, x, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    title = s.title(lang)
    ws.append([f"预算方案：{title}（单位：万元）" if lang == "zh" else f"Budget plan: {title} (万元)"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(head)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    first = 3
    for row in rows:
        ws.append(row)
    last = first + len(rows) - 1
    on_budget = [first + j for j, (_, m) in enumerate(s.channels) if s.mode(m).on_budget]
    total = ["合计（预算内）" if lang == "zh" else "Total (on budget)", "", "", ""]
    for k in range(len(s.years)):
        col = get_column_letter(5 + k)
        total.append("=SUM(" + ",".join(f"{col}{r}" for r in on_budget) + ")")
    ws.append(total)
    for cell in ws[last + 1]:
        cell.font = Font(bold=True)
    grey = PatternFill("solid", fgColor="EEEEEE")
    for r in range(first, last + 2):
        for k in range(len(s.years)):
            ws.cell(r, 5 + k).number_format = "#,##0"
        for col in (3, 4):
            ws.cell(r, col).fill = grey
    ws.append([])
    for note in plan_notes(s, lang):
        ws.append([note])
    for col, width in zip("ABCD", (22, 30, 20, 20)):
        ws.column_dimensions[col].width = width
    for k in range(len(s.years)):
        ws.column_dimensions[get_column_letter(5 + k)].width = 12
    ws.freeze_panes = "E3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def plan_csv_text(s: Scenario, x: np.ndarray, lang: str = "zh", layout: str = "wide") -> str:
    """The plan as CSV: ``wide`` (the Excel columns, no total row) or tidy ``long``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if layout == "long":
        w.writerow(["category", "mode", "year", "amount_wan"])
        for j, (c, m) in enumerate(s.channels):
            for t, y in enumerate(s.years):
                w.writerow([c, m, y, round(float(x[j, t]), 2)])
    elif layout == "wide":
        head, rows = plan_rows(s, x, lang)
        w.writerow(head)
        w.writerows(rows)
    else:
        raise PlanError([Problem("layout", layout, "allowed: wide, long")])
    return buf.getvalue()


def write_plan(s: Scenario, x: np.ndarray, path: str | Path, lang: str = "zh", layout: str = "wide") -> Path:
    """Write the plan file atomically: ``.xlsx`` or ``.csv`` (UTF-8 with BOM, so Excel opens it)."""
    from ..fileio import atomic_write_bytes

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return atomic_write_bytes(path, plan_xlsx_bytes(s, x, lang))
    if suffix == ".csv":
        return atomic_write_bytes(path, plan_csv_text(s, x, lang, layout).encode("utf-8-sig"))
    raise PlanError([Problem("out", str(path), "the plan file must end in .xlsx or .csv")])


# ----------------------------------------------------------------------------- reading


def _col(k: int) -> str:
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def _norm(v) -> str:
    return re.sub(r"\s+", " ", str(v)).strip().lower() if v is not None else ""


def _year_of(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and 1900 <= v <= 2200:
        return int(v)
    m = re.fullmatch(r"\s*(\d{4})\s*(年|年度)?\s*", str(v)) if v is not None else None
    return int(m.group(1)) if m and 1900 <= int(m.group(1)) <= 2200 else None


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _amount(v) -> tuple[float | None, str | None]:
    """(value, problem) of one amount cell."""
    if _blank(v):
        return None, "blank: every channel and year needs an amount in 万元 (write 0 for none)"
    if isinstance(v, bool):
        return None, "not a number: give an amount in 万元, e.g. 1200"
    if isinstance(v, (int, float)):
        f = float(v)
    else:
        text = str(v).strip().replace(",", "").replace("，", "").replace(" ", "").replace("万元", "")
        if text.startswith("="):
            return None, "a formula without a saved value: save the file in Excel, or type the number"
        try:
            f = float(text)
        except ValueError:
            return None, "not a number: give an amount in 万元, e.g. 1200"
    if not math.isfinite(f):
        return None, "not a finite number"
    if f < 0:
        return None, "negative: amounts are 万元 allocated, 0 or more"
    return f, None


class _Lookup:
    """Category and mode names (ids, Chinese and English labels) → ids."""

    def __init__(self, s: Scenario):
        self.s = s
        self.cat = {}
        self.mode = {}
        for cid, c in s.spec.categories.items():
            for name in (cid, c.label_zh, c.label_en):
                self.cat[_norm(name)] = cid
        for mid, m in s.spec.modes.items():
            for name in (mid, m.label_zh, m.label_en):
                self.mode[_norm(name)] = mid

    def known(self, kind: str) -> str:
        src = self.s.spec.categories if kind == "category" else self.s.spec.modes
        return "; ".join(f"{v.label_zh} ({k})" for k, v in src.items())


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """CSV bytes → text through the one safe decoder (UTF-8, GBK/GB18030, UTF-16)."""
    try:
        tf = decode(raw, name, MAX_PLAN_BYTES)
    except ScenarioError:
        raise PlanError([Problem("", MISSING, "the CSV is neither UTF-8 nor GBK text; save it as CSV UTF-8")],
                        name) from None
    return tf.text, {"utf-8-sig": "utf-8", "gb18030": "gbk"}.get(tf.encoding, tf.encoding)


def read_plan(s: Scenario, source: str | Path | bytes, name: str | None = None) -> Plan:
    """Read a plan file (``.xlsx`` or ``.csv``; bytes need ``name`` for the ending) for scenario ``s``.

    Raises :class:`PlanError` listing every problem, each at its cell (``plan!E7``)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise PlanError([Problem("", str(path), "plan file not found")], str(path))
        try:  # the size is checked before reading
            raw = read_bytes(path, MAX_PLAN_BYTES, name)
        except ScenarioError as err:
            raise PlanError(err.problems, name) from None
    else:
        raw = bytes(source)
        name = name or "plan.xlsx"
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError([Problem("", MISSING, f"file larger than {MAX_PLAN_BYTES // 1_000_000} MB")], name)
    suffix = Path(name).suffix.lower()
    encoding = None
    if suffix == ".xlsx":
        grid, sheet = _xlsx_grid(raw, name)
        prefix = f"{sheet}!"
    elif suffix == ".csv":
        text, encoding = _decode(raw, name)
        grid = [list(r) for r in csv.reader(io.StringIO(text))]
        prefix = ""
    else:
        raise PlanError([Problem("", name, "a plan file ends in .xlsx or .csv")], name)
    amounts, problems = _parse_grid(s, grid, prefix)
    if problems:
        raise PlanError(problems, name)
    return Plan(amounts, name, encoding)


def _xlsx_grid(raw: bytes, name: str) -> tuple[list[list], str]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise PlanError([Problem("", MISSING, f"not an Excel .xlsx workbook ({type(exc).__name__})")],
                        name) from None
    sheet = next((n for n in wb.sheetnames if n.strip().lower() in SHEET_ALIASES), None)
    if sheet is None:
        raise PlanError([Problem("", wb.sheetnames, f"no sheet named '{SHEET}': the plan goes on a sheet "
                                 f"called '{SHEET}' (the template's only sheet)")], name)
    grid = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return grid, sheet


def _header_row(grid: list[list]) -> int | None:
    for i, row in enumerate(grid[:15]):
        names = {_norm(v) for v in row}
        if names & (_CAT_HEADERS | _MODE_HEADERS):
            return i
    return None


def _parse_grid(s: Scenario, grid: list[list], prefix: str) -> tuple[np.ndarray, list[Problem]]:
    problems: list[Problem] = []
    add = lambda r, c, v, reason: problems.append(  # noqa: E731
        Problem(f"{prefix}{_col(c)}{r + 1}" if c is not None else f"{prefix}row {r + 1}", v, reason))
    J, T = len(s.channels), len(s.years)
    x = np.full((J, T), np.nan)
    h = _header_row(grid)
    if h is None:
        problems.append(Problem(f"{prefix}A1", MISSING,
                                "no header row: the plan needs columns category_id (or 类别/Category), "
                                "mode_id (or 支持方式/Mode) and one column per plan year"))
        return x, problems
    head = [_norm(v) for v in grid[h]]
    look = _Lookup(s)
    if set(head) & _YEAR_HEADERS and set(head) & _AMOUNT_HEADERS:
        rows_of = _parse_long(s, grid, h, head, look, x, add)
    else:
        rows_of = _parse_wide(s, grid, h, head, look, x, add)
    if rows_of is not None:
        for j, (c, m) in enumerate(s.channels):
            if j not in rows_of:
                problems.append(Problem(f"{prefix}A:D", f"{c}.{m}", f"no row for {s.spec.categories[c].label_zh} × "
                                        f"{s.spec.modes[m].label_zh}: every eligible channel needs a row "
                                        "(write 0 for none)"))
    return x, problems


def _resolve(table: dict, cells: list[tuple[int, object]]) -> tuple[str | None, list[tuple[int, object]]]:
    """The id named by the first cell that resolves, and the non-blank cells that do not."""
    found, bad = None, []
    for k, v in cells:
        if _blank(v):
            continue
        hit = table.get(_norm(v))
        if hit is None:
            bad.append((k, v))
        elif found is None:
            found = hit
    return found, bad


def _channel(s: Scenario, look: _Lookup, cats: list[tuple[int, object]], modes: list[tuple[int, object]],
             r: int, add) -> int | None:
    """The channel a row names (ids or labels in any of its name columns); problems at the bad cells."""
    cid, bad_c = _resolve(look.cat, cats)
    mid, bad_m = _resolve(look.mode, modes)
    for k, v in bad_c:
        add(r, k, v, f"unknown category; allowed: {look.known('category')}")
    for k, v in bad_m:
        add(r, k, v, f"unknown support mode; allowed: {look.known('mode')}")
    if cid is None and not bad_c:
        add(r, cats[0][0], MISSING, "no category: give its id or label")
    if mid is None and not bad_m:
        add(r, modes[0][0], MISSING, "no support mode: give its id or label")
    if cid is None or mid is None:
        return None
    if (cid, mid) not in s.channels:
        eligible = ", ".join(f"{s.spec.modes[m].label_zh} ({m})" for m in s.spec.eligibility[cid])
        add(r, modes[0][0], f"{cid}.{mid}", f"support mode {s.spec.modes[mid].label_zh} is not eligible for "
            f"{s.spec.categories[cid].label_zh}; eligible: {eligible}")
        return None
    return s.channels.index((cid, mid))


def _is_total(row: list) -> bool:
    return any(isinstance(v, str) and _norm(v).startswith(TOTAL_WORDS) for v in row[:2])


def _pick(head: list[str], ids: set[str], prefer: str) -> list[int]:
    """Columns holding a name: the id column first, then label columns."""
    cols = [k for k, v in enumerate(head) if v == prefer]
    return cols + [k for k, v in enumerate(head) if v in ids and v != prefer]


def _parse_wide(s, grid, h, head, look, x, add) -> None:
    cat_cols, mode_cols = _pick(head, _CAT_HEADERS, "category_id"), _pick(head, _MODE_HEADERS, "mode_id")
    if not cat_cols or not mode_cols:
        add(h, None, MISSING, "the header row needs a category column (category_id, 类别 or Category) "
            "and a mode column (mode_id, 支持方式 or Mode)")
        return None
    year_cols: dict[int, int] = {}
    for k, v in enumerate(grid[h]):
        y = _year_of(v)
        if y is None:
            continue
        if y not in s.years:
            add(h, k, y, f"year outside the plan {s.years[0]}–{s.years[-1]}: remove this column")
        elif y in year_cols:
            add(h, k, y, f"year {y} appears twice (also column {_col(year_cols[y])})")
        else:
            year_cols[y] = k
    missing = [y for y in s.years if y not in year_cols]
    if missing:
        add(h, None, MISSING, f"missing year column(s) {missing}: the plan needs one column per year "
            f"{s.years[0]}–{s.years[-1]}")
    seen: dict[int, int] = {}
    for r in range(h + 1, len(grid)):
        row = list(grid[r]) + [None] * (len(head) - len(grid[r]))
        if all(_blank(v) for v in row) or _is_total(row):
            continue
        cells = [row[k] for k in year_cols.values()]
        named = [row[k] for k in cat_cols + mode_cols if not _blank(row[k])]
        if all(_blank(v) for v in cells) and len(named) <= 1 and not any(_norm(v) in look.cat for v in named):
            continue  # a note line under the table
        j = _channel(s, look, [(k, row[k]) for k in cat_cols], [(k, row[k]) for k in mode_cols], r, add)
        if j is None:
            continue
        if j in seen:
            c, m = s.channels[j]
            add(r, cat_cols[0], f"{c}.{m}",
                f"this channel already has a row (row {seen[j] + 1}); give each channel once")
            continue
        seen[j] = r
        for y, k in year_cols.items():
            v, why = _amount(row[k])
            if why:
                add(r, k, row[k] if not _blank(row[k]) else MISSING, why)
            else:
                x[j, s.years.index(y)] = v
    return set(seen)


def _parse_long(s, grid, h, head, look, x, add) -> None:
    def first(names):
        return next((k for k, v in enumerate(head) if v in names), None)

    ccol, mcol = first(_CAT_HEADERS), first(_MODE_HEADERS)
    ycol, acol = first(_YEAR_HEADERS), first(_AMOUNT_HEADERS)
    if ccol is None or mcol is None:
        add(h, None, MISSING, "the header row needs category and mode columns")
        return None
    seen: dict[tuple[int, int], int] = {}
    for r in range(h + 1, len(grid)):
        row = list(grid[r]) + [None] * (len(head) - len(grid[r]))
        if all(_blank(v) for v in row):
            continue
        j = _channel(s, look, [(ccol, row[ccol])], [(mcol, row[mcol])], r, add)
        y = _year_of(row[ycol])
        if y is None or y not in s.years:
            add(r, ycol, row[ycol] if not _blank(row[ycol]) else MISSING,
                f"not a plan year: allowed {s.years[0]}–{s.years[-1]}")
            continue
        if j is None:
            continue
        t = s.years.index(y)
        if (j, t) in seen:
            add(r, ccol, f"{s.channels[j][0]}.{s.channels[j][1]} {y}",
                f"this channel-year already has a row (row {seen[(j, t)] + 1})")
            continue
        seen[(j, t)] = r
        v, why = _amount(row[acol])
        if why:
            add(r, acol, row[acol] if not _blank(row[acol]) else MISSING, why)
        else:
            x[j, t] = v
    for j, (c, m) in enumerate(s.channels):
        gaps = [y for t, y in enumerate(s.years) if (j, t) not in seen]
        if gaps and len(gaps) < len(s.years):
            add(len(grid) - 1, None, f"{c}.{m}", f"missing year(s) {gaps} for {s.spec.categories[c].label_zh} × "
                f"{s.spec.modes[m].label_zh}")
    return {j for j, _ in seen}


# ----------------------------------------------------------------------------- fixing a plan's years


def with_fixed_years(s: Scenario, x: np.ndarray, years: list[int], spent: bool = True) -> Scenario:
    """The scenario with plan ``x``'s figures fixed exactly for ``years`` (the rolling re-plan).

    Every channel of those years becomes a fixed figure; the scenario's own fixed figures for
    other years stay (one given for every year is split, so the file wins in the fixed years).
    ``spent``: the years are already spent, so rules about them alone no longer constrain."""
    bad = [y for y in years if y not in s.years]
    if bad:
        raise PlanError([Problem("fix-years", bad, f"not plan years; allowed {s.years[0]}–{s.years[-1]}")])
    own = s.rule("fixed_figures")
    figures: list[dict] = []
    for f in (own.figures if own is not None else []):
        d = f.model_dump(exclude_none=True)
        if f.year is None:
            figures += [{**d, "year": y} for y in s.years if y not in years]
        elif f.year not in years:
            figures.append(d)
    for j, (c, m) in enumerate(s.channels):
        for y in years:
            figures.append({"category": c, "mode": m, "year": y,
                            "amount_wan": float(x[j, s.years.index(y)]), "note": "plan file"})
    raw = dict(s.raw.get("rules", {}).get("fixed_figures") or {})
    spent_years = sorted(set(raw.get("spent_years", [])) | (set(years) if spent else set()))
    raw.update({"enabled": True, "figures": figures, "spent_years": spent_years})
    return s.with_changes({"rules.fixed_figures": raw})
