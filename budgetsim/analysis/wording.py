"""Rule parameters in words: each rule's unit, the label of the item it names, formatted values."""

from __future__ import annotations

import math


from ..scenario.loading import Scenario

DEFAULT_HARD = ("budget_envelope",)
NEVER_RELAXED = frozenset({"lumpy_funding", "tax_entitlement"})  # structure, and a forecast (data, not policy)
# Relative MIP gap of re-solves: the plan's own.  Tighter gaps do not close in reasonable time on
# the lumpy scenario (3e-5 takes ~20× longer, 1e-5 minutes), so integer marginal values are
# accurate to about this gap times the objective, and gains below it are not reported as binding.
MIP_GAP = 1e-4
FD_REL_STEP = 1e-3  # finite-difference step: 0.1 % of the year's envelope (LP)

# per rule: unit kind of its parameter
UNIT = {
    "budget_envelope": "wan", "budget_growth_floor": "rate", "category_share_min": "share",
    "category_share_max": "share", "mode_share_min": "share", "mode_share_max": "share",
    "stable_competitive_band": "share", "leverage_floor": "ratio", "indicator_targets": "indicator",
    "category_smoothing": "rate", "status_quo_band": "rate", "contingent_liability_cap": "wan",
    "priority_floor": "share", "tax_expenditure_cap": "wan", "lumpy_funding": "wan",
    "fixed_figures": "wan",
    "channel_band": "rate", "stable_support_continuity": "share", "risk_appetite": "share",
    "post_plan_commitments": "wan", "tax_entitlement": "wan",
}
WIDTH_RULES = frozenset({"category_smoothing", "status_quo_band", "channel_band"})  # relaxing always widens
MIN_MAGNITUDE = {"share": 0.01, "rate": 0.01, "ratio": 0.1, "indicator": 1.0, "wan": 1.0}
DECIMALS = {"share": 4, "rate": 4, "ratio": 2, "wan": 0}


MBV_COLUMNS = ["year", "value", "dual", "finite_difference", "rel_diff", "fd_step_wan", "envelope_wan",
               "value_per_1000_wan", "unit"]
BINDING_COLUMNS = ["id", "row", "label_zh", "label_en", "year", "key", "param", "shadow_price", "param_price",
                   "step", "relaxed_to", "gain_if_relaxed", "side", "unit", "sentence_zh", "sentence_en"]
SLACK_COLUMNS = ["id", "row", "label_zh", "label_en", "year", "key", "param", "slack", "slack_param", "side",
                 "unit"]
CHANNEL_COLUMNS = ["category", "mode", "amount_wan", "marginal_return", "rule_value", "budget_value",
                   "reduced_cost", "specific_rule_value", "status", "label_zh", "label_en"]
CHANNEL_YEAR_COLUMNS = ["category", "mode", "year", "amount_wan", "marginal_return", "rule_value", "budget_value",
                        "reduced_cost", "specific_rule_value", "status"]

# ----------------------------------------------------------------------------- labels and formats


def _key_label(s: Scenario, rule: str, key: str | None, lang: str) -> str:
    if key is None:
        return ""
    spec = s.spec
    for src in (spec.categories, spec.modes, spec.indicators):
        if key in src:
            return getattr(src[key], f"label_{lang}")
    if "." in key:  # a channel: category.mode (fixed figures, whole projects, channel bands …)
        c, m = key.split(".", 1)
        if c in spec.categories and m in spec.modes:
            return f"{getattr(spec.categories[c], f'label_{lang}')} × {getattr(spec.modes[m], f'label_{lang}')}"
    if rule == "stable_competitive_band":
        return {"min": ("稳定支持占比下限", "stable share floor"),
                "max": ("稳定支持占比上限", "stable share cap")}[key][0 if lang == "zh" else 1]
    return key


def _unit_text(s: Scenario, rule: str, key: str | None, lang: str) -> str:
    u = UNIT.get(rule, "wan")
    if u == "indicator" and key in s.spec.indicators:
        return getattr(s.spec.indicators[key], f"unit_{lang}")
    return {"share": "", "rate": "", "ratio": "×", "wan": "万元"}[u]


def _fmt_param(s: Scenario, rule: str, key: str | None, v: float | None, lang: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    u = UNIT.get(rule, "wan")
    if u in ("share", "rate"):
        return f"{v * 100:.2f} %".replace(".00 %", " %")
    if u == "ratio":
        return f"{v:.2f}×"
    if u == "wan":
        return f"{v:,.0f} 万元"
    unit = _unit_text(s, rule, key, lang)
    txt = f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}"
    return f"{txt} {unit}".strip()


def _round_out(rule: str, v: float, direction: float, original: float) -> float:
    """Round a relaxed value outwards (further in the loosening direction)."""
    u = UNIT.get(rule, "wan")
    if u == "indicator":
        d = 0 if abs(original - round(original)) < 1e-9 else 2
    else:
        d = DECIMALS[u]
    f = 10.0 ** d
    out = math.floor(v * f + 1e-9) / f if direction < 0 else math.ceil(v * f - 1e-9) / f
    if u == "share":
        out = min(max(out, 0.0), 1.0)
    if u in ("indicator", "wan", "ratio") or rule in WIDTH_RULES:
        out = max(out, 0.0)
    return float(out)


# ----------------------------------------------------------------------------- the result object

