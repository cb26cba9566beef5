"""Calibration: known curves come back from noisy records; thin data leaves the prior in charge;
the calibrated scenario carries its uncertainty into simulate and the cvar objective."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import budgetsim as bs
from budgetsim.analysis.calibration import (calibrate, elasticity, history_resources, perturbed_curves,
                                            scenario_with_curves, status_quo_records, synthetic_records,
                                            theta_from_curve)
from budgetsim.model.evaluate import Evaluator, scenario_curves
from budgetsim.scenario.distributions import resolve

from .conftest import SCENARIOS

EXAMPLE = SCENARIOS / "records" / "yangzhou_example_2016_2025.csv"
THIN = SCENARIOS / "records" / "yangzhou_thin_2023_2025.csv"


def _no_targets(s: bs.Scenario) -> bs.Scenario:
    # indicator targets hold on whatever curves a plan is optimised on; a plan meeting them on the fitted
    # curves may miss them on the true ones and so score "above" the true optimum — compare like with like
    # and the synthetic history rewrites 2025's split, which the continuity rules tie 2026 to: off here
    # (so do the growth floor and stable-support continuity: a 2025 up to 30 % above the 2026 envelope)
    return s.with_changes({"rules.indicator_targets.enabled": False, "rules.channel_band.enabled": False,
                           "rules.category_smoothing.enabled": False, "rules.budget_growth_floor.enabled": False,
                           "rules.stable_support_continuity.enabled": False})


RECOVERY_SEEDS = range(10)


@pytest.fixture(scope="module")
def recoveries(baseline):
    """Ten recoveries: per seed, the baseline's curves moved at random (the truth), 8 years of records
    drawn from it with each category's spending spread over ±30 % and 5 % log-normal noise, and the
    calibration of the baseline to them."""
    s = _no_targets(baseline)
    out = []
    for seed in RECOVERY_SEEDS:
        rng = np.random.default_rng(seed)
        truth = perturbed_curves(s, rng)
        rec = synthetic_records(s, scenario_with_curves(s, truth), list(range(2018, 2026)), spread=0.3, noise=0.05,
                                rng=rng)
        out.append((s, truth, rec, calibrate(s, rec, flips=False)))
    return out


@pytest.fixture(scope="module")
def recovery(recoveries):
    return recoveries[0]


def _errors(s, truth, cal, half_width: float, curves=None) -> np.ndarray:
    _, e_sq = history_resources(s, status_quo_records(s))
    true = scenario_curves(scenario_with_curves(s, truth))
    errs = []
    for (c, i), f in cal.fits.items():
        e0 = e_sq[s.categories.index(c), 0]
        grid = np.linspace((1 - half_width) * e0, (1 + half_width) * e0, 41)
        fitted = f.curve() if curves is None else curves[(c, i)]
        errs.append(np.max(np.abs(fitted.value(grid) / true[(c, i)].value(grid) - 1)))
    return np.array(errs)


def test_recovery_curves(recoveries):
    """The issue's recovery test (8 years, spending ±30 %, 5 % noise; 10 seeds × 19 curves), asserted as
    what is true of it.

    Over ±50 % of current spending not every curve can be within 10 %: the low end (half the spending)
    lies 0.69 on the log scale from the centre, twice as far as the records reach (0.36), and with 8
    points at 5 % noise the elasticity's standard error from the data alone is ≈ 0.09 — a 10 % miss at
    the low end is a 1.5–2 sd event.  Least squares on the data alone gets ≈ 89 % of such curves
    within 10 %; the exact Bayesian answer with these priors (sd 0.15–0.2 on the elasticity) and the
    true noise known ≈ 96 %.  The MAP fit gets 95 % (``bench/calibration_recovery.py --seeds 20``:
    95.3 %): it is at that limit, and the misses are draws of noise that happen to line up with
    spending (checked: the MAP is the global optimum from twelve random restarts, and the elasticity
    errors scale with the posterior sd as they should).  What must hold, and does:
    """
    errs30, errs50, prior50, inside, z = [], [], [], [], []
    for s, truth, rec, cal in recoveries:
        errs30.append(_errors(s, truth, cal, 0.3))
        errs50.append(_errors(s, truth, cal, 0.5))
        prior50.append(_errors(s, truth, cal, 0.5, curves=scenario_curves(s)))
        true = scenario_curves(scenario_with_curves(s, truth))
        for (c, i), f in cal.fits.items():
            assert f.n_points == 8
            b = f.band[(f.band.effective_wan >= 0.5 * f.e0) & (f.band.effective_wan <= 1.5 * f.e0)]
            v = true[(c, i)].value(b.effective_wan.to_numpy())
            inside.append(np.mean((v >= b.low) & (v <= b.high)))
            z.append(f.elasticity_z(elasticity(f.kind, theta_from_curve(f.kind, truth[(c, i)], f.e0))))
    e30, e50, p50, z = map(np.concatenate, (errs30, errs50, prior50, [np.array(z)]))
    # within the records' range (±30 %) the curves are recovered: all but one in 190 within 10 %
    assert np.mean(e30 < 0.10) >= 0.98 and e30.max() < 0.13, np.sort(e30)[-5:]
    # over ±50 %: near the statistical limit (95.3 % measured), and no curve far off
    assert np.mean(e50 < 0.10) >= 0.93 and e50.max() < 0.20, np.sort(e50)[-10:]
    # the data did the work: the prior curves alone are within 10 % for about a third
    assert np.mean(p50 < 0.10) < 0.45
    # the uncertainty is honest: the true curve is inside the 90 % band over about 90 % of the range, and the
    # elasticity errors, in posterior sds, spread like a standard normal
    assert 0.85 <= np.mean(inside) <= 0.95, np.mean(inside)
    assert 0.75 <= z.std() <= 1.15 and np.mean(np.abs(z) > 1.645) <= 0.15, (z.std(), np.mean(np.abs(z) > 1.645))
    # most curves are identified by 8 points; the prior dominates only where a category's resources vary less
    dominated = [f for *_, cal in recoveries for f in cal.fits.values() if f.prior_dominates]
    assert len(dominated) <= 0.1 * len(e50)


def test_recovery_plan_within_one_percent(recoveries):
    """The plan optimised on the fitted curves, scored on the true curves, is within 1 % of the true optimum
    in every seed (``bench/calibration_recovery.py --seeds 20``: at most 0.37 %)."""
    gaps = []
    for s, truth, rec, cal in recoveries:
        on_truth = scenario_with_curves(cal.scenario, truth)  # same rules and index references, true curves
        best = bs.solve(on_truth)
        fitted = bs.solve(cal.scenario)
        assert best.ok and fitted.ok
        score = Evaluator(on_truth).evaluate(fitted.mech.flatten(fitted.x)).performance
        gaps.append(1 - score / best.performance)
    assert max(gaps) <= 0.01, gaps


def test_capacities_not_identified_when_channels_move_together(recovery):
    """Records that move a category's channels together (and stay well below their capacities) cannot
    tell a capacity from the curve's own concavity: every capacity is reported as not identified, the
    scenario's value is kept, and the calibrated file says so."""
    s, truth, rec, cal = recovery
    assert len(cal.channels) == 15
    for ch in cal.channels:
        assert not ch.identified and ch.reason == "weak" and ch.capacity_wan == ch.prior_wan
        assert ch.data_weight < 0.5 and ch.mix_spread < 1e-3
    assert "channels" not in cal.document()
    text = cal.yaml_text()
    assert text.count("not identified by these records; scenario value kept") == 15
    assert "tech_guidance.risk_pool: not identified" in text
    from budgetsim.present.calibration_report import calibration_html, calibration_text
    assert calibration_text(cal, "en").count("Not identified by these records; scenario value kept") == 15
    assert calibration_html(cal, "zh", charts=False).count("记录不能识别；保留情景值") == 15


