"""The scenario file format: pydantic models of what a YAML scenario may contain.

This module only says which keys exist and which types and ranges they take
(structure).  Checks that need the whole file — ids that must exist, min below max,
concave curves — live in :mod:`budgetsim.validation`.  Every model forbids unknown keys.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# The curve shapes a scenario may name, and the parameters each takes (model.curves implements them).
CURVE_PARAMS = {
    "saturating_exp": ("max", "scale"),
    "power": ("coef", "exponent"),
    "log": ("coef", "scale"),
    "hill": ("max", "half", "n"),
}



# ----------------------------------------------------------------------------- bounds
#
# What "sensible" means for every number in a scenario, in one place.  Each bounded type
# below is a finite float (or int) with its range; every numeric field of the file format
# uses one of them, the validator words its messages from them ("a share must lie in
# [0, 1]") and the workbench's lever ranges read them (:func:`bounds_at`).  ``.inf``,
# ``.nan`` and true/false are refused everywhere.

MAX_WAN = 1e9          # 万元: 10 trillion yuan, far above any city's S&T budget
MAX_QUANTITY = 1e12    # indicator outputs, curve maxima and coefficients, targets
MAX_MULTIPLIER = 1000  # leverage and money-back multiples (loans per pool 万元 are 10–50)
MAX_WEIGHT = 1e6       # evaluation weights (shares or points)


@dataclass(frozen=True)
class Bounds:
    """The range of a bounded number: ``name`` says what it is, in the validator's words."""

    name: str
    lo: float
    hi: float
    lo_open: bool = False
    whole: bool = False

    def text(self) -> str:
        return f"{'(' if self.lo_open else '['}{_num(self.lo)}, {_num(self.hi)}]"

    def contains(self, v: float) -> bool:
        return math.isfinite(v) and (v > self.lo if self.lo_open else v >= self.lo) and v <= self.hi


def _num(v: float) -> str:
    """1000000000.0 → '1,000,000,000'; 0.5 → '0.5' (range ends in messages)."""
    return f"{int(v):,}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def _not_bool(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("must be a number, not true/false")
    return v


def bounded(name: str, lo: float, hi: float, *, lo_open: bool = False, whole: bool = False) -> Any:
    """A finite number type in [lo, hi] (or (lo, hi] with ``lo_open``), ``whole`` for integers.

    Other modules (and new schema fields) build their own bounded types with it:
    ``Capacity = bounded("an amount in 万元", 0, MAX_WAN)``."""
    meta = Bounds(name, float(lo), float(hi), lo_open, whole)
    limits = {"gt": lo} if lo_open else {"ge": lo}
    if whole:
        return Annotated[int, BeforeValidator(_not_bool), Field(le=hi, **limits), meta]
    return Annotated[float, BeforeValidator(_not_bool), Field(le=hi, allow_inf_nan=False, **limits), meta]


