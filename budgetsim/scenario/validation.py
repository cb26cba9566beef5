"""Checks on a scenario: pydantic's structural errors in our words, then whole-file checks.

Every check appends a :class:`~budgetsim.exceptions.Problem` instead of raising, so a
user sees every problem of a file at once.  Paths use dots (``rules.category_share_min.shares.basic_frontier``).
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .distributions import parameter_problems
from ..exceptions import MISSING, Problem
from .schema import CURVE_PARAMS, Bounds, ScenarioSpec, bounds_at



def path_str(loc: tuple | list) -> str:
    return ".".join(str(p) for p in loc)


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        out = []
        for arg in typing.get_args(annotation):
            out += _unwrap(arg)
        return out
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]


def allowed_keys(root: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys the model at ``loc`` accepts (for 'unexpected key' messages)."""
    current: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for cand in current:
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                field = cand.model_fields.get(str(part))
                if field is not None:
                    nxt += _unwrap(field.annotation)
            elif typing.get_origin(cand) is dict:
                nxt += _unwrap(typing.get_args(cand)[1])
            elif typing.get_origin(cand) is list and isinstance(part, int):
                nxt += _unwrap(typing.get_args(cand)[0])
        current = nxt
        if not current:
            return None
    for cand in current:
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return list(cand.model_fields)
    return None


def structural_problems(err: ValidationError, root: type[BaseModel] = ScenarioSpec) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        kind = e["type"]
        value = e.get("input", MISSING)
        ctx = e.get("ctx", {}) or {}
        # Union members add their own names to the path (e.g. 'float', 'dict[int,...]'): drop them.
        clean = tuple(p for p in loc if not (isinstance(p, str) and p != "[key]" and _is_member_name(p)))
        bounds = bounds_at(clean, root) if kind in _NUMBER_ERRORS else None
        if bounds is not None and isinstance(value, float) and not math.isfinite(value):
            kind = "finite_number"  # say 'not .inf or .nan' rather than 'must lie in' for them
        if kind == "extra_forbidden":
            allowed = allowed_keys(root, loc[:-1]) or []
            reason = f"unexpected key '{loc[-1]}'; allowed keys are {sorted(allowed)}"
            value = MISSING
        elif kind == "missing":
            reason = "required key is missing"
            value = MISSING
        elif bounds is not None and kind != "value_error":
            reason = _bounds_reason(bounds, kind)
        elif kind == "greater_than_equal":
            reason = f"must be ≥ {ctx.get('ge')}"
        elif kind == "greater_than":
            reason = f"must be > {ctx.get('gt')}"
        elif kind == "less_than_equal":
            reason = f"must be ≤ {ctx.get('le')}"
        elif kind == "less_than":
            reason = f"must be < {ctx.get('lt')}"
        elif kind == "finite_number":
            reason = "must be a finite number (not .inf or .nan)"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
            reason = "must be a number"
        elif kind == "value_error":
            reason = str(ctx.get("error", e["msg"]))
        elif kind == "literal_error":
            reason = f"must be one of {ctx.get('expected')}"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            reason = "must be a mapping of keys to values"
        elif kind == "list_type":
            reason = "must be a list"
        elif kind == "too_short":
            reason = "must not be empty"
        elif kind == "too_long":
            reason = f"may hold at most {ctx.get('max_length')} items (got {ctx.get('actual_length')})"
            value = MISSING
        elif kind == "string_type":
            reason = "must be text"
        else:
            reason = e["msg"]
        problems.append(Problem(path_str([p for p in clean if p != "[key]"]), value, reason))
    # pydantic reports each member of a union separately; keep one message per path
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(p.path, p)
    return list(seen.values())


