"""The workbench under broken or awkward use (issue 11): an impossible pin in the comparison, a language
switch that must keep the question and the open tab, the leverage floor after a diagnosis made it
per-year.  (The sign shown while an answer is being solved is a browser test: tests/test_browser.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from tests.apptest import open_page  # noqa: E402



def _by_key(widgets, key: str):
    return next(w for w in widgets if w.key == key)


def _lever_key(at, path: str) -> str:
    return f"lv{at.session_state['lever_gen']}:{path}"


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture()
def at():
    app = open_page(timeout=90)
    _ok(app)
    return app


def _tables(at) -> list:
    return [df.value for df in at.dataframe] + [tb.value for tb in at.table]


def test_an_impossible_pin_is_a_row_in_the_comparison(at):
    _by_key(at.button, "pin").click().run()  # the baseline
    at.selectbox(key="bundled_choice_zh").set_value("impossible_ambition").run()
    _ok(at)
    _by_key(at.button, "pin").click().run()  # the impossible scenario
    _ok(at)
    assert list(at.session_state["pins"]) == ["方案 1", "方案 2"]
    at.session_state["tab_zh"] = "情景对比"
    at.run()
    _ok(at)
    tables = _tables(at)
    summary = next(t for t in tables if "绩效指数" in getattr(t, "columns", []))
    row = summary.set_index("方案").loc["方案 2"]
    assert row["状态"] == "不可行"  # a row that says so, without figures
    assert summary.set_index("方案").loc["方案 1", "绩效指数"] > 90  # about 95 with each channel's own capacity
    ind = next(t for t in tables if "指标" in getattr(t, "columns", []) and "方案 1" in getattr(t, "columns", []))
    assert "方案 2" in ind.columns and ind["方案 2"].isna().all() and ind["方案 1"].notna().all()
    assert len(at.get("vega_lite_chart")) >= 2  # both comparison charts still drawn
    labels = [b.label for b in at.get("download_button")]
    assert any("Excel" in x or "xlsx" in x.lower() or "工作簿" in x for x in labels)
    _by_key(at.multiselect, "compare_pick").set_value(["方案 2"]).run()  # the impossible pin alone
    _ok(at)
    assert any("方案 2" in getattr(t, "columns", []) for t in _tables(at))
    assert _by_key(at.button, "rm_pin_1")  # and the pins can still be removed
    _by_key(at.button, "rm_pin_1").click().run()
    _ok(at)
    assert list(at.session_state["pins"]) == ["方案 1"]


def test_a_language_switch_keeps_the_question_and_the_open_tab(at):
    at.radio(key="objective_zh").set_value("min-budget").run()
    at.session_state["tab_zh"] = "情景对比"
    at.run()
    _ok(at)
    at.radio(key="lang").set_value("en").run()
    _ok(at)
    q = at.radio(key="objective_en")
    assert q.value == "min-budget" and q.index == 1  # shown selected (a widget of its own per language)
    assert at.session_state["objective"] == "min-budget"  # ... and still what is solved
    assert at.session_state["tab_en"] == "Compare scenarios"  # the open tab follows the language
    at.radio(key="lang").set_value("zh").run()
    _ok(at)
    assert at.radio(key="objective_zh").value == "min-budget"
    assert at.session_state["tab_zh"] == "情景对比"


def test_the_leverage_floor_lever_survives_applying_the_relaxations(at):
    at.selectbox(key="bundled_choice_zh").set_value("impossible_ambition").run()
    _by_key(at.button, "apply_relaxations").click().run()
    _ok(at)
    floor = at.session_state["base"].spec.rules.leverage_floor.min_ratio
    assert isinstance(floor, dict)  # the diagnosis made it per year
    keys = {s.key for s in at.slider}
    per_year = [k for k in keys if ":rules.leverage_floor.min_ratio." in k]
    assert len(per_year) == len(floor), keys
    year = sorted(floor)[0]
    slider = _by_key(at.slider, _lever_key(at, f"rules.leverage_floor.min_ratio.{year}"))
    assert slider.value == pytest.approx(floor[year])
    slider.set_value(round(floor[year] - 0.5, 1)).run()
    _ok(at)
    assert at.session_state["last_good"][1] == {f"rules.leverage_floor.min_ratio.{year}":
                                               pytest.approx(round(floor[year] - 0.5, 1))}


def test_a_solve_out_of_time_is_a_warning_with_the_status_quo(at, monkeypatch):
    from workbench import engine

    monkeypatch.setattr(engine, "APP_TIME_LIMIT", 1e-9)
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(71_234.0).run()  # not cached
    _ok(at)
    assert at.warning and "求解超时" in at.warning[0].value and "--time-limit" in at.warning[0].value
    assert "目标达成" not in {m.label for m in at.metric}  # status-quo tiles, not a plan


@pytest.mark.parametrize("target", ["/etc/hostname", "../../x", "../scenarios/baseline"])
def test_a_pasted_extends_outside_the_sandbox_is_refused_and_echoes_nothing(at, target):
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else "\0"
    at.text_area(key="paste_text").set_value(f"extends: {target}\nbudget:\n  base_amount_wan: 66000\n")
    _by_key(at.button, "paste_load").click().run()
    _ok(at)
    text = "\n".join(e.value for e in at.error)
    assert "extends" in text and "not a path" in text
    assert secret not in text.replace(target, "")
    assert at.session_state["base"].spec.budget.base_amount_wan == 60000  # the last good scenario stays


def test_an_upload_may_extend_an_earlier_upload_of_the_same_session(at):
    # an earlier upload of this session (the uploader stores each file it loaded under its name)
    at.session_state["uploads"] = {"mine": "extends: baseline\nid: mine\nbudget:\n  base_amount_wan: 61000\n"}
    at.text_area(key="paste_text").set_value("extends: mine\nbudget:\n  growth_rate: 0.07\n")
    _by_key(at.button, "paste_load").click().run()
    _ok(at)
    assert not at.error
    b = at.session_state["base"].spec.budget
    assert (b.base_amount_wan, b.growth_rate) == (61000, 0.07)
