"""Comparisons: several solved scenarios side by side, every difference against ONE reference.

* :func:`compare` turns named :class:`~budgetsim.results.Result` objects into a
  :class:`Comparison` of tidy DataFrames (summary, allocation, indicators, rules, changed
  parameters vs the bundled baseline), each difference measured against one
  :class:`Reference` the user picks: a compared plan, or the baseline's status quo.
  (Each plan's own status quo scales with its own budget, so it is never the yardstick.)
* :func:`differences` lists what differs between the plans, as labelled parameters.
* The meeting workbook is written by :mod:`budgetsim.present.workbook`; CSV here.
* :func:`scenario_diff` / :func:`scenario_diff_yaml` express a scenario as ``extends: <base>``
  plus only the values that differ, a file ``budgetsim solve`` accepts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..exceptions import BudgetsimError
from ..analysis.wording import _fmt_param, _key_label
from ..fileio import atomic_write_text
from ..model.rules import RULES, rule_label
from ..results import Result
from ..batches.items import input_hash
from ..scenario.loading import BUNDLED_DIR, Scenario, is_scenario_name, load_scenario
from ..solving import solve
from .labels import label, objective_label, status_label, t
from .parameters import describe, param_text, param_value
from .views import budget_value_per_wan

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

STATUS_QUO = "status_quo"  # the reference "the baseline's status quo" (else: the name of a compared plan)
_NOT_PARAMETERS = ("label_zh", "label_en", "reference")  # a renamed rule is not a changed parameter


@dataclass
class Reference:
    """What every difference is measured against: a compared plan, or the baseline's status quo."""

    key: str                      # STATUS_QUO or the name of a compared plan
    name: str                     # shown in headers ('现状' or the plan's name)
    performance: float
    indicators: dict[str, float]  # plan totals by indicator id
    cash: pd.Series               # budget cash (万元) by (category, mode, year), on-budget and tax
    budget_wan: float
    external_wan: float
    leverage: float | None
    scenario: Scenario


def _reference_from_status_quo(r: Result, lang: str) -> Reference:
    a = r.allocation
    cash = a.set_index(["category", "mode", "year"])["status_quo_cash_wan"]
    sm = r.summary()
    ext = float(r.leverage["status_quo_external_wan"].sum())
    return Reference(STATUS_QUO, t("ref_status_quo_short", lang), r.status_quo_performance,
                     dict(zip(r.indicator_totals["indicator"], r.indicator_totals["status_quo_total"])),
                     cash, float(r.budget["status_quo_wan"].sum()), ext, sm["status_quo_leverage"], r.scenario)


def _reference_from_plan(name: str, r: Result) -> Reference:
    if not r.ok:
        raise BudgetsimError(f"the reference plan {name!r} has no solution ({r.status}); pick another reference")
    sm = r.summary()
    cash = r.allocation.set_index(["category", "mode", "year"])["cash_wan"]
    return Reference(name, name, float(r.performance),
                     dict(zip(r.indicator_totals["indicator"], r.indicator_totals["plan_total"])),
                     cash, float(sm["budget_allocated_wan"]), float(sm["external_wan"]), sm["leverage"], r.scenario)


@dataclass
class Comparison:
    """Named results side by side, every difference against one :class:`Reference`.

    Every table has a ``scenario`` column in the given order; ``results`` and
    ``explanations`` (when given) stay attached for the workbook and the brief."""

    names: list[str]
    summary: pd.DataFrame
    allocation: pd.DataFrame
    indicators: pd.DataFrame
    rules: pd.DataFrame
    changes: pd.DataFrame
    lang: str = "zh"
    reference: Reference | None = None
    results: dict[str, Result] | None = None
    explanations: dict[str, Any] | None = None
    baseline: Scenario | None = None

    def sheets(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in SHEETS}

    def csv(self, sheet: str = "summary") -> str:
        if sheet not in SHEETS:
            raise BudgetsimError(f"unknown comparison table {sheet!r}; allowed: {list(SHEETS)}")
        return getattr(self, sheet).to_csv(index=False)


