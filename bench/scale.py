"""Benchmark: how the cost of a solve grows with the size of the plan.

    python bench/scale.py [--sizes 1 4 16] [--slsqp-limit 60] [--reps 3]

Synthetic plans at 1×, 4× and 16× the baseline's size in channels × years: size 4 has
twice the categories (each baseline category copied once, as if a second district ran the
same programmes, with its curves 10 % steeper or flatter so the copies do not tie) and twice
the years (a ten-year plan); size 16 has eight copies of each category over ten years (a
plan holds at most 15 years).  Money scales with the size (the
budget, the status quo, the caps and the plan-total targets), so every plan is as tight as
the baseline.  Each size is solved by

1. ours   — ``budgetsim.solve`` on a new scenario of a structure already built (the budget
            moved by 1 %; what a sweep or a lever move pays), median of ``--reps``; also the
            first solve of the structure (the HiGHS model is built from scratch);
2. HiGHS  — ``run()`` alone, cold, on our final LP (the floor);
3. SLSQP  — scipy's SLSQP on the exact curves (as in ``bench/speed.py``), run in a child
            process and stopped after ``--slsqp-limit`` seconds; larger sizes are skipped
            once one has run out of time.

It prints the times and the growth exponent of each (the slope of log time against log
size, least squares over the sizes measured): 1 means linear growth.  The target: ours
grows with an exponent at most 0.2 above HiGHS's own.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import budgetsim as bs
from budgetsim.scenario.loading import scenario_from_dict

# per-category rule parameters that name categories (shares are split between the copies)
SHARE_RULES = ("category_share_min", "category_share_max")
MONEY_CAPS = (("contingent_liability_cap", "cap_wan"), ("tax_expenditure_cap", "cap_wan"),
              ("post_plan_commitments", "cap_wan"))


def _copy_id(cid: str, k: int) -> str:
    return cid if k == 0 else f"{cid}_d{k + 1}"


def synthetic(base: bs.Scenario, cat_factor: int, year_factor: int) -> bs.Scenario:
    """The baseline with ``cat_factor`` copies of every category and ``year_factor`` times the years."""
    doc = copy.deepcopy(base.raw)
    doc["id"] = f"scale_{cat_factor * year_factor}x"
    doc.pop("uncertainty", None)  # not solved here; its paths name the baseline's categories
    doc.pop("calibration", None)
    years = doc["plan"]["years"]
    doc["plan"]["years"] = list(range(years[0], years[0] + len(years) * year_factor))
    money = cat_factor  # money per year scales with the categories; plan totals with both
    doc["budget"]["base_amount_wan"] *= money
    sq = doc["status_quo"]
    sq["budget_wan"] *= money
    cats, elig, split, off = {}, {}, {}, {}
    for cid, cat in doc["categories"].items():
        for k in range(cat_factor):
            new = _copy_id(cid, k)
            c = copy.deepcopy(cat)
            tilt = 1.0 + 0.1 * ((k % 2) * 2 - 1) * (k > 0)  # copies 10 % steeper / flatter
            for curve in c["response"].values():
                for p in ("max", "coef"):
                    if p in curve:
                        curve[p] *= tilt
            cats[new] = c
            elig[new] = list(doc["eligibility"][cid])
            if cid in sq["split"]:
                split[new] = {m: v / cat_factor for m, v in sq["split"][cid].items()}
            if cid in sq.get("off_budget_wan", {}):
                off[new] = dict(sq["off_budget_wan"][cid])
    doc["categories"], doc["eligibility"], sq["split"] = cats, elig, split
    if "off_budget_wan" in sq:
        sq["off_budget_wan"] = off
    # per-category sections: every copy has its original's channels and awards still to pay
    doc["channels"] = {_copy_id(c, k): copy.deepcopy(v) for c, v in doc.get("channels", {}).items()
                       for k in range(cat_factor)}
    if "prior_awards" in doc:
        due = doc["prior_awards"]["due_wan"]
        doc["prior_awards"]["due_wan"] = {_copy_id(c, k): copy.deepcopy(v) for c, v in due.items()
                                          for k in range(cat_factor)}
    rules = doc["rules"]
    for rid in SHARE_RULES:
        shares = rules.get(rid, {}).get("shares", {})
        rules[rid]["shares"] = {_copy_id(c, k): v / cat_factor for c, v in shares.items() for k in range(cat_factor)}
    if "priority_floor" in rules:
        pf = rules["priority_floor"]
        pf["categories"] = [_copy_id(c, k) for c in pf["categories"] for k in range(cat_factor)]
    for rid, key in MONEY_CAPS:
        if rid in rules and key in rules[rid]:
            rules[rid][key] *= money
    if "tax_entitlement" in rules:  # each copy's forecast; later years of a longer plan stay at the last one's
        fc = rules["tax_entitlement"]["forecast_wan"]
        plan_years = doc["plan"]["years"]

        def extend(by_year: dict) -> dict:
            last = by_year[max(by_year)]
            return {y: by_year.get(y, last) for y in plan_years}

        rules["tax_entitlement"]["forecast_wan"] = {
            _copy_id(c, k): {m: extend(v) for m, v in modes.items()} for c, modes in fc.items() for k in range(cat_factor)}
    if "indicator_targets" in rules:
        t = rules["indicator_targets"]["targets"]
        rules["indicator_targets"]["targets"] = {i: v * cat_factor * year_factor for i, v in t.items()}
    lumpy = rules.get("lumpy_funding")
    if lumpy is not None:
        for key in ("projects", "min_tickets"):
            lumpy[key] = [{**p, "category": _copy_id(p["category"], k)} for p in lumpy.get(key, [])
                          for k in range(cat_factor)]
    return scenario_from_dict(doc, source=f"<synthetic {cat_factor * year_factor}x>")


def factors(size: int) -> tuple[int, int]:
    """(category copies, year multiple) for ``size`` × the baseline's channels × years.  A plan
    holds at most 15 years, so years double once (a ten-year plan) and categories take the rest."""
    years = 1 if size == 1 else 2
    if size % years:
        raise SystemExit(f"--sizes: 1 or an even number, got {size}")
    return size // years, years


def _slsqp_child(size: int, queue) -> None:
    from speed import slsqp

    base = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    s = synthetic(base, *factors(size))
    r = bs.solve(s, time_limit=3600)
    t, perf, viol = slsqp(s, r.run.builder)
    queue.put((t, perf, viol))


def slsqp_timed(size: int, limit: float) -> tuple[float | None, float | None, float | None]:
    """(seconds, true performance, max violation), or (None, …) when it ran past ``limit``."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_slsqp_child, args=(size, q))
    p.start()
    p.join(limit + 30)  # the child builds the model first; SLSQP itself is timed inside
    if p.is_alive():
        p.terminate()
        p.join()
        return None, None, None
    t, perf, viol = q.get()
    return (t, perf, viol) if t <= limit else (None, None, None)


