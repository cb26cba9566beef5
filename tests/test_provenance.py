"""Every result says how many of its inputs are sourced and how many illustrative."""

import json

from budgetsim.cli import main
from budgetsim.present.compare import compare
from budgetsim.present.report import text_report
from budgetsim.scenario.provenance import illustrative_inputs, source_counts

from .conftest import BASELINE


def test_channels_and_the_risk_price_are_inputs_with_their_source(baseline):
    ill = illustrative_inputs(baseline)
    assert "channels.tech_guidance.risk_pool" in ill and "risk_price" in ill and "budget" in ill
    n = source_counts(baseline)
    q = source_counts(baseline.with_changes({"risk_price.source": "jiangsu_stats_2022"}))
    assert q["sourced"] == n["sourced"] + 1 and q["illustrative"] == n["illustrative"] - 1


def test_every_result_carries_the_counts(baseline, baseline_result, capsys):
    n = source_counts(baseline)
    d = baseline_result.to_dict()
    assert d["inputs"]["sourced"] == n["sourced"] and d["inputs"]["illustrative"] == n["illustrative"]
    assert d["inputs"]["illustrative_paths"] == illustrative_inputs(baseline)
    assert d["summary"]["inputs_illustrative"] == n["illustrative"]
    assert f"{n['illustrative']} 项为示例假设" in text_report(baseline_result, "zh")
    assert f"{n['illustrative']} illustrative" in text_report(baseline_result, "en")
    wb = compare({"base": baseline_result})
    assert int(wb.summary.loc[0, "inputs_illustrative"]) == n["illustrative"]
    assert main(["inputs", str(BASELINE), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["inputs"]
    assert [i["path"] for i in listed if i["illustrative"]] == illustrative_inputs(baseline)
