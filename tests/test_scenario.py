from pathlib import Path

import numpy as np
import pytest

import budgetsim as bs
from budgetsim.scenario.loading import deep_merge, set_path

from .conftest import BASELINE, ROOT, SCENARIOS

BAD = ROOT / "tests" / "bad_scenarios"

# each bad file and the messages (path and reason) it must produce
EXPECTED = {
    "unknown_key.yaml": ["rules.category_share_min.sharez", "unexpected key 'sharez'", "allowed keys are"],
    "unknown_extends.yaml": ["extends", "unknown base scenario", "basline"],
    "unknown_category.yaml": ["rules.category_share_min.shares.basic_frontiers", "unknown category id"],
    "unknown_mode.yaml": ["eligibility.basic_frontier", "unknown mode id", "lottery"],
    "share_out_of_range.yaml": ["rules.category_share_max.shares.tech_guidance", "a share must lie in [0, 1]", "1.4"],
    "min_above_max.yaml": ["rules.category_share_min.shares.tech_guidance", "min above max"],
    "non_concave_hill.yaml": ["categories.major_projects.response.key_technologies.n", "S-shaped, not concave"],
    "convex_power.yaml": ["categories.tech_guidance.response.rd_induced.exponent", "not concave"],
    "bad_yaml.yaml": ["not valid YAML", "line 5"],
    "python_tag.yaml": ["not valid YAML", "python/object/apply"],
    "duplicate_key.yaml": ["duplicate key 'base_amount_wan'"],
    "status_quo_sum.yaml": ["status_quo.split", "must sum to 1"],
    "not_a_number.yaml": ["budget.base_amount_wan", "must be a number", "lots"],
    "tax_cap_off.yaml": ["rules.tax_expenditure_cap", "tax-expenditure cap must be given"],
    "unknown_curve.yaml": ["categories.basic_frontier.response.key_technologies.curve", "unknown curve", "sigmoid"],
    "ineligible_target.yaml": ["rules.indicator_targets.targets.patents", "unknown indicator id",
                               "rules.lumpy_funding.projects.0", "not eligible"],
    "many_problems.yaml": ["3 problems", "budget.base_amount_wan", "must lie in (0, 1,000,000,000]",
                           "rules.mode_share_max.shares.risk_pool", "rules.leverage_floor.per_year"],
}


def test_every_bad_file_has_an_expectation():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_message(name):
    with pytest.raises(bs.ScenarioError) as info:
        bs.load_scenario(BAD / name)
    text = str(info.value)
    for needle in EXPECTED[name]:
        assert needle in text, f"{needle!r} not in:\n{text}"


def test_collects_every_problem_at_once():
    with pytest.raises(bs.ScenarioError) as info:
        bs.load_scenario(BAD / "many_problems.yaml")
    assert len(info.value.problems) == 3
    assert {p.path for p in info.value.problems} == {
        "budget.base_amount_wan", "rules.mode_share_max.shares.risk_pool", "rules.leverage_floor.per_year"}


def test_missing_file_has_its_own_error(tmp_path):
    with pytest.raises(bs.ScenarioNotFoundError, match="scenario file not found"):
        bs.load_scenario(tmp_path / "nope.yaml")


def test_unknown_extends_is_a_not_found_error():
    with pytest.raises(bs.ScenarioNotFoundError, match="unknown base scenario"):
        bs.load_scenario(BAD / "unknown_extends.yaml")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_load(path):
    s = bs.load_scenario(path)
    assert s.id == path.stem
    assert s.title("zh") and s.title("en")


def test_variants_are_sparse_diffs():
    for path in SCENARIOS.glob("*.yaml"):
        if path.stem == "baseline":
            continue
        text = path.read_text(encoding="utf-8")
        assert "extends: baseline" in text
        assert len(text.splitlines()) < 40, f"{path.name} looks like a copy, not a diff"


def test_variant_merges_onto_baseline(baseline):
    v = bs.load_scenario(SCENARIOS / "budget_plus_10.yaml")
    assert np.allclose(v.budget_wan, baseline.budget_wan * 1.1)
    assert v.spec.categories == baseline.spec.categories
    assert v.spec.extends == "baseline"


def test_variant_never_mutates_baseline(baseline):
    before = baseline.budget_wan.copy()
    bs.load_scenario(SCENARIOS / "budget_plus_10.yaml")
    changed = baseline.with_changes({"budget.base_amount_wan": 1.0})
    assert np.allclose(baseline.budget_wan, before)
    assert changed.budget_wan[0] == 1.0


def test_with_changes_validates(baseline):
    with pytest.raises(bs.ScenarioError, match="a share must lie in"):
        baseline.with_changes({"rules.category_share_min.shares.basic_frontier": 3})


def test_per_year_budget(baseline):
    s = baseline.with_changes(diff={"budget": {"base_year": None, "base_amount_wan": None,
                                               "per_year_wan": {2026: 1, 2027: 2, 2028: 3, 2029: 4, 2030: 5}}})
    assert list(s.budget_wan) == [1, 2, 3, 4, 5]


