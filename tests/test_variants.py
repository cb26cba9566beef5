"""Variants say what they change: a leverage push loosens no cap, and tightening never helps."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetsim as bs
from budgetsim.scenario.loading import deep_merge

from .conftest import SCENARIOS

BASE = bs.load_scenario(SCENARIOS / "baseline.yaml")
BASE_RESULT = bs.solve(BASE)


def _leaves(doc: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for k, v in doc.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_leaves(v, path + "."))
        else:
            out[path] = v
    return out


def test_leverage_push_changes_only_its_leverage_floor():
    own = bs.load_scenario(SCENARIOS / "leverage_push.yaml").own
    rules = _leaves(own.get("rules", {}))
    assert rules and all(k.startswith(("leverage_floor.min_ratio", "leverage_floor.label_")) for k in rules), rules
    assert set(own) <= {"extends", "id", "title", "description", "rules"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(basic=st.floats(0.10, 0.13), band=st.floats(0.2, 0.3), keep=st.floats(0.9, 1.0),
       leverage=st.floats(1.0, 1.8), priority=st.floats(0.30, 0.34), appetite=st.floats(0.002, 0.05))
def test_a_tightening_only_variant_never_beats_its_base(basic, band, keep, leverage, priority, appetite):
    """Every change below only tightens a rule of the baseline (a higher floor, a narrower band,
    a new cap), so the variant's objective (index net of risk) can never exceed the base's."""
    diff = {"rules": {"category_share_min": {"shares": {"basic_frontier": basic}},
                      "channel_band": {"max_change": band},
                      "stable_support_continuity": {"min_keep": keep},
                      "leverage_floor": {"min_ratio": leverage},
                      "priority_floor": {"share_min": priority},
                      "risk_appetite": {"max_loss_share": appetite}}}
    tight = bs.scenario_from_dict(deep_merge(BASE.raw, diff))
    r = bs.solve(tight)
    if r.status == "infeasible":
        return
    assert r.ok
    base = BASE_RESULT.summary()["net_performance"]
    assert r.summary()["net_performance"] <= base + 1e-3 * abs(base)
