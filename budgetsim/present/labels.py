"""Labels and number formats: every word a user reads, in Chinese and English, from one place.

* UI strings (:data:`UI`, :func:`t`) for the app, charts, comparisons and workbooks.
* Scenario labels (categories, modes, indicators, dimensions) come from the scenario file
  itself (:func:`label`); rule labels from :func:`budgetsim.rules.rule_label`.
* Money: 万元 inside, shown as 万元 below 1 亿元 and as 亿元 above (:func:`fmt_money`).
"""

from __future__ import annotations

import math

LANGS = ("zh", "en")
YI = 10_000.0  # 万元 per 亿元


def fmt_money(wan: float | None, lang: str = "zh", short: bool = False) -> str:
    """万元 below 1 亿元, 亿元 above (e.g. '6.30 亿元' / '4,500 万元').

    In English the unit is glossed ('6.30 亿元 (100M yuan)') unless ``short``."""
    if wan is None or (isinstance(wan, float) and math.isnan(wan)):
        return "—"
    if abs(wan) >= YI:
        text = f"{wan / YI:,.2f} 亿元"
        return text if lang == "zh" or short else f"{text} (100M yuan)"
    text = f"{wan:,.0f} 万元"
    return text if lang == "zh" or short else f"{text} (10k yuan)"


def fmt_pct(share: float | None, digits: int = 0) -> str:
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return f"{share * 100:.{digits}f} %"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_wan(wan: float | None) -> str:
    """Always 万元, whole, with separators ('66,000 万元'): for tables whose header says 万元."""
    return "—" if _missing(wan) else f"{wan:,.0f} 万元"


def fmt_count(n: float | None, unit: str = "") -> str:
    """A count of firms, people, results … as a whole number with separators ('900 家', '1,658 人')."""
    return "—" if _missing(n) else f"{n:,.0f} {unit}".strip()


def fmt_index(v: float | None) -> str:
    """The performance index, two decimals ('108.44')."""
    return "—" if _missing(v) else f"{v:,.2f}"


def fmt_points(v: float | None, lang: str = "zh") -> str:
    """A change of the index in points, signed ('+9.74 分' / '+9.74 points')."""
    return "—" if _missing(v) else f"{v:+,.2f} {'分' if lang == 'zh' else 'points'}"


def fmt_ratio(v: float | None, lang: str = "zh") -> str:
    """A leverage ratio ('2.36 倍' / '2.36×')."""
    return "—" if _missing(v) else (f"{v:.2f} 倍" if lang == "zh" else f"{v:.2f}×")


# Excel number formats of the workbook (values stay exact; only the display is rounded)
XL_WAN = "#,##0"            # 万元
XL_INDEX = "0.00"           # performance index and points
XL_POINTS = "+0.00;-0.00;0.00"
XL_SHARE = "0.0%"           # shares and chances
XL_RATIO = '0.00"×"'        # leverage
XL_COUNT = "#,##0"          # whole firms, people, results


# ----------------------------------------------------------------------------- UI strings