def _mixed_records(s: bs.Scenario, truth: bs.Scenario, years: list[int], spread: float, noise: float,
                   rng: np.random.Generator):
    """Records whose channels each move on their own (spread over ±``spread`` in a random order)."""
    import pandas as pd
    from budgetsim.scenario.records import Records
    sq = status_quo_records(s).spending
    rows = [(y, r.category, r.mode, float(r.amount_wan * m)) for r in sq.itertuples()
            for y, m in zip(years, rng.permutation(np.linspace(1 - spread, 1 + spread, len(years))))]
    spending = pd.DataFrame(rows, columns=["year", "category", "mode", "amount_wan"])
    empty = pd.DataFrame(columns=["year", "category", "indicator", "value", "origin"])
    _, E = history_resources(truth, Records(spending, empty, pd.DataFrame(), "mixed.csv"))
    out = [(y, c, i, float(curve.value(E[s.categories.index(c), k]) * np.exp(noise * rng.standard_normal())),
            "outcomes") for (c, i), curve in scenario_curves(truth).items() for k, y in enumerate(years)]
    return Records(spending, pd.DataFrame(out, columns=empty.columns), pd.DataFrame(), "mixed.csv", "0" * 64)


def test_capacity_identified_when_a_channel_saturates_and_the_mix_moves(baseline):
    """A capacity is identified when its channel runs near its limit and moves on its own: talent
    competitive grants capped at 80 projects × 50 万元 = 4,000 万元 (the records spend up to 85 % of it),
    the scenario saying 160 × 50 = 8,000; ten years, every channel ±50 % on its own, 3 % noise."""
    key = ("talent_environment", "competitive_grant")
    s = _no_targets(baseline).with_changes(diff={"channels": {key[0]: {key[1]: {"units": 160}}}})
    truth = baseline.with_changes(diff={"channels": {key[0]: {key[1]: {"units": 80}}}})
    rec = _mixed_records(s, truth, list(range(2016, 2026)), 0.5, 0.03, np.random.default_rng(1))
    cal = calibrate(s, rec, flips=False)
    ch = {(c.category, c.mode): c for c in cal.channels}
    grant = ch[key]
    assert grant.identified and grant.data_weight >= 0.5 and grant.prior_wan == 8000
    assert grant.capacity_wan == pytest.approx(4000, rel=0.15) and grant.interval[0] < 4000 < grant.interval[1]
    assert not ch[("talent_environment", "post_subsidy")].identified  # a small channel: too little signal
    assert "fitted jointly with the category's channel capacities" in cal.fits[(key[0], "high_level_talents")].warnings
    # the calibrated file moves the count, keeps the ticket
    doc = cal.document()
    units = doc["channels"][key[0]][key[1]]["units"]
    assert units == round(160 * grant.capacity_wan / 8000)
    from budgetsim.model.mechanics import Mechanics
    m = Mechanics(cal.scenario)
    assert m.capacity[cal.scenario.channels.index(key)] == units * 50
    assert bs.solve(cal.scenario).ok
    assert f"{key[0]}.{key[1]}: fitted" in cal.yaml_text()


