"""budgetsim what-if workbench (Streamlit): a thin screen over the budgetsim package.

Run with ``make run`` (or ``streamlit run app.py``).  All model logic, labels, charts,
comparisons and exports live in ``budgetsim/``; this file only lays out widgets and
keeps the session's state (the start scenario, pinned scenarios, the last good plan).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

import budgetsim as bs
from budgetsim import charts, views
from budgetsim.compare import MAX_COMPARED, base_scenario, compare, scenario_diff_yaml, slug, workbook_bytes
from budgetsim.exceptions import BudgetsimError, ScenarioError
from budgetsim.labels import fmt_money, label, labels, objective_label, status_label, t, unit
from budgetsim.levers import levers_for, lever_changes
from budgetsim.model import OBJECTIVES
from budgetsim.rules import rule_label
from budgetsim.scenario import MAX_FILE_BYTES

st.set_page_config(page_title="budgetsim", page_icon="📊", layout="wide")

ss = st.session_state
ss.setdefault("lang", "zh")
ss.setdefault("pins", {})  # name -> {"scenario", "objective", "base"}
ss.setdefault("upload_errors", [])
ss.setdefault("upload_notice", "")
ss.setdefault("lever_gen", 0)
ss.setdefault("last_upload_id", None)
L = ss["lang"]


# ----------------------------------------------------------------------------- cached engine


@st.cache_resource(show_spinner=False)
def bundled() -> dict[str, bs.Scenario]:
    """The bundled scenarios by id (baseline first)."""
    out = {}
    for path in bs.bundled_scenarios():
        try:
            out[path.stem] = bs.load_scenario(path)
        except ScenarioError:  # a broken bundled file is skipped, never fatal for the page
            continue
    return out


def _canonical(obj) -> str:
    if isinstance(obj, dict):
        return "{" + ",".join(f"{k!r}:{_canonical(obj[k])}" for k in sorted(obj, key=str)) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in obj) + "]"
    return repr(obj)


def scenario_key(s: bs.Scenario) -> str:
    """A hash of the merged scenario document: equal documents share one cached solve."""
    return hashlib.sha256(_canonical(s.raw).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=128)
def _solve(key: str, objective: str, _s: bs.Scenario) -> bs.Result:
    r = bs.solve(_s, objective)
    _ = (r.summary(), r.allocation, r.indicator_totals)  # fill the cached tables once
    return r


def solve(s: bs.Scenario, objective: str) -> bs.Result:
    return _solve(scenario_key(s), objective, s)


@st.cache_resource(show_spinner=False, max_entries=32)
def _explain(key: str, objective: str, _r: bs.Result):
    """The plan's explanation (or an impossible scenario's diagnosis), once per scenario + question."""
    return bs.explain(_r)


@st.cache_resource(show_spinner=False, max_entries=32)
def _simulate(key: str, objective: str, draws: int, seed: int, _r: bs.Result):
    """The plan and the status quo under ``draws`` draws, once per scenario + question + draws + seed."""
    return bs.simulate(_r, draws, seed)


def is_mip(r: bs.Result) -> bool:
    return bool(getattr(r.run.solution, "is_mip", False)) if r.run is not None else False


# ----------------------------------------------------------------------------- state changes


def set_base(s: bs.Scenario, ref: bs.Scenario | None, source: str) -> None:
    """Make ``s`` the start scenario; ``ref`` is the bundled scenario YAML diffs are written against."""
    ss["base"], ss["base_ref"], ss["base_source"] = s, ref, source
    ss["lever_gen"] += 1  # fresh widget keys: the levers start from the new scenario's values


def load_text(text: str | bytes, name: str = "uploaded") -> bool:
    """Load an uploaded or pasted scenario; on any problem keep the last good state.

    Returns True when loaded; otherwise ``upload_errors`` lists readable problems."""
    lang = ss["lang"]
    ss["upload_errors"], ss["upload_notice"] = [], ""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_FILE_BYTES:
        ss["upload_errors"] = [t("upload_too_big", lang, size=len(raw) // 1000, cap=MAX_FILE_BYTES // 1000)]
        return False
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        ss["upload_errors"] = [t("upload_not_text", lang)]
        return False
    try:
        s = bs.load_scenario_text(body, Path(name).stem or "uploaded")
    except ScenarioError as err:
        ss["upload_errors"] = [str(p) for p in err.problems] or [str(err)]
        return False
    except BudgetsimError as err:
        ss["upload_errors"] = [str(err)]
        return False
    try:
        ref = base_scenario(s)
    except ScenarioError:
        ref = None
    set_base(s, ref, f"upload:{name}")
    ss["upload_notice"] = t("upload_ok", lang, title=s.title(lang))
    return True


def _on_bundled_change(lang: str) -> None:
    sid = ss[f"bundled_choice_{lang}"]
    ss["bundled_id"] = sid
    s = bundled()[sid]
    set_base(s, s, f"bundled:{sid}")
    ss["upload_errors"], ss["upload_notice"] = [], ""


def _on_paste() -> None:
    load_text(ss.get("paste_text", ""), "pasted.yaml")


def _on_reset() -> None:
    ss["lever_gen"] += 1


if "base" not in ss:
    first = bundled()["baseline"] if "baseline" in bundled() else next(iter(bundled().values()))
    set_base(first, first, f"bundled:{first.id}")
    ss["bundled_id"] = first.id


# ----------------------------------------------------------------------------- sidebar


with st.sidebar:
    st.radio(t("language", L), ["zh", "en"], key="lang", horizontal=True,
             format_func=lambda v: {"zh": "中文", "en": "English"}[v])
    L = ss["lang"]

    st.subheader(t("start_from", L))
    ids = list(bundled())
    # one key per language: the option labels are part of the widget, so a switch must make a new one
    current = ss["base_source"].split(":", 1)[1] if ss["base_source"].startswith("bundled:") else ss["bundled_id"]
    st.selectbox(t("bundled", L), ids, key=f"bundled_choice_{L}", on_change=_on_bundled_change, args=(L,),
                 index=ids.index(current) if current in ids else 0,
                 format_func=lambda sid: bundled()[sid].title(L))
    up = st.file_uploader(t("upload", L), type=["yaml", "yml"], help=t("upload_help", L),
                          key=f"uploader_{ss['lever_gen']}")
    if up is not None and up.file_id != ss["last_upload_id"]:
        ss["last_upload_id"] = up.file_id
        if load_text(up.getvalue(), up.name):
            st.rerun()
    with st.expander(t("paste", L)):
        st.text_area(t("paste", L), key="paste_text", height=140, label_visibility="collapsed",
                     placeholder="extends: baseline\nbudget:\n  base_amount_wan: 66000")
        st.button(t("paste_load", L), key="paste_load", on_click=_on_paste)
    if ss["upload_errors"]:
        st.error(t("upload_bad", L) + "\n" + "\n".join(f"- {e}" for e in ss["upload_errors"]))
    elif ss["upload_notice"]:
        st.success(ss["upload_notice"])

    base: bs.Scenario = ss["base"]
    st.caption(f"{t('loaded_from', L)}: **{base.title(L)}** (`{ss['base_source']}`)")

    st.subheader(t("levers", L))
    objective = st.radio(t("question", L), list(OBJECTIVES), key="objective",
                         format_func=lambda o: objective_label(o, L))
    gen = ss["lever_gen"]
    levers = levers_for(base)
    values: dict[str, object] = {}
    for group, expanded in (("budget", True), ("categories", False), ("support", True), ("targets", False),
                            ("weights", False), ("rules", False)):
        group_levers = [lv for lv in levers if lv.group == group]
        if group == "budget" and not group_levers:
            st.caption(t("per_year_budget_note", L))
        if not group_levers:
            continue
        with st.expander(t(f"grp_{group}", L), expanded=expanded):
            for lv in group_levers:
                key = f"lv{gen}:{lv.path}"
                if lv.kind == "toggle":
                    values[lv.path] = st.toggle(lv.label(L), value=lv.value, key=key)
                elif lv.path == "budget.base_amount_wan" or lv.group == "targets":
                    values[lv.path] = st.number_input(lv.label(L), min_value=float(lv.lo), max_value=float(lv.hi),
                                                      value=float(lv.value), step=float(lv.step), key=key)
                else:
                    values[lv.path] = st.slider(lv.label(L), min_value=float(lv.lo), max_value=float(lv.hi),
                                                value=float(lv.value), step=float(lv.step), key=key)
    changes = lever_changes(levers, values)
    st.button(t("reset", L), key="reset", on_click=_on_reset, disabled=not changes)


# ----------------------------------------------------------------------------- scenario + solve

lever_problems: list[str] = []
try:
    scenario = base.with_changes(changes) if changes else base
    ss["last_good"] = (scenario, changes)
except ScenarioError as err:
    lever_problems = [str(p) for p in err.problems]
    scenario, changes = ss.get("last_good", (base, {}))
    if scenario is None:
        scenario, changes = base, {}

result = solve(scenario, objective)
summary = result.summary()

st.title(t("app_title", L))
st.caption(t("app_caption", L))
st.markdown(f"**{scenario.title(L)}** — {scenario.spec.description.en if L == 'en' else scenario.spec.description.zh}"
            + (f"  \n_{t('changed_n', L, n=len(changes))}_" if changes else "")
            + (f"  \n_{t('relaxed_note', L)}_" if ss["base_source"].startswith("relaxed:") else ""))
if lever_problems:
    st.error(t("lever_errors", L) + "\n" + "\n".join(f"- {p}" for p in lever_problems))


def kpi_tiles(r: bs.Result) -> None:
    sm = r.summary()
    if r.ok:
        c = st.columns(5)
        c[0].metric(t("kpi_performance", L), f"{sm['performance']:.2f}",
                    f"{sm['performance_diff']:+.2f} {t('kpi_vs_sq', L)}")
        c[1].metric(t("kpi_external", L), fmt_money(sm["external_wan"], L, short=True))
        c[2].metric(t("kpi_leverage", L), f"{sm['leverage']:.2f}×",
                    f"{sm['leverage'] - sm['status_quo_leverage']:+.2f}× {t('kpi_vs_sq', L)}")
        c[3].metric(t("kpi_targets", L),
                    f"{sm['targets_met']}/{sm['targets_total']}" if sm["targets_total"] else t("kpi_no_targets", L))
        saved = sm["budget_allocated_wan"] - sm["budget_envelope_wan"]
        c[4].metric(t("kpi_budget", L), fmt_money(sm["budget_allocated_wan"], L, short=True),
                    (f"{'-' if saved < 0 else '+'}{fmt_money(abs(saved), L, short=True)} {t('kpi_vs_envelope', L)}"
                     if abs(saved) > 0.5 else None), delta_color="inverse",
                    help=f"{t('col_envelope', L)}: {fmt_money(sm['budget_envelope_wan'], L)}")
    else:
        st.warning(f"**{t('infeasible', L) if r.status == 'infeasible' else status_label(r.status, L)}** "
                   + (t("infeasible_hint", L) if r.status == "infeasible" else ""))
        st.markdown(f"**{t('status_quo_tiles', L)}**")
        c = st.columns(4)
        c[0].metric(t("kpi_performance", L), f"{sm['status_quo_performance']:.2f}")
        ext = float(r.leverage["status_quo_external_wan"].sum())
        c[1].metric(t("kpi_external", L), fmt_money(ext, L, short=True))
        c[2].metric(t("kpi_leverage", L), f"{sm['status_quo_leverage']:.2f}×")
        c[3].metric(t("kpi_budget", L), fmt_money(float(r.budget["status_quo_wan"].sum()), L, short=True))


kpi_tiles(result)
secs = result.build_seconds + result.solve_seconds
st.caption(t("solve_time", L, ms=f"{secs * 1000:.0f}", src=objective_label(objective, L)))


def _wide(first: str, *others: str) -> dict:
    """Column settings that give text columns room: the first large, the others medium (numbers
    after them must stay in view without scrolling)."""
    return {first: st.column_config.TextColumn(width="large")} | {
        c: st.column_config.TextColumn(width="medium") for c in others}


def _apply_relaxations(ex) -> None:
    lang = ss["lang"]
    set_base(ex.relaxed_scenario(), ss["base_ref"], f"relaxed:{ex.scenario.id}")
    ss["upload_errors"], ss["upload_notice"] = [], t("diag_applied", lang, n=len(ex.conflicts))


def render_diagnosis() -> None:
    """An impossible scenario: which rules must give and by how much, the YAML, and a button to apply it."""
    try:
        with st.spinner(t("diag_running", L)):
            ex = _explain(scenario_key(scenario), objective, result)
    except BudgetsimError as err:
        st.error(t("explain_failed", L, err=str(err)))
        return
    st.subheader(t("diag_title", L))
    st.caption(t("diag_hard", L, hard="、".join(rule_label(scenario, h, L) for h in ex.hard) or "—"))
    if not len(ex.conflicts):
        st.error(t("diag_none", L))
        return
    tbl = views.conflicts_table(ex, L)
    st.dataframe(tbl.drop(columns=[t("col_in_words", L)]), width="stretch", hide_index=True,
                 column_config=_wide(t("col_rule", L), t("col_item", L)))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(t("diag_yaml", L))
        st.code(ex.yaml_diff(), language="yaml")
    with right:
        if ex.relaxed_status == "optimal":
            st.success(t("diag_checked", L, perf=f"{ex.relaxed_performance:.2f}"))
        else:
            st.warning(t("diag_unchecked", L, status=status_label(ex.relaxed_status or "error", L)))
        st.button(t("diag_apply", L), key="apply_relaxations", type="primary", on_click=_apply_relaxations,
                  args=(ex,), help=t("diag_apply_help", L), disabled=ex.relaxed_status != "optimal")
        relaxed_yaml = scenario_diff_yaml(ex.relaxed_scenario(), ss["base_ref"], new_id=f"{scenario.id}_relaxed",
                                          objective=objective) if ss["base_ref"] is not None else ex.yaml_diff()
        st.download_button(t("diag_download", L), relaxed_yaml, file_name=f"{scenario.id}_relaxed.yaml",
                           mime="application/x-yaml", key="dl_relaxed_yaml", help=t("yaml_help", L), on_click="ignore")


if result.status == "infeasible":
    render_diagnosis()


# ----------------------------------------------------------------------------- pin


def _pin() -> None:
    lang, n = ss["lang"], len(ss["pins"])
    name = (ss.get(f"pin_name_{n}_{lang}") or "").strip() or t("pin_default", lang, n=n + 1)
    existed = name in ss["pins"]
    scen, _ = ss.get("last_good", (ss["base"], {}))
    ss["pins"][name] = {"scenario": scen, "objective": ss["objective"], "base": ss["base_ref"]}
    picked = [n for n in ss.get("compare_pick", list(ss["pins"])[:-1]) if n in ss["pins"] and n != name]
    ss["compare_pick"] = (picked + [name])[-MAX_COMPARED:]  # a new pin joins the comparison at once
    ss["pin_notice"] = t("pinned", lang, name=name) + (" " + t("pin_exists", lang) if existed else "")


pc = st.columns([3, 2, 3])
pc[0].text_input(t("pin_name", L), value=t("pin_default", L, n=len(ss["pins"]) + 1),
                 key=f"pin_name_{len(ss['pins'])}_{L}", label_visibility="collapsed")
pc[1].button(t("pin", L), key="pin", on_click=_pin, width="stretch")
if ss.get("pin_notice"):
    pc[2].success(ss.pop("pin_notice"))


# ----------------------------------------------------------------------------- tabs


@st.cache_data(show_spinner=False, max_entries=512)
def _chart_spec(kind: str, key: tuple, _build) -> dict:
    """A chart's Vega-Lite spec, built once per (chart, plan, language, options).

    Building and validating Altair specs is most of a rerun's cost; the chart tests validate
    the same builders, so the app skips validation here."""
    return _build().to_dict(validate=False)


def chart_block(kind: str, key: tuple, build, data: pd.DataFrame, name: str) -> None:
    """A chart with its data as CSV and the chart as PNG (rendered only when asked for)."""
    spec = _chart_spec(kind, key, build)
    st.vega_lite_chart(spec, width="stretch", theme=None)
    c = st.columns([1, 1, 2])
    c[0].download_button(t("download_csv", L), data.to_csv(index=False).encode("utf-8-sig"),
                         file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}", on_click="ignore")
    c[1].download_button(t("download_png", L), lambda: charts.to_png(spec), file_name=f"{name}.png",
                         mime="image/png", key=f"png_{name}", on_click="ignore")


rkey = (scenario_key(scenario), objective, L)


# Fixed tab titles: a title that changed (e.g. with a pin count) would send the user back to the first
# tab.  The tabs track which one is open, so hidden tabs cost nothing on a rerun (a lever move).
tab_plan, tab_explain, tab_curves, tab_ind, tab_unc, tab_cmp = st.tabs(
    [t("tab_plan", L), t("tab_explain", L), t("tab_curves", L), t("tab_indicators", L), t("tab_uncertainty", L),
     t("tab_compare", L)], key=f"tab_{L}", on_change="rerun")


def shown(tab) -> bool:
    return tab.open is not False  # None (state not tracked) means render


def render_plan() -> None:
    """Allocation charts and table."""
    if not result.ok:
        st.info(t("no_plan", L))
    else:
        by = st.radio(t("stack_by", L), ["category", "mode"], key="stack_by", horizontal=True,
                      format_func=lambda v: t(v, L))
        left, right = st.columns(2)
        with left:
            chart_block("allocation", rkey + (by,), lambda: charts.allocation_chart(result, L, by),
                        charts.allocation_data(result, L), f"allocation_{by}")
        with right:
            chart_block("plan_vs_sq", rkey, lambda: charts.plan_vs_status_quo_chart(result, L),
                        charts.plan_vs_status_quo_data(result, L), "plan_vs_status_quo")
        st.markdown(f"**{t('alloc_table', L)}**")
        a = charts.allocation_data(result, L)
        a["mode_label"] = a["mode_label"].where(a["on_budget"], a["mode_label"] + " *")
        piv = a.pivot_table(index=["category_label", "mode_label"], columns="year", values="amount_wan",
                            sort=False).round(0)
        piv.index.names = [t("category", L), t("mode", L)]
        st.dataframe(piv.style.format("{:,.0f}"), width="stretch")
        if not a["on_budget"].all():
            st.caption(t("off_budget_note", L))


def render_curves() -> None:
    """One category's response curve with the plan's points."""
    if not result.ok:
        st.info(t("no_plan", L))
    else:
        cats = labels(scenario, "categories", L)
        c = st.columns(2)
        cat = c[0].selectbox(t("curve_category", L), list(cats), key="curve_cat", format_func=cats.get)
        inds = list(scenario.spec.categories[cat].response)
        ind = c[1].selectbox(t("curve_indicator", L), inds, key=f"curve_ind_{cat}",
                             format_func=lambda i: label(scenario, "indicators", i, L))
        cd = charts.curve_data(result, cat, ind, L)
        st.metric(t("marginal", L), f"{cd['marginal_per_yi']:,.2f} {unit(scenario, ind, L)} / 亿元")
        st.caption(t("marginal_text", L, v=f"{cd['marginal_per_yi']:,.2f}", unit=unit(scenario, ind, L)))
        chart_block("curve", rkey + (cat, ind), lambda: charts.response_curve_chart(result, cat, ind, L),
                    cd["points"], f"curve_{cat}_{ind}")


def render_indicators() -> None:
    """Indicators against the status quo and the targets."""
    d = charts.indicator_data(result, L)
    if result.ok:
        chart_block("indicators", rkey, lambda: charts.indicator_chart(result, L), d, "indicators")
    st.markdown(f"**{t('ind_table', L)}**")
    tbl = pd.DataFrame({
        t("indicator", L): d["indicator_label"], t("unit", L): d["unit"],
        t("plan", L): d["plan_total"], t("status_quo", L): d["status_quo_total"], t("target", L): d["target"],
        t("met", L): d["target_met"].map({True: "✅", False: "❌"}).fillna("")})
    st.dataframe(tbl.style.format({t("plan", L): "{:,.1f}", t("status_quo", L): "{:,.1f}", t("target", L): "{:,.0f}"},
                                  na_rep="—"), width="stretch", hide_index=True)


def render_explain() -> None:
    """Binding rules and what each costs, what one more 万元 buys, channels at the margin (lazy, cached)."""
    if not result.ok:
        st.info(t("no_plan", L) + ("：" if L == "zh" else ": ") + t("see_diagnosis", L)
                if result.status == "infeasible" else t("no_plan", L))
        return
    mip = is_mip(result)
    try:
        with st.spinner(t("explain_slow" if mip else "explain_running", L)):
            ex = _explain(scenario_key(scenario), objective, result)
    except BudgetsimError as err:
        st.error(t("explain_failed", L, err=str(err)))
        return
    if ex.method == "resolves":
        st.info(t("explain_resolves", L, n=ex.resolves, acc=f"{ex.accuracy:.3f}"))
    gain = views.gain_column(ex.objective, L)
    st.subheader(t("explain_binding", L))
    bt = views.binding_table(ex, L)
    if not len(bt):
        st.caption(t("explain_binding_none", L))
    else:
        st.markdown("\n".join(f"- {x}" for x in bt[t("col_in_words", L)].head(5)))
        st.dataframe(bt.drop(columns=[t("col_in_words", L)]).style.format(
                         {gain: "{:,.1f}" if ex.objective == "min-budget" else "{:.4f}"}),
                     width="stretch", hide_index=True, height=min(38 + 35 * len(bt), 390),
                     column_config=_wide(t("col_rule", L), t("col_item", L)))
        st.download_button(t("download_csv", L), bt.to_csv(index=False).encode("utf-8-sig"),
                           file_name="binding_rules.csv", mime="text/csv", key="csv_binding_rules", on_click="ignore")
    sl = views.slack_table(ex, L)
    with st.expander(t("explain_slack", L, n=len(sl)), expanded=False):
        st.dataframe(sl, width="stretch", hide_index=True, column_config=_wide(t("col_rule", L), t("col_item", L)))

    st.subheader(t("explain_mbv", L))
    mbv = charts.marginal_value_data(ex, L)
    if len(mbv) and (mbv["per_wan"].abs() < 1e-12).all():
        st.info(t("explain_mbv_none", L))
    elif len(mbv):
        left, right = st.columns([3, 2])
        with left:
            chart_block("mbv", rkey, lambda: charts.marginal_value_chart(ex, L), mbv, "marginal_budget_value")
        with right:
            st.caption(t("explain_mbv_note", L))
            per = mbv["measure"].iloc[0]
            st.dataframe(pd.DataFrame({t("year", L): mbv["year"].astype(str), per: mbv["per_1000_wan"]})
                         .style.format({per: "{:.4f}"}), width="stretch", hide_index=True)

    st.subheader(t("explain_channels", L))
    ch = views.channels_table(ex, L)
    funded = int((ex.channels["amount_wan"] > 0.5).sum())
    st.caption(t("explain_funded", L, n=funded, m=len(ex.channels) - funded) + " " + t("explain_channels_note", L))
    num = [t("col_return", L), t("col_via_rules", L), t("col_budget_value", L), t("col_shortfall", L)]
    def small(fmt: str):  # no "-0.0000": a shortfall below the shown precision is none
        return lambda v: fmt.format(v) if abs(v) >= 5e-5 else fmt.format(0.0).lstrip("+")

    st.dataframe(ch.style.format({t("amount_wan", L): "{:,.0f}"} | {c: small("{:+.4f}") for c in num[1:2]}
                                 | {c: small("{:.4f}") for c in num[:1] + num[2:]}),
                 width="stretch", hide_index=True, height=38 + 35 * len(ch),
                 column_config=_wide(t("col_channel", L)) | _wide(t("col_verdict", L)))


def render_uncertainty() -> None:
    """The plan and the status quo under the scenario's uncertainty (lazy, cached per draws + seed)."""
    if not result.ok:
        st.info(t("no_plan", L))
        return
    c = st.columns([1, 1, 3])
    draws = int(c[0].number_input(t("unc_draws", L), min_value=100, max_value=50_000, value=2_000, step=500,
                                  key="unc_draws"))
    seed = int(c[1].number_input(t("unc_seed", L), min_value=0, max_value=2**31 - 1, value=1, step=1,
                                 key="unc_seed"))
    if scenario.spec.uncertainty is None:
        st.info(t("unc_none", L))
    try:
        with st.spinner(t("unc_running", L)):
            sim = _simulate(scenario_key(scenario), objective, draws, seed, result)
    except BudgetsimError as err:
        st.error(t("unc_failed", L, err=str(err)))
        return
    st.caption(t("unc_caption", L, n=f"{draws:,}")
               + (" " + t("unc_min_budget_note", L) if objective == "min-budget" else ""))
    perf = sim.performance.set_index("plan")
    losses = sim.losses.set_index(["plan", "loss"])
    k = st.columns(3)
    k[0].metric(t("unc_prob_beats", L), f"{sim.prob_beats_status_quo['plan']:.1%}")
    k[1].metric(t("unc_perf_p50", L), f"{perf.loc['plan', 'p50']:.2f}",
                f"{perf.loc['plan', 'p50'] - perf.loc['status_quo', 'p50']:+.2f} {t('kpi_vs_sq', L)}",
                help=f"P5 {perf.loc['plan', 'p5']:.2f} – P95 {perf.loc['plan', 'p95']:.2f}")
    loss, sq_loss = losses.loc[("plan", "total"), "mean"], losses.loc[("status_quo", "total"), "mean"]
    k[2].metric(t("unc_loss_mean", L), fmt_money(loss, L, short=True),
                f"{'+' if loss >= sq_loss else '-'}{fmt_money(abs(loss - sq_loss), L, short=True)} {t('kpi_vs_sq', L)}",
                delta_color="inverse")
    left, right = st.columns([1, 1])
    with left:
        chart_block("distribution", rkey + (draws, seed), lambda: charts.performance_distribution_chart(sim, L),
                    charts.performance_distribution_data(sim, L), "performance_distribution")
    with right:
        st.markdown(f"**{t('unc_perf', L)}**")
        pt = views.performance_table(sim, L)
        st.dataframe(pt.style.format({c: "{:.2f}" for c in pt.columns[1:]}), width="stretch", hide_index=True)
        st.markdown(f"**{t('unc_losses', L)}**")
        lt = views.losses_table(sim, L)
        st.dataframe(lt.style.format({c: "{:,.0f}" for c in lt.columns[1:]}), width="stretch", hide_index=True)
    st.markdown(f"**{t('unc_targets', L)}**")
    tt = views.targets_table(sim, L)
    tt = tt[tt[t("target", L)].notna()]
    if not len(tt):
        st.caption(t("unc_no_targets", L))
    else:
        probs = [t("prob_met_plan", L), t("prob_met_sq", L)]
        st.dataframe(tt.style.format({p: "{:.1%}" for p in probs} | {c: "{:,.1f}" for c in ("P5", "P50", "P95")}
                                     | {t("target", L): "{:,.0f}"}), width="stretch", hide_index=True)


