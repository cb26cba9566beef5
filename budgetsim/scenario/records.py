"""A bureau's own records: what was spent and what came of it, read from Excel or CSV.

A records file holds, for past years (决算 years, before the plan):

* **spending** (支出): year × category × support mode → 万元 actually spent (决算); for an
  off-budget mode (tax incentives) the forgone revenue;
* **outcomes** (产出): year × category × indicator → the output recorded for that category
  (from 结题 / 绩效自评 reports, or city statistics attributed to the category);
* optionally **projects** (项目): one row per project — id, year, category, mode, amount and
  one column per indicator.  Project outputs are summed into outcomes where the outcomes table
  has no figure for that year × category × indicator.

Two layouts, one reader:

* an Excel workbook with sheets ``支出`` / ``产出`` / ``项目`` (English names ``spending`` /
  ``outcomes`` / ``projects`` work too), header in row 1 (``budgetsim records-template``
  writes one with the scenario's own ids and labels);
* one tidy CSV (UTF-8; GBK/GB18030 and UTF-16 are read with a notice, through
  :mod:`.reading`): one observation per row, columns ``表 table`` (支出/产出/项目), ``年度 year``,
  ``专项类别 category``, ``支持方式 mode``, ``指标 indicator``, ``项目 project``, ``数值 value``
  and ``备注 note`` (a project's amount is its row with an empty indicator).

Ids may be written as the id, the Chinese or the English label.  :func:`read_records` checks
the whole file against a scenario and raises :class:`RecordsError` listing every problem at
once, each with its cell (``支出!D7``, ``records.csv line 12, 数值``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import MISSING, Problem, ScenarioError
from ..fileio import atomic_write, atomic_write_text
from .loading import Scenario
from .reading import decode, read_bytes

MAX_RECORDS_BYTES = 20_000_000

# field → (Chinese header, English header); the template writes "中文 english"
HEADERS: dict[str, tuple[str, str]] = {
    "table": ("表", "table"),
    "year": ("年度", "year"),
    "category": ("专项类别", "category"),
    "mode": ("支持方式", "mode"),
    "indicator": ("指标", "indicator"),
    "project": ("项目编号", "project"),
    "amount": ("金额（万元）", "amount_wan"),
    "value": ("数值", "value"),
    "note": ("备注", "note"),
}
TABLES: dict[str, tuple[str, str]] = {"spending": ("支出", "spending"), "outcomes": ("产出", "outcomes"),
                                      "projects": ("项目", "projects")}
SHEET_FIELDS = {"spending": ("year", "category", "mode", "amount", "note"),
                "outcomes": ("year", "category", "indicator", "value", "note"),
                "projects": ("project", "year", "category", "mode", "amount", "note")}
REQUIRED = {"spending": ("year", "category", "mode", "amount"),
            "outcomes": ("year", "category", "indicator", "value"),
            "projects": ("project", "year", "category", "mode", "amount")}
CSV_FIELDS = ("table", "year", "category", "mode", "indicator", "project", "value", "note")
ILLUSTRATIVE_NOTE = re.compile(r"示例|illustrative", re.IGNORECASE)


class RecordsError(ScenarioError):
    """A records file cannot be used; ``problems`` lists every one, each with its cell."""

    noun = "records file"


def header_text(fieldname: str) -> str:
    zh, en = HEADERS[fieldname]
    return f"{zh} {en}"


def sheet_name(table: str) -> str:
    zh, en = TABLES[table]
    return f"{zh} {en}"


@dataclass(frozen=True)
class Records:
    """A bureau's records, checked against a scenario: tidy tables with ids, 万元 and outputs."""

    spending: pd.DataFrame  # year, category, mode, amount_wan
    outcomes: pd.DataFrame  # year, category, indicator, value, origin ('outcomes' | 'projects')
    projects: pd.DataFrame  # project, year, category, mode, amount_wan, indicator, value (long; may be empty)
    source: str = "<records>"
    sha256: str = ""
    warnings: tuple[str, ...] = field(default=())
    illustrative: bool = False  # some row's note says its figures are illustrative (示例 / illustrative)

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.spending["year"].unique())

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def name(self) -> str:
        return Path(self.source).name


# ----------------------------------------------------------------------------- raw cells