_NUMBER_ERRORS = {"greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number",
                  "float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "value_error"}


def _is_member_name(part: str) -> bool:
    return "[" in part or part in ("float", "int", "constrained-float", "constrained-int") or part.startswith(
        ("function-", "lax-", "strict-"))


def _bounds_reason(b: Bounds, kind: str) -> str:
    """'a share must lie in [0, 1]' — the same words for every bounded number."""
    allowed = f"{b.name} in {b.text()}"
    if kind == "finite_number":
        return f"must be a finite number, not .inf or .nan ({allowed})"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return f"must be {'a whole number' if b.whole else 'a number'} ({allowed})"
    return f"{b.name} must lie in {b.text()}"


CREDIBLE_LEVEL = 1e6  # a curve's level (max, coef) at most this many times its indicator's reference


def semantic_problems(spec: ScenarioSpec) -> list[Problem]:
    """Whole-file checks that need more than one key at a time."""
    out: list[Problem] = []
    add = lambda path, value, reason: out.append(Problem(path, value, reason))  # noqa: E731
    years = spec.plan.years
    cats, modes, inds, dims = spec.categories, spec.modes, spec.indicators, spec.dimensions
    refs = set(spec.references) | {"illustrative"}

    def check_source(path: str, source: str) -> None:
        if source not in refs:
            add(f"{path}.source", source, f"unknown reference id; known: {sorted(refs)}")

    def check_payout(path: str, shares: list[float], kind: str | None) -> None:
        if kind in ("risk_pool", "tax_incentive", "guidance_fund"):
            add(path, shares, f"a payout schedule is for grants, not a {kind} "
                "(a guidance fund's schedule is its fund.pay_in)")
        elif abs(sum(shares) - 1.0) > 1e-6:
            add(path, shares, f"payout shares must sum to 1 (they sum to {sum(shares):.4g}), e.g. [0.5, 0.3, 0.2]")

    # plan
    if sorted(years) != years or any(b - a != 1 for a, b in zip(years, years[1:])):
        add("plan.years", years, "years must be consecutive and ascending, e.g. [2026, 2027, 2028, 2029, 2030]")
    check_source("plan", spec.plan.source)

    # budget
    b = spec.budget
    if b.per_year_wan is not None:
        missing = [y for y in years if y not in b.per_year_wan]
        if missing:
            add("budget.per_year_wan", sorted(b.per_year_wan), f"must give every plan year; missing {missing}")
        if b.base_amount_wan is not None:
            add("budget", MISSING, "give either per_year_wan or base_year + base_amount_wan (+ growth_rate), not both")
    else:
        if b.base_amount_wan is None or b.base_year is None:
            add("budget", MISSING, "needs per_year_wan, or base_year and base_amount_wan (+ growth_rate)")
        elif b.base_year > years[0]:
            add("budget.base_year", b.base_year, f"must be at or before the first plan year {years[0]}")
    check_source("budget", b.source)

    # dimensions and indicators
    if sum(d.weight for d in dims.values()) <= 0:
        add("dimensions", MISSING, "at least one evaluation dimension needs a positive weight")
    for did, d in dims.items():
        check_source(f"dimensions.{did}", d.source)
    for iid, ind in inds.items():
        if ind.dimension not in dims:
            add(f"indicators.{iid}.dimension", ind.dimension, f"unknown dimension; known: {sorted(dims)}")
        check_source(f"indicators.{iid}", ind.source)

    # categories and their curves
    for cid, cat in cats.items():
        check_source(f"categories.{cid}", cat.source)
        for iid, cs in cat.response.items():
            p = f"categories.{cid}.response.{iid}"
            if iid not in inds:
                add(p, iid, f"unknown indicator id; known: {sorted(inds)}")
            check_source(p, cs.source)
            if cs.curve not in CURVE_PARAMS:
                add(f"{p}.curve", cs.curve, f"unknown curve; allowed: {sorted(CURVE_PARAMS)}")
                continue
            need = CURVE_PARAMS[cs.curve]
            given = {k for k in ("max", "scale", "coef", "exponent", "half", "n") if getattr(cs, k) is not None}
            level = next((k for k in ("max", "coef") if k in need and getattr(cs, k) is not None), None)
            if level and iid in inds and getattr(cs, level) > CREDIBLE_LEVEL * inds[iid].reference_per_year:
                # the index would weigh this curve a million times its reference: no solver balances that
                add(f"{p}.{level}", getattr(cs, level),
                    f"at most {CREDIBLE_LEVEL:,.0f} × the indicator's reference level "
                    f"({inds[iid].reference_per_year:,.6g} a year, indicators.{iid}.reference_per_year)")
            for k in need:
                if k not in given:
                    add(f"{p}.{k}", MISSING, f"curve '{cs.curve}' needs '{k}' (parameters: {list(need)})")
            for k in sorted(given - set(need)):
                add(f"{p}.{k}", getattr(cs, k), f"not a parameter of curve '{cs.curve}' (parameters: {list(need)})")
            if cs.curve == "power" and cs.exponent is not None and not 0 < cs.exponent <= 1:
                add(f"{p}.exponent", cs.exponent,
                    "power curve is not concave: exponent must be in (0, 1] (diminishing returns)")
            if cs.curve == "hill" and cs.n is not None and not 0 < cs.n <= 1:
                add(f"{p}.n", cs.n,
                    "hill curve with n > 1 is S-shaped, not concave: use n in (0, 1] or a saturating_exp, "
                    "power or log curve")

    # modes
    for mid, m in modes.items():
        p = f"modes.{mid}"
        check_source(p, m.source)
        if m.kind == "risk_pool":
            if m.pool is None:
                add(f"{p}.pool", MISSING, "a risk_pool mode needs pool terms (npl_rate, loss_share, recovery_rate)")
            else:
                check_source(f"{p}.pool", m.pool.source)
                q = m.leverage * m.pool.npl_rate * (1 - m.pool.recovery_rate) * m.pool.loss_share
                if q >= 1:
                    add(f"{p}.pool", q, "expected yearly draw (leverage × NPL × (1 − recovery) × loss share) "
                        "must be below 1 of the pool")
        elif m.pool is not None:
            add(f"{p}.pool", MISSING, f"pool terms only apply to kind risk_pool, not {m.kind}")
        if m.fund is not None:
            if m.kind != "guidance_fund":
                add(f"{p}.fund", MISSING, f"fund terms only apply to kind guidance_fund, not {m.kind}")
            check_source(f"{p}.fund", m.fund.source)
            if abs(sum(m.fund.pay_in) - 1.0) > 1e-6:
                add(f"{p}.fund.pay_in", m.fund.pay_in,
                    f"pay-in shares must sum to 1 (they sum to {sum(m.fund.pay_in):.4g}), e.g. [0.4, 0.3, 0.3]")
        if m.payout is not None:
            check_payout(f"{p}.payout", m.payout, m.kind)
        if m.post_subsidy is not None:
            if m.kind != "post_subsidy":
                add(f"{p}.post_subsidy", MISSING, f"post_subsidy terms only apply to kind post_subsidy, not {m.kind}")
            check_source(f"{p}.post_subsidy", m.post_subsidy.source)
            derived = m.post_subsidy.leverage
            if abs(m.leverage - derived) > 1e-6 * max(1.0, derived):
                add(f"{p}.leverage", m.leverage,
                    f"the post_subsidy block derives leverage = 1 / (subsidy_rate × success_rate) − 1 = "
                    f"{derived:.6g}; remove leverage or make it agree")
        if m.kind == "tax_incentive" and m.on_budget:
            add(f"{p}.on_budget", True, "a tax incentive is forgone revenue, never budget cash: set on_budget: false")
        if m.kind != "tax_incentive" and not m.on_budget:
            add(f"{p}.on_budget", False, "only tax_incentive modes may be off-budget")

    # eligibility
    for cid in cats:
        if cid not in spec.eligibility or not spec.eligibility[cid]:
            add(f"eligibility.{cid}", MISSING, "every category needs at least one eligible support mode")
    for cid, mlist in spec.eligibility.items():
        if cid not in cats:
            add(f"eligibility.{cid}", cid, f"unknown category id; known: {sorted(cats)}")
        for mid in mlist:
            if mid not in modes:
                add(f"eligibility.{cid}", mid, f"unknown mode id; known: {sorted(modes)}")
        if len(set(mlist)) != len(mlist):
            add(f"eligibility.{cid}", mlist, "a mode is listed twice")
    eligible = {(c, m) for c, ms in spec.eligibility.items() for m in ms}

    def check_channel(path: str, c: str, m: str) -> None:
        if c not in cats:
            add(path, c, f"unknown category id; known: {sorted(cats)}")
        elif m not in modes:
            add(path, m, f"unknown mode id; known: {sorted(modes)}")
        elif (c, m) not in eligible:
            add(path, f"{c}.{m}", f"mode '{m}' is not eligible for category '{c}' (see eligibility.{c})")

    # status quo
    sq = spec.status_quo
    check_source("status_quo", sq.source)
    total = 0.0
    for cid, split in sq.split.items():
        for mid, share in split.items():
            check_channel(f"status_quo.split.{cid}.{mid}", cid, mid)
            if mid in modes and not modes[mid].on_budget:
                add(f"status_quo.split.{cid}.{mid}", share, "off-budget modes go under status_quo.off_budget_wan")
            total += share
    if abs(total - 1.0) > 1e-6:
        add("status_quo.split", round(total, 6), "the status-quo shares must sum to 1")
    for cid, amounts in sq.off_budget_wan.items():
        for mid in amounts:
            check_channel(f"status_quo.off_budget_wan.{cid}.{mid}", cid, mid)
            if mid in modes and modes[mid].on_budget:
                add(f"status_quo.off_budget_wan.{cid}.{mid}", mid, "only off-budget modes belong here")

    if spec.risk_price is not None:
        check_source("risk_price", spec.risk_price.source)

    # channels' own limits
    for cid, by_mode in spec.channels.items():
        for mid, ch in by_mode.items():
            check_channel(f"channels.{cid}.{mid}", cid, mid)
            check_source(f"channels.{cid}.{mid}", ch.source)
            if ch.payout is not None:
                check_payout(f"channels.{cid}.{mid}.payout", ch.payout, modes[mid].kind if mid in modes else None)
            if mid in modes and not modes[mid].on_budget and (ch.capacity_wan or ch.units):
                add(f"channels.{cid}.{mid}.capacity_wan", ch.capacity_wan or ch.units,
                    "an off-budget tax incentive has no absorptive capacity (it is an entitlement)")
            if mid in modes and modes[mid].kind == "risk_pool" and ch.capacity_wan is None \
                    and ch.units is not None and modes[mid].leverage <= 0:
                add(f"modes.{mid}.leverage", modes[mid].leverage,
                    "a risk pool's capacity from lending demand needs leverage > 0")

    if spec.prior_awards is not None:
        check_source("prior_awards", spec.prior_awards.source)
        for cid, by_mode in spec.prior_awards.due_wan.items():
            for mid, by_year in by_mode.items():
                where = f"prior_awards.due_wan.{cid}.{mid}"
                check_channel(where, cid, mid)
                if mid in modes and modes[mid].kind in ("risk_pool", "tax_incentive"):
                    add(where, mid, "prior awards are grants, major projects and fund pay-ins; a pool's or a "
                        "tax incentive's past years are not money due")
                _per_year_problems(add, where, by_year, years)

    _rule_problems(spec, add, check_channel, eligible)
    if spec.uncertainty is not None:
        check_source("uncertainty", spec.uncertainty.source)
        for k, par in enumerate(spec.uncertainty.parameters):
            check_source(f"uncertainty.parameters.{k}", par.source)
        for path, value, reason in parameter_problems(spec):
            add(path, MISSING if value is None else value, reason)
    if spec.calibration is not None:
        check_source("calibration", spec.calibration.source)
        for k, prior in enumerate(spec.calibration.priors):
            where = f"calibration.priors.{k}"
            check_source(where, prior.source)
            if prior.category != "*" and prior.category not in cats:
                add(f"{where}.category", prior.category, f"unknown category id; known: {sorted(cats)} or '*'")
            if prior.indicator != "*" and prior.indicator not in inds:
                add(f"{where}.indicator", prior.indicator, f"unknown indicator id; known: {sorted(inds)} or '*'")
            if (prior.category in cats and prior.indicator in inds
                    and prior.indicator not in cats[prior.category].response):
                add(f"{where}.indicator", prior.indicator, f"category '{prior.category}' has no curve for it; "
                    f"its curves: {sorted(cats[prior.category].response)}")
            if prior.elasticity is None and prior.saturation is None and prior.level_sd is None:
                add(where, MISSING, "give at least one of elasticity, saturation, level_sd")
    return out


def _per_year_problems(add, path: str, value, years: list[int]) -> None:
    if isinstance(value, dict):
        for y in value:
            if y not in years:
                add(f"{path}.{y}", y, f"year outside the plan {years[0]}–{years[-1]}")


def _rule_problems(spec: ScenarioSpec, add, check_channel, eligible) -> None:
    r = spec.rules
    cats, modes, inds, years = spec.categories, spec.modes, spec.indicators, spec.plan.years

    for rid in ("category_share_min", "category_share_max"):
        rule = getattr(r, rid)
        if rule is not None:
            for cid in rule.shares:
                if cid not in cats:
                    add(f"rules.{rid}.shares.{cid}", cid, f"unknown category id; known: {sorted(cats)}")
    for rid in ("mode_share_min", "mode_share_max"):
        rule = getattr(r, rid)
        if rule is not None:
            for mid in rule.shares:
                if mid not in modes:
                    add(f"rules.{rid}.shares.{mid}", mid, f"unknown mode id; known: {sorted(modes)}")
                elif not modes[mid].on_budget:
                    add(f"rules.{rid}.shares.{mid}", mid, "shares are of the S&T budget; off-budget modes have their own cap")
    for lo_id, hi_id, what in (("category_share_min", "category_share_max", "category"),
                               ("mode_share_min", "mode_share_max", "mode")):
        lo, hi = getattr(r, lo_id), getattr(r, hi_id)
        if lo is not None and hi is not None and lo.enabled and hi.enabled:
            for k, v in lo.shares.items():
                if k in hi.shares and v > hi.shares[k]:
                    add(f"rules.{lo_id}.shares.{k}", v,
                        f"min above max: the {what} floor exceeds rules.{hi_id}.shares.{k} = {hi.shares[k]}")
    if r.stable_competitive_band is not None:
        band = r.stable_competitive_band
        if band.stable_share_min > band.stable_share_max:
            add("rules.stable_competitive_band.stable_share_min", band.stable_share_min,
                f"min above max: exceeds stable_share_max = {band.stable_share_max}")
    if r.leverage_floor is not None:
        _per_year_problems(add, "rules.leverage_floor.min_ratio", r.leverage_floor.min_ratio, years)
    for rid in ("contingent_liability_cap", "tax_expenditure_cap"):
        rule = getattr(r, rid)
        if rule is not None:
            _per_year_problems(add, f"rules.{rid}.cap_wan", rule.cap_wan, years)
    if r.indicator_targets is not None:
        for iid in r.indicator_targets.targets:
            if iid not in inds:
                add(f"rules.indicator_targets.targets.{iid}", iid, f"unknown indicator id; known: {sorted(inds)}")
    if r.priority_floor is not None:
        for i, cid in enumerate(r.priority_floor.categories):
            if cid not in cats:
                add(f"rules.priority_floor.categories.{i}", cid, f"unknown category id; known: {sorted(cats)}")
    if r.lumpy_funding is not None:
        for i, pu in enumerate(r.lumpy_funding.projects):
            check_channel(f"rules.lumpy_funding.projects.{i}", pu.category, pu.mode)
        for i, mt in enumerate(r.lumpy_funding.min_tickets):
            check_channel(f"rules.lumpy_funding.min_tickets.{i}", mt.category, mt.mode)
    if r.fixed_figures is not None:
        _fixed_figure_problems(r.fixed_figures, add, check_channel, years)
    if r.tax_entitlement is not None:
        for cid, by_mode in r.tax_entitlement.forecast_wan.items():
            for mid, value in by_mode.items():
                path = f"rules.tax_entitlement.forecast_wan.{cid}.{mid}"
                check_channel(path, cid, mid)
                if mid in modes and modes[mid].on_budget:
                    add(path, mid, "only off-budget modes (tax incentives) are entitlements")
                _per_year_problems(add, path, value, years)
        _per_year_problems(add, "rules.tax_entitlement.top_up_max_wan", r.tax_entitlement.top_up_max_wan, years)
    if not r.budget_envelope.enabled:
        add("rules.budget_envelope.enabled", False, "the budget envelope cannot be switched off: every plan needs one")
    off_budget_used = any(not modes[m].on_budget for (c, m) in eligible if m in modes)
    if off_budget_used and (r.tax_expenditure_cap is None or not r.tax_expenditure_cap.enabled):
        add("rules.tax_expenditure_cap", MISSING,
            "an off-budget mode (tax incentive) is eligible, so the tax-expenditure cap must be given and enabled")


def _fixed_figure_problems(rule, add, check_channel, years: list[int]) -> None:
    """Fixed figures: an eligible channel, a plan year, exact or floor/cap (not both), min ≤ max, once each."""
    seen: dict[tuple, int] = {}
    for i, y in enumerate(rule.spent_years):
        if y not in years:
            add(f"rules.fixed_figures.spent_years.{i}", y, f"year outside the plan {years[0]}–{years[-1]}")
    for i, f in enumerate(rule.figures):
        p = f"rules.fixed_figures.figures.{i}"
        check_channel(p, f.category, f.mode)
        if f.year is not None and f.year not in years:
            add(f"{p}.year", f.year, f"year outside the plan {years[0]}–{years[-1]} (leave it out for every year)")
        bounded = f.min_wan is not None or f.max_wan is not None
        if f.amount_wan is None and not bounded:
            add(p, MISSING, "give amount_wan (an exact figure) or min_wan and/or max_wan (a floor and/or a cap)")
        elif f.amount_wan is not None and bounded:
            add(f"{p}.amount_wan", f.amount_wan, "give either amount_wan or min_wan/max_wan, not both")
        if f.min_wan is not None and f.max_wan is not None and f.min_wan > f.max_wan:
            add(f"{p}.min_wan", f.min_wan, f"min above max: exceeds max_wan = {f.max_wan}")
        for y in ([f.year] if f.year is not None else years):
            k = (f.category, f.mode, y)
            if k in seen:
                add(p, f"{f.category}.{f.mode} {y}",
                    f"this channel-year is already fixed by rules.fixed_figures.figures.{seen[k]}; give it once")
            else:
                seen[k] = i
    fixed = {(c, m, y) for c, m, y in seen}
    for y in rule.spent_years:
        if y in years and not any(k[2] == y for k in fixed):
            add("rules.fixed_figures.spent_years", y, f"a spent year needs its figures fixed: none are given for {y}")