def test_thin_data_prior_dominates(baseline):
    """3 years with spending within ±10 %: every curve says the prior dominates and its elasticity stays
    within 0.75 prior sd of the prior (on average within 0.3) — although the truth's is up to 0.2 away."""
    rng = np.random.default_rng(1)
    truth = perturbed_curves(baseline, rng, shift=0.2)
    rec = synthetic_records(baseline, scenario_with_curves(baseline, truth), [2023, 2024, 2025], 0.1, 0.05, rng)
    cal = calibrate(baseline, rec, flips=False)
    d = cal.curves
    assert d["prior_dominates"].all() and (d["points"] == 3).all()
    assert (d["shift_sd"].abs() < 0.75).all() and d["shift_sd"].abs().mean() < 0.3, d[["indicator", "shift_sd"]]
    assert (d["data_weight"] < 0.5).all()
    from budgetsim.present.calibration_report import calibration_html, calibration_text
    assert calibration_text(cal, "en").count("Prior dominates") == len(d)
    page = calibration_html(cal, "zh", charts=False)
    assert page.count("先验主导：数据不足以确定曲线形状") >= len(d)


def test_template_round_trip_keeps_the_curves_near_the_prior(baseline, tmp_path):
    from budgetsim.scenario.records import write_template
    path = write_template(baseline, tmp_path / "r.xlsx", status_quo_records(baseline))
    cal = calibrate(baseline, path, flips=False)
    for (c, i), f in cal.fits.items():
        assert f.n_points == 1 and f.prior_dominates
        assert abs(f.level_change) < 0.01  # the template holds the scenario's own status-quo outputs
        # one point says nothing about the shape: the elasticity stays at its prior — where a saturation prior
        # also speaks (key technologies), at the compromise of the two, within a third of a prior sd
        assert abs(f.shift_sd) < 0.35, (c, i, f.shift_sd)
        if f.priors.saturation is None:
            assert f.elasticity == pytest.approx(f.priors.elasticity[0], abs=0.05)
    assert bs.solve(cal.scenario).ok