def exponent(sizes: list[int], times: list[float]) -> float:
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def main() -> None:
    from speed import highs_cold

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--slsqp-limit", type=float, default=60.0)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    base = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    bs.solve(base)  # warm-up: imports, the first HiGHS instance
    rows = []
    for size in a.sizes:
        s = synthetic(base, *factors(size))
        t0 = time.perf_counter()
        first = bs.solve(s, time_limit=3600)
        first_t = time.perf_counter() - t0
        assert first.ok, (size, first.status, first.message)
        ours, cold = [], []
        for rep in range(a.reps):  # new scenarios of the same structure, each timed with its own HiGHS floor
            v = s.with_changes({"budget.base_amount_wan": s.spec.budget.base_amount_wan * (1.0 + 0.01 * (rep + 1))})
            t0 = time.perf_counter()
            r = bs.solve(v, time_limit=3600)
            ours.append(time.perf_counter() - t0)
            assert r.ok, (size, r.status)
            cold.append(highs_cold(r.run.builder)[0])
        lp = r.run.builder.lp
        rows.append(dict(size=size, channels=len(s.channels), years=len(s.years), cols=lp.n_cols, rows=lp.n_rows,
                         first=first_t, ours=statistics.median(ours), highs=statistics.median(cold),
                         passes=r.run.passes, gap=r.linearisation_gap, perf=r.performance))
        print(f"size {size:>3}x: {len(s.channels)} channels × {len(s.years)} years, LP {lp.n_rows:,} rows × "
              f"{lp.n_cols:,} columns; ours {rows[-1]['ours'] * 1000:.1f} ms (first solve "
              f"{first_t * 1000:.1f} ms), HiGHS cold {rows[-1]['highs'] * 1000:.1f} ms", flush=True)
    out_of_time = False
    for row in rows:
        if out_of_time:
            row["slsqp"] = None
            continue
        t, perf, viol = slsqp_timed(row["size"], a.slsqp_limit)
        row["slsqp"], row["slsqp_perf"], row["slsqp_viol"] = t, perf, viol
        out_of_time = t is None
    print()
    print("| size | channels × years | LP rows × cols | ours (new scenario) | ours (first solve) | HiGHS cold, final LP "
          "| ours / HiGHS | passes | gap | SLSQP | SLSQP / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        sl = row.get("slsqp")
        sl_txt = f"{sl:.2f} s" if sl is not None else f"> {a.slsqp_limit:.0f} s (stopped)"
        ratio = f"{sl / row['ours']:.0f}×" if sl is not None else "—"
        print(f"| {row['size']}× | {row['channels']} × {row['years']} | {row['rows']:,} × {row['cols']:,} "
              f"| {row['ours'] * 1000:.1f} ms | {row['first'] * 1000:.1f} ms | {row['highs'] * 1000:.1f} ms "
              f"| {row['ours'] / row['highs']:.2f}× | {row['passes']} | {row['gap'] * 100:.4f} % | {sl_txt} | {ratio} |")
    sizes = [r["size"] for r in rows]
    e_ours = exponent(sizes, [r["ours"] for r in rows])
    e_first = exponent(sizes, [r["first"] for r in rows])
    e_highs = exponent(sizes, [r["highs"] for r in rows])
    sl_rows = [r for r in rows if r.get("slsqp") is not None]
    e_sl = exponent([r["size"] for r in sl_rows], [r["slsqp"] for r in sl_rows])
    print()
    print(f"growth exponents (time ∝ size^k): ours {e_ours:.2f} (first solve {e_first:.2f}), HiGHS {e_highs:.2f}, "
          f"SLSQP {e_sl:.2f} over {len(sl_rows)} size(s)")
    print(f"ours − HiGHS = {e_ours - e_highs:+.2f} (target ≤ +0.20): {'met' if e_ours - e_highs <= 0.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
