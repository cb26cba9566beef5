"""Comparisons: several solved scenarios side by side, as tables, a workbook, CSV and YAML diffs.

* :func:`compare` turns named :class:`~budgetsim.results.Result` objects into a
  :class:`Comparison` of tidy DataFrames (summary, allocation, indicators, rules, changed
  parameters vs the bundled baseline).
* :func:`write_workbook` / :func:`workbook_bytes` write it as an Excel workbook (one sheet
  per table), atomically; the app's download and ``budgetsim compare`` use the same code.
* :func:`scenario_diff` / :func:`scenario_diff_yaml` express a scenario as ``extends: <base>``
  plus only the values that differ, a file ``budgetsim solve`` accepts.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..exceptions import BudgetsimError
from ..fileio import atomic_write_bytes, atomic_write_text
from .labels import label, objective_label, status_label, t
from ..results import Result
from ..model.rules import RULES, rule_label
from ..scenario.loading import BUNDLED_DIR, Scenario, is_scenario_name, load_scenario

SHEETS = ("summary", "allocation", "indicators", "rules", "changes")
MAX_COMPARED = 5
_IGNORED_KEYS = {"id", "title", "description", "extends"}


# ----------------------------------------------------------------------------- diffs


def _diff(base: Any, new: Any) -> Any:
    """The part of ``new`` that differs from ``base`` as a nested mapping (``_SAME`` if none)."""
    if isinstance(base, dict) and isinstance(new, dict) and "curve" not in new:
        missing = [k for k in base if k not in new]
        if missing:
            raise BudgetsimError(f"cannot express removed keys {missing} as a diff (a diff only adds or changes)")
        out = {}
        for k, v in new.items():
            d = _diff(base[k], v) if k in base else copy.deepcopy(v)
            if d is not _SAME:
                out[k] = d
        return out if out else _SAME
    if _equal(base, new):
        return _SAME
    return copy.deepcopy(new)


_SAME = object()


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
    return a == b


def dotted(diff: dict, prefix: str = "") -> dict[str, Any]:
    """A nested diff flattened to ``{"dotted.path": value}``."""
    out: dict[str, Any] = {}
    for k, v in diff.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and v and "curve" not in v:
            out.update(dotted(v, path + "."))
        else:
            out[path] = v
    return out


def base_scenario(s: Scenario) -> Scenario | None:
    """The bundled scenario ``s`` extends (by its ``extends`` name), if any."""
    name = s.raw.get("extends")
    if not isinstance(name, str) or not is_scenario_name(name):  # a name, never a path
        return None
    path = BUNDLED_DIR / f"{name}.yaml"
    return load_scenario(path) if path.is_file() else None


def scenario_diff(s: Scenario, base: Scenario | None = None, *, new_id: str | None = None,
                  title: str | None = None) -> dict:
    """``s`` as a sparse document: ``extends: <base id>`` plus the values that differ from ``base``.

    ``base`` defaults to the bundled scenario ``s`` extends; without one the whole document
    is returned (it stands on its own)."""
    base = base if base is not None else base_scenario(s)
    doc: dict[str, Any] = {}
    if base is None:
        doc = {k: copy.deepcopy(v) for k, v in s.raw.items() if k != "extends"}
    else:
        doc["extends"] = base.id
        changed = _diff({k: v for k, v in base.raw.items() if k not in _IGNORED_KEYS},
                        {k: v for k, v in s.raw.items() if k not in _IGNORED_KEYS})
        doc["id"] = s.id
        doc["title"] = dict(s.raw["title"])
        doc["description"] = dict(s.raw["description"])
        if changed is not _SAME:
            doc.update(changed)
    if new_id:
        doc["id"] = new_id
    if title:
        doc["title"] = {"zh": title, "en": title}
    return doc


def scenario_diff_yaml(s: Scenario, base: Scenario | None = None, *, new_id: str | None = None,
                       title: str | None = None, objective: str = "max-performance") -> str:
    """:func:`scenario_diff` as YAML text, with a header saying how to reproduce the plan."""
    doc = scenario_diff(s, base, new_id=new_id, title=title)
    flag = "" if objective == "max-performance" else f" --objective {objective}"
    head = ("# budgetsim scenario diff: the base scenario plus only the values changed.\n"
            f"# Reproduce with: budgetsim solve this_file.yaml{flag}\n")
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=False)


def slug(name: str) -> str:
    """A file- and id-safe version of a pinned name ('方案 1' → 'plan_1' style, keeps CJK)."""
    s = re.sub(r"[^\w\-]+", "_", name.strip(), flags=re.UNICODE).strip("_")
    return s or "scenario"


# ----------------------------------------------------------------------------- comparison


@dataclass
class Comparison:
    """Named results side by side; every table has a ``scenario`` column in the given order."""

    names: list[str]
    summary: pd.DataFrame
    allocation: pd.DataFrame
    indicators: pd.DataFrame
    rules: pd.DataFrame
    changes: pd.DataFrame
    lang: str = "zh"

    def sheets(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in SHEETS}

    def csv(self, sheet: str = "summary") -> str:
        if sheet not in SHEETS:
            raise BudgetsimError(f"unknown comparison table {sheet!r}; allowed: {list(SHEETS)}")
        return getattr(self, sheet).to_csv(index=False)


def _baseline() -> Scenario:
    return load_scenario(BUNDLED_DIR / "baseline.yaml")


def compare(results: dict[str, Result], lang: str = "zh", baseline: Scenario | None = None) -> Comparison:
    """Tables comparing ``results`` (name → Result), with labels in ``lang``.

    Money columns are in 万元; ``changes`` lists each scenario's parameters that differ from
    ``baseline`` (the bundled baseline by default) as dotted paths."""
    if not results:
        raise BudgetsimError("nothing to compare: give at least one scenario")
    if len(results) > MAX_COMPARED:
        raise BudgetsimError(f"at most {MAX_COMPARED} scenarios can be compared; got {len(results)}")
    baseline = baseline if baseline is not None else _baseline()
    L = lambda key: t(key, lang)  # noqa: E731

    summary, alloc, inds, rules, changes = [], [], [], [], []
    for name, r in results.items():
        s = r.scenario
        sm = r.summary()
        summary.append({
            "scenario": name, "scenario_id": s.id, "title": s.title(lang),
            "objective": r.objective, "objective_label": objective_label(r.objective, lang),
            "status": r.status, "status_label": status_label(r.status, lang),
            "performance": sm["performance"], "status_quo_performance": sm["status_quo_performance"],
            "performance_diff": sm["performance_diff"],
            "budget_allocated_wan": sm["budget_allocated_wan"], "budget_envelope_wan": sm["budget_envelope_wan"],
            "external_wan": sm["external_wan"], "leverage": sm["leverage"],
            "status_quo_leverage": sm["status_quo_leverage"],
            "targets_met": sm["targets_met"], "targets_total": sm["targets_total"],
            "risk_cost_points": sm["risk_cost_points"], "net_performance": sm["net_performance"],
            "inputs_sourced": sm["inputs_sourced"], "inputs_illustrative": sm["inputs_illustrative"],
            "message": r.message,
        })
        a = r.allocation
        for row in a.itertuples():
            alloc.append({"scenario": name, "category": row.category,
                          "category_label": label(s, "categories", row.category, lang),
                          "mode": row.mode, "mode_label": label(s, "modes", row.mode, lang),
                          "year": int(row.year), "on_budget": bool(row.on_budget),
                          "amount_wan": float(row.amount_wan) if r.ok else np.nan,
                          "cash_wan": float(row.cash_wan) if r.ok else np.nan,
                          "status_quo_wan": float(row.status_quo_wan),
                          "status_quo_cash_wan": float(row.status_quo_cash_wan)})
        for row in r.indicator_totals.itertuples():
            inds.append({"scenario": name, "indicator": row.indicator,
                         "indicator_label": getattr(row, f"label_{lang}"), "unit": getattr(row, f"unit_{lang}"),
                         "dimension": row.dimension, "plan_total": row.plan_total,
                         "status_quo_total": row.status_quo_total, "diff": row.diff, "target": row.target,
                         "target_met": row.target_met})
        for rid in RULES:
            settings = getattr(s.spec.rules, rid, None)
            if settings is None:
                continue
            rules.append({"scenario": name, "rule": rid, "rule_label": rule_label(s, rid, lang),
                          "enabled": bool(settings.enabled),
                          "state": L("on") if settings.enabled else L("off")})
        try:
            diff = _diff({k: v for k, v in baseline.raw.items() if k not in _IGNORED_KEYS},
                         {k: v for k, v in s.raw.items() if k not in _IGNORED_KEYS})
        except BudgetsimError:
            diff = {}
        if diff is not _SAME:
            for path, value in dotted(diff).items():
                changes.append({"scenario": name, "path": path,
                                "baseline_value": _cell(_get(baseline.raw, path)), "value": _cell(value)})

    return Comparison(
        names=list(results),
        summary=pd.DataFrame(summary),
        allocation=pd.DataFrame(alloc),
        indicators=pd.DataFrame(inds),
        rules=pd.DataFrame(rules),
        changes=pd.DataFrame(changes, columns=["scenario", "path", "baseline_value", "value"]),
        lang=lang,
    )


def _get(doc: dict, path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        key = int(part) if part.lstrip("-").isdigit() and int(part) in node else part
        if key not in node:
            return None
        node = node[key]
    return node


def _cell(v: Any) -> Any:
    """A value a spreadsheet cell can hold (mappings and lists as compact YAML text)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, sort_keys=False).strip()


# ----------------------------------------------------------------------------- workbook


def _write_xlsx(c: Comparison, target) -> None:
    with pd.ExcelWriter(target, engine="openpyxl") as xl:
        for name, df in c.sheets().items():
            df.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            ws.freeze_panes = "A2"
            for col in ws.columns:
                width = max(_display_width(cell.value) for cell in col[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)


def _display_width(value: Any) -> int:
    """Characters a cell needs: CJK characters are twice as wide as Latin ones."""
    if value is None:
        return 0
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in str(value))


def workbook_bytes(c: Comparison) -> bytes:
    """The comparison as an .xlsx file in memory (for a download button)."""
    buf = io.BytesIO()
    _write_xlsx(c, buf)
    return buf.getvalue()


def write_workbook(c: Comparison, path: str | Path) -> Path:
    """Write the comparison workbook to ``path`` atomically (sheets: :data:`SHEETS`)."""
    return atomic_write_bytes(path, workbook_bytes(c))


def write_csv(c: Comparison, path: str | Path, sheet: str = "summary") -> Path:
    return atomic_write_text(path, c.csv(sheet))