def _baseline() -> Scenario:
    return load_scenario(BUNDLED_DIR / "baseline.yaml")


def changed_parameters(s: Scenario, baseline: Scenario, lang: str = "zh") -> list[dict]:
    """The parameters of ``s`` that differ from ``baseline``, each with its label and unit
    (rule names and references are left out: renaming a rule changes no figure)."""
    try:
        diff = _diff({k: v for k, v in baseline.raw.items() if k not in _IGNORED_KEYS},
                     {k: v for k, v in s.raw.items() if k not in _IGNORED_KEYS})
    except BudgetsimError:
        return []
    if diff is _SAME:
        return []
    out = []
    for path, value in dotted(diff).items():
        if path.split(".")[-1] in _NOT_PARAMETERS:
            continue
        p = describe(s, path, lang)
        old = _get(baseline.raw, path)
        out.append({"path": path, "parameter": p.label, "unit": p.unit, "kind": p.kind,
                    "baseline_value": param_value(p, _plain(old), lang), "value": param_value(p, _plain(value), lang),
                    "baseline_text": param_text(p, _plain(old), lang), "value_text": param_text(p, _plain(value), lang)})
    return out


def _plain(v: Any) -> Any:
    return v if v is None or isinstance(v, (bool, int, float, str, list, dict)) else str(v)


def rule_setting(s: Scenario, rid: str, lang: str = "zh") -> str:
    """A rule's parameters in words ('基础前沿类 占比下限 10 %；…', '≥ 1.00 倍')."""
    raw = (s.raw.get("rules") or {}).get(rid) or {}
    parts = []
    if rid == "lumpy_funding":
        for p in raw.get("projects", []):
            ch = f"{label(s, 'categories', p['category'], lang)} · {label(s, 'modes', p['mode'], lang)}"
            parts.append(f"{ch} {t('lumpy_unit', lang, v=format(p['unit_wan'], ',.0f'))}")
        for p in raw.get("min_tickets", []):
            ch = f"{label(s, 'categories', p['category'], lang)} · {label(s, 'modes', p['mode'], lang)}"
            parts.append(f"{ch} {t('lumpy_ticket', lang, v=format(p['min_wan'], ',.0f'))}")
        return ("；" if lang == "zh" else "; ").join(parts)
    for path, value in dotted({k: v for k, v in raw.items() if k not in ("enabled",) + _NOT_PARAMETERS}).items():
        p = describe(s, f"rules.{rid}.{path}", lang)
        if isinstance(value, list):
            value = [label(s, "categories", v, lang) if v in s.spec.categories else v for v in value]
            value = ("、" if lang == "zh" else ", ").join(map(str, value))
        parts.append(f"{p.label} {param_text(p, value, lang)}")
    return ("；" if lang == "zh" else "; ").join(parts)


def _binding_from_duals(r: Result) -> dict[str, bool] | None:
    """Which rules bind in ``r``'s final LP (a row with a non-zero dual); None for integer plans and for
    a plan the user gave (no LP)."""
    if r.run is None:
        return None
    sol = r.run.solution
    if not r.ok or sol.row_dual is None or r.is_mip:
        return None
    out: dict[str, bool] = {}
    scale = max(1e-12, float(np.abs(sol.row_dual).max()))
    for meta, dual in zip(r.run.builder.rows, sol.row_dual):
        if meta.rule:
            out[meta.rule] = out.get(meta.rule, False) or abs(dual) > 1e-7 * scale
    return out


