"""The Streamlit workbench driven headlessly with ``streamlit.testing.v1.AppTest``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _by_key(widgets, key: str):
    return next(w for w in widgets if w.key == key)


def _lever_key(at, path: str) -> str:
    return f"lv{at.session_state['lever_gen']}:{path}"


@pytest.fixture()
def at():
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_loads_baseline_with_kpi_tiles(at):
    m = _metrics(at)
    assert "绩效指数" in m and float(m["绩效指数"]) > 100
    assert m["目标达成"] == "2/2"
    assert "亿元" in m["撬动外部资金"]
    assert not at.error and not at.warning
    assert at.title[0].value == "科技预算情景工作台"


def test_moving_a_lever_changes_the_plan(at):
    before = float(_metrics(at)["绩效指数"])
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(80000).run()
    assert not at.exception
    after = float(_metrics(at)["绩效指数"])
    assert after > before + 1.0
    assert "33.15 亿元" != _metrics(at)["规划期预算"]


def test_bad_lever_combination_shows_problems_and_keeps_last_plan(at):
    before = _metrics(at)["绩效指数"]
    # a stable-share floor above its cap is invalid: the validation problem is shown, the plan stays
    _by_key(at.slider, _lever_key(at, "rules.stable_competitive_band.stable_share_min")).set_value(90.0).run()
    assert not at.exception
    assert at.error and "stable_share" in at.error[0].value
    assert _metrics(at)["绩效指数"] == before


def test_pin_two_scenarios_and_compare(at):
    _by_key(at.button, "pin").click().run()
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(70000).run()
    _by_key(at.button, "pin").click().run()
    assert not at.exception
    pins = at.session_state["pins"]
    assert list(pins) == ["方案 1", "方案 2"]
    assert not at.multiselect, "hidden tabs are not rendered"
    at.session_state["tab_zh"] = "情景对比"  # open the comparison tab
    at.run()
    pick = _by_key(at.multiselect, "compare_pick")
    assert pick.value == ["方案 1", "方案 2"]
    tables = [df.value for df in at.dataframe]
    summary = next(t for t in tables if "绩效指数" in getattr(t, "columns", []))
    assert list(summary["方案"]) == ["方案 1", "方案 2"]
    perf = list(summary["绩效指数"])
    assert perf[1] > perf[0]


def test_bad_upload_shows_problems_and_keeps_last_good_state(at):
    at.text_area(key="paste_text").set_value("extends: baseline\nbudget:\n  base_amount_wan: 66000\n")
    _by_key(at.button, "paste_load").click().run()
    good = float(_metrics(at)["绩效指数"])
    assert at.session_state["base"].spec.budget.base_amount_wan == 66000
    at.text_area(key="paste_text").set_value("extends: baseline\nbudget:\n  base_amount_wan: -5\n  colour: red\n")
    _by_key(at.button, "paste_load").click().run()
    assert not at.exception
    assert at.error, "a bad upload must show an error box"
    text = at.error[0].value
    assert "budget.base_amount_wan" in text and "colour" in text
    assert "Traceback" not in text
    assert at.session_state["base"].spec.budget.base_amount_wan == 66000
    assert float(_metrics(at)["绩效指数"]) == good


def test_upload_handler_rejects_broken_yaml_and_oversize(at):
    at.text_area(key="paste_text").set_value("budget: [unclosed\n")
    _by_key(at.button, "paste_load").click().run()
    assert at.error and "YAML" in at.error[0].value
    at.text_area(key="paste_text").set_value("# " + "x" * 1_100_000)
    _by_key(at.button, "paste_load").click().run()
    assert at.error and "1000 kB" in at.error[0].value
    assert at.session_state["base"].id == "baseline"


def test_language_switch_changes_labels(at):
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    m = _metrics(at)
    assert "Performance index" in m and "绩效指数" not in m
    assert at.title[0].value == "S&T budget what-if workbench"
    cat_labels = [s.label for s in at.slider]
    assert any("Basic & frontier research" in x for x in cat_labels)


def test_impossible_scenario_shows_message_and_status_quo(at):
    at.selectbox(key="bundled_choice_zh").set_value("impossible_ambition").run()
    assert not at.exception
    assert at.warning, "an impossible scenario must say so"
    assert "No plan satisfies all active rules" in at.warning[0].value
    m = _metrics(at)
    import budgetsim as bs
    expected = bs.solve(ROOT / "scenarios" / "impossible_ambition.yaml").status_quo_performance
    assert float(m["绩效指数"]) == pytest.approx(expected, abs=0.006)
    assert "目标达成" not in m  # status-quo tiles, not a plan


def test_min_budget_question(at):
    at.radio(key="objective").set_value("min-budget").run()
    assert not at.exception
    m = _metrics(at)
    assert m["目标达成"] == "2/2"


def test_pinned_scenario_yaml_diff_round_trips_through_the_cli(at, tmp_path, capsys):
    import json

    from budgetsim.cli import main
    from budgetsim.compare import scenario_diff_yaml

    _by_key(at.slider, _lever_key(at, "budget.growth_rate")).set_value(8.0).run()
    _by_key(at.toggle, _lever_key(at, "rules.category_smoothing.enabled")).set_value(False).run()
    _by_key(at.button, "pin").click().run()
    assert not at.exception
    name, pin = next(iter(at.session_state["pins"].items()))
    app_perf = float(_metrics(at)["绩效指数"])
    text = scenario_diff_yaml(pin["scenario"], pin["base"], new_id="pinned", title=name)
    assert "extends: baseline" in text and "growth_rate: 0.08" in text
    path = tmp_path / "pinned.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["solve", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["performance"] == pytest.approx(app_perf, abs=0.006)


def test_english_switch_relabels_the_scenario_picker(at):
    at.radio(key="lang").set_value("en").run()
    box = at.selectbox(key="bundled_choice_en")
    assert box.value == "baseline"
    assert "Baseline plan" in box.format_func(box.value)


def test_upload_with_values_beyond_the_usual_lever_ranges(at):
    text = ("extends: baseline\nbudget:\n  growth_rate: 0.4\ndimensions:\n  capability: {weight: 50}\n"
            "  quality: {weight: 30}\n  effectiveness: {weight: 10}\n  contribution: {weight: 10}\n")
    at.text_area(key="paste_text").set_value(text)
    _by_key(at.button, "paste_load").click().run()
    assert not at.exception and not at.error
    assert at.session_state["base"].spec.budget.growth_rate == 0.4
    assert _by_key(at.slider, _lever_key(at, "budget.growth_rate")).value == pytest.approx(40.0)
