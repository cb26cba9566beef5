"""The scenario file format: pydantic models of what a YAML scenario may contain.

This module only says which keys exist and which types and ranges they take
(structure).  Checks that need the whole file — ids that must exist, min below max,
concave curves — live in :mod:`budgetsim.validation`.  Every model forbids unknown keys.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# The curve shapes a scenario may name, and the parameters each takes (model.curves implements them).
CURVE_PARAMS = {
    "saturating_exp": ("max", "scale"),
    "power": ("coef", "exponent"),
    "log": ("coef", "scale"),
    "hill": ("max", "half", "n"),
}



def _share(v: float) -> float:
    if not 0.0 <= v <= 1.0:
        raise ValueError("a share must lie in [0, 1]")
    return v


Share = Annotated[float, AfterValidator(_share)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
PerYear = Union[NonNeg, dict[int, NonNeg]]
SharePerYear = Union[Share, dict[int, Share]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    zh: str
    en: str


class Reference(Strict):
    text: str
    url: str | None = None


class Plan(Strict):
    years: list[int] = Field(min_length=1, max_length=15)
    discount_rate: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    source: str = "illustrative"


class Budget(Strict):
    base_year: int | None = None
    base_amount_wan: Positive | None = None
    growth_rate: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0
    per_year_wan: dict[int, Positive] | None = None
    source: str = "illustrative"


class Dimension(Strict):
    label_zh: str
    label_en: str
    weight: NonNeg
    source: str = "illustrative"


class Indicator(Strict):
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    dimension: str
    weight: NonNeg = 1.0
    reference_per_year: Positive
    source: str = "illustrative"


class CurveSpec(Strict):
    curve: str
    max: Positive | None = None
    scale: Positive | None = None
    coef: Positive | None = None
    exponent: float | None = None
    half: Positive | None = None
    n: float | None = None
    source: str = "illustrative"


class Category(Strict):
    label_zh: str
    label_en: str
    response: dict[str, CurveSpec] = Field(min_length=1)
    source: str = "illustrative"


class PoolTerms(Strict):
    """Risk-compensation pool: banks lend ``leverage`` × pool; the pool pays a share of losses."""

    npl_rate: Annotated[float, Field(ge=0, le=0.5)]
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
    management_fee: Annotated[float, Field(ge=0, le=0.02)] = 0.02
    write_off_rate: Share = 0.6
    return_multiple: NonNeg = 2.0
    return_after_years: Annotated[int, Field(ge=1, le=20)] = 8
    return_discount: Annotated[float, Field(ge=0, le=0.5)] = 0.08
    source: str = "illustrative"


class PostSubsidyTerms(Strict):
    """Post-subsidy: a firm is paid ``subsidy_rate`` × the verified cost of a *successful* project.

    Per fiscal 万元 the firms spend 1 / (subsidy_rate × success_rate) on projects (failures
    included, at their own risk), so the leverage (firm money per fiscal 万元) is derived:
    1 / (subsidy_rate × success_rate) − 1."""

    subsidy_rate: Annotated[float, Field(gt=0, le=1)]
    success_rate: Annotated[float, Field(gt=0, le=1)]
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
    leverage: NonNeg
    external_effectiveness: Share
    lag_years: Annotated[int, Field(ge=0, le=10)] = 0
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
    A channel without a capacity is linear (no limit of its own)."""

    capacity_wan: Positive | None = None
    units: Positive | None = None
    unit_wan: Positive | None = None
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


class StatusQuo(Strict):
    base_year: int
    budget_wan: Positive
    split: dict[str, dict[str, Share]]
    off_budget_wan: dict[str, dict[str, NonNeg]] = Field(default_factory=dict)
    source: str = "illustrative"


class RuleBase(Strict):
    enabled: bool = True
    label_zh: str | None = None
    label_en: str | None = None
    reference: str | None = None


class BudgetEnvelopeRule(RuleBase):
    full_allocation: bool = False


class GrowthFloorRule(RuleBase):
    min_growth: Annotated[float, Field(ge=-0.5, le=1.0)]


class SharesRule(RuleBase):
    shares: dict[str, Share]


class StableBandRule(RuleBase):
    stable_share_min: Share = 0.0
    stable_share_max: Share = 1.0


class LeverageFloorRule(RuleBase):
    min_ratio: PerYear


class TargetsRule(RuleBase):
    targets: dict[str, NonNeg]


class SmoothingRule(RuleBase):
    max_change: Annotated[float, Field(gt=0, le=10)]


class StatusQuoBandRule(RuleBase):
    band: Annotated[float, Field(ge=0, le=10)]


class CapRule(RuleBase):
    cap_wan: PerYear


class PriorityFloorRule(RuleBase):
    categories: list[str] = Field(min_length=1)
    share_min: Share


class ProjectUnit(Strict):
    category: str
    mode: str
    unit_wan: Positive


class MinTicket(Strict):
    category: str
    mode: str
    min_wan: Positive


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
    status_quo_band: StatusQuoBandRule | None = None
    contingent_liability_cap: CapRule | None = None
    priority_floor: PriorityFloorRule | None = None
    tax_expenditure_cap: CapRule | None = None
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
    cv: NonNeg | None = None
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    correlation: Share = 0.0
    group: str | None = None
    source: str = "illustrative"


class Uncertainty(Strict):
    parameters: list[UncertainParameter] = Field(min_length=1)
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
    rules: Rules = Rules()
    uncertainty: Uncertainty | None = None