@dataclass
class _Cell:
    value: Any
    where: str


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _match_header(text: Any, fields: tuple[str, ...]) -> str | None:
    """The field a header cell names ('年度', 'year', '年度 year', '金额（万元） amount_wan' …)."""
    h = _norm(text)
    if not h:
        return None
    tokens = set(h.replace("(", " ").replace(")", " ").split()) | {h}
    for f in fields:
        zh, en = HEADERS[f]
        names = {zh.lower(), en.lower(), f, zh.split("（")[0].lower()}
        if tokens & names or h.split(" ")[0] in names:
            return f
    return None


def _rows_from_grid(grid: list[list[Any]], table: str, ref, scenario: Scenario,
                    problems: list[Problem]) -> list[dict[str, _Cell]]:
    """Rows of one table from a grid of cell values (header in the first row); ``ref(r, c)`` names a cell."""
    fields = SHEET_FIELDS[table]
    if not grid:
        return []
    header = grid[0]
    cols: dict[str, int] = {}
    ind_cols: dict[str, int] = {}
    for c, text in enumerate(header):
        f = _match_header(text, fields)
        if f is not None and f not in cols:
            cols[f] = c
        elif table == "projects" and text not in (None, ""):
            iid = _indicator_from_header(text, scenario)
            if iid is not None:
                ind_cols[iid] = c
    missing = [f for f in REQUIRED[table] if f not in cols]
    for f in missing:
        problems.append(Problem(ref(0, None), MISSING, f"the {TABLES[table][0]} table needs a column "
                                f"'{header_text(f)}'; its header row has {[h for h in header if h not in (None, '')]}"))
    if missing:
        return []
    out = []
    for r, row in enumerate(grid[1:], start=1):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        rec = {f: _Cell(row[c] if c < len(row) else None, ref(r, c)) for f, c in cols.items()}
        if ind_cols:
            rec["outputs"] = _Cell({iid: _Cell(row[c] if c < len(row) else None, ref(r, c))
                                    for iid, c in ind_cols.items()}, ref(r, None))
        rec["_row"] = _Cell(r, ref(r, None))
        out.append(rec)
    return out


def _indicator_from_header(text: Any, scenario: Scenario) -> str | None:
    h = _norm(text)
    for iid, ind in scenario.spec.indicators.items():
        names = {iid.lower(), ind.label_zh.lower(), ind.label_en.lower()}
        head = re.split(r"[（(]", h)[0].strip()
        if h in names or head in names or iid.lower() in h.split():
            return iid
    return None


def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def _read_xlsx(data: bytes, name: str, scenario: Scenario, problems: list[Problem]) -> dict[str, list]:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl ships with the app extra
        raise RecordsError([Problem("", name, "reading Excel needs openpyxl: pip install 'budgetsim[app]'")], name)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
        raise RecordsError([Problem("", name, f"not a readable Excel workbook (.xlsx): {exc}")], name) from None
    tables: dict[str, list] = {}
    for ws in wb.worksheets:
        table = _table_from_name(ws.title)
        if table is None or table in tables:
            continue
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        title = ws.title

        def ref(r, c, title=title):
            return f"{title}!{_col_letter(c)}{r + 1}" if c is not None else f"{title}!{r + 1}:{r + 1}"
        tables[table] = _rows_from_grid(grid, table, ref, scenario, problems)
    wb.close()
    for table in ("spending", "outcomes"):
        if table not in tables:
            problems.append(Problem("", [ws.title for ws in wb.worksheets],
                                    f"no sheet named '{TABLES[table][0]}' (or '{TABLES[table][1]}')"))
    return tables


def _table_from_name(text: Any) -> str | None:
    h = _norm(text)
    for table, (zh, en) in TABLES.items():
        if zh in h or en in h:
            return table
    return None