def _rule_gains(ex, rid: str, lang: str) -> tuple[float | None, str]:
    """The largest gain of one step looser over the rule's rows, and that step in words."""
    b = ex.binding_rules
    b = b[b["id"] == rid]
    if not len(b):
        return None, ""
    row = b.sort_values("gain_if_relaxed", ascending=False, kind="stable").iloc[0]
    key = row["key"] if isinstance(row["key"], str) else None
    frm = _fmt_param(ex.scenario, rid, key, float(row["param"]), lang)
    to = _fmt_param(ex.scenario, rid, key, float(row["relaxed_to"]), lang)
    where = [x for x in (_key_label(ex.scenario, rid, key, lang) if key else "",
                         f"{int(row['year'])}{' 年' if lang == 'zh' else ''}" if pd.notna(row["year"]) else "") if x]
    return float(row["gain_if_relaxed"]), f"{frm} → {to}" + (f"（{'，'.join(where)}）" if where and lang == "zh"
                                                             else f" ({', '.join(where)})" if where else "")


def compare(results: dict[str, Result], lang: str = "zh", baseline: Scenario | None = None, *,
            reference: str = STATUS_QUO, reference_result: Result | None = None,
            explanations: dict[str, Any] | None = None) -> Comparison:
    """Tables comparing ``results`` (name → Result), with labels in ``lang``, every difference
    measured against one reference.

    ``reference`` is :data:`STATUS_QUO` (the baseline's status quo: ``reference_result``'s, or
    that of the first compared plan built on the baseline, else of the bundled baseline solved
    here) or the name of a compared plan.  Money is in 万元; ``changes`` lists each plan's
    parameters that differ from ``baseline`` (the bundled baseline by default), labelled, with
    units.  ``explanations`` (name → :func:`budgetsim.explain` result) add what relaxing each
    binding rule buys; without them, whether a rule binds comes from the plan's duals."""
    if not results:
        raise BudgetsimError("nothing to compare: give at least one scenario")
    if len(results) > MAX_COMPARED:
        raise BudgetsimError(f"at most {MAX_COMPARED} scenarios can be compared; got {len(results)}")
    baseline = baseline if baseline is not None else _baseline()
    explanations = explanations or {}
    if reference == STATUS_QUO:
        if reference_result is None:
            reference_result = next((r for r in results.values() if r.scenario.raw == baseline.raw), None)
        if reference_result is None:
            reference_result = solve(baseline)
        ref = _reference_from_status_quo(reference_result, lang)
    elif reference in results:
        ref = _reference_from_plan(reference, results[reference])
    else:
        raise BudgetsimError(f"unknown reference {reference!r}; allowed: {STATUS_QUO!r} or one of {list(results)}")
    L = lambda key: t(key, lang)  # noqa: E731

    summary, alloc, inds, rules, changes = [], [], [], [], []
    for name, r in results.items():
        s = r.scenario
        sm = r.summary()
        summary.append({
            "scenario": name, "scenario_id": s.id, "title": s.title(lang),
            "objective": r.objective, "objective_label": objective_label(r.objective, lang),
            "status": r.status, "status_label": status_label(r.status, lang),
            "performance": sm["performance"], "reference_performance": ref.performance,
            "performance_diff": (sm["performance"] - ref.performance) if r.ok else None,
            "status_quo_performance": sm["status_quo_performance"],
            "budget_allocated_wan": sm["budget_allocated_wan"], "budget_envelope_wan": sm["budget_envelope_wan"],
            "external_wan": sm["external_wan"], "leverage": sm["leverage"],
            "reference_leverage": ref.leverage,
            "targets_met": sm["targets_met"], "targets_total": sm["targets_total"],
            "expected_losses_wan": sm["expected_losses_wan"], "peak_risk_exposure_wan": sm["peak_risk_exposure_wan"],
            "risk_cost_points": sm["risk_cost_points"], "net_performance": sm["net_performance"],
            "inputs_sourced": sm["inputs_sourced"], "inputs_illustrative": sm["inputs_illustrative"],
            "message": r.message, "input_hash": input_hash(s.raw, r.objective, "highs"),
        })
        a = r.allocation
        for row in a.itertuples():
            ref_cash = float(ref.cash.get((row.category, row.mode, int(row.year)), 0.0))
            cash = float(row.cash_wan) if r.ok else np.nan
            alloc.append({"scenario": name, "category": row.category,
                          "category_label": label(s, "categories", row.category, lang),
                          "mode": row.mode, "mode_label": label(s, "modes", row.mode, lang),
                          "year": int(row.year), "on_budget": bool(row.on_budget),
                          "amount_wan": float(row.amount_wan) if r.ok else np.nan,
                          "cash_wan": cash, "reference_cash_wan": ref_cash, "diff_wan": cash - ref_cash,
                          "status_quo_wan": float(row.status_quo_wan),
                          "status_quo_cash_wan": float(row.status_quo_cash_wan)})
        for row in r.indicator_totals.itertuples():
            ref_total = float(ref.indicators.get(row.indicator, np.nan))
            inds.append({"scenario": name, "indicator": row.indicator,
                         "indicator_label": getattr(row, f"label_{lang}"), "unit": getattr(row, f"unit_{lang}"),
                         "dimension": row.dimension, "plan_total": row.plan_total,
                         "reference_total": ref_total, "diff": row.plan_total - ref_total,
                         "relative": 100 * row.plan_total / ref_total if ref_total else np.nan,
                         "status_quo_total": row.status_quo_total, "target": row.target,
                         "target_met": row.target_met})
        ex = explanations.get(name)
        duals = _binding_from_duals(r) if ex is None else None
        per_wan = budget_value_per_wan(ex) if ex is not None and getattr(ex, "status", "") == "optimal" else None
        for rid in RULES:
            settings = getattr(s.spec.rules, rid, None)
            if settings is None:
                continue
            gain, step = (None, "")
            if not settings.enabled or not r.ok:
                binds = None if not r.ok else False
            elif ex is not None and getattr(ex, "status", "") == "optimal":
                gain, step = _rule_gains(ex, rid, lang)
                binds = gain is not None
            else:
                binds = None if duals is None else duals.get(rid, False)
            rules.append({"scenario": name, "rule": rid, "rule_label": rule_label(s, rid, lang),
                          "enabled": bool(settings.enabled), "state": L("on") if settings.enabled else L("off"),
                          "setting": rule_setting(s, rid, lang), "binds": binds, "step": step,
                          "gain_points": gain if r.objective != "min-budget" else None,
                          "gain_wan": (gain if r.objective == "min-budget" else
                                       gain / per_wan if gain is not None and per_wan else None)})
        for ch in changed_parameters(s, baseline, lang):
            changes.append({"scenario": name, **ch})

    return Comparison(
        names=list(results),
        summary=pd.DataFrame(summary),
        allocation=pd.DataFrame(alloc),
        indicators=pd.DataFrame(inds),
        rules=pd.DataFrame(rules),
        changes=pd.DataFrame(changes, columns=["scenario", "path", "parameter", "unit", "kind", "baseline_value",
                                               "value", "baseline_text", "value_text"]),
        lang=lang, reference=ref, results=dict(results), explanations=dict(explanations), baseline=baseline,
    )


def differences(c: Comparison) -> pd.DataFrame:
    """What differs between the compared plans: one row per parameter that any plan changes from
    the baseline, one column per plan (its value with unit; the baseline's where unchanged)."""
    ch = c.changes
    if not len(ch):
        return pd.DataFrame(columns=[t("col_param", c.lang), t("col_baseline", c.lang), *c.names])
    params = list(dict.fromkeys(ch["path"]))
    rows = []
    for path in params:
        sub = ch[ch["path"] == path]
        first = sub.iloc[0]
        row = {t("col_param", c.lang): first["parameter"], t("col_baseline", c.lang): first["baseline_text"]}
        for n in c.names:
            hit = sub[sub["scenario"] == n]
            row[n] = hit.iloc[0]["value_text"] if len(hit) else first["baseline_text"]
        rows.append(row)
    return pd.DataFrame(rows)


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


def write_csv(c: Comparison, path: str | Path, sheet: str = "summary") -> Path:
    return atomic_write_text(path, c.csv(sheet))