def test_every_figure_has_a_known_source(baseline):
    refs = set(baseline.spec.references) | {"illustrative"}
    spec = baseline.spec
    sources = [spec.plan.source, spec.budget.source, spec.status_quo.source]
    sources += [m.source for m in spec.modes.values()] + [i.source for i in spec.indicators.values()]
    sources += [c.source for cat in spec.categories.values() for c in cat.response.values()]
    assert set(sources) <= refs
    assert spec.illustrative


def test_load_from_text_with_extends():
    s = bs.load_scenario_text("extends: baseline\nbudget:\n  base_amount_wan: 70000\n", name="upload")
    assert s.budget_wan[0] == 70000


def test_helpers():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}) == {"a": {"b": 3, "c": 2}}
    assert set_path({"x": {2026: 1}}, "x.2026", 5) == {"x": {2026: 5}}
    assert BASELINE.exists() and isinstance(BASELINE, Path)


# ----------------------------------------------------------------- bounds (one place: schema.py)

# one path per kind of number; each must refuse .inf, .nan, true and values past its bounds
BOUNDED_PATHS = [
    "budget.base_amount_wan", "budget.growth_rate", "plan.discount_rate",
    "indicators.transferred_results.reference_per_year", "dimensions.quality.weight",
    "categories.basic_frontier.response.original_results.max",
    "categories.basic_frontier.response.original_results.scale",
    "categories.basic_frontier.response.invention_patents.coef",
    "categories.basic_frontier.response.invention_patents.exponent",
    "modes.risk_pool.leverage", "modes.risk_pool.pool.npl_rate", "modes.guidance_fund.fund.return_multiple",
    "status_quo.budget_wan", "rules.leverage_floor.min_ratio", "rules.tax_expenditure_cap.cap_wan",
    "rules.contingent_liability_cap.cap_wan", "rules.indicator_targets.targets.transferred_results",
    "rules.category_share_min.shares.basic_frontier",
]


@pytest.mark.parametrize("path", BOUNDED_PATHS)
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), True, 1e308, -1e308])
def test_every_number_is_finite_and_bounded(baseline, path, value):
    with pytest.raises(bs.ScenarioError) as info:
        baseline.with_changes({path: value})
    text = str(info.value)
    assert path in text
    assert any(w in text for w in ("must lie in", "finite number", "not true/false", "must be in (0, 1]")), text


def test_bound_messages_say_what_is_allowed(baseline):
    with pytest.raises(bs.ScenarioError, match=r"budget.base_amount_wan: must be a finite number, not \.inf or "
                       r"\.nan \(an amount in 万元 in \(0, 1,000,000,000\]\) \(got nan\)"):
        baseline.with_changes({"budget.base_amount_wan": float("nan")})
    with pytest.raises(bs.ScenarioError, match=r"budget.base_amount_wan: an amount in 万元 must lie in "
                       r"\(0, 1,000,000,000\] \(got 1e\+20\)"):
        baseline.with_changes({"budget.base_amount_wan": 1e20})
    with pytest.raises(bs.ScenarioError, match=r"modes.risk_pool.leverage: a multiplier must lie in \[0, 1,000\]"):
        baseline.with_changes({"modes.risk_pool.leverage": 1e6})
    with pytest.raises(bs.ScenarioError, match=r"budget.per_year_wan.30000: a year must lie in \[1,900, 2,200\]"):
        baseline.with_changes({"budget.base_amount_wan": None, "budget.base_year": None,
                               "budget.per_year_wan": {30000: 1.0}})


def test_bounds_at_reads_the_schema():
    from budgetsim.scenario.schema import MAX_WAN, bounds_at
    assert bounds_at("budget.base_amount_wan").hi == MAX_WAN
    assert bounds_at("rules.leverage_floor.min_ratio.2027") == bounds_at("rules.leverage_floor.min_ratio")
    assert bounds_at("rules.category_share_min.shares.basic_frontier").text() == "[0, 1]"
    assert bounds_at("title.zh") is None


def test_every_number_of_the_file_format_is_a_bounded_type():
    """A new schema field must use one of schema.py's bounded types (Money, Share, …) or bounded()."""
    import typing

    from pydantic import BaseModel

    from budgetsim.scenario.schema import Bounds, ScenarioSpec, _bare, _members

    seen: set = set()
    unbounded: list[str] = []

    def check(ann, where: str) -> None:
        for m in _members(ann):
            bare, meta = _bare(m)
            if isinstance(bare, type) and issubclass(bare, BaseModel):
                walk(bare)
            elif typing.get_origin(bare) in (dict, list):
                for arg in typing.get_args(bare):
                    check(arg, where + "[]")
            elif bare in (int, float) and not any(isinstance(x, Bounds) for x in meta):
                unbounded.append(where)

    def walk(model) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, f in model.model_fields.items():
            check(typing.Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation,
                  f"{model.__name__}.{name}")

    walk(ScenarioSpec)
    assert len(seen) > 20 and unbounded == []