def render_compare() -> None:
    """Pinned scenarios side by side, downloads."""
    pins = ss["pins"]
    if not pins:
        st.info(t("no_pins", L))
    else:
        names = list(pins)
        ss.setdefault("compare_pick", names[-MAX_COMPARED:])
        ss["compare_pick"] = [n for n in ss["compare_pick"] if n in pins]
        chosen = st.multiselect(t("compare_pick", L), names, max_selections=MAX_COMPARED, key="compare_pick")
        if chosen:
            results = {n: solve(pins[n]["scenario"], pins[n]["objective"]) for n in chosen}
            comp = compare(results, L)
            ckey = (L,) + tuple((n, scenario_key(pins[n]["scenario"]), pins[n]["objective"]) for n in chosen)
            s = comp.summary
            view = pd.DataFrame({
                t("col_scenario", L): s["scenario"], t("col_objective", L): s["objective_label"],
                t("col_status", L): s["status_label"], t("col_performance", L): s["performance"],
                t("col_perf_diff", L): s["performance_diff"],
                t("col_budget", L): s["budget_allocated_wan"].map(lambda v: fmt_money(v, L, short=True)),
                t("col_external", L): s["external_wan"].map(lambda v: fmt_money(v, L, short=True)),
                t("col_leverage", L): s["leverage"],
                t("col_targets", L): [f"{m:.0f}/{n}" if pd.notna(m) else "—"
                                      for m, n in zip(s["targets_met"], s["targets_total"])]})
            st.markdown(f"**{t('compare_summary', L)}**")
            st.dataframe(view.style.format({t("col_performance", L): "{:.2f}", t("col_perf_diff", L): "{:+.2f}",
                                            t("col_leverage", L): "{:.2f}×"}, na_rep="—"),
                         width="stretch", hide_index=True)
            ind = comp.indicators.pivot_table(index="indicator_label", columns="scenario", values="plan_total",
                                              sort=False)[chosen]
            ind = ind.reset_index().rename(columns={"indicator_label": t("indicator", L)})
            st.markdown(f"**{t('compare_indicators', L)}**")
            st.dataframe(ind.style.format({n: "{:,.1f}" for n in chosen}, na_rep="—"), width="stretch",
                         hide_index=True, column_config={t("indicator", L): st.column_config.TextColumn(width="large")})
            left, right = st.columns(2)
            with left:
                chart_block("cmp_allocation", ckey, lambda: charts.comparison_allocation_chart(comp),
                            charts.comparison_allocation_data(comp), "comparison_allocation")
            with right:
                chart_block("cmp_indicators", ckey, lambda: charts.comparison_indicator_chart(comp),
                            charts.comparison_indicator_data(comp), "comparison_indicators")
            d = st.columns(3)
            d[0].download_button(t("download_xlsx", L), lambda: workbook_bytes(comp), file_name="comparison.xlsx",
                                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 key="dl_xlsx", on_click="ignore")
            d[1].download_button(t("download_summary_csv", L), comp.csv("summary").encode("utf-8-sig"),
                                 file_name="comparison_summary.csv", mime="text/csv", key="dl_sum_csv",
                                 on_click="ignore")
            d[2].download_button(t("download_alloc_csv", L), comp.csv("allocation").encode("utf-8-sig"),
                                 file_name="comparison_allocation.csv", mime="text/csv", key="dl_alloc_csv",
                                 on_click="ignore")
        st.divider()
        st.markdown(f"**{t('pins', L)}**")
        for i, (name, pin) in enumerate(list(pins.items())):
            c = st.columns([4, 2, 1])
            c[0].markdown(f"**{name}** — {pin['scenario'].title(L)} · {objective_label(pin['objective'], L)}")
            c[1].download_button(t("download_yaml", L, name=name),
                                 scenario_diff_yaml(pin["scenario"], pin["base"], new_id=slug(name), title=name,
                                                    objective=pin["objective"]),
                                 file_name=f"{slug(name)}.yaml", mime="application/x-yaml", key=f"dl_yaml_{i}",
                                 help=t("yaml_help", L), on_click="ignore")
            if c[2].button(t("remove", L), key=f"rm_pin_{i}", help=t("remove_pin", L, name=name)):
                del pins[name]
                st.rerun()


for _tab, _render in ((tab_plan, render_plan), (tab_explain, render_explain), (tab_curves, render_curves),
                      (tab_ind, render_indicators), (tab_unc, render_uncertainty), (tab_cmp, render_compare)):
    with _tab:
        if shown(_tab):
            _render()