Money = bounded("an amount in 万元", 0, MAX_WAN)
PositiveMoney = bounded("an amount in 万元", 0, MAX_WAN, lo_open=True)
CurveScale = bounded("a curve scale in 万元", 1, MAX_WAN)   # below 1 万元 a curve is a step, not a curve
Share = bounded("a share", 0, 1)
Rate = bounded("a rate", 0, 0.5)                            # discount, NPL, return discount
GrowthRate = bounded("a growth rate", -0.5, 1)
Multiplier = bounded("a multiplier", 0, MAX_MULTIPLIER)
Quantity = bounded("a quantity", 0, MAX_QUANTITY)
PositiveQuantity = bounded("a quantity", 0, MAX_QUANTITY, lo_open=True)
Weight = bounded("a weight", 0, MAX_WEIGHT)
Finite = bounded("a number", -MAX_QUANTITY, MAX_QUANTITY)  # shape parameters checked in validation
Year = bounded("a year", 1900, 2200, whole=True)
Years = bounded("a number of years", 0, 50, whole=True)
Count = bounded("a whole number", 0, 1_000_000_000, whole=True)  # firms, people, projects
PerYear = Union[Money, dict[Year, Money]]
MultiplierPerYear = Union[Multiplier, dict[Year, Multiplier]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    zh: str
    en: str


class Reference(Strict):
    text: str
    url: str | None = None


class Plan(Strict):
    """The plan's years and how results are valued over time.

    ``discount_rate``: each later year's results count (1 + rate)^−t.  Results arrive
    ``lag_years`` after the money is paid (a mode's lag is a delay); results that arrive after
    the plan's last year count at ``results_after_plan`` (a weight: 1 = in full, at the
    discount rate, 0 = not at all), added to the last plan year."""

    years: list[Year] = Field(min_length=1, max_length=15)
    discount_rate: Rate = 0.0
    results_after_plan: Share = 1.0
    source: str = "illustrative"


class Budget(Strict):
    base_year: Year | None = None
    base_amount_wan: PositiveMoney | None = None
    growth_rate: GrowthRate = 0.0
    per_year_wan: dict[Year, PositiveMoney] | None = None
    source: str = "illustrative"


class Dimension(Strict):
    label_zh: str
    label_en: str
    weight: Weight
    source: str = "illustrative"


class Indicator(Strict):
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    dimension: str
    weight: Weight = 1.0
    # the level that scores 100: below a thousandth of a unit a year the index would weigh this
    # indicator 10¹⁰ times the others, beyond what a solver can balance (a fuzzed 1e-9 stalled HiGHS)
    reference_per_year: bounded("a reference level per year", 0.001, MAX_QUANTITY)
    source: str = "illustrative"


class CurveSpec(Strict):
    curve: str
    max: PositiveQuantity | None = None
    scale: CurveScale | None = None
    coef: PositiveQuantity | None = None
    exponent: Finite | None = None
    half: CurveScale | None = None
    n: Finite | None = None
    source: str = "illustrative"


class Category(Strict):
    label_zh: str
    label_en: str
    response: dict[str, CurveSpec] = Field(min_length=1)
    source: str = "illustrative"


class PoolTerms(Strict):
    """Risk-compensation pool: banks lend ``leverage`` × pool; the pool pays a share of losses."""

    npl_rate: Rate
    loss_share: Share
    recovery_rate: Share = 0.0
    source: str = "illustrative"


class FundTerms(Strict):
    """Guidance fund: the decision is a commitment, paid in over years; money comes back later.

    ``pay_in``: shares of a commitment paid in the commitment year and the years after
    (summing to 1); ``management_fee``: yearly fee on the commitment over the pay-in years
    (≤ 2 %/yr, 国办发〔2025〕1号), taken from the invested money; ``write_off_rate``: expected
    share of invested money written off (angel funds tolerate 60–80 %); ``return_multiple``:
    money back per surviving invested 万元, ``return_after_years`` after the commitment;
    ``return_discount``: the rate at which money returned is valued today (the user's call)."""

    pay_in: list[Share] = Field(min_length=1, max_length=10)
    management_fee: bounded("a yearly fee rate", 0, 0.02) = 0.02
    write_off_rate: Share = 0.6
    return_multiple: Multiplier = 2.0
    return_after_years: bounded("a number of years", 1, 20, whole=True) = 8
    return_discount: Rate = 0.08
    source: str = "illustrative"


class PostSubsidyTerms(Strict):
    """Post-subsidy: a firm is paid ``subsidy_rate`` × the verified cost of a *successful* project.

    Per fiscal 万元 the firms spend 1 / (subsidy_rate × success_rate) on projects (failures
    included, at their own risk), so the leverage (firm money per fiscal 万元) is derived:
    1 / (subsidy_rate × success_rate) − 1."""

    subsidy_rate: bounded("a rate", 0.01, 1)
    success_rate: bounded("a rate", 0.01, 1)
    source: str = "illustrative"

    @property
    def leverage(self) -> float:
        return 1.0 / (self.subsidy_rate * self.success_rate) - 1.0


ModeKind = Literal[
    "institutional", "competitive_grant", "post_subsidy", "risk_pool", "guidance_fund", "tax_incentive"
]


class Mode(Strict):
    label_zh: str
    label_en: str
    kind: ModeKind
    support_type: Literal["stable", "competitive", "market"]
    on_budget: bool = True
    fiscal_effectiveness: Share
    leverage: Multiplier
    external_effectiveness: Share
    lag_years: bounded("a number of years", 0, 10, whole=True) = 0
    # grants: the decision is the award; the budget pays it in these shares over the award year
    # and the years after (a guidance fund's schedule is its fund.pay_in)
    payout: list[Share] | None = Field(default=None, min_length=1, max_length=10)
    pool: PoolTerms | None = None
    fund: FundTerms | None = None
    post_subsidy: PostSubsidyTerms | None = None
    source: str = "illustrative"

    @model_validator(mode="before")
    @classmethod
    def _derive_leverage(cls, data):
        """A post_subsidy block derives the leverage when the file does not give one."""
        if isinstance(data, dict) and "leverage" not in data and isinstance(data.get("post_subsidy"), dict):
            ps = data["post_subsidy"]
            try:
                data = {**data, "leverage": 1.0 / (float(ps["subsidy_rate"]) * float(ps["success_rate"])) - 1.0}
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                pass  # the block's own checks report the problem
        return data


class ChannelSpec(Strict):
    """One category × mode channel's own limits (section ``channels.<category>.<mode>``).

    Absorptive capacity: how much this mode can usefully place in this category in a year
    (fiscal 万元 of the channel's decision: awards, commitments, pool top-ups).  Give it as
    ``capacity_wan`` or as ``units`` × ``unit_wan`` (eligible projects × typical ticket for
    grants and post-subsidies, deals a year × ticket for a fund; for a risk pool: firms
    wanting loans a year × typical loan = banks' new lending demand, and the pool's capacity
    is that demand ÷ the mode's leverage).  The useful money of ``x`` 万元 is
    capacity · (1 − exp(−x / capacity)): the first 万元 are fully useful, then less and less.
    A channel without a capacity is linear (no limit of its own).

    ``payout``: this channel's own payout schedule (shares of an award paid in the award year
    and the years after), replacing its mode's — e.g. three-year major projects."""

    capacity_wan: PositiveMoney | None = None
    payout: list[Share] | None = Field(default=None, min_length=1, max_length=10)
    units: PositiveQuantity | None = None
    unit_wan: PositiveMoney | None = None
    basis_zh: str | None = None
    basis_en: str | None = None
    source: str = "illustrative"

    @model_validator(mode="after")
    def _one_capacity(self):
        if self.capacity_wan is not None and (self.units is not None or self.unit_wan is not None):
            raise ValueError("give capacity_wan or units × unit_wan, not both")
        if (self.units is None) != (self.unit_wan is None):
            raise ValueError("units and unit_wan go together (capacity = units × unit_wan)")
        return self


class RiskPrice(Strict):
    """What a 万元 of expected fiscal loss (risk-pool draws, fund write-offs) costs the plan, in
    index points: the optimiser maximises the performance index minus this price × the plan's
    discounted expected losses (the index itself is reported unchanged, the risk cost beside it)."""

    points_per_wan: bounded("a price in index points per 万元", 0, 1)
    source: str = "illustrative"


class PriorAwards(Strict):
    """续拨: money due in the plan's years on awards and commitments made before it (multi-year
    grants, major projects, fund pay-ins), per category, mode and year, in 万元.  It takes budget
    first; its results count in the plan's years like any money paid then."""

    due_wan: dict[str, dict[str, dict[Year, Money]]]
    source: str = "illustrative"


class StatusQuo(Strict):
    base_year: Year
    budget_wan: PositiveMoney
    split: dict[str, dict[str, Share]]
    off_budget_wan: dict[str, dict[str, Money]] = Field(default_factory=dict)
    source: str = "illustrative"


class RuleBase(Strict):
    enabled: bool = True
    label_zh: str | None = None
    label_en: str | None = None
    reference: str | None = None


class BudgetEnvelopeRule(RuleBase):
    full_allocation: bool = False


class GrowthFloorRule(RuleBase):
    min_growth: GrowthRate


class SharesRule(RuleBase):
    shares: dict[str, Share]


class StableBandRule(RuleBase):
    stable_share_min: Share = 0.0
    stable_share_max: Share = 1.0


class LeverageFloorRule(RuleBase):
    min_ratio: MultiplierPerYear


class TargetsRule(RuleBase):
    targets: dict[str, Quantity]


class SmoothingRule(RuleBase):
    max_change: bounded("a relative change", 0, 10, lo_open=True)


class ChannelBandRule(RuleBase):
    """Each channel's yearly decision within ±``max_change`` of the year before (the first plan
    year: of the status-quo year); a channel not funded in the status-quo year may start with up
    to ``start_wan`` in the first plan year."""

    max_change: bounded("a relative change", 0, 10, lo_open=True) = 0.3
    start_wan: Money = 0.0


class StableContinuityRule(RuleBase):
    """Stable (institutional) support keeps at least ``min_keep`` of last year's amount (the
    first plan year: of the status-quo year): it is never switched off and on again."""

    min_keep: Share = 0.9


class TaxEntitlementRule(RuleBase):
    """The R&D super-deduction is national law: its forgone revenue follows firms' R&D, not a city
    decision.  ``forecast_wan`` (category → mode → one amount or per year) is what the city
    forgoes anyway; ``top_up_max_wan`` (one amount or per year, default none) is an optional city
    top-up on top of it — the only part that is a lever."""

    forecast_wan: dict[str, dict[str, PerYear]]
    top_up_max_wan: PerYear = 0.0


class RiskAppetiteRule(RuleBase):
    """Expected fiscal losses (risk-pool draws, fund write-offs) each year at most
    ``max_loss_share`` of that year's budget envelope."""

    max_loss_share: Share


class PostPlanRule(RuleBase):
    """Pay-ins falling due after the plan (fund commitments, multi-year awards) at most
    ``cap_wan`` in total: the post-plan allowance they are charged against."""

    cap_wan: Money


class StatusQuoBandRule(RuleBase):
    band: bounded("a relative band", 0, 10)


class CapRule(RuleBase):
    cap_wan: PerYear


class PriorityFloorRule(RuleBase):
    categories: list[str] = Field(min_length=1)
    share_min: Share


class ProjectUnit(Strict):
    category: str
    mode: str
    unit_wan: PositiveMoney


class MinTicket(Strict):
    category: str
    mode: str
    min_wan: PositiveMoney


class FixedFigure(Strict):
    """One channel's amount in 万元 that the optimiser may not move (or may move only within a floor
    and a cap): an award already decided for a plan year, a signed commitment, a year already spent.

    ``year`` omitted: every plan year.  Give ``amount_wan`` (exact) or ``min_wan`` and/or ``max_wan``.
    The amount is the decision — the year's award or commitment, not its cash: a multi-year award
    is paid by its channel's payout schedule (a fund's by its pay-in), like any award of the plan,
    so what it owes after the plan joins the plan's other commitments.  Money still due on awards
    made *before* the plan is ``prior_awards``, not a fixed figure."""

    category: str
    mode: str
    year: Year | None = None
    amount_wan: Money | None = None
    min_wan: Money | None = None
    max_wan: Money | None = None
    note: str | None = None


class FixedFiguresRule(RuleBase):
    """``spent_years``: years already spent (a rolling re-plan) — their figures are facts, so rules about
    those years alone no longer constrain the plan; rules that link them to later years still do."""

    figures: list[FixedFigure] = Field(min_length=1)
    spent_years: list[Year] = Field(default_factory=list)


class LumpyRule(RuleBase):
    projects: list[ProjectUnit] = Field(default_factory=list)
    min_tickets: list[MinTicket] = Field(default_factory=list)


class Rules(Strict):
    budget_envelope: BudgetEnvelopeRule = BudgetEnvelopeRule()
    budget_growth_floor: GrowthFloorRule | None = None
    category_share_min: SharesRule | None = None
    category_share_max: SharesRule | None = None
    mode_share_min: SharesRule | None = None
    mode_share_max: SharesRule | None = None
    stable_competitive_band: StableBandRule | None = None
    leverage_floor: LeverageFloorRule | None = None
    indicator_targets: TargetsRule | None = None
    category_smoothing: SmoothingRule | None = None
    channel_band: ChannelBandRule | None = None
    stable_support_continuity: StableContinuityRule | None = None
    risk_appetite: RiskAppetiteRule | None = None
    tax_entitlement: TaxEntitlementRule | None = None
    post_plan_commitments: PostPlanRule | None = None
    status_quo_band: StatusQuoBandRule | None = None
    contingent_liability_cap: CapRule | None = None
    priority_floor: PriorityFloorRule | None = None
    tax_expenditure_cap: CapRule | None = None
    fixed_figures: FixedFiguresRule | None = None
    lumpy_funding: LumpyRule | None = None


class UncertainParameter(Strict):
    """One uncertain parameter (or a family, with ``*`` wildcards) and its distribution.

    ``path`` names a response curve's output (``categories.<id>.response.<indicator>``:
    the value is an output multiplier with base 1) or a mode parameter
    (``modes.<id>.leverage``, ``modes.<id>.pool.npl_rate``, ``modes.<id>.fund.write_off_rate`` …).
    ``lognormal``: the base value times a log-normal multiplier of mean 1 and coefficient
    of variation ``cv``.  ``triangular``: the value itself, between ``low`` and ``high``
    with its peak at ``mode``.  ``correlation``: the weight ρ of a common shock shared by
    the items a wildcard matches (0 = independent); entries with the same ``group`` share
    one common shock, so items of two entries correlate at √(ρ₁ρ₂) (e.g. a bad year for
    every category at once)."""

    path: str
    dist: Literal["lognormal", "triangular"]
    cv: bounded("a coefficient of variation", 0, 10) | None = None
    low: Finite | None = None
    mode: Finite | None = None
    high: Finite | None = None
    correlation: Share = 0.0
    group: str | None = None
    source: str = "illustrative"


class Uncertainty(Strict):
    parameters: list[UncertainParameter] = Field(min_length=1)
    source: str = "illustrative"


class PriorValue(Strict):
    """A prior belief about a share-like quantity in (0, 1): its mean and standard deviation."""

    mean: bounded("a share strictly between 0 and 1", 0.001, 0.999)
    sd: bounded("a standard deviation", 0.001, 1)


class CurvePrior(Strict):
    """Priors for fitting response curves to records (``budgetsim calibrate``).

    ``category`` and ``indicator`` say which curves the entry covers (``*``: every one; the most
    specific entry that gives a field wins).  ``elasticity``: the elasticity of the output with
    respect to the category's resources at current spending (1 = proportional, 0 = saturated).
    ``saturation``: for curves with a ceiling (saturating_exp, hill), the share of the ceiling
    already reached at current spending.  ``level_sd``: how far (log scale) the output at current
    spending may stray from the scenario's own curve (the data normally settle it)."""

    category: str = "*"
    indicator: str = "*"
    elasticity: PriorValue | None = None
    saturation: PriorValue | None = None
    level_sd: bounded("a standard deviation (log scale)", 0.01, 10) | None = None
    source: str = "illustrative"


class Calibration(Strict):
    """How ``budgetsim calibrate`` fits this scenario's curves to a bureau's records.

    ``noise_cv``: the prior for the year-to-year scatter of recorded outputs around the curve
    (a coefficient of variation; its own spread is a factor of about 1.6)."""

    priors: list[CurvePrior] = Field(default_factory=list)
    noise_cv: bounded("a coefficient of variation", 0.001, 2) = 0.10
    source: str = "illustrative"


class ScenarioSpec(Strict):
    """A whole, merged scenario file (after ``extends`` has been applied)."""

    id: str
    title: Text
    description: Text
    illustrative: bool = True
    extends: str | None = None
    references: dict[str, Reference] = Field(default_factory=dict)
    plan: Plan
    budget: Budget
    dimensions: dict[str, Dimension] = Field(min_length=1)
    indicators: dict[str, Indicator] = Field(min_length=1)
    categories: dict[str, Category] = Field(min_length=1)
    modes: dict[str, Mode] = Field(min_length=1)
    eligibility: dict[str, list[str]]
    status_quo: StatusQuo
    channels: dict[str, dict[str, ChannelSpec]] = Field(default_factory=dict)
    prior_awards: PriorAwards | None = None
    risk_price: RiskPrice | None = None
    rules: Rules = Rules()
    uncertainty: Uncertainty | None = None
    calibration: Calibration | None = None


# ----------------------------------------------------------------------------- bounds by path


def _members(annotation: Any) -> list[Any]:
    """The alternatives of a Union (``X | None``), each kept with its Annotated metadata."""
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _bare(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is Annotated:
        base, *meta = typing.get_args(annotation)
        inner, more = _bare(base)
        return inner, meta + more
    return annotation, []


def bounds_at(path: str | tuple | list, root: type[BaseModel] | None = None) -> Bounds | None:
    """The :class:`Bounds` of the number at a dotted scenario ``path`` (None when it is not a
    bounded number).  ``rules.leverage_floor.min_ratio`` and ``…min_ratio.2027`` both give the
    multiplier's bounds; a ``[key]`` part (pydantic's marker for a bad mapping key) gives the key's."""
    parts = path.split(".") if isinstance(path, str) else list(path)
    current: list[Any] = [root or ScenarioSpec]
    for k, part in enumerate(parts):
        if part == "[key]":
            return None if k != len(parts) - 1 else _first_bounds(current, key=True)
        nxt: list[Any] = []
        for cand in (m for c in current for m in _members(c)):
            bare, _ = _bare(cand)
            if isinstance(bare, type) and issubclass(bare, BaseModel):
                f = bare.model_fields.get(str(part))
                if f is not None:
                    nxt.append(Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation)
            elif typing.get_origin(bare) is dict:
                nxt.append(typing.get_args(bare)[0 if k + 1 < len(parts) and parts[k + 1] == "[key]" else 1])
            elif typing.get_origin(bare) is list and (isinstance(part, int) or str(part).isdigit()):
                nxt.append(typing.get_args(bare)[0])
        current = nxt
        if not current:
            return None
    return _first_bounds(current)


def _first_bounds(cands: list[Any], key: bool = False) -> Bounds | None:
    for cand in (m for c in cands for m in _members(c)):
        bare, meta = _bare(cand)
        if key and typing.get_origin(bare) is dict:
            bare, meta = _bare(typing.get_args(bare)[0])
        for m in meta:
            if isinstance(m, Bounds):
                return m
    return None
