"""Write the example records in ``scenarios/records/`` (illustrative, reproducible: fixed seed).

    python tools/make_example_records.py

How each column is obtained (also in scenarios/records/README.md):

* spending (支出), 2016–2025: the on-budget special fund grows about 7 % a year back from the
  baseline's status quo (57,000 万元 in 2025), with ±4 % year noise; category shares drift from an
  assumed 2016 split to the status quo's 2025 split (±10 % noise per category-year); modes split each
  category as the status quo does (guidance funds start in 2018, risk pools in 2017); the R&D
  super-deduction's forgone revenue rises from 5,000 to 12,000 万元.  All illustrative.
* outcomes (产出): the baseline's curves (elasticities moved a little, as real curves would differ)
  through the same channel capacities and support-mode mechanics, times log-normal noise (8 %),
  counts rounded to whole numbers.  Where a public statistic exists the 2022 rows are set to it: new high-tech firms with
  special-fund support = 30 % (assumption) × 712 newly recognised in 2022 = 214 firms; R&D induced =
  10 % (assumption) × 17.6 bn yuan = 176,000 万元 (yangzhou_stats in the baseline).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from budgetsim import load_scenario  # noqa: E402
from budgetsim.analysis.calibration import history_resources, perturbed_curves, scenario_with_curves  # noqa: E402
from budgetsim.fileio import atomic_write_text  # noqa: E402
from budgetsim.model.evaluate import scenario_curves  # noqa: E402
from budgetsim.scenario.records import Records, header_text, CSV_FIELDS  # noqa: E402

import pandas as pd  # noqa: E402

YEARS = list(range(2016, 2026))
SHARES_2016 = {"basic_frontier": 0.10, "innovation_support": 0.26, "tech_guidance": 0.22,
               "talent_environment": 0.14, "major_projects": 0.28}
START = {"guidance_fund": 2018, "risk_pool": 2017}
FIRMS_2022, FUNDED_SHARE = 712, 0.30
RD_2022_WAN, RD_SHARE = 1_760_000, 0.10
NOTE_ILLUSTRATIVE = "示例（生成）illustrative, generated"


def spending(s, rng) -> pd.DataFrame:
    sq = s.spec.status_quo
    end = {c: sum(sq.split.get(c, {}).values()) for c in s.categories}
    rows = []
    for y in YEARS:
        k = (y - YEARS[0]) / (YEARS[-1] - YEARS[0])
        total = sq.budget_wan / 1.07 ** (YEARS[-1] - y) * (1 + rng.uniform(-0.04, 0.04) * (y != YEARS[-1]))
        shares = {c: ((1 - k) * SHARES_2016[c] + k * end[c]) * (1 + rng.uniform(-0.1, 0.1) * (y != YEARS[-1]))
                  for c in s.categories}
        norm = sum(shares.values())
        for c in s.categories:
            split = {m: v for m, v in sq.split.get(c, {}).items()}
            late = {m: v for m, v in split.items() if y < START.get(m, 0)}
            live = {m: v for m, v in split.items() if m not in late}
            live_total = sum(live.values())
            for m in s.spec.eligibility[c]:
                if not s.mode(m).on_budget:
                    amount = 5000 + (12000 - 5000) * k if m in sq.off_budget_wan.get(c, {}) else 0.0
                elif m in live:
                    amount = total * shares[c] / norm * live[m] / live_total
                else:
                    amount = 0.0
                if m in split or m in sq.off_budget_wan.get(c, {}):
                    rows.append((y, c, m, round(amount, 0)))
    return pd.DataFrame(rows, columns=["year", "category", "mode", "amount_wan"])


def main() -> None:
    s = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    rng = np.random.default_rng(2024)
    sp = spending(s, rng)
    ts = scenario_with_curves(s, perturbed_curves(s, rng, level=0.0, shift=0.08))  # elasticities ±0.08
    empty = pd.DataFrame(columns=["year", "category", "indicator", "value", "origin"])
    years, E = history_resources(ts, Records(sp, empty, pd.DataFrame()))
    values = {}
    for (c, i), curve in scenario_curves(ts).items():
        for k, y in enumerate(years):
            values[(y, c, i)] = float(curve.value(E[s.categories.index(c), k])) * float(np.exp(rng.normal(0, 0.08)))
    notes = {}
    for ind, stat, label in (("new_hightech_firms", FIRMS_2022 * FUNDED_SHARE,
                              "2022：全市新认定 712 家 × 专项支持约 30%（假设）= 214 家"),
                             ("rd_induced", RD_2022_WAN * RD_SHARE,
                              "2022：全市 R&D 176 亿元 × 专项带动约 10%（假设）= 176,000 万元")):
        keys = [k for k in values if k[0] == 2022 and k[2] == ind]
        f = stat / sum(values[k] for k in keys)
        for k in keys:
            values[k] *= f
            notes[k] = label
    count_units = {"人", "个", "件", "项", "家"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([header_text(f) for f in CSV_FIELDS])
    spec = s.spec
    for r in sp.itertuples():
        w.writerow(["支出", r.year, spec.categories[r.category].label_zh, spec.modes[r.mode].label_zh, "", "",
                    f"{r.amount_wan:.0f}", NOTE_ILLUSTRATIVE])
    rows = []
    for (y, c, i), v in sorted(values.items()):
        whole = spec.indicators[i].unit_zh in count_units
        rows.append(["产出", y, spec.categories[c].label_zh, "", spec.indicators[i].label_zh, "",
                     f"{round(v):d}" if whole else f"{v:.0f}", notes.get((y, c, i), NOTE_ILLUSTRATIVE)])
    # whole firms: the 2022 counts still sum to 214 after rounding
    firm_rows = [r for r in rows if r[1] == 2022 and r[4] == spec.indicators["new_hightech_firms"].label_zh]
    gap = round(FIRMS_2022 * FUNDED_SHARE) - sum(int(r[6]) for r in firm_rows)
    firm_rows[0][6] = str(int(firm_rows[0][6]) + gap)
    w.writerows(rows)
    full = buf.getvalue()
    out = ROOT / "scenarios" / "records"
    atomic_write_text(out / "yangzhou_example_2016_2025.csv", full)
    lines = full.splitlines()
    thin = [lines[0]] + [ln for ln in lines[1:] if ln.split(",")[1] in ("2023", "2024", "2025")]
    atomic_write_text(out / "yangzhou_thin_2023_2025.csv", "\n".join(thin) + "\n")
    print(f"wrote {out}/yangzhou_example_2016_2025.csv and yangzhou_thin_2023_2025.csv")


if __name__ == "__main__":
    main()