@pytest.fixture(scope="module")
def example(baseline):
    return calibrate(baseline, EXAMPLE, flips=True)


def test_calibrated_scenario_document(example, tmp_path):
    cal = example
    doc = cal.document(tmp_path / "c.yaml")
    assert doc["extends"] == "baseline"
    ref = doc["references"]["records_calibration"]["text"]
    assert cal.records.sha256 in ref and "yangzhou_example_2016_2025.csv" in ref
    # the example's rows say they are illustrative (备注): so do the fitted figures
    assert cal.records.illustrative and "stay illustrative" in ref
    assert doc["categories"]["tech_guidance"]["response"]["rd_induced"]["source"] == "illustrative"
    # 100 = the last actual year's output
    last = cal.records.outcomes.query("year == 2025").groupby("indicator")["value"].sum()
    for iid, v in last.items():
        assert doc["indicators"][iid]["reference_per_year"] == pytest.approx(v, rel=1e-4)
    # the fitted curves' uncertainty replaces the base's curve entries; mode entries stay
    spec = cal.scenario.spec
    curve_entries = [p for p in spec.uncertainty.parameters if p.path.startswith("categories.")]
    assert len(curve_entries) == len(cal.fits) and all(p.dist == "lognormal" and p.cv > 0 for p in curve_entries)
    assert any(p.path == "modes.risk_pool.pool.npl_rate" for p in spec.uncertainty.parameters)
    targets = [t for p in spec.uncertainty.parameters for t in resolve(spec, p.path)[0]]
    assert len(targets) == len(set(targets))
    # written and read back, it is the same scenario
    (tmp_path / "c.yaml").write_text(cal.yaml_text(tmp_path / "c.yaml"), encoding="utf-8")
    again = bs.load_scenario(tmp_path / "c.yaml")
    assert bs.solve(again).performance == pytest.approx(bs.solve(cal.scenario).performance, rel=1e-6)
    assert yaml.safe_load((tmp_path / "c.yaml").read_text(encoding="utf-8"))["id"] == "baseline_calibrated"


def test_simulate_and_cvar_carry_the_fit_uncertainty(example):
    s = example.scenario
    r = bs.solve(s)
    sim = bs.simulate(r, 2000, seed=1)
    perf = sim.performance.set_index("plan")
    # spread comes from the posterior: without the curve entries it is narrower
    no_curves = s.with_changes({"uncertainty.parameters": [p.model_dump(exclude_defaults=True) | {"dist": p.dist}
                                                           for p in s.spec.uncertainty.parameters
                                                           if not p.path.startswith("categories.")]})
    narrow = bs.simulate(bs.solve(no_curves), 2000, seed=1).performance.set_index("plan")
    assert perf.loc["plan", "p95"] - perf.loc["plan", "p5"] > narrow.loc["plan", "p95"] - narrow.loc["plan", "p5"]
    robust = bs.solve(s, "cvar", samples=200, seed=0)
    assert robust.ok


def test_example_report_and_flips(example):
    from budgetsim.present.calibration_report import calibration_html, curves_table
    cal = example
    assert cal.plan_performance is not None and cal.flips is not None
    assert set(cal.flips.columns) >= {"category", "indicator", "end", "channel_category", "channel_mode", "from", "to"}
    page = calibration_html(cal, "en")
    assert page.count("<svg") == sum(f.fitted for f in cal.fits.values())
    assert "Recommendations that flip within the bands" in page and "sha256" in page
    table = curves_table(cal, "zh")
    assert list(table["数据点"].unique()) == [10]


def test_report_says_where_the_band_is_wider_than_ten_percent(example):
    """Curves whose 90 % band over ±50 % of current spending is wider than ±10 % get the extrapolation
    warning and a verdict that says so; the others do not."""
    from budgetsim.present.calibration_report import calibration_html, curves_table
    cal = example
    wide = [f for f in cal.fits.values() if f.fitted and f.band_halfwidth > 0.10]
    assert 0 < len(wide) < len(cal.fits)
    page = calibration_html(cal, "en", charts=False)
    assert page.count("the data do not pin the curve to within ±10 %") == len(wide)
    verdicts = curves_table(cal, "en")["Verdict"]
    assert (verdicts == "Identified by the data (within the records' range; band wider than ±10 % at ±50 %)").sum() \
        == sum(not f.prior_dominates for f in wide)
    for f in wide:  # the band really is that wide at an end of the range
        b = f.band[(f.band.effective_wan >= 0.5 * f.e0) & (f.band.effective_wan <= 1.5 * f.e0)]
        assert ((b.high - b.low) / 2 / b.fitted).max() == pytest.approx(f.band_halfwidth)