UI: dict[str, tuple[str, str]] = {
    # page
    "app_title": ("科技预算情景工作台", "S&T budget what-if workbench"),
    "app_caption": ("财政科技专项资金分配：调整规则与参数，即时求解，比较并导出方案。金额单位：万元，较大金额以亿元显示（1 亿元 = 10,000 万元）。",
                    "Fiscal S&T special-fund allocation: move rules and parameters, re-solve at once, compare and "
                    "export scenarios. Money in 万元 (10,000 yuan), large sums in 亿元 (100 M yuan)."),
    "language": ("语言 / Language", "语言 / Language"),
    # scenario choice
    "scenario": ("情景", "Scenario"),
    "start_from": ("起始情景", "Start from"),
    "bundled": ("内置情景", "Bundled scenario"),
    "upload": ("上传 YAML 情景文件", "Upload a YAML scenario file"),
    "upload_help": ("可写 `extends: baseline` 只列出改动；文件不超过 1 MB。",
                    "Use `extends: baseline` to list only the changes; at most 1 MB."),
    "paste": ("或粘贴 YAML 文本", "Or paste YAML text"),
    "paste_load": ("载入粘贴的情景", "Load pasted scenario"),
    "loaded_from": ("当前情景", "Current scenario"),
    "upload_bad": ("情景文件有误，仍保留上一个有效情景。问题如下：", "The scenario file has problems; the last good scenario is kept:"),
    "upload_too_big": ("文件过大（{size} kB），上限 {cap} kB。", "File too large ({size} kB); the limit is {cap} kB."),
    "upload_not_text": ("文件不是 UTF-8、UTF-16 或 GBK/GB18030 文本；请另存为 UTF-8 后再上传。",
                        "The file is not UTF-8, UTF-16 or GBK/GB18030 text; save it as UTF-8 and upload it again."),
    # hostile input (issue 11): a file read in another encoding than UTF-8
    "upload_encoding": ("注意：该文件按 {encoding} 编码读取（不是 UTF-8），建议另存为 UTF-8。",
                        "Note: the file was read as {encoding}, not UTF-8; consider saving it as UTF-8."),
    "upload_ok": ("已载入：{title}", "Loaded: {title}"),
    # levers
    "levers": ("调整参数", "Levers"),
    "levers_loading": ("参数面板载入中……", "Loading the levers…"),
    "question": ("求解问题", "Question"),
    "obj_max-performance": ("给定预算，绩效最优", "Best performance for the budget"),
    "obj_min-budget": ("达到目标，预算最省", "Least budget that meets the targets"),
    "obj_cvar": ("稳健方案：不利年景下绩效最优", "Robust plan: best performance in bad years"),
    "grp_budget": ("预算规模", "Budget"),
    "grp_categories": ("专项类别占比（下限 / 上限）", "Category shares (floor / cap)"),
    "grp_support": ("支持方式与杠杆", "Support mix and leverage"),
    "grp_targets": ("规划期产出目标", "Output targets over the plan"),
    "grp_weights": ("绩效评价维度权重", "Evaluation-dimension weights"),
    "grp_rules": ("启用的规则", "Rules switched on"),
    "lv_base_amount": ("{year} 年预算总额（万元）", "{year} budget envelope (万元)"),
    "lv_growth": ("预算年增长率（%）", "Yearly budget growth (%)"),
    "lv_floor": ("{name} 下限（%）", "{name} floor (%)"),
    "lv_cap": ("{name} 上限（%）", "{name} cap (%)"),
    "lv_stable_min": ("稳定支持占比下限（%）", "Stable-support share, lowest (%)"),
    "lv_stable_max": ("稳定支持占比上限（%）", "Stable-support share, highest (%)"),
    "lv_leverage": ("杠杆率下限（外部资金 ÷ 财政资金，倍）", "Leverage floor (external ÷ fiscal money, ×)"),
    # hostile input (issue 11): a per-year leverage floor (e.g. after applying a diagnosis) keeps its levers
    "lv_leverage_year": ("{year} 年杠杆率下限（倍）", "{year} leverage floor (×)"),
    "time_limit_hint": ("求解在 {s} 秒内未完成，未给出方案。可减少整项目（整数）规则或放宽目标后重试；"
                        "命令行 budgetsim solve --time-limit 可给更长时间。",
                        "The solver did not finish within {s} s, so no plan is shown. Try fewer whole-project (integer) "
                        "rules or looser targets; budgetsim solve --time-limit allows more time."),
    "solving_sign": ("正在求解新方案……下方数字仍是上一次的结果", "Solving… the figures below are from the last answer"),
    "lv_target": ("{name}（{unit}，0 = 不设目标）", "{name} ({unit}; 0 = no target)"),
    "lv_weight": ("{name}", "{name}"),
    "lv_rule": ("{name}", "{name}"),
    "per_year_budget_note": ("本情景按年列出预算，预算规模请在文件中修改。",
                             "This scenario lists the budget year by year; change it in the file."),
    "reset": ("恢复情景原值", "Reset to the scenario's values"),
    "lever_errors": ("这些参数组合无效，仍显示上一个有效方案：", "These settings are not valid; the last valid plan is shown:"),
    "changed_n": ("已改动 {n} 项参数", "Parameters changed: {n}"),
    # KPIs
    "kpi_performance": ("绩效指数", "Performance index"),
    "kpi_vs_sq": ("较现状", "vs status quo"),
    "kpi_external": ("撬动外部资金", "External money mobilised"),
    "kpi_leverage": ("杠杆率", "Leverage"),
    "kpi_targets": ("目标达成", "Targets met"),
    "kpi_budget": ("规划期预算", "Budget over the plan"),
    "kpi_sq_leverage": ("现状 {v}", "status quo {v}"),
    "kpi_vs_envelope": ("较预算总额", "vs envelope"),
    "kpi_no_targets": ("未设目标", "no targets"),
    "status_quo_tiles": ("现状（维持当前分配比例）", "Status quo (today's split carried over)"),
    "infeasible": ("当前规则下不存在可行方案。", "No plan meets all the active rules."),
    "no_plan": ("没有方案", "No plan"),
    # tabs
    "tab_plan": ("分配方案", "Allocation"),
    "tab_curves": ("响应曲线", "Response curves"),
    "tab_indicators": ("指标与目标", "Indicators and targets"),
    "tab_compare": ("情景对比", "Compare scenarios"),
    # charts and tables
    "year": ("年份", "Year"),
    "category": ("专项类别", "Category"),
    "mode": ("支持方式", "Support mode"),
    "amount": ("金额（亿元）", "Amount (亿元)"),
    "amount_wan": ("金额（万元）", "Amount (万元)"),
    "series": ("方案", "Series"),
    "plan": ("方案", "Plan"),
    "status_quo": ("现状", "Status quo"),
    "diff": ("差值", "Difference"),
    "target": ("目标", "Target"),
    "met": ("达成", "Met"),
    "indicator": ("指标", "Indicator"),
    "unit": ("单位", "Unit"),
    "dimension": ("评价维度", "Dimension"),
    "alloc_by_category": ("各年分配（按专项类别）", "Allocation per year by category"),
    "alloc_by_mode": ("各年分配（按支持方式）", "Allocation per year by support mode"),
    "plan_vs_sq": ("规划期合计：方案与现状", "Plan total: plan vs status quo"),
    "stack_by": ("堆叠方式", "Stack by"),
    "alloc_table": ("分配明细（万元）", "Allocation detail (万元)"),
    "off_budget_note": ("* 税式支出（减免的税收），不占科技预算，单独设上限，未计入上方预算图表。",
                        "* Tax expenditure (revenue forgone): not budget cash, capped on its own and left out "
                        "of the budget charts above."),
    "effective": ("有效资源（万元/年）", "Effective resources (万元 a year)"),
    "output": ("年产出", "Output a year"),
    "curve_title": ("{cat}：{ind}", "{cat}: {ind}"),
    "chosen_point": ("方案点", "Plan point"),
    "sq_point": ("现状点", "Status-quo point"),
    "marginal": ("再投 1 亿元的产出", "Output of one more 亿元"),
    "marginal_text": ("每增加 1 亿元有效资源约增加 {v} {unit}（规划期平均）",
                      "One more 亿元 of effective resources adds about {v} {unit} (plan average)"),
    "curve_category": ("专项类别", "Category"),
    "curve_indicator": ("指标", "Indicator"),
    "ind_vs_sq": ("规划期指标：现状 = 100", "Indicators over the plan: status quo = 100"),
    "relative": ("相对现状（现状 = 100）", "Relative to status quo (= 100)"),
    "ind_table": ("指标明细（规划期合计）", "Indicator detail (plan total)"),
    "download_csv": ("数据 CSV", "Data (CSV)"),
    "download_png": ("图片 PNG", "Chart (PNG)"),
    "png_unavailable": ("无法生成 PNG：{err}", "PNG export unavailable: {err}"),
    # pinning and comparison
    "pin": ("固定当前方案", "Pin current settings"),
    "pin_name": ("方案名称", "Scenario name"),
    "pin_default": ("方案 {n}", "Plan {n}"),
    "pinned": ("已固定：{name}", "Pinned: {name}"),
    "pin_exists": ("已有同名方案，已更新。", "A pinned scenario with that name existed; it was replaced."),
    "pins": ("已固定的方案", "Pinned scenarios"),
    "no_pins": ("还没有固定的方案。在左侧调整参数后点击“固定当前方案”。",
                "No pinned scenarios yet. Move the levers, then press “Pin current settings”."),
    "compare_pick": ("选择要对比的方案（最多 5 个）", "Scenarios to compare (up to five)"),
    "compare_summary": ("主要结果", "Headline results"),
    "compare_alloc": ("分配对比（规划期合计，按专项类别）", "Allocation compared (plan total by category)"),
    "compare_indicators": ("指标对比（规划期合计）", "Indicators compared (plan total)"),
    "download_xlsx": ("下载对比 Excel", "Download comparison (Excel)"),
    "download_summary_csv": ("下载主要结果 CSV", "Download headline results (CSV)"),
    "download_alloc_csv": ("下载分配明细 CSV", "Download allocation (CSV)"),
    "download_yaml": ("下载 {name} 的 YAML 差异文件", "Download {name} as a YAML diff"),
    "remove_pin": ("删除 {name}", "Remove {name}"),
    "remove": ("删除", "Remove"),
    "yaml_help": ("可用 `budgetsim solve 文件.yaml` 复现此方案。", "Reproduce with `budgetsim solve file.yaml`."),
    # comparison columns
    "col_scenario": ("方案", "Scenario"),
    "col_base": ("基于", "Based on"),
    "col_objective": ("求解问题", "Question"),
    "col_status": ("状态", "Status"),
    "col_performance": ("绩效指数", "Performance index"),
    "col_sq_performance": ("现状绩效指数", "Status-quo index"),
    "col_perf_diff": ("较现状", "vs status quo"),
    "col_budget": ("安排预算（万元）", "Budget allocated (万元)"),
    "col_envelope": ("预算总额（万元）", "Budget envelope (万元)"),
    "col_external": ("外部资金（万元）", "External money (万元)"),
    "col_leverage": ("杠杆率", "Leverage"),
    "col_targets": ("目标达成", "Targets met"),
    "col_rule": ("规则", "Rule"),
    "col_path": ("参数路径", "Parameter path"),
    "col_baseline": ("基准值", "Baseline value"),
    "col_value": ("方案值", "Scenario value"),
    "status_optimal": ("最优", "optimal"),
    "status_infeasible": ("不可行", "infeasible"),
    "status_unbounded": ("无界", "unbounded"),
    "status_error": ("求解出错", "solver error"),
    "status_time_limit": ("求解超时", "out of time"),
    "on": ("启用", "on"),
    "off": ("关闭", "off"),
    "solve_time": ("求解用时 {ms} 毫秒（{src}）", "Solved in {ms} ms ({src})"),
    "cached": ("缓存", "cached"),
    "fresh": ("新求解", "fresh solve"),
    # explanation: binding rules, marginal value of budget, channels (budgetsim.explain)
    "tab_explain": ("规则代价与边际价值", "Rule costs and margins"),
    "explain_binding": ("卡住方案的规则：放宽一步能换来多少", "Rules that hold the plan back: the gain of one step looser"),
    "explain_binding_none": ("没有卡住方案的规则。", "No rule holds the plan back."),
    "explain_slack": ("有余量的规则（{n} 条，各取最紧的一年）", "Rules with room to spare ({n}; the tightest year of each)"),
    "explain_mbv": ("多给 1,000 万元预算，绩效指数多得几分（按年）", "What one more 1,000 万元 buys, year by year"),
    "explain_mbv_none": ("预算总额不构成约束：方案未用满预算，多一万元预算不改变结果。",
                         "The budget envelope does not bind: the plan spends less than it, so one more 万元 changes nothing."),
    "explain_mbv_note": ("每年都把预算上下挪动 0.1 % 重新求解核对过。",
                         "From the dual of each year's budget row, each checked against a finite difference "
                         "(the envelope moved ±0.1 % and re-solved)."),
    "explain_channels": ("各渠道再投 1,000 万元的回报（规划期按预算加权）",
                         "Channels at the margin (per 1,000 万元, plan average weighted by budget)"),
    "explain_channels_note": ("差额为规划期平均：每年都安排的渠道为 0；负数表示回报比预算价值低多少（未安排，或只在部分年份安排）。",
                              "The shortfall is a plan average: zero for a channel funded every year; negative is how far "
                              "its return falls below the budget's value (unfunded, or funded in some years only)."),
    "explain_funded": ("已安排 {n} 个渠道，未安排 {m} 个。", "{n} channels funded, {m} not."),
    "explain_resolves": ("本方案含整项目立项（整数规划）：这里的每个数都由重新求解得出（共 {n} 次），精度约 ±{acc} 分。",
                         "Integer (MILP) plan: no duals exist; every marginal value here comes from re-solving "
                         "the model ({n} re-solves), accurate to about ±{acc} points."),
    "explain_slow": ("正在计算……整数规划方案需要逐项重新求解，约需几秒。",
                     "Working… an integer plan is explained by re-solving it rule by rule: a few seconds."),
    "explain_running": ("正在计算各规则的代价……", "Computing what each rule costs…"),
    "explain_failed": ("无法解释该方案：{err}", "Could not explain this plan: {err}"),
    "gain_points": ("放宽一步的收益（分）", "Gain of the step (points)"),
    "gain_cvar": ("放宽一步的收益（稳健目标分）", "Gain of the step (robust points)"),
    "gain_wan": ("放宽一步节省（万元）", "Saved by the step (万元)"),
    "col_item": ("对象", "Applies to"),
    "col_now": ("现值", "Now"),
    "col_step_to": ("放宽一步至", "One step looser"),
    "col_in_words": ("说明", "In words"),
    "col_slack": ("余量", "Room to spare"),
    "col_channel": ("渠道（类别 × 支持方式）", "Channel (category × mode)"),
    "col_return": ("再投 1,000 万元的回报（分）", "Return of 1,000 万元 more (points)"),
    "col_via_rules": ("规则影响", "Via rules"),
    "col_budget_value": ("预算价值", "Budget's value"),
    "col_shortfall": ("差额", "Shortfall"),
    "col_verdict": ("判断", "Verdict"),
    "col_from": ("原值", "From"),
    "col_to": ("须放宽至", "Must give to"),
    "mbv_label": ("绩效指数多得（分 / 1,000 万元）", "Index points per 1,000 万元"),
    "mbv_label_budget": ("所需预算变化（万元 / 1,000 万元）", "Budget needed (万元 per 1,000 万元)"),
    "mbv_title": ("多给 1,000 万元预算能多得几分", "What 1,000 万元 more budget buys"),
    # impossible scenarios: the diagnosis
    "infeasible_hint": ("没有任何方案能同时满足全部启用的规则。下面列出哪些规则须放宽、放宽多少。",
                        "No plan satisfies all the active rules at once. Below: which rules must give, and by how much."),
    "diag_title": ("为何不可行：须放宽的规则（最小放宽量）", "Why impossible: the rules that must give (least relaxation)"),
    "diag_hard": ("不放宽的硬性规则：{hard}", "Hard rules never relaxed: {hard}"),
    "diag_none": ("即使放宽全部软性规则仍无解：硬性规则与模型结构本身相互冲突。",
                  "Even relaxing every soft rule leaves no plan: the hard rules and the model's structure conflict by themselves."),
    "diag_yaml": ("在情景文件中加入以下修改即可求解：", "Add these changes to the scenario file to make it solvable:"),
    "diag_checked": ("已校验：放宽后的情景可以求解（绩效指数 {perf}）。", "Checked: the relaxed scenario solves (performance index {perf})."),
    "diag_unchecked": ("注意：放宽后的情景求解状态为 {status}。", "Note: the relaxed scenario's status is {status}."),
    "diag_apply": ("应用这些放宽并求解", "Apply these relaxations"),
    "diag_apply_help": ("把放宽后的情景载入为当前情景（参数随之更新）。", "Load the relaxed scenario as the current scenario (the levers follow)."),
    "diag_applied": ("已应用 {n} 处放宽，当前为放宽后的情景。", "Applied {n} relaxations; the relaxed scenario is now current."),
    "see_diagnosis": ("须放宽的规则见上方诊断。", "the rules that must give are diagnosed above."),
    "unc_min_budget_note": ("“预算最省”方案比现状少用预算，绩效通常低于现状：请结合节省的预算看这些概率。",
                            "The least-budget plan spends less than the status quo and usually scores below it: read "
                            "these chances together with the budget it saves."),
    "relaxed_note": ("本情景已按诊断放宽了冲突的规则。", "This scenario has the conflicting rules relaxed as diagnosed."),
    "diag_running": ("正在诊断不可行的原因……", "Diagnosing why no plan exists…"),
    "diag_download": ("放宽修改 YAML", "Relaxations (YAML)"),
    # uncertainty (budgetsim.uncertainty)
    "tab_uncertainty": ("不确定性", "Uncertainty"),
    "unc_draws": ("模拟次数", "Draws"),
    "unc_seed": ("随机种子", "Seed"),
    "unc_caption": ("对情景 `uncertainty:` 部分列出的参数随机抽样 {n} 次，方案与现状在同一组抽样上比较；同一种子结果相同。",
                    "{n} draws of the parameters in the scenario's `uncertainty:` section; plan and status quo are "
                    "scored on the same draws; the same seed gives the same numbers."),
    "unc_none": ("本情景没有 `uncertainty:` 部分：所有参数取基准值，各次模拟结果相同。",
                 "This scenario has no `uncertainty:` section: every parameter stays at its base value, so all draws agree."),
    "unc_prob_beats": ("方案优于现状的概率", "Chance the plan beats the status quo"),
    "unc_perf_p50": ("绩效指数（居中的估计）", "Performance index (middle estimate)"),
    "unc_loss_mean": ("预期财政损失（规划期）", "Expected fiscal losses (plan)"),
    "unc_perf": ("绩效指数分布", "Performance index across draws"),
    "unc_targets": ("各项目标的达成概率", "Chance each target is met"),
    "unc_no_targets": ("本情景未设产出目标。", "This scenario sets no output targets."),
    "unc_losses": ("预期财政损失（万元，规划期合计）", "Expected fiscal losses (万元, plan total)"),
    "unc_running": ("正在模拟……", "Simulating…"),
    "unc_failed": ("无法模拟：{err}", "Could not simulate: {err}"),
    "dist_title": ("绩效指数分布（{n} 次抽样）", "Performance index across {n} draws"),
    "share_of_draws": ("抽样占比", "Share of draws"),
    "from": ("自", "from"),
    "to": ("至", "to"),
    "mean": ("均值", "Mean"),
    "cvar_col": ("最差 {pct}% 情形的平均", "Mean of the worst {pct} %"),
    "prob_met_plan": ("达成概率（方案）", "Chance met (plan)"),
    "prob_met_sq": ("达成概率（现状）", "Chance met (status quo)"),
    "col_loss": ("损失来源", "Loss"),
    "loss_pool_draws": ("风险补偿资金池代偿", "Risk-pool draws"),
    "loss_fund_write_offs": ("引导基金核销", "Guidance-fund write-offs"),
    "loss_total": ("合计", "Total"),
    "loss_plan_mean": ("方案：均值", "Plan: mean"),
    "loss_plan_p95": ("方案：二十次里最坏的一次", "Plan: worst in twenty"),
    "loss_sq_mean": ("现状：均值", "Status quo: mean"),
    # calibration from a bureau's records (issue 14): report, CLI summary and the workbench tab
    "cal_title": ("响应曲线校准报告", "Response-curve calibration report"),
    "cal_intro": ("按 {records}（{y0}–{y1} 年，sha256 {sha}）拟合情景“{scenario}”的响应曲线：最大后验估计，"
                  "后验区间用拉普拉斯近似（在最优点求海森矩阵）。先验放在当前支出处的弹性和饱和度上；"
                  "数据权重 = 1 − 后验方差/先验方差（弹性的 logit），低于 0.5 即“先验主导”。"
                  "绩效指数的参照水平改为 {y1} 年实际产出（100 = 该年实际产出）；现状分配改为 {y1} 年实际支出结构。",
                  "Response curves of scenario “{scenario}” fitted to {records} ({y0}–{y1}, sha256 {sha}) by "
                  "maximum a posteriori estimation, with the Laplace approximation (the Hessian at the optimum) for "
                  "the spread. Priors sit on the elasticity and the saturation at current spending; data weight = "
                  "1 − posterior / prior variance (of the logit elasticity); below 0.5 the prior dominates. The "
                  "index's reference levels are now the {y1} actual outputs (100 = that year's output); the status quo "
                  "is the {y1} actual split of spending."),
    "cal_summary": ("各曲线一览", "Curves at a glance"),
    "cal_category": ("专项类别", "Category"),
    "cal_indicator": ("指标", "Indicator"),
    "cal_points": ("数据点", "Points"),
    "cal_elasticity": ("当前支出处弹性（90% 区间）", "Elasticity at current spending (90 % interval)"),
    "cal_prior_elasticity": ("先验弹性", "Prior elasticity"),
    "cal_data_weight": ("数据权重", "Data weight"),
    "cal_shift": ("偏离先验（先验标准差）", "Moved from prior (prior sds)"),
    "cal_level": ("当前产出 较先验曲线", "Output now vs prior curve"),
    "cal_rmse": ("残差（均方根）", "Residuals (RMS)"),
    "cal_flag": ("判断", "Verdict"),
    "cal_prior_dominates": ("先验主导：数据不足以确定曲线形状，拟合接近先验",
                            "Prior dominates: the data cannot identify the curve's shape; the fit stays near the prior"),
    "cal_data_moved": ("数据确定", "Identified by the data"),
    "cal_no_data": ("无记录：沿用原曲线", "No records: curve unchanged"),
    "cal_current": ("当前支出（有效资源）", "Current spending (effective resources)"),
    "cal_current_short": ("当前支出", "Current spending"),
    "cal_params": ("拟合参数", "Fitted parameters"),
    "cal_prior_params": ("先验曲线参数", "Prior curve parameters"),
    "cal_saturation": ("饱和度（已达上限的比例）", "Saturation (share of the ceiling reached)"),
    "cal_noise": ("年度波动（拟合）", "Year-to-year scatter (fitted)"),
    "cal_output_cv": ("曲线参数不确定性（±50% 支出范围内）",
                      "Parameter uncertainty of the output (over ±50 % of current spending)"),
    "cal_year_corr": ("各曲线年度波动的同向程度（残差平均相关）：{rho:.2f}。写入 uncertainty 的产出不确定性 = "
                      "参数不确定性 + 年度波动在规划期内的平均（σ²/T），后者按此相关共享“好年景/坏年景”冲击。",
                      "How much the curves' yearly scatter moves together (mean residual correlation): {rho:.2f}. "
                      "The output uncertainty written to uncertainty: = parameter uncertainty + the yearly scatter "
                      "averaged over the plan (σ²/T), the latter sharing a good-year/bad-year shock at this correlation."),
    "cal_prior_source": ("先验来源", "Prior source"),
    "cal_residuals": ("残差", "Residuals"),
    "cal_year": ("年度", "Year"),
    "cal_effective": ("有效资源（万元）", "Effective resources (万元)"),
    "cal_observed": ("实际", "Observed"),
    "cal_fitted": ("拟合", "Fitted"),
    "cal_residual": ("残差", "Residual"),
    "cal_band": ("90% 区间", "90 % band"),
    "cal_prior_curve": ("先验曲线", "Prior curve"),
    "cal_refs": ("绩效指数参照水平（每年）", "Index reference levels (per year)"),
    "cal_ref_old": ("原参照", "Before"),
    "cal_ref_new": ("校准后", "Calibrated"),
    "cal_ref_basis": ("依据", "Basis"),
    "cal_basis_observed": ("{y} 年实际", "{y} actual"),
    "cal_basis_observed+fitted": ("{y} 年实际（部分类别用拟合值）", "{y} actual (fitted where a category has no record)"),
    "cal_basis_unchanged": ("无记录，未改", "no records, unchanged"),
    "cal_flips": ("区间内会翻转的建议", "Recommendations that flip within the bands"),
    "cal_flips_intro": ("把每条曲线的弹性移到 90% 区间两端重新求解；下表列出方案建议因此改变的资金渠道"
                        "（增加 ↔ 减少，或安排 ↔ 不安排）。这些决定对该曲线敏感，宜先补充数据。",
                        "Each curve's elasticity moved to either end of its 90 % interval and the plan re-solved; "
                        "the channels whose recommendation changes (up ↔ down, funded ↔ not funded) are listed. "
                        "Those decisions are sensitive to that curve: get better data first."),
    "cal_no_flips": ("在各曲线的 90% 区间内，方案建议都不翻转。", "No recommendation flips within the curves' 90 % bands."),
    "cal_flips_skipped": ("未计算（--no-flips）。", "Not computed (--no-flips)."),
    "cal_curve": ("曲线", "Curve"),
    "cal_end": ("区间端", "End of band"),
    "cal_end_low": ("弹性下端", "low elasticity"),
    "cal_end_high": ("弹性上端", "high elasticity"),
    "cal_channel": ("资金渠道", "Channel"),
    "cal_from_to": ("建议：原 → 变为", "Recommendation: was → becomes"),
    "cal_rec_up": ("增加", "up"),
    "cal_rec_down": ("减少", "down"),
    "cal_rec_hold": ("持平", "hold"),
    "cal_rec_off": ("不安排", "not funded"),
    "cal_perf_change": ("绩效指数变化", "Index change"),
    "cal_record_warnings": ("记录文件提示", "Notes on the records file"),
    "cal_plan_perf": ("校准后方案绩效指数 {p:.1f}（100 = {y} 年实际产出）。",
                      "Calibrated plan's performance index {p:.1f} (100 = the {y} actual output)."),
    "cal_chart_title": ("{cat} · {ind}", "{cat} · {ind}"),
    "cal_tab": ("按记录校准", "Calibrate to records"),
    "cal_upload": ("上传记录文件（Excel 或 CSV）", "Upload a records file (Excel or CSV)"),
    "cal_upload_help": ("往年决算支出与产出；可先下载模板填写。", "Past spending and outputs; start from the template."),
    "cal_template_xlsx": ("下载记录模板（Excel）", "Download the records template (Excel)"),
    "cal_example": ("或使用示例记录", "Or use an example records file"),
    "cal_none": ("（不使用）", "(none)"),
    "cal_run": ("校准", "Calibrate"),
    "cal_running": ("正在拟合曲线并检验建议……", "Fitting curves and testing the recommendations…"),
    "cal_bad": ("记录文件有误，问题如下：", "The records file has problems:"),
    "cal_apply": ("设为当前情景", "Make it the current scenario"),
    "cal_applied": ("已设为当前情景：{title}", "Now the current scenario: {title}"),
    "cal_download_yaml": ("下载校准情景（YAML）", "Download the calibrated scenario (YAML)"),
    "cal_download_html": ("下载校准报告（HTML）", "Download the calibration report (HTML)"),
    "cal_prior_dominates_n": ("{n} 条曲线先验主导", "{n} curves: prior dominates"),
    "cal_fitted_n": ("{n} 条曲线按 {k} 年记录拟合", "{n} curves fitted to {k} years of records"),
    "cal_years": ("记录年度", "Years of records"),
    "cal_curves_fitted": ("拟合曲线（条）", "Curves fitted"),
    "cal_curves_prior": ("其中先验主导", "Of which prior dominates"),
    "cal_plan_index": ("校准后方案绩效指数", "Calibrated plan's index"),
    # calibration: precision beyond the records' range, channel capacities (issue 14, second pass)
    "cal_data_moved_wide": ("数据确定（记录范围内；±50% 处区间宽于 ±10%）",
                            "Identified by the data (within the records' range; band wider than ±10 % at ±50 %)"),
    "cal_band_50": ("±50% 支出处 90% 区间半宽", "90 % band half-width over ±50 % of spending"),
    "cal_band_wide": ("记录覆盖当前支出的 {lo:.0%}–{hi:.0%}；在 ±50% 范围内 90% 区间最宽为 ±{w:.0%}，"
                      "超出记录范围处数据不能把曲线确定到 ±10% 以内",
                      "The records cover {lo:.0%}–{hi:.0%} of current spending; over ±50 % the 90 % band is up to "
                      "±{w:.0%} wide: beyond the records' range the data do not pin the curve to within ±10 %"),
    "cal_band_note": ("90% 区间：真实曲线约每 10 次有 1 次落在区间外（多在记录范围以外的两端）。"
                      "按记录年数和波动，超出记录范围的外推精度有限，各曲线的 ±50% 区间半宽见下表。",
                      "90 % band: about one time in ten the true curve lies outside it (mostly at the ends, beyond "
                      "the records' range). How far a curve can be extrapolated depends on the number of years and "
                      "their scatter; each curve's band half-width over ±50 % is in the table."),
    "cal_channels": ("渠道吸纳能力", "Channel capacities"),
    "cal_channels_intro": ("吸纳能力只有在某渠道接近其上限、且各渠道支出不同步变化时才能从记录中识别：它表现为该渠道"
                           "相对同类别其他渠道的回报递减。若记录中各渠道同比例增减，或支出远低于能力，这种递减与"
                           "响应曲线自身的凹性无法区分。先验为情景值（对数标准差 {sd}），数据权重 ≥ 0.5 才拟合，"
                           "否则保留情景值。",
                           "A capacity shows in the records only when a channel nears its limit while the channels "
                           "of its category move differently: as that channel's returns falling off relative to the "
                           "others. Records that move all channels together, or stay far below the limit, cannot "
                           "tell it from the response curve's own concavity. Prior: the scenario's value (log sd "
                           "{sd}); fitted when the data weight is at least 0.5, otherwise the scenario value is kept."),
    "cal_cap_scenario": ("情景值（万元/年）", "Scenario (万元 a year)"),
    "cal_cap_fitted": ("校准后（万元/年）", "Calibrated (万元 a year)"),
    "cal_cap_interval": ("90% 区间", "90 % interval"),
    "cal_cap_peak": ("记录中最高年支出 / 能力", "Records' largest year ÷ capacity"),
    "cal_cap_mix": ("支出结构变化（对数份额标准差）", "Mix variation (sd of log share)"),
    "cal_cap_identified": ("已由记录识别并拟合", "Identified by the records and fitted"),
    "cal_cap_weak": ("记录不能识别；保留情景值", "Not identified by these records; scenario value kept"),
    "cal_cap_no_outcomes": ("该类别无产出记录；保留情景值", "No outcomes recorded for this category; scenario value kept"),
    "cal_caps_n": ("{n} 个渠道能力由记录识别，{k} 个保留情景值", "{n} channel capacities identified by the records, "
                   "{k} kept at the scenario's value"),
    # many users at once (issue 17): a failed solve is this session's message, never a traceback
    "solve_failed": ("无法求解当前设置：{err}\n\n请调整参数或换一个情景；其他用户不受影响。",
                     "Could not solve these settings: {err}\n\nChange the settings or pick another scenario; "
                     "nobody else is affected."),
    # scenario library: saved pins and drafts (budgetsim.library, the 方案库 tab, `budgetsim library`)
    "tab_library": ("方案库", "Library"),
    "lib_kind_pin": ("已固定", "pinned"),
    "lib_kind_draft": ("草稿", "draft"),
    "col_id": ("编号", "No."),
    "col_name": ("名称", "Name"),
    "col_kind": ("类型", "Kind"),
    "col_author": ("作者", "Author"),
    "col_saved": ("保存时间", "Saved"),
    "col_notes": ("备注", "Notes"),
    "lib_caption": ("方案库保存在 `{path}`，服务器重启后仍在；共 {n} 个方案（已固定 {pins} 个，草稿 {drafts} 个）。",
                    "The library is kept in `{path}` and survives a server restart: {n} saved (pinned: {pins}, "
                    "drafts: {drafts})."),
    "lib_empty": ("方案库还是空的：用上方的“固定当前方案”或“存为草稿”保存方案。",
                  "The library is empty: save with “Pin current settings” or “Save as draft” above."),
    "lib_pick": ("选择方案", "Saved scenario"),
    "lib_load": ("载入为当前情景", "Load as the current scenario"),
    "lib_load_help": ("把这个方案作为起始情景载入（参数随之更新）。", "Start from this saved scenario (the levers follow)."),
    "lib_loaded": ("已从方案库载入：{name}", "Loaded from the library: {name}"),
    "lib_rename_to": ("新名称", "New name"),
    "lib_rename": ("重命名", "Rename"),
    "lib_renamed": ("已重命名为：{name}", "Renamed to: {name}"),
    "lib_delete": ("删除", "Delete"),
    "lib_delete_confirm": ("确认删除“{name}”", "Yes, delete “{name}”"),
    "lib_deleted": ("已删除：{name}", "Deleted: {name}"),
    "lib_download_zip": ("导出整个方案库（zip）", "Export the whole library (zip)"),
    "lib_unavailable": ("方案库无法使用，本次固定的方案只保存在当前页面中：{err}",
                        "The library cannot be used; pins made now live in this page only: {err}"),
    "lib_detail": ("{kind} · {question} · 作者 {author} · 保存于 {saved}",
                   "{kind} · {question} · by {author} · saved {saved}"),
    "lib_broken_entry": ("方案“{name}”无法载入（可能由其他版本保存）：{err}",
                         "Saved scenario “{name}” cannot be loaded (saved by another version?): {err}"),
    "save_draft": ("存为草稿", "Save as draft"),
    "draft_saved": ("已存为草稿：{name}", "Saved as a draft: {name}"),
    "pin_details": ("备注与作者", "Notes and author"),
    "pin_author": ("作者（可不填）", "Author (optional)"),
    "pin_notes": ("备注（可不填）", "Notes (optional)"),
    "no_author": ("未署名", "anonymous"),
    "lib_failed": ("未能完成，方案库未改动：{err}", "Not done; the library is unchanged: {err}"),
    # my plan: a user's own draft, checked and improved (budgetsim.analysis.check, the 我的方案 tab)
    "tab_myplan": ("我的方案", "My plan"),
    "obj_given": ("用户草案（未优化）", "Your draft (not optimised)"),
    "status_given": ("草案", "draft"),
    "mp_intro": ("在下表中填写或修改各类别 × 支持方式每年的金额（万元），草案即时评分：绩效、违反的规则，以及与最优方案的差距。"
                 "也可下载 Excel 模板填好后上传。",
                 "Type or edit the amount per category × support mode and year (万元): the draft is scored at once — "
                 "performance, the rules it breaks, the gap to the optimum. Or download the Excel template, fill it "
                 "in and upload it."),
    "mp_from_sq": ("用现状填入", "Fill from the status quo"),
    "mp_from_opt": ("用最优方案填入", "Fill from the optimum"),
    "mp_no_opt": ("本情景没有最优方案，无法用其填入。", "This scenario has no optimum to fill from."),
    "mp_upload": ("上传方案文件（Excel 或 CSV）", "Upload a plan file (Excel or CSV)"),
    "mp_upload_help": ("与“下载 Excel”相同格式：一个名为 plan 的工作表，每行一个类别 × 支持方式，每年一列，单位万元。",
                       "The same format as the download: one sheet named plan, a row per category × support mode, "
                       "a column per year, in 万元."),
    "st_upload_limits_plan": ("Excel 或 CSV 文件，不超过 1 MB", "1MB per file • XLSX, CSV"),
    "mp_upload_bad": ("方案文件有误，草案未改变。问题如下（单元格：问题）：",
                      "The plan file has problems; the draft is unchanged (cell: problem):"),
    "mp_upload_ok": ("已载入方案文件：{name}", "Plan file loaded: {name}"),
    "mp_download": ("下载 Excel", "Download Excel"),
    "mp_download_help": ("与上传的格式相同：在 Excel 中修改后可再上传。", "The same file the upload reads: edit it in "
                         "Excel and upload it again."),
    "mp_blank": ("表中有空格或非数字：请在每个格中填写金额（万元，没有则填 0）。", "Some cells are blank: give an amount "
                 "in every cell (万元; 0 for none)."),
    "mp_kpi_draft": ("草案绩效指数", "Draft performance"),
    "mp_kpi_opt": ("最优方案绩效指数", "Optimum performance"),
    "mp_vs_opt": ("较最优", "vs optimum"),
    "mp_kpi_breaches": ("违反规则（处）", "Rule breaches"),
    "mp_kpi_budget": ("草案预算（较总额）", "Draft budget (vs envelope)"),
    "mp_breaches": ("草案违反的规则", "Rules the draft breaks"),
    "mp_keeps_rules": ("草案满足全部规则。", "The draft keeps every rule."),
    "mp_more_breaches": ("另有 {n} 处，见下表。", "{n} more in the table below."),
    "mp_locks": ("锁定（锁定的格作为固定数额，优化器不得改动）", "Locks (locked cells are fixed figures the optimiser "
                 "may not move)"),
    "mp_lock_row": ("整行", "Whole row"),
    "mp_locked_n": ("已锁定 {n} 格。", "{n} cells locked."),
    "mp_reopt": ("锁定格不变，重新优化其余", "Keep the locked cells, optimise the rest"),
    "mp_reopt_result": ("锁定 {n} 格后的最优方案：绩效指数 {perf}（比草案 {diff}）。",
                        "The best plan with {n} cells locked: performance {perf} ({diff} against the draft)."),
    "mp_reopt_none": ("锁定的格与规则冲突，没有可行方案：", "The locked cells conflict with the rules; no plan keeps "
                      "them all:"),
    "mp_adopt": ("采用此方案作为草案", "Use this plan as the draft"),
    "mp_improve": ("在草案 ±X% 内改进", "Improve within ±X % of the draft"),
    "mp_improve_pct": ("改动幅度 ±%", "Band ±%"),
    "mp_improve_go": ("寻找改进", "Find improvements"),
    "mp_moves": ("调整建议（按单项增益排序）", "Moves, ranked by what each gains alone"),
    "col_move": ("调整", "Move"),
    "col_gain_points": ("增益（分）", "Gain (points)"),
    "mp_pin": ("固定草案以便对比", "Pin the draft to compare"),
    "mp_pin_name": ("草案 {n}", "Draft {n}"),
    "mp_pinned": ("已固定：{name}（见“情景对比”）", "Pinned: {name} (see “Compare scenarios”)"),
    "mp_check_ms": ("草案评分用时 {ms} 毫秒（最优方案已缓存）。", "Draft scored in {ms} ms (the optimum is cached)."),
    "download_plan": ("草案 {name}（Excel）", "Draft {name} (Excel)"),
    # Streamlit's own widget texts in the page's language (workbench/style.py), start-scenario sources
    "st_upload_button": ("选择文件", "Upload"),
    "st_upload_limits": ("YAML 文件，不超过 1 MB", "1MB per file • YAML, YML"),
    "st_press_enter": ("按回车键生效", "Press Enter to apply"),
    "st_press_ctrl_enter": ("按 Ctrl+回车 生效", "Press Ctrl+Enter to apply"),
    "pick_placeholder": ("请选择", "Choose"),
    "src_bundled": ("内置情景", "bundled scenario"),
    "src_upload": ("上传的文件 {name}", "uploaded file {name}"),
    "src_paste": ("粘贴的文本", "pasted text"),
    "src_relaxed": ("按诊断放宽后的情景", "relaxed as diagnosed"),
    "src_library": ("方案库：{name}", "library: {name}"),
    "met_yes": ("达成", "met"),
    "met_no": ("未达成", "not met"),
}


