"""The Streamlit workbench driven headlessly with ``streamlit.testing.v1.AppTest``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from tests.apptest import APP, open_page  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _by_key(widgets, key: str):
    return next(w for w in widgets if w.key == key)


def _lever_key(at, path: str) -> str:
    return f"lv{at.session_state['lever_gen']}:{path}"


def _open_group(at, group: str) -> None:
    """Open a lever group in the sidebar (a closed group draws no widgets) and rerun."""
    at.session_state[f"grp_{group}"] = True
    at.run()


@pytest.fixture()
def at():
    app = open_page()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_loads_baseline_with_kpi_tiles(at):
    m = _metrics(at)
    assert "绩效指数" in m and float(m["绩效指数"]) > 90  # about 99 once each channel has its own capacity
    assert m["目标达成"] == "2/2"
    assert "亿元" in m["撬动外部资金"]
    assert not at.error and not at.warning
    assert at.title[0].value == "科技预算情景工作台"


def test_a_new_page_shows_its_tiles_first_and_asks_for_the_rest():
    """A session's first run draws the header and the tiles and ends with the first-paint trigger;
    the run that trigger asks for draws the sidebar, the pin bar and the tabs."""
    from streamlit.testing.v1 import AppTest

    from workbench.first_paint import PAINTED

    first = AppTest.from_file(APP, default_timeout=60).run()
    assert not first.exception, [e.value for e in first.exception]
    assert float(_metrics(first)["绩效指数"]) > 90
    assert not first.radio and not first.tabs and not first.button  # no sidebar, pin bar or tabs yet
    trigger = [e for e in first.main if getattr(e, "type", "") == "bidi_component"]
    assert [e.proto.component_name for e in trigger] == ["budgetsim_first_paint"]
    assert "setTriggerValue('painted'" in trigger[0].proto.js_content
    assert PAINTED not in first.session_state

    first.session_state[PAINTED] = True  # what the trigger's callback does once the tiles are on screen
    first.run()
    assert not first.exception
    assert first.sidebar.radio and first.tabs and _by_key(first.button, "pin")
    assert not [e for e in first.main if getattr(e, "type", "") == "bidi_component"]


def test_moving_a_lever_changes_the_plan(at):
    before = float(_metrics(at)["绩效指数"])
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(66000).run()  # reachable from 2025 within the 20 % smoothing
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
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(66000).run()
    _by_key(at.button, "pin").click().run()
    assert not at.exception
    pins = at.session_state["pins"]
    assert list(pins) == ["方案 1", "方案 2"]
    assert not at.multiselect, "hidden tabs are not rendered"
    at.session_state["tab_zh"] = "情景对比"  # open the comparison tab
    at.run()
    pick = _by_key(at.multiselect, "compare_pick")
    assert pick.value == ["方案 1", "方案 2"]
    tables = [df.value for df in at.dataframe] + [tb.value for tb in at.table]  # the summary is a static table
    summary = next(t for t in tables if "绩效指数" in getattr(t, "columns", []))
    # the reference (the baseline's status quo) first, every plan measured against it
    assert list(summary["方案"]) == ["参照：现状", "方案 1", "方案 2"]
    perf = list(summary["绩效指数"])
    assert perf[2] > perf[1] > perf[0]
    diffs = list(summary["较参照"])
    assert diffs[1] == pytest.approx(perf[1] - perf[0]) and diffs[2] == pytest.approx(perf[2] - perf[0])
    assert summary["安排预算（万元）"].iloc[2] > 340_000  # whole 万元 under a 万元 header, not 亿元
    # what differs between the pins, as a labelled parameter with its unit
    differs = next(t for t in tables if "参数" in getattr(t, "columns", []))
    row = differs.set_index("参数").loc["2026 年预算总额"]
    assert row["方案 1"] == "60,000 万元" and row["方案 2"] == "66,000 万元"
    # a pin as the reference: its own difference is zero
    _by_key(at.selectbox, "compare_ref").set_value("方案 2").run()
    assert not at.exception
    summary = next(tb.value for tb in at.table if "较参照" in getattr(tb.value, "columns", []))
    assert list(summary["方案"]) == ["方案 1", "方案 2"]
    assert summary["较参照"].iloc[1] == pytest.approx(0.0) and summary["较参照"].iloc[0] < 0


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


def test_a_closed_lever_group_draws_nothing_and_keeps_its_levers(at):
    """Forty of the baseline's levers sit in closed groups: the browser gets no widgets for them, and a
    lever moved before its group was closed stays moved (in the plan and when the group opens again)."""
    assert not at.toggle and len(at.slider) + len(at.number_input) == 5  # budget and support only
    _open_group(at, "rules")
    assert len(at.toggle) == 18
    key = _lever_key(at, "rules.category_smoothing.enabled")
    _by_key(at.toggle, key).set_value(False).run()
    moved = _metrics(at)["绩效指数"]
    at.session_state["grp_rules"] = False
    at.run()
    assert not at.toggle and _metrics(at)["绩效指数"] == moved
    _by_key(at.slider, _lever_key(at, "budget.growth_rate")).set_value(8.0).run()  # another lever, later
    assert _metrics(at)["绩效指数"] != moved
    assert "rules.category_smoothing.enabled" in at.session_state["lever_kept"][1]
    _open_group(at, "rules")
    assert _by_key(at.toggle, key).value is False
    assert not at.exception


def test_language_switch_changes_labels(at):
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    m = _metrics(at)
    assert "Performance index" in m and "绩效指数" not in m
    assert at.title[0].value == "S&T budget what-if workbench"
    _open_group(at, "categories")
    cat_labels = [s.label for s in at.slider]
    assert any("Basic & frontier research" in x for x in cat_labels)


def test_impossible_scenario_shows_message_and_status_quo(at):
    at.selectbox(key="bundled_choice_zh").set_value("impossible_ambition").run()
    assert not at.exception
    assert at.warning, "an impossible scenario must say so"
    assert "没有任何方案能同时满足全部启用的规则" in at.warning[0].value
    assert "No plan" not in at.warning[0].value  # the UI language, not the solver's English message
    m = _metrics(at)
    import budgetsim as bs
    expected = bs.solve(ROOT / "scenarios" / "impossible_ambition.yaml").status_quo_performance
    assert float(m["绩效指数"]) == pytest.approx(expected, abs=0.006)
    assert "目标达成" not in m  # status-quo tiles, not a plan


def test_min_budget_question(at):
    at.radio(key="objective_zh").set_value("min-budget").run()
    assert not at.exception
    m = _metrics(at)
    assert m["目标达成"] == "2/2"


def test_pinned_scenario_yaml_diff_round_trips_through_the_cli(at, tmp_path, capsys):
    import json

    from budgetsim.cli import main
    from budgetsim.present.compare import scenario_diff_yaml

    _by_key(at.slider, _lever_key(at, "budget.growth_rate")).set_value(8.0).run()
    _open_group(at, "rules")
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


def _open_tab(at, title: str) -> None:
    at.session_state[f"tab_{at.session_state['lang']}"] = title
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _table_with(at, column: str):
    return next(df.value for df in at.dataframe if column in getattr(df.value, "columns", []))


def test_explain_tab_lists_binding_rules_with_their_cost(at):
    _open_tab(at, "规则代价与边际价值")
    rules = _table_with(at, "放宽一步的收益（分）")
    assert len(rules) >= 1
    assert (rules["放宽一步的收益（分）"] > 0).all()
    assert "规划期产出目标" in set(rules["规则"])  # labels from the registry, not ids
    assert not any("_" in r for r in rules["规则"])
    words = "\n".join(m.value for m in at.markdown)
    # the five dearest in words: the 2026 envelope first (the tax forecast is national law, not a rule)
    assert "（2026 年）卡住了方案：由 60,000 万元 放宽至 61,000 万元，绩效指数多得" in words
    assert "加计扣除" not in "\n".join(rules["规则"])
    mbv = _table_with(at, "绩效指数多得（分 / 1,000 万元）")
    assert list(mbv["年份"]) == ["2026", "2027", "2028", "2029", "2030"]
    assert (mbv["绩效指数多得（分 / 1,000 万元）"] > 0).all()
    channels = _table_with(at, "渠道（类别 × 支持方式）")
    assert "基础前沿类 × 机构式资助" in set(channels["渠道（类别 × 支持方式）"])
    assert not any("binds" in m.value for m in at.markdown)  # Chinese page, Chinese sentences


def test_explain_tab_in_english(at):
    at.radio(key="lang").set_value("en").run()
    _open_tab(at, "Rule costs and margins")
    rules = _table_with(at, "Gain of the step (points)")
    assert "Output targets over the plan" in set(rules["Rule"])
    assert any("(2026) binds: relaxing it from 60,000 万元 to 61,000 万元" in m.value for m in at.markdown)


def test_impossible_scenario_shows_the_diagnosis_and_applies_it(at):
    at.selectbox(key="bundled_choice_zh").set_value("impossible_ambition").run()
    assert not at.exception
    conflicts = _table_with(at, "须放宽至")
    rows = {(r["规则"], r["对象"], r["年份"]): (r["原值"], r["须放宽至"]) for _, r in conflicts.iterrows()}
    assert rows[("规划期产出目标", "新增高新技术企业", "")][0] == "1,000 家"
    assert rows[("规划期产出目标", "科技成果转移转化（离岸孵化）", "")] == ("100 项", "97 项")
    lev = [v for k, v in rows.items() if k[2] == "2026"]
    assert lev and lev[0][0] == "4.00×" and float(lev[0][1].rstrip("×")) < 4.0
    assert at.code and "leverage_floor" in at.code[0].value and "new_hightech_firms" in at.code[0].value
    assert any("放宽后的情景可以求解" in s.value for s in at.success)
    _by_key(at.button, "apply_relaxations").click().run()
    assert not at.exception
    assert not at.warning, "the relaxed scenario solves"
    assert at.session_state["base_source"] == "relaxed:impossible_ambition"
    m = _metrics(at)
    assert m["目标达成"] == "2/2" and float(m["绩效指数"]) > 0
    assert any("已应用" in s.value for s in at.success)
    assert any("已按诊断放宽" in m.value for m in at.markdown)


def test_uncertainty_tab_shows_probabilities(at):
    _open_tab(at, "不确定性")
    m = _metrics(at)
    p = m["方案优于现状的概率"]
    assert p.endswith("%") and 0.0 <= float(p.rstrip("%")) <= 100.0
    targets = _table_with(at, "达成概率（方案）")
    assert len(targets) == 2 and targets["达成概率（方案）"].between(0, 1).all()
    perf = _table_with(at, "居中情形")
    assert perf["较差情形"].iloc[0] < perf["居中情形"].iloc[0] < perf["较好情形"].iloc[0]
    losses = _table_with(at, "方案：均值")
    assert losses["方案：均值"].iloc[-1] > 0
    # the same seed gives the same numbers; another seed other numbers
    _by_key(at.number_input, "unc_seed").set_value(2).run()
    assert not at.exception
    assert _table_with(at, "居中情形")["居中情形"].iloc[0] != perf["居中情形"].iloc[0]
    _by_key(at.number_input, "unc_seed").set_value(1).run()
    assert _table_with(at, "居中情形")["居中情形"].iloc[0] == perf["居中情形"].iloc[0]


def test_hidden_explain_and_uncertainty_tabs_cost_nothing(at, monkeypatch):
    import budgetsim as bs

    def boom(*a, **k):
        raise AssertionError("computed while its tab is closed")
    monkeypatch.setattr(bs, "explain", boom)
    monkeypatch.setattr(bs, "simulate", boom)
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(61_111).run()
    assert not at.exception


def test_a_lever_move_updates_the_compiled_model_without_a_new_build(at):
    from budgetsim.model import compiled

    # a first fresh solve makes sure HiGHS holds this structure (other tests may have evicted it
    # from the session cache while the page's own solve came from Streamlit's cache)
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(62_222).run()
    before = compiled.counters()
    builds, updates = before.builds, before.updates
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(62_345).run()
    assert not at.exception
    after = compiled.counters()
    assert after.builds == builds, "a lever move must not build a new HiGHS model"
    assert after.updates > updates, "a lever move must update the model HiGHS holds"


def test_my_plan_tab_scores_a_draft_improves_it_and_pins_it(at):
    _open_tab(at, "我的方案")
    m = _metrics(at)
    assert m["草案绩效指数"] == m["最优方案绩效指数"] and m["违反规则（处）"] == "0"
    _by_key(at.button, "mp_from_sq").click().run()
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    assert float(m["草案绩效指数"]) < float(m["最优方案绩效指数"])
    assert int(m["违反规则（处）"]) > 0
    assert any("年度预算总额" in e.value for e in at.error)  # the broken rules in words
    _by_key(at.button, "mp_improve_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("±10%" in x.value for x in list(at.success) + list(at.warning) + list(at.info))
    _by_key(at.button, "mp_pin").click().run()
    assert not at.exception
    pins = at.session_state["pins"]
    assert "草案 1" in pins and pins["草案 1"]["objective"] == "given" and "plan" in pins["草案 1"]
    assert any("已固定：草案 1" in s.value for s in at.success)
    _open_tab(at, "情景对比")  # the draft beside the others, scored as given
    assert "草案 1" in at.session_state["compare_pick"]
    summary = next(tb.value for tb in at.table if "草案 1" in list(tb.value.iloc[:, 0]))
    row = summary[summary.iloc[:, 0] == "草案 1"].iloc[0]
    assert row.iloc[1] == "草案" and float(row.iloc[2]) < float(_metrics(at)["绩效指数"])

    # the pinned draft is in the library with its allocation: a new session compares it, and loads it back
    from budgetsim.library import Library
    saved = Library().find("草案 1")
    assert saved.objective == "given" and saved.plan_array() == pytest.approx(pins["草案 1"]["plan"])
    fresh = open_page()
    assert fresh.session_state["pins"]["草案 1"]["plan"] == pytest.approx(pins["草案 1"]["plan"])
    _open_tab(fresh, "方案库")
    _by_key(fresh.selectbox, "lib_pick").set_value(saved.id).run()
    _by_key(fresh.button, f"lib_load_{saved.id}").click().run()
    _open_tab(fresh, "我的方案")
    assert not fresh.exception, [e.value for e in fresh.exception]
    assert _metrics(fresh)["草案绩效指数"] == f"{saved.headline['performance']:.2f}"


# ----------------------------------------------------------------------------- the scenario library


def test_pins_and_drafts_go_to_the_library_and_a_new_session_sees_them(at):
    from budgetsim.library import Library

    at.text_input(key="pin_author").set_value("王科长")
    at.text_input(key="pin_name_0_zh").set_value("基准留档")
    _by_key(at.button, "pin").click().run()
    _by_key(at.number_input, _lever_key(at, "budget.base_amount_wan")).set_value(66000).run()
    at.text_input(key="pin_name_1_zh").set_value("七亿草稿")
    at.text_area(key="pin_notes_1").set_value("先给处里看")
    _by_key(at.button, "save_draft").click().run()
    assert not at.exception
    assert list(at.session_state["pins"]) == ["基准留档"]  # a draft is saved, not compared
    got = {e.name: e for e in Library().entries()}
    assert got["基准留档"].kind == "pin" and got["七亿草稿"].kind == "draft"
    assert got["七亿草稿"].author == "王科长" and got["七亿草稿"].notes == "先给处里看"
    assert "base_amount_wan: 66000" in got["七亿草稿"].diff_yaml

    fresh = open_page()  # a reload: a new session, same library
    assert list(fresh.session_state["pins"]) == ["基准留档"]
    _open_tab(fresh, "方案库")
    assert not fresh.exception
    assert any("共 2 个方案" in c.value for c in fresh.caption)
    pick = _by_key(fresh.selectbox, "lib_pick")
    pick.set_value(got["七亿草稿"].id).run()
    _by_key(fresh.button, f"lib_load_{got['七亿草稿'].id}").click().run()  # load: the draft becomes current
    assert fresh.session_state["base"].spec.budget.base_amount_wan == 66000
    assert fresh.session_state["base_source"] == "library:七亿草稿"
    assert any("已从方案库载入：七亿草稿" in s.value for s in fresh.success)

    did = got["七亿草稿"].id
    fresh.text_input(key=f"lib_new_name_{did}").set_value("七亿方案")
    _by_key(fresh.button, f"lib_rename_{did}").click().run()
    assert Library().get(did).name == "七亿方案"
    assert _by_key(fresh.button, f"lib_delete_{did}").disabled  # deleting needs the box ticked
    fresh.checkbox(key=f"lib_sure_{did}").check().run()
    _by_key(fresh.button, f"lib_delete_{did}").click().run()
    assert [e.name for e in Library().entries()] == ["基准留档"]
    assert not fresh.exception


def test_a_damaged_library_is_reported_and_pins_stay_in_the_page(tmp_path, monkeypatch):
    bad = tmp_path / "library.sqlite3"
    bad.write_bytes(b"not a database at all" * 10)
    monkeypatch.setenv("BUDGETSIM_LIBRARY", str(bad))
    app = open_page()
    assert not app.exception
    _by_key(app.button, "pin").click().run()
    assert not app.exception
    assert list(app.session_state["pins"]) == ["方案 1"]  # kept for this page
    text = " ".join(w.value for w in app.warning)
    assert "方案库无法使用" in text and "not a budgetsim library" in text and "left untouched" in text
    assert bad.read_bytes() == b"not a database at all" * 10


def test_no_raw_ids_or_emoji_on_the_page(at):
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert "bundled:" not in caption and "内置情景" in caption
    _open_tab(at, "指标与目标")
    tbl = next(d.value for d in at.dataframe if "达成" in getattr(d.value, "columns", []))
    assert set(tbl["达成"]) <= {"达成", "未达成", "—"}
    assert "None" not in tbl.astype(str).to_string()


def test_calibration_tab_fits_example_records_and_applies_them(at):
    """Pick the bundled example records, see the report, make the calibrated scenario current."""
    _open_tab(at, "按记录校准")
    _by_key(at.selectbox, "cal_example").set_value("yangzhou_example_2016_2025.csv").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    assert m["记录年度"] == "2016–2025" and m["拟合曲线（条）"] == "19"
    assert any("数据权重" in df.value.columns for df in at.dataframe)
    # channel capacities: none identified by records that move each category's channels together
    caps = next(df.value for df in at.dataframe if "校准后（万元/年）" in df.value.columns)
    assert len(caps) == 15 and (caps["判断"] == "记录不能识别；保留情景值").all()
    _by_key(at.button, "cal_apply").click().run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["base"].id == "baseline_calibrated"
    assert at.session_state["base_source"].startswith("calibrated:")