def test_hill_curve_fits(baseline):
    s = baseline.with_changes(diff={"categories": {"talent_environment": {"response": {
        "high_level_talents": {"curve": "hill", "max": 500, "half": 12000, "n": 0.9}}}}})
    rng = np.random.default_rng(3)
    rec = synthetic_records(s, s, list(range(2016, 2026)), 0.3, 0.05, rng)
    f = calibrate(s, rec, flips=False).fits[("talent_environment", "high_level_talents")]
    assert f.kind == "hill" and f.saturation is not None and 0 < f.params["n"] <= 1
    e0 = f.e0
    truth = scenario_curves(s)[("talent_environment", "high_level_talents")]
    grid = np.linspace(0.7 * e0, 1.3 * e0, 11)
    assert np.max(np.abs(f.curve().value(grid) / truth.value(grid) - 1)) < 0.1


def test_calibrated_diff_keeps_an_uploaded_base(baseline):
    """An uploaded variant (not a file) is extended through its own base, its changes repeated."""
    text = (SCENARIOS / "budget_plus_10.yaml").read_text(encoding="utf-8")
    # the synthetic history puts 2025 at ~5.5 亿元; the continuity rules would tie 6.6 亿元 in 2026 to it
    text += "rules:\n  category_smoothing: {enabled: false}\n  channel_band: {enabled: false}\n"
    up = bs.load_scenario_text(text, "my_variant")
    rec = synthetic_records(up, up, [2023, 2024, 2025], 0.1, 0.05, np.random.default_rng(0))
    cal = calibrate(up, rec, flips=False)
    doc = cal.document()
    assert doc["extends"] == "baseline"
    assert doc["budget"]["base_amount_wan"] == up.spec.budget.base_amount_wan != baseline.spec.budget.base_amount_wan
    again = bs.load_scenario_text(cal.yaml_text(), "calibrated")
    assert again.spec.budget.base_amount_wan == up.spec.budget.base_amount_wan
    assert bs.solve(again).performance == pytest.approx(bs.solve(cal.scenario).performance, rel=1e-6)


def test_status_quo_is_the_last_actual_year(recovery):
    s, truth, rec, cal = recovery
    assert cal.scenario.spec.status_quo.source == "records_calibration"  # records not marked illustrative
    last = rec.spending[rec.spending["year"] == 2025]
    on = last[[s.mode(m).on_budget for m in last["mode"]]]
    sq = cal.scenario.spec.status_quo
    assert sq.base_year == 2025 and sq.budget_wan == pytest.approx(on["amount_wan"].sum(), rel=1e-6)
    for r in on.itertuples():
        assert sq.split[r.category][r.mode] == pytest.approx(r.amount_wan / on["amount_wan"].sum(), abs=2e-6)
    assert sum(v for ms in sq.split.values() for v in ms.values()) == pytest.approx(1.0, abs=1e-9)


def test_good_and_bad_years_are_carried_as_a_common_shock(baseline):
    """Records whose scatter moves together (70 % of its variance one shock per year) give a clear
    residual correlation; the uncertainty entries share it as group records_years."""
    rng = np.random.default_rng(5)
    rec = synthetic_records(baseline, baseline, list(range(2016, 2026)), 0.3, 0.1, rng, common=0.7)
    cal = calibrate(baseline, rec, flips=False)
    assert cal.year_correlation > 0.4
    entries = [p for p in cal.scenario.spec.uncertainty.parameters if p.path.startswith("categories.")]
    assert all(p.group == "records_years" and p.correlation > 0 for p in entries)
    f = cal.fits[("tech_guidance", "rd_induced")]
    cv = next(p.cv for p in entries if p.path == "categories.tech_guidance.response.rd_induced")
    assert cv > f.output_cv  # the yearly scatter over the plan adds to the parameter uncertainty
    independent = calibrate(baseline, synthetic_records(baseline, baseline, list(range(2016, 2026)), 0.3, 0.1,
                                                        np.random.default_rng(5)), flips=False)
    assert independent.year_correlation < 0.2
