"""Every result says how many of its inputs are sourced and how many illustrative."""

import json

from budgetsim.cli import main
from budgetsim.present.compare import compare
from budgetsim.present.report import text_report
from budgetsim.scenario.provenance import provenance

from .conftest import BASELINE


def test_counts_follow_the_sources_in_the_file(baseline):
    p = provenance(baseline)
    n = p.counts()
    assert n["sourced"] > 0 and n["illustrative"] > 0
    assert "budget" in p.illustrative  # the envelope is an assumption (MODEL.md: not found)
    assert ("modes.risk_pool.pool", "suzhidai_rules") in p.sourced
    assert "rules.channel_band" in p.illustrative  # a rule without a reference is a policy assumption
    assert ("rules.budget_growth_floor", "plan_yangzhou") in p.sourced
    # sourcing one more block moves it from one list to the other
    q = provenance(baseline.with_changes({"budget.source": "jiangsu_stats_2022"}))
    assert q.counts()["sourced"] == n["sourced"] + 1 and "budget" not in q.illustrative


def test_every_result_carries_the_counts(baseline, baseline_result, capsys):
    n = provenance(baseline).counts()
    d = baseline_result.to_dict()
    assert d["inputs"]["sourced"] == n["sourced"] and d["inputs"]["illustrative"] == n["illustrative"]
    assert len(d["inputs"]["illustrative_paths"]) == n["illustrative"]
    assert d["summary"]["inputs_illustrative"] == n["illustrative"]
    assert f"{n['illustrative']} 项为示例假设" in text_report(baseline_result, "zh")
    assert f"{n['illustrative']} illustrative" in text_report(baseline_result, "en")
    wb = compare({"base": baseline_result})
    assert int(wb.summary.loc[0, "inputs_illustrative"]) == n["illustrative"]
    assert main(["inputs", str(BASELINE), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["illustrative_paths"] == list(provenance(baseline).illustrative)