def fmt_time(iso: str) -> str:
    """An ISO 8601 time (as the library stores it, in UTC) in the machine's local time, to the minute."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso)


# scenario problems in Chinese (the app's error boxes): the common reasons, matched on the English text that
# budgetsim.scenario writes; the English reason stays beside, and anything not matched stays in English
_REASONS_ZH: list[tuple[str, str]] = [
    (r"must be ≥ (.+)", "应不小于 {0}"),
    (r"must be > (.+)", "应大于 {0}"),
    (r"must be ≤ (.+)", "应不大于 {0}"),
    (r"must be < (.+)", "应小于 {0}"),
    (r"(?:.+ )?must lie in ([\[(].+[\])])", "应在区间 {0} 内"),
    (r"min above max: the (.+) floor exceeds (\S+) = (.+)", "下限高于上限：超过 {1} = {2}"),
    (r"min above max: exceeds (\S+) = (.+)", "下限高于上限：超过 {0} = {1}"),
    (r"must be a finite number.*", "应为有限的数（不能是 .inf 或 .nan）"),
    (r"must be a whole number.*", "应为整数"),
    (r"must be a number.*", "应为数字"),
    (r"must be one of (.+)", "应为以下之一：{0}"),
    (r"must be a mapping of keys to values", "应为“键: 值”的映射"),
    (r"must be a list", "应为列表"),
    (r"must be text", "应为文字"),
    (r"must not be empty", "不能为空"),
    (r"required key is missing", "缺少此项（必填）"),
    (r"unexpected key '([^']+)'; allowed keys are (.+)", "无法识别的键“{0}”；允许的键：{1}"),
    (r"unknown category id; known: (.+)", "未知的专项类别编号；可用：{0}"),
    (r"unknown mode id; known: (.+)", "未知的支持方式编号；可用：{0}"),
    (r"unknown indicator id; known: (.+)", "未知的指标编号；可用：{0}"),
    (r"unknown dimension; known: (.+)", "未知的评价维度；可用：{0}"),
    (r"unknown reference id; known: (.+)", "未知的参考文献编号；可用：{0}"),
    (r"not valid YAML: line (\d+), column (\d+): (.+)", "不是有效的 YAML：第 {0} 行第 {1} 列（{2}）"),
    (r"not valid YAML: (.+)", "不是有效的 YAML：{0}"),
    (r"file larger than (.+)", "文件超过 {0}"),
    (r"unknown base scenario.*", "找不到 extends 指定的基准情景"),
    (r"must be a scenario name, not a path.*", "应为情景名称，不能是文件路径"),
    (r"the status-quo shares must sum to 1", "现状各项占比之和应为 1"),
    (r"must give every plan year; missing (.+)", "须列出规划期的每一年；缺少 {0}"),
]


def problem_text(problem, lang: str = "zh") -> str:
    """A scenario :class:`~budgetsim.exceptions.Problem` for the page: in Chinese where the reason is a
    common one, with the dotted path and the English reason kept beside (they are what to search the file
    and the docs for); in English as ``str(problem)``."""
    import re
    text = str(problem)
    if lang != "zh":
        return text
    where = f"`{problem.path}`" if problem.path else "文件"
    head = f"{problem.path or '(file)'}: {problem.reason}"
    rest = text[len(head):].strip() if text.startswith(head) else ""
    value = f"（当前值 {rest[5:-1]}）" if rest.startswith("(got ") and rest.endswith(")") else ""
    for pattern, zh in _REASONS_ZH:
        m = re.fullmatch(pattern, problem.reason, flags=re.S)
        if m:
            return f"{where}：{zh.format(*m.groups())}{value}。原文：{problem.reason}"
    return f"{where}：{problem.reason}{value}"


def t(key: str, lang: str = "zh", **fmt) -> str:
    """The UI string ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    zh, en = UI[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def label(scenario, kind: str, item_id: str, lang: str = "zh") -> str:
    """The scenario's own label for a category, mode, indicator or dimension."""
    src = getattr(scenario.spec, kind)
    item = src.get(item_id)
    return getattr(item, f"label_{lang}") if item is not None else item_id


def labels(scenario, kind: str, lang: str = "zh") -> dict[str, str]:
    """id → label for every item of ``kind`` (categories, modes, indicators, dimensions)."""
    return {i: getattr(v, f"label_{lang}") for i, v in getattr(scenario.spec, kind).items()}


def unit(scenario, indicator_id: str, lang: str = "zh") -> str:
    return getattr(scenario.spec.indicators[indicator_id], f"unit_{lang}")


def objective_label(objective: str, lang: str = "zh") -> str:
    return t(f"obj_{objective}", lang)


def status_label(status: str, lang: str = "zh") -> str:
    key = f"status_{status}"
    return t(key, lang) if key in UI else status


# ----------------------------------------------------------------------------- glossary
# Plain words first, the precise term a click away (issue 15: "plain words").  Each entry:
# (plain zh, plain en, precise zh, precise en).  Tooltips show the precise term and how it is
# computed; nothing a reader sees on the page uses the precise term alone.
GLOSSARY: dict[str, tuple[str, str, str, str]] = {
    "budget_value": ("多给 1,000 万元预算，绩效指数多得几分", "What 1,000 万元 more budget adds to the index",
                     "预算的边际价值（预算约束的对偶值 / 影子价格），每年把预算上下挪动 0.1 % 重新求解核对（有限差分）。",
                     "The budget's marginal value (the dual, or shadow price, of the year's budget row), checked by "
                     "re-solving with the envelope moved ±0.1 % (a finite difference)."),
    "rule_cost": ("放宽这条规则一步，绩效指数多得几分（折合多少万元预算）",
                  "What one step looser on this rule adds (and the budget that would add as much)",
                  "紧约束的代价：放宽一步后重新求解得到的绩效增量；折合预算 = 增量 ÷ 多给 1 万元预算所得的分数（按各年预算加权）。",
                  "The cost of a binding constraint: the gain of one step looser, re-solved; its budget equivalent = "
                  "the gain ÷ the index points one more 万元 buys (averaged over the years, weighted by budget)."),
    "binding": ("卡住方案的规则", "Rules that hold the plan back",
                "紧约束：方案正好落在规则的边界上，放宽它绩效就会提高（对偶值不为零）。",
                "Binding constraints: the plan sits on the rule's limit, so loosening it raises performance "
                "(non-zero dual)."),
    "slack": ("还有余地的规则", "Rules with room to spare", "松弛约束：方案离规则的边界还有距离，放宽它不改变方案。",
              "Slack constraints: the plan is inside the rule's limit; loosening it changes nothing."),
    "marginal_return": ("再投 1 亿元能多出多少产出", "What one more 亿元 produces",
                        "边际回报：响应曲线在方案点的斜率（收益递减：投得越多，每亿元的新增产出越少）。",
                        "Marginal return: the slope of the response curve at the plan's point (diminishing returns)."),
    "worst_tenth": ("最差一成情形的平均绩效", "Mean performance in the worst tenth of cases",
                    "CVaR（条件风险价值，α = 10 %）：模拟中最差 10 % 抽样的平均值。",
                    "CVaR (conditional value at risk, α = 10 %): the mean of the worst 10 % of draws."),
    "likely_range": ("九成情形落在这个范围", "Nine cases in ten fall in this range",
                     "P5–P95：模拟结果的第 5 至第 95 百分位数。", "P5–P95: the 5th to 95th percentile of the draws."),
    "percentage_point": ("个百分点", "percentage points", "pp：百分点，占比之间的差（如 12 % → 13 % 为 1 个百分点）。",
                         "pp: percentage points, a difference between shares (12 % → 13 % is one point)."),
    "leverage": ("每 1 元财政资金带动的外部资金（元）", "External money per yuan of fiscal money",
                 "杠杆率 = 撬动的外部资金（配套、贷款、社会资本、企业研发）÷ 当年财政预算资金；杠杆率下限逐年考核。",
                 "Leverage = external money mobilised (matching, loans, private capital, firms' R&D) ÷ the year's "
                 "fiscal budget money; the leverage floor holds year by year."),
    "performance_index": ("绩效指数：各项指标按权重折算，达到参考水平记 100", "Performance index: indicators weighted, "
                          "the reference level scores 100",
                          "绩效指数 = 100 × Σ 权重 × 指标 ÷ 参考水平，逐年贴现后合计；权重按能力、质量、实效、贡献四个维度设定。",
                          "Index = 100 × Σ weight × indicator ÷ reference level, discounted over the years; weights "
                          "grouped by capability, quality, effectiveness and contribution."),
    "expected_losses": ("预计损失的财政资金", "Fiscal money expected to be lost",
                        "预期财政损失：风险补偿资金池代偿与引导基金核销的期望值（规划期合计）。",
                        "Expected fiscal losses: risk-pool draws plus guidance-fund write-offs (expected values, plan total)."),
    "exposure": ("最多可能要承担的金额", "The most the city could be called on to cover",
                 "风险敞口：资金池或有负债 + 在投基金中的财政资金 + 尚未缴付的基金认缴承诺（取规划期最高一年）。",
                 "Risk exposure: pools' contingent liability + fiscal money at work in funds + unpaid fund "
                 "commitments (the highest year of the plan)."),
    "reference": ("对比的参照", "What the plans are measured against",
                  "参照：所有差值、图表和“较参照”列都以它为准（某个已固定的方案，或基准情景的现状分配）。",
                  "The reference: every difference, chart and 'vs reference' column is measured against it "
                  "(a pinned plan, or the baseline's status quo)."),
}


def plain(term: str, lang: str = "zh") -> str:
    """The plain words for ``term`` (what a finance officer says)."""
    e = GLOSSARY[term]
    return e[0] if lang == "zh" else e[1]


def precise(term: str, lang: str = "zh") -> str:
    """The precise term and how it is computed (for a tooltip)."""
    e = GLOSSARY[term]
    return e[2] if lang == "zh" else e[3]


# ----------------------------------------------------------------------------- meeting outputs (issue 15)
# Workbook, brief, comparisons on one reference, leverage explained.
UI.update({
    # comparisons on one reference
    "ref_pick": ("对比参照", "Measure against"),
    "ref_status_quo": ("现状（基准情景，维持当前分配比例）", "Status quo (baseline, today's split carried over)"),
    "ref_status_quo_short": ("现状", "Status quo"),
    "col_vs_ref": ("较参照", "vs reference"),
    "col_ref_performance": ("参照绩效指数", "Reference index"),
    "col_envelope_total": ("预算总额", "Budget envelope"),
    "col_budget_wan": ("安排预算（万元）", "Budget allocated (万元)"),
    "col_external_wan": ("撬动外部资金（万元）", "External money (万元)"),
    "col_losses_wan": ("预期损失（万元）", "Expected losses (万元)"),
    "col_exposure_wan": ("最高风险敞口（万元）", "Peak risk exposure (万元)"),
    "differs_title": ("各方案与基准情景不同的参数", "What differs between the plans (against the baseline)"),
    "differs_none": ("所选方案的参数与基准情景相同。", "The chosen plans have the baseline's parameters."),
    "col_param": ("参数", "Parameter"),
    "ind_vs_ref": ("规划期指标：参照 = 100", "Indicators over the plan: reference = 100"),
    "relative_ref": ("相对参照（参照 = 100）", "Relative to the reference (= 100)"),
    "compare_alloc_diff": ("较参照的分配变化（规划期合计，万元）", "Allocation change vs the reference (plan total, 万元)"),
    "download_brief": ("下载汇报材料（Word）", "Download the brief (Word)"),
    "brief_pick": ("汇报材料的推荐方案", "Recommended plan in the brief"),
    "brief_running": ("正在生成汇报材料……", "Writing the brief…"),
    # workbook
    "wb_cover": ("封面", "Cover"),
    "wb_summary": ("主要结果", "Summary"),
    "wb_allocation": ("分配方案", "Allocation"),
    "wb_indicators": ("指标", "Indicators"),
    "wb_rules": ("规则", "Rules"),
    "wb_changes": ("参数变动", "Changes"),
    "wb_inputs": ("数据来源", "Inputs"),
    "wb_title": ("财政科技专项资金分配方案对比", "Fiscal S&T special funds: plans compared"),
    "wb_made": ("生成时间", "Made"),
    "wb_version": ("budgetsim 版本", "budgetsim version"),
    "wb_reference": ("对比参照", "Reference"),
    "wb_input_hash": ("输入指纹（SHA-256）", "Input hash (SHA-256)"),
    "wb_file": ("情景", "Scenario"),
    "wb_illustrative": ("示例假设（待替换）", "Illustrative (to replace)"),
    "wb_sourced": ("有出处", "Sourced"),
    "wb_illustrative_note": ("标为“示例假设”的数据是演示用的假设，不是本地数据：上会前请替换为本局数据。",
                             "Inputs marked illustrative are assumptions for the example, not local data: replace them "
                             "with the bureau's own figures before the meeting."),
    "wb_units_note": ("金额单位：万元（1 亿元 = 10,000 万元）；绩效指数保留两位小数；占比以 % 表示。",
                      "Money in 万元 (1 亿元 = 10,000 万元); the index to two decimals; shares in %."),
    "wb_total": ("合计", "Total"),
    "wb_subtotal": ("{name} 小计", "{name} subtotal"),
    "wb_budget_total": ("预算资金合计", "Budget money, total"),
    "wb_tax_note": ("税式支出（减免的税收）不占科技预算，单列于预算合计之外。",
                    "Tax expenditure (revenue forgone) is not budget cash; it is listed apart from the budget total."),
    "wb_plan_total": ("规划期合计", "Plan total"),
    "wb_binds": ("是否卡住方案", "Holds the plan back"),
    "wb_yes": ("是", "yes"),
    "wb_no": ("否", "no"),
    "wb_unknown": ("—", "—"),
    "wb_rule_value": ("规则设定", "Setting"),
    "wb_gain_points": ("放宽一步多得（分）", "Gain of one step (points)"),
    "wb_gain_wan": ("折合预算（万元）", "Budget equivalent (万元)"),
    "wb_step": ("放宽一步", "One step looser"),
    "wb_no_plan": ("无可行方案", "no plan"),
    "wb_source": ("来源", "Source"),
    "wb_input": ("数据项", "Input"),
    "wb_scenario_col": ("方案", "Plan"),
    "wb_status": ("状态", "Status"),
    "wb_message": ("说明", "Note"),
    "wb_illustrative_count": ("示例假设 {n} 项 / 共 {total} 项", "{n} of {total} inputs illustrative"),
    "wb_change_from": ("基准值", "Baseline value"),
    "wb_change_to": ("方案值", "Plan value"),
    "wb_unit": ("单位", "Unit"),
    "wb_targets": ("目标达成（项）", "Targets met"),
    "wb_targets_total": ("目标数（项）", "Targets set"),
    "wb_leverage": ("杠杆率（倍）", "Leverage (×)"),
    "wb_envelope_wan": ("预算总额（万元）", "Budget envelope (万元)"),
    "lumpy_unit": ("按整项目立项，每项 {v} 万元", "whole projects of {v} 万元"),
    "lumpy_ticket": ("最低出资 {v} 万元", "minimum ticket {v} 万元"),
    # leverage explained
    "lev_title": ("杠杆率：逐年看", "Leverage, year by year"),
    "lev_year_plan": ("方案杠杆率", "Plan's leverage"),
    "lev_floor": ("杠杆率下限", "Leverage floor"),
    "lev_reach": ("其他规则下最高可达", "Most reachable under the other rules"),
    "lev_verdict": ("下限的作用", "What the floor does"),
    "lev_idle": ("不起作用（方案已超过）", "idle (the plan is above it)"),
    "lev_binds": ("起作用（压低绩效）", "binds (costs performance)"),
    "lev_impossible": ("做不到（超过最高可达）", "impossible (above the most reachable)"),
    "lev_none": ("未设下限", "no floor"),
    "lev_plan_total": ("规划期合计 {v}，逐年考核。", "Plan total {v}; the floor holds year by year."),
    "lev_summary": ("杠杆率下限逐年考核：不超过 {idle}时不起作用（方案已达到），超过 {most}就做不到（其他规则下最高可达）。",
                    "The leverage floor holds year by year: up to {idle} it changes nothing (the plan already "
                    "reaches it); above {most} it is impossible under the other rules."),
    "lev_summary_between": ("杠杆率下限逐年考核：不超过 {idle}时不起作用（方案已达到），{idle}至 {most}之间会压低绩效，"
                            "超过 {most}就做不到（其他规则下最高可达）。",
                            "The leverage floor holds year by year: up to {idle} it changes nothing (the plan already "
                            "reaches it); between {idle} and {most} it costs performance; above {most} it is "
                            "impossible under the other rules."),
    "pct_case": ("情形", "Case"),
    "pct_low": ("较差情形", "Low case"),
    "pct_mid": ("居中情形", "Middle case"),
    "pct_high": ("较好情形", "High case"),
    "pct_help": ("二十次模拟里约有一次比“较差情形”更差、一次比“较好情形”更好（P5 / P50 / P95：第 5、50、95 百分位数）。",
                 "About one draw in twenty falls below the low case and one above the high case (P5 / P50 / P95: "
                 "the 5th, 50th and 95th percentiles)."),
    "lev_conflict": ("其他规则本身已无解", "the other rules conflict by themselves"),
    "lev_running": ("正在计算各年最高可达的杠杆率……", "Computing the most leverage each year can reach…"),
})
