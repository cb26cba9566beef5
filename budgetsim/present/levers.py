"""Levers: the settings a user moves in the workbench, each mapped to a dotted scenario path.

:func:`levers_for` lists the levers a scenario offers (budget, growth, category floors and
caps, the stable/competitive band, the leverage floor, indicator targets, dimension weights,
rule switches) with their current value, range and step, in *display* units (percent for
shares, 万元 for money); every range stays inside the bounds the scenario format sets for
that field (:func:`budgetsim.scenario.schema.bounds_at`).  :func:`apply_levers` turns the
moved values back into scenario units and applies them through :meth:`Scenario.with_changes`,
so every change is validated.
Only values that differ from the scenario's own are written, so a lever left alone never
turns into a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .labels import t
from ..model.rules import RULES, rule_label
from ..scenario.loading import Scenario
from ..scenario.schema import bounds_at

# Levers listed per group, in the order the app shows them.
GROUPS = ("budget", "categories", "support", "targets", "weights", "rules")


@dataclass(frozen=True)
class Lever:
    """One user setting: ``path`` in the scenario, shown in ``display`` units.

    ``kind`` is ``number`` (a slider or number box) or ``toggle``; ``scale`` converts the
    display value into the scenario's unit (0.01 for a percentage of a share)."""

    path: str
    group: str
    kind: str
    label_zh: str
    label_en: str
    value: Any
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    scale: float = 1.0

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def to_scenario(self, display_value: Any) -> Any:
        if self.kind == "toggle":
            return bool(display_value)
        return round(float(display_value) * self.scale, 10)


def _both(key: str, **fmt) -> tuple[str, str]:
    zh_fmt = {k: (v[0] if isinstance(v, tuple) else v) for k, v in fmt.items()}
    en_fmt = {k: (v[1] if isinstance(v, tuple) else v) for k, v in fmt.items()}
    return t(key, "zh", **zh_fmt), t(key, "en", **en_fmt)


def _lab(obj) -> tuple[str, str]:
    return obj.label_zh, obj.label_en


def _pct(v: float) -> float:
    return round(float(v) * 100, 6)


def levers_for(s: Scenario) -> list[Lever]:
    """Every lever ``s`` offers, with the scenario's current values."""
    spec = s.spec
    out: list[Lever] = []

    def add(path, group, kind, labels, value, lo=0.0, hi=1.0, step=1.0, scale=1.0):
        if kind == "number":  # a file may hold values beyond the usual range: widen, never clip
            lo, hi = min(lo, float(value)), max(hi, float(value))
            b = bounds_at(path)  # ... but never past what the scenario format allows
            if b is not None:
                lo, hi = max(lo, b.lo / scale), min(hi, b.hi / scale)
        out.append(Lever(path, group, kind, labels[0], labels[1], value, lo, hi, step, scale))

    # budget
    b = spec.budget
    if b.per_year_wan is None and b.base_amount_wan is not None:
        amount = float(b.base_amount_wan)
        add("budget.base_amount_wan", "budget", "number", _both("lv_base_amount", year=b.base_year or s.years[0]),
            amount, lo=0.0, hi=max(4 * amount, 10_000.0), step=500.0)
        add("budget.growth_rate", "budget", "number", _both("lv_growth"), _pct(b.growth_rate),
            lo=-10.0, hi=20.0, step=0.5, scale=0.01)

    # category floors and caps
    rules = spec.rules
    for cid, cat in spec.categories.items():
        if rules.category_share_min is not None:
            add(f"rules.category_share_min.shares.{cid}", "categories", "number",
                _both("lv_floor", name=_lab(cat)), _pct(rules.category_share_min.shares.get(cid, 0.0)),
                lo=0.0, hi=100.0, step=1.0, scale=0.01)
        if rules.category_share_max is not None:
            add(f"rules.category_share_max.shares.{cid}", "categories", "number",
                _both("lv_cap", name=_lab(cat)), _pct(rules.category_share_max.shares.get(cid, 1.0)),
                lo=0.0, hi=100.0, step=1.0, scale=0.01)

    # support mix and leverage
    band = rules.stable_competitive_band
    if band is not None:
        add("rules.stable_competitive_band.stable_share_min", "support", "number", _both("lv_stable_min"),
            _pct(band.stable_share_min), lo=0.0, hi=100.0, step=1.0, scale=0.01)
        add("rules.stable_competitive_band.stable_share_max", "support", "number", _both("lv_stable_max"),
            _pct(band.stable_share_max), lo=0.0, hi=100.0, step=1.0, scale=0.01)
    lev = rules.leverage_floor
    if lev is not None and isinstance(lev.min_ratio, dict):  # per year (e.g. a diagnosis relaxed some years)
        for y in s.years:
            if y in lev.min_ratio:
                add(f"rules.leverage_floor.min_ratio.{y}", "support", "number", _both("lv_leverage_year", year=y),
                    float(lev.min_ratio[y]), lo=0.0, hi=10.0, step=0.1)
    elif lev is not None:
        add("rules.leverage_floor.min_ratio", "support", "number", _both("lv_leverage"), float(lev.min_ratio),
            lo=0.0, hi=10.0, step=0.1)

    # indicator targets
    tr = rules.indicator_targets
    if tr is not None:
        for iid, ind in spec.indicators.items():
            current = float(tr.targets.get(iid, 0.0))
            hi = max(10.0 * ind.reference_per_year * len(s.years), 2 * current, 10.0)
            step = 1.0 if ind.reference_per_year * len(s.years) < 100_000 else 1000.0
            add(f"rules.indicator_targets.targets.{iid}", "targets", "number",
                _both("lv_target", name=_lab(ind), unit=(ind.unit_zh, ind.unit_en)), current,
                lo=0.0, hi=hi, step=step)

    # evaluation-dimension weights
    top = max([d.weight for d in spec.dimensions.values()] + [0.0])
    w_hi, w_step = (1.0, 0.05) if top <= 1.0 else (max(100.0, 2 * top), 1.0)  # shares or points (50/30/…)
    for did, dim in spec.dimensions.items():
        add(f"dimensions.{did}.weight", "weights", "number", _both("lv_weight", name=_lab(dim)),
            float(dim.weight), lo=0.0, hi=w_hi, step=w_step)

    # rule switches (the budget envelope always stays on)
    for rid in RULES:
        settings = getattr(rules, rid, None)
        if settings is None or rid == "budget_envelope":
            continue
        add(f"rules.{rid}.enabled", "rules", "toggle",
            (rule_label(s, rid, "zh"), rule_label(s, rid, "en")), bool(settings.enabled))
    return out


def lever_changes(levers: list[Lever], values: dict[str, Any]) -> dict[str, Any]:
    """Dotted-path changes (scenario units) for the levers whose value moved."""
    changes: dict[str, Any] = {}
    for lv in levers:
        if lv.path not in values:
            continue
        new, old = values[lv.path], lv.value
        if lv.kind == "toggle":
            if bool(new) != bool(old):
                changes[lv.path] = bool(new)
        elif abs(float(new) - float(old)) > 1e-9:
            changes[lv.path] = lv.to_scenario(new)
    return changes


def apply_levers(s: Scenario, values: dict[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    """``s`` with the moved levers applied (validated), and the changes made.

    Raises :class:`~budgetsim.exceptions.ScenarioError` listing every problem."""
    changes = lever_changes(levers_for(s), values)
    return (s.with_changes(changes) if changes else s), changes