def _read_csv(data: bytes, name: str, scenario: Scenario, problems: list[Problem],
              notices: list[str]) -> dict[str, list]:
    decoded = decode(data, name, max_bytes=MAX_RECORDS_BYTES)
    if decoded.notice:
        notices.append(decoded.notice)
    text = decoded.text
    try:
        grid = [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise RecordsError([Problem("", name, f"not valid CSV: {exc}")], name) from None
    if not grid:
        raise RecordsError([Problem("", name, "the file is empty")], name)
    header = grid[0]
    cols = {}
    for c, h in enumerate(header):
        f = _match_header(h, CSV_FIELDS)
        if f is not None and f not in cols:
            cols[f] = c
    need = ("table", "year", "category", "value")
    if any(f not in cols for f in need):
        raise RecordsError([Problem(f"{name} line 1", header, "a records CSV needs the columns "
                                    f"{[header_text(f) for f in CSV_FIELDS]}")], name)

    short = Path(name).name

    def ref(r, c):
        return f"{short} line {r + 1}" + (f", {header[c]}" if c is not None else "")

    tables: dict[str, list] = {"spending": [], "outcomes": [], "projects": []}
    projects: dict[str, dict] = {}
    for r, row in enumerate(grid[1:], start=1):
        if all(str(v).strip() == "" for v in row):
            continue
        get = lambda f: _Cell(row[cols[f]] if f in cols and cols[f] < len(row) else None,  # noqa: E731
                              ref(r, cols.get(f)))
        table = _table_from_name(get("table").value)
        if table is None:
            problems.append(Problem(get("table").where, get("table").value,
                                    f"unknown table; allowed: {[v[0] for v in TABLES.values()]} "
                                    f"(or {[v[1] for v in TABLES.values()]})"))
            continue
        base = {"year": get("year"), "category": get("category"), "note": get("note"), "_row": _Cell(r, ref(r, None))}
        if table == "spending":
            tables[table].append(base | {"mode": get("mode"), "amount": get("value")})
        elif table == "outcomes":
            tables[table].append(base | {"indicator": get("indicator"), "value": get("value")})
        else:
            pid = str(get("project").value or "").strip()
            ind = get("indicator")
            if pid not in projects:
                projects[pid] = base | {"project": get("project"), "mode": get("mode"), "amount": None,
                                        "outputs": _Cell({}, ref(r, None))}
                tables[table].append(projects[pid])
            rec = projects[pid]
            if ind.value is None or str(ind.value).strip() == "":
                if rec["amount"] is not None:
                    problems.append(Problem(get("value").where, get("value").value,
                                            f"project '{pid}' already has its amount at {rec['amount'].where}"))
                rec["amount"] = get("value")
            else:
                iid = _resolve(ind, scenario.spec.indicators, "indicator", problems)
                if iid is not None:
                    if iid in rec["outputs"].value:
                        problems.append(Problem(ind.where, ind.value, f"project '{pid}' already has "
                                                f"this indicator at {rec['outputs'].value[iid].where}"))
                    rec["outputs"].value[iid] = get("value")
    for rec in tables["projects"]:
        if rec["amount"] is None:
            problems.append(Problem(rec["project"].where, rec["project"].value,
                                    "a project needs one row with an empty indicator holding its amount (万元)"))
            rec["amount"] = _Cell(0.0, rec["project"].where)
    return tables


# ----------------------------------------------------------------------------- cell values


def _number(cell: _Cell, problems: list[Problem], what: str, *, allow_blank: bool = False) -> float | None:
    v = cell.value
    if v is None or (isinstance(v, str) and v.strip() == ""):
        if allow_blank:
            return None
        problems.append(Problem(cell.where, MISSING, f"{what}: a number is missing"))
        return None
    if isinstance(v, bool):
        problems.append(Problem(cell.where, v, f"{what}: text or a yes/no in a number cell"))
        return None
    if isinstance(v, (int, float)):
        x = float(v)
    else:
        text = str(v).strip().replace(",", "").replace("，", "").replace(" ", "")
        try:
            x = float(text)
        except ValueError:
            problems.append(Problem(cell.where, v, f"{what}: text in a number cell; write a plain number "
                                    "(万元 for money, a count for outputs)"))
            return None
    if x != x or x in (float("inf"), float("-inf")):
        problems.append(Problem(cell.where, v, f"{what}: not a finite number"))
        return None
    if x < 0:
        problems.append(Problem(cell.where, v, f"{what}: must not be negative"))
        return None
    return x


def _year(cell: _Cell, problems: list[Problem]) -> int | None:
    v = cell.value
    text = str(v).strip().rstrip("年") if v is not None else ""
    try:
        y = float(text)
    except ValueError:
        problems.append(Problem(cell.where, v if v is not None else MISSING,
                                "year: a four-digit year is needed, e.g. 2023"))
        return None
    if y != int(y) or not 1990 <= y <= 2100:
        problems.append(Problem(cell.where, v, "year: a four-digit year is needed, e.g. 2023"))
        return None
    return int(y)


def _resolve(cell: _Cell, items: dict, kind: str, problems: list[Problem]) -> str | None:
    """An id from an id, a Chinese or an English label (or 'label (id)')."""
    v = cell.value
    text = str(v).strip() if v is not None else ""
    if not text:
        problems.append(Problem(cell.where, MISSING, f"{kind}: missing"))
        return None
    low = text.lower()
    for iid, item in items.items():
        if low in (iid.lower(), item.label_zh.lower(), item.label_en.lower()):
            return iid
    m = re.search(r"[（(]\s*([A-Za-z_][A-Za-z0-9_]*)\s*[)）]\s*$", text)
    if m and m.group(1) in items:
        return m.group(1)
    known = ", ".join(f"{iid} ({item.label_zh})" for iid, item in items.items())
    problems.append(Problem(cell.where, v, f"unknown {kind}; known: {known}"))
    return None


# ----------------------------------------------------------------------------- the whole file


def read_records(path_or_bytes: str | Path | bytes, scenario: Scenario, *, name: str | None = None) -> Records:
    """Read and check a records file (.xlsx or .csv, or its bytes with ``name``) against ``scenario``.

    Raises :class:`RecordsError` listing every problem with its cell."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
        name = name or "records"
    else:
        name = name or str(path_or_bytes)
        data = read_bytes(path_or_bytes, MAX_RECORDS_BYTES, source=name, what="records file")
    if len(data) > MAX_RECORDS_BYTES:
        raise RecordsError([Problem("", len(data), f"file larger than {MAX_RECORDS_BYTES // 1_000_000} MB")], name)
    problems: list[Problem] = []
    notices: list[str] = []
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        tables = _read_xlsx(data, name, scenario, problems)
    elif suffix in (".csv", ".txt", ""):
        tables = _read_csv(data, name, scenario, problems, notices)
    else:
        raise RecordsError([Problem("", name, "a records file is an Excel workbook (.xlsx) or a CSV file (.csv)")],
                           name)
    return _check(tables, scenario, name, hashlib.sha256(data).hexdigest(), problems, notices)


def _check(tables: dict[str, list], s: Scenario, name: str, sha: str, problems: list[Problem],
           notices: list[str]) -> Records:
    spec = s.spec
    eligible = set(s.channels)
    spend_rows, out_rows, proj_rows, warnings = [], [], [], list(notices)
    seen: dict[tuple, str] = {}
    years_named: set[int] = set()  # years of spending rows, valid or not (for the missing-years check)
    whole = Path(name).name

    for rec in tables.get("spending", []):
        y = _year(rec["year"], problems)
        if y is not None:
            years_named.add(y)
        c = _resolve(rec["category"], spec.categories, "category", problems)
        m = _resolve(rec["mode"], spec.modes, "support mode", problems)
        a = _number(rec["amount"], problems, "amount (万元)")
        if c is not None and m is not None and (c, m) not in eligible:
            problems.append(Problem(rec["mode"].where, rec["mode"].value,
                                    f"mode '{m}' is not eligible for category '{c}' in the scenario; eligible: "
                                    f"{spec.eligibility[c]}"))
            continue
        if None in (y, c, m, a):
            continue
        key = ("spending", y, c, m)
        if key in seen:
            problems.append(Problem(rec["_row"].where, f"{y} {c} {m}", f"duplicate row: the same year, category "
                                    f"and mode as {seen[key]}"))
            continue
        seen[key] = rec["_row"].where
        spend_rows.append((y, c, m, a))

    for rec in tables.get("outcomes", []):
        y = _year(rec["year"], problems)
        c = _resolve(rec["category"], spec.categories, "category", problems)
        i = _resolve(rec["indicator"], spec.indicators, "indicator", problems)
        v = _number(rec["value"], problems, "value")
        if c is not None and i is not None and i not in spec.categories[c].response:
            problems.append(Problem(rec["indicator"].where, rec["indicator"].value,
                                    f"category '{c}' has no response curve for '{i}' in the scenario; its curves: "
                                    f"{sorted(spec.categories[c].response)}"))
            continue
        if None in (y, c, i, v):
            continue
        key = ("outcomes", y, c, i)
        if key in seen:
            problems.append(Problem(rec["_row"].where, f"{y} {c} {i}", f"duplicate row: the same year, category "
                                    f"and indicator as {seen[key]}"))
            continue
        seen[key] = rec["_row"].where
        out_rows.append((y, c, i, v, "outcomes"))

    for rec in tables.get("projects", []):
        pid = str(rec["project"].value).strip() if rec["project"].value is not None else ""
        if not pid:
            problems.append(Problem(rec["project"].where, MISSING, "project id: missing"))
            continue
        y = _year(rec["year"], problems)
        c = _resolve(rec["category"], spec.categories, "category", problems)
        m = _resolve(rec["mode"], spec.modes, "support mode", problems)
        a = _number(rec["amount"], problems, "amount (万元)")
        key = ("project", pid)
        if key in seen:
            problems.append(Problem(rec["project"].where, pid, f"duplicate project id (also at {seen[key]})"))
            continue
        seen[key] = rec["project"].where
        if c is not None and m is not None and (c, m) not in eligible:
            problems.append(Problem(rec["mode"].where, rec["mode"].value,
                                    f"mode '{m}' is not eligible for category '{c}' in the scenario; eligible: "
                                    f"{spec.eligibility[c]}"))
            continue
        outputs = rec.get("outputs").value if rec.get("outputs") is not None else {}
        for iid, cell in outputs.items():
            v = _number(cell, problems, f"output '{iid}'", allow_blank=True)
            if v is None or c is None:
                continue
            if iid not in spec.categories[c].response:
                if v > 0:
                    problems.append(Problem(cell.where, cell.value, f"category '{c}' has no response curve for "
                                            f"'{iid}'; its curves: {sorted(spec.categories[c].response)}"))
                continue
            if None not in (y, m, a):
                proj_rows.append((pid, y, c, m, a, iid, v))
        if None not in (y, c, m, a) and not outputs:
            proj_rows.append((pid, y, c, m, a, None, None))

    spending = pd.DataFrame(spend_rows, columns=["year", "category", "mode", "amount_wan"])
    outcomes = pd.DataFrame(out_rows, columns=["year", "category", "indicator", "value", "origin"])
    projects = pd.DataFrame(proj_rows, columns=["project", "year", "category", "mode", "amount_wan",
                                                "indicator", "value"])

    # whole-file checks
    if spending.empty and not any(p.reason.startswith(("the ", "no sheet")) for p in problems):
        problems.append(Problem(whole, MISSING, "no spending rows: the 支出 table needs year × category × mode "
                                "amounts (万元)"))
    years = sorted(int(y) for y in spending["year"].unique()) if len(spending) else []
    if years_named:
        named = sorted(years_named)
        gaps = [y for y in range(named[0], named[-1] + 1) if y not in years_named]
        if gaps:
            problems.append(Problem(whole, gaps, f"missing years in the spending table: every year from {named[0]} "
                                    f"to {named[-1]} needs its rows (write 0 where nothing was spent)"))
    if years:
        plan0 = s.years[0]
        late = [y for y in years if y >= plan0]
        if late:
            problems.append(Problem(whole, late, f"records are for past years: the plan starts in {plan0}, so "
                                    f"spending years must be before it"))
        for (c, m), g in spending.groupby(["category", "mode"]):
            absent = [y for y in years if y not in {int(v) for v in g["year"]}]
            if absent:
                problems.append(Problem(whole, absent, f"spending for {c} × {m} has no row for these years "
                                        f"(write 0 where nothing was spent)"))
    # projects: aggregate outputs into outcomes where the outcomes table has no figure
    if len(projects):
        have = {(y, c, i) for y, c, i, *_ in out_rows}
        outs = projects.dropna(subset=["indicator"])
        for (y, c, i), v in outs.groupby(["year", "category", "indicator"])["value"].sum().items():
            if (y, c, i) not in have:
                out_rows.append((y, c, i, float(v), "projects"))
        amounts = projects.drop_duplicates("project").groupby(["year", "category", "mode"])["amount_wan"].sum()
        spent = spending.set_index(["year", "category", "mode"])["amount_wan"] if len(spending) else pd.Series()
        for key, amount in amounts.items():
            if key not in spent.index:
                problems.append(Problem(whole, f"{key[0]} {key[1]} {key[2]}",
                                        "projects name a year × category × mode with no spending row"))
            elif amount > spent[key] * 1.01 + 1e-9:
                warnings.append(f"{key[0]} {key[1]} × {key[2]}: projects total {amount:,.0f} 万元, more than the "
                                f"{spent[key]:,.0f} 万元 spent (awards paid over several years?)")
        outcomes = pd.DataFrame(out_rows, columns=["year", "category", "indicator", "value", "origin"])
    if outcomes.empty and spending.size and not problems:
        problems.append(Problem(whole, MISSING, "no outcome rows: the 产出 table (or project outputs) needs "
                                "year × category × indicator figures"))
    if years and len(outcomes):
        orphan = sorted(int(y) for y in set(outcomes["year"]) - set(years))
        if orphan:
            problems.append(Problem(whole, orphan, "outcomes for years without spending rows; add the spending "
                                    "of those years or remove the outcomes"))
    if problems:
        raise RecordsError(problems, name)
    outcomes = outcomes.sort_values(["category", "indicator", "year"]).reset_index(drop=True)
    spending = spending.sort_values(["year", "category", "mode"]).reset_index(drop=True)
    notes = [str(rec["note"].value) for t in tables.values() for rec in t
             if rec.get("note") is not None and rec["note"].value is not None]
    illustrative = any(ILLUSTRATIVE_NOTE.search(n) for n in notes)
    if illustrative:
        warnings.append("some rows are marked illustrative (示例/illustrative in 备注 note): the calibrated "
                        "figures stay marked illustrative")
    return Records(spending, outcomes, projects, name, sha, tuple(warnings), illustrative)


# ----------------------------------------------------------------------------- the template


def template_rows(s: Scenario, example: Records | None = None) -> dict[str, list[list[Any]]]:
    """The template's tables as rows (header first), labels in Chinese, prefilled from ``example``."""
    spec = s.spec
    cz = {c: v.label_zh for c, v in spec.categories.items()}
    mz = {m: v.label_zh for m, v in spec.modes.items()}
    iz = {i: v.label_zh for i, v in spec.indicators.items()}
    note = "示例值（情景现状），请替换为决算/绩效自评数 example: the scenario's status quo, replace"
    spending = [[header_text(f) for f in SHEET_FIELDS["spending"]]]
    outcomes = [[header_text(f) for f in SHEET_FIELDS["outcomes"]]]
    if example is not None:
        for r in example.spending.itertuples():
            spending.append([int(r.year), cz[r.category], mz[r.mode], round(float(r.amount_wan), 1), note])
        for r in example.outcomes.itertuples():
            outcomes.append([int(r.year), cz[r.category], iz[r.indicator], round(float(r.value), 2), note])
    projects = [[header_text(f) for f in SHEET_FIELDS["projects"]]
                + [f"{ind.label_zh}（{ind.unit_zh}） {iid}" for iid, ind in spec.indicators.items()]]
    return {"spending": spending, "outcomes": outcomes, "projects": projects}


def _readme_rows(s: Scenario) -> list[list[str]]:
    rows = [
        ["预算绩效记录模板 / records template", f"情景 scenario: {s.id} — {s.title('zh')}"],
        ["用途", "填写往年决算支出与产出，用于 budgetsim calibrate 按本地数据校准响应曲线。"],
        ["Purpose", "Past spending and outputs, for `budgetsim calibrate` to fit the response curves to local data."],
        ["支出 spending", "每年 × 专项类别 × 支持方式一行，金额单位万元（决算数）；当年未支出写 0；税收激励填减免税额。"],
        ["产出 outcomes", "每年 × 专项类别 × 指标一行（结题、绩效自评报告，或归属到该类别的统计数）。"],
        ["项目 projects", "可选：每个项目一行（编号、年度、类别、方式、金额、各指标产出）；产出表缺的格子按项目合计补上。"],
        ["年度", f"规划期 {s.years[0]}–{s.years[-1]} 之前的年份，连续不缺年；建议 5–10 年。"],
        ["类别/方式/指标", "可填代码（id）、中文或英文名称，见“代码表”。"],
    ]
    return rows


def _codes_rows(s: Scenario) -> list[list[str]]:
    spec = s.spec
    rows = [["种类 kind", "代码 id", "中文 label", "English label", "单位 unit / 可用方式 eligible modes"]]
    for c, v in spec.categories.items():
        rows.append(["专项类别 category", c, v.label_zh, v.label_en, "、".join(spec.eligibility[c])])
    for m, v in spec.modes.items():
        rows.append(["支持方式 mode", m, v.label_zh, v.label_en, "" if v.on_budget else "预算外：减免税额 forgone tax"])
    for i, v in spec.indicators.items():
        rows.append(["指标 indicator", i, v.label_zh, v.label_en, v.unit_zh])
    return rows


def write_template(s: Scenario, path: str | Path, example: Records | None = None) -> Path:
    """Write an empty (or ``example``-prefilled) records file for ``s``: .xlsx workbook or tidy .csv."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return atomic_write_text(path, template_csv(template_rows(s, example)))
    if path.suffix.lower() != ".xlsx":
        raise RecordsError([Problem("--out", str(path), "a records template is .xlsx or .csv")], str(path))
    data = template_xlsx_bytes(s, example)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
    return atomic_write(path, write)


def template_xlsx_bytes(s: Scenario, example: Records | None = None) -> bytes:
    """The records template as an Excel workbook: readme, code lists (with drop-downs), three tables."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = template_rows(s, example)
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "说明 readme"
    for r in _readme_rows(s):
        readme.append(r)
    readme.column_dimensions["A"].width = 22
    readme.column_dimensions["B"].width = 100
    codes = wb.create_sheet("代码表 codes")
    for r in _codes_rows(s):
        codes.append(r)
    for col, width in zip("ABCDE", (20, 22, 30, 50, 50)):
        codes.column_dimensions[col].width = width
    n_c, n_m, n_i = len(s.spec.categories), len(s.spec.modes), len(s.spec.indicators)
    lists = {"category": f"'代码表 codes'!$C$2:$C${1 + n_c}",
             "mode": f"'代码表 codes'!$C${2 + n_c}:$C${1 + n_c + n_m}",
             "indicator": f"'代码表 codes'!$C${2 + n_c + n_m}:$C${1 + n_c + n_m + n_i}"}
    for table in ("spending", "outcomes", "projects"):
        ws = wb.create_sheet(sheet_name(table))
        for r in rows[table]:
            ws.append(r)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for c, h in enumerate(rows[table][0]):
            ws.column_dimensions[_col_letter(c)].width = max(12, min(40, len(str(h)) + 6))
            f = _match_header(h, SHEET_FIELDS[table])
            if f in lists:
                dv = DataValidation(type="list", formula1=lists[f], allow_blank=True)
                dv.add(f"{_col_letter(c)}2:{_col_letter(c)}2000")
                ws.add_data_validation(dv)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(rows: dict[str, list[list[Any]]]) -> str:
    """The tidy one-file CSV form of the template's tables."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([header_text(f) if f != "value" else "数值 value" for f in CSV_FIELDS])
    for r in rows["spending"][1:]:
        w.writerow(["支出", r[0], r[1], r[2], "", "", r[3], r[4]])
    for r in rows["outcomes"][1:]:
        w.writerow(["产出", r[0], r[1], "", r[2], "", r[3], r[4]])
    return buf.getvalue()


def records_csv(rec: Records, s: Scenario) -> str:
    """A checked :class:`Records` back as the tidy CSV (Chinese labels), e.g. to save generated records."""
    spec = s.spec
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([header_text(f) for f in CSV_FIELDS])
    for r in rec.spending.itertuples():
        w.writerow(["支出", int(r.year), spec.categories[r.category].label_zh, spec.modes[r.mode].label_zh, "", "",
                    f"{r.amount_wan:.1f}", ""])
    for r in rec.outcomes[rec.outcomes["origin"] == "outcomes"].itertuples():
        w.writerow(["产出", int(r.year), spec.categories[r.category].label_zh, "",
                    spec.indicators[r.indicator].label_zh, "", f"{r.value:.6g}", ""])
    return buf.getvalue()
