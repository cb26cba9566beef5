"""Benchmark: what a lever move costs in the workbench, against a bare baseline solve.

    python bench/app_rerun.py [--repeat N]

Drives app.py with Streamlit's AppTest (no browser) and times, all in one run (medians):
  * solve      – ``budgetsim.solve`` of the baseline alone (the floor);
  * move       – one rerun after moving the growth lever to a value not seen before
                 (validation + a fresh solve + tables + charts + page);
  * revisit    – one rerun after moving the lever back to a value already solved (cache hit).
Prints each in ms and the ratios move/solve and revisit/solve.  Target: move well under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import budgetsim as bs  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from workbench.first_paint import PAINTED  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    base = bs.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    solve = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        bs.solve(base)
        solve.append(time.perf_counter() - t0)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.session_state[PAINTED] = True  # what the page's first-paint trigger asks for in a browser: the whole page
    at.run()
    key = f"lv{at.session_state['lever_gen']}:budget.growth_rate"
    slider = lambda: next(w for w in at.slider if w.key == key)  # noqa: E731
    move, revisit = [], []
    for i in range(a.repeat):
        value = 5.5 + 0.5 * i  # a growth rate not solved yet in this process
        t0 = time.perf_counter()
        slider().set_value(value).run()
        move.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        slider().set_value(5.0).run()  # the baseline again: cached
        revisit.append(time.perf_counter() - t0)
        assert not at.exception
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"baseline solve alone : {ms(solve):7.1f} ms")
    print(f"lever move (new)     : {ms(move):7.1f} ms  = {ms(move) / ms(solve):.1f}x a bare solve")
    print(f"lever move (cached)  : {ms(revisit):7.1f} ms  = {ms(revisit) / ms(solve):.1f}x a bare solve")
    print(f"solve share of a move: {ms(solve) / ms(move):.0%}")


if __name__ == "__main__":
    main()
