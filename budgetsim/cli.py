"""The ``budgetsim`` command line: a thin layer over the public API.

Exit codes: 0 success, 1 solver failure, 2 bad input, 3 impossible scenario.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from . import __version__
from .api import solve
from .exceptions import BudgetsimError, ScenarioError
from .fileio import atomic_write_text
from .model import OBJECTIVES, SOLVERS
from .report import text_report
from .scenario import bundled_scenarios, load_scenario

EXIT_OK, EXIT_SOLVER, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad arguments are bad input: exit 2 with a clear line
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"budgetsim: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="budgetsim", description="Fiscal S&T budget allocation simulator.")
    p.add_argument("--version", action="version", version=f"budgetsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sp = sub.add_parser("solve", help="solve a scenario and print or write the plan")
    sp.add_argument("scenario", help="scenario YAML file")
    sp.add_argument("--objective", choices=OBJECTIVES, default="max-performance")
    sp.add_argument("--format", choices=("table", "json", "csv"), default="table")
    sp.add_argument("--out", help="write to this file instead of standard output")
    sp.add_argument("--solver", choices=SOLVERS, default="highs")
    sp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the table format")
    sp.add_argument("--write-model", metavar="FILE", help="also write the model as .lp or .mps for audit")

    vp = sub.add_parser("validate", help="check scenario files; exit 2 listing every problem")
    vp.add_argument("scenarios", nargs="+")

    sub.add_parser("scenarios", help="list the bundled scenarios")

    bp = sub.add_parser("batch", help="solve many scenarios or sweeps into one table (parallel, resumable)")
    bp.add_argument("items", nargs="+", metavar="PATH_OR_SWEEP", help="scenario files and/or sweep files")
    bp.add_argument("--workers", type=_non_negative_int, default=None,
                    help="local worker processes (default: the CPU count; 0 = solve in this process)")
    bp.add_argument("--out", help="results file: .parquet, .csv or .xlsx (a journal beside it makes the run "
                    "resumable)")
    bp.add_argument("--executor", choices=("local", "dask"), default="local")
    bp.add_argument("--address", help="Dask scheduler address, e.g. tcp://HOST:8786 (with --executor dask)")
    bp.add_argument("--objective", choices=OBJECTIVES, default=None,
                    help="default: the sweep's objective, else max-performance")
    bp.add_argument("--solver", choices=SOLVERS, default=None)
    bp.add_argument("--fresh", action="store_true", help="ignore the journal of an earlier run and start over")
    bp.add_argument("--no-progress", action="store_true", help="no progress bar")

    fp = sub.add_parser("frontier", help="how performance and indicators move as one parameter moves")
    fp.add_argument("scenario")
    fp.add_argument("--param", required=True, help="dotted scenario path, e.g. budget.base_amount_wan")
    fp.add_argument("--from", dest="start", type=float, required=True)
    fp.add_argument("--to", dest="stop", type=float, required=True)
    fp.add_argument("--steps", type=int, required=True)
    fp.add_argument("--objective", choices=OBJECTIVES, default="max-performance")
    fp.add_argument("--solver", choices=SOLVERS, default="highs")
    fp.add_argument("--workers", type=_non_negative_int, default=0)
    fp.add_argument("--out", help="table file: .csv, .parquet or .xlsx (default: print a table)")
    fp.add_argument("--chart", help="chart file: .html, .json, .png or .svg")
    fp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the chart")
    return p


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0 (got {text!r})") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0 (got {text!r})")
    return n


def _emit(text: str, out: str | None) -> None:
    if out:
        atomic_write_text(out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_solve(a) -> int:
    s = load_scenario(a.scenario)
    r = solve(s, a.objective, solver=a.solver)
    if a.write_model:
        r.run.builder.lp.write(a.write_model)
    if a.format == "json":
        _emit(json.dumps(r.to_dict(), ensure_ascii=False, indent=2) + "\n", a.out)
    elif a.format == "csv":
        buf = io.StringIO()
        r.allocation.to_csv(buf, index=False)
        _emit(buf.getvalue(), a.out)
    else:
        _emit(text_report(r, a.lang), a.out)
    if r.status == "infeasible":
        print(f"budgetsim: {a.scenario}: {r.message}", file=sys.stderr)
        return EXIT_INFEASIBLE
    if not r.ok:
        print(f"budgetsim: {a.scenario}: {r.message}", file=sys.stderr)
        return EXIT_SOLVER
    return EXIT_OK


def cmd_validate(a) -> int:
    code = EXIT_OK
    for path in a.scenarios:
        try:
            load_scenario(path)
            print(f"{path}: ok")
        except ScenarioError as err:
            print(str(err), file=sys.stderr)
            code = EXIT_INPUT
    return code


def cmd_scenarios(a) -> int:
    for path in bundled_scenarios():
        try:
            s = load_scenario(path)
            base = f" (extends {s.spec.extends})" if s.spec.extends else ""
            print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}{base}")
            print(f"    {s.title('zh')} / {s.title('en')}")
            print(f"    {s.spec.description.en}")
        except ScenarioError as err:
            print(f"{path}: invalid ({len(err.problems)} problems)")
    return EXIT_OK


def cmd_batch(a) -> int:
    from .batch import journal_path, run_batch, run_batch_to_file, summarise

    if a.executor == "dask" and not a.address:
        print("budgetsim: --executor dask needs --address tcp://HOST:PORT of a running Dask scheduler",
              file=sys.stderr)
        return EXIT_INPUT
    if a.address and a.executor != "dask":
        print("budgetsim: --address is only used with --executor dask", file=sys.stderr)
        return EXIT_INPUT
    try:
        options = dict(workers=a.workers, executor=a.executor, address=a.address, progress=not a.no_progress,
                       objective=a.objective, solver=a.solver, fresh=a.fresh)
        if a.out:  # straight from the journal to the file: memory stays flat however many rows
            summary = run_batch_to_file(a.items, a.out, **options)
        else:
            df = run_batch(a.items, **options)
    except KeyboardInterrupt:
        kept = ""
        if a.out and journal_path(a.out).exists():
            n = sum(1 for _ in open(journal_path(a.out), "rb"))
            kept = f"; {n} finished rows are kept in {journal_path(a.out)} — run the same command to resume"
        print(f"\nbudgetsim: batch interrupted{kept}", file=sys.stderr)
        return 130
    if a.out:
        print(summary.text(), file=sys.stderr)
        print(f"wrote {a.out} ({summary.n} rows); journal {journal_path(a.out)}", file=sys.stderr)
    else:
        print(summarise(df), file=sys.stderr)
        cols = [c for c in df.columns if c.startswith("in:")] + ["scenario", "status", "performance",
                                                                  "status_quo_performance", "leverage"]
        sys.stdout.write(df[[c for c in cols if c in df.columns]].to_string(index=False) + "\n")
    return EXIT_OK


def cmd_frontier(a) -> int:
    from .batch import write_table
    from .frontier import frontier, frontier_chart, frontier_values, save_chart

    if a.out and Path(a.out).suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        print(f"budgetsim: --out {a.out!r}: allowed endings are .csv, .parquet, .xlsx", file=sys.stderr)
        return EXIT_INPUT
    if a.chart and Path(a.chart).suffix.lower() not in (".html", ".json", ".png", ".svg"):
        print(f"budgetsim: --chart {a.chart!r}: allowed endings are .html, .json, .png, .svg", file=sys.stderr)
        return EXIT_INPUT
    s = load_scenario(a.scenario)
    values = frontier_values(a.start, a.stop, a.steps)
    df = frontier(s, a.param, values, objective=a.objective, solver=a.solver, workers=a.workers)
    if a.out:
        write_table(df, a.out)
        print(f"wrote {a.out}", file=sys.stderr)
    else:
        cols = ["value", "status", "performance", "status_quo_performance", "marginal_performance"]
        cols += [c for c in ("marginal_per_yi",) if c in df.columns]
        cols += [c for c in df.columns if c.startswith("ind:")]
        sys.stdout.write(df[cols].to_string(index=False) + "\n")
    if a.chart:
        save_chart(frontier_chart(df, lang=a.lang, scenario=s), a.chart)
        print(f"wrote {a.chart}", file=sys.stderr)
    bad = df[df["status"] != "optimal"]
    if len(bad):
        print(f"budgetsim: {len(bad)} of {len(df)} points have no plan "
              f"({', '.join(sorted(set(bad['status'])))}); they are rows without figures", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"solve": cmd_solve, "validate": cmd_validate, "scenarios": cmd_scenarios,
            "batch": cmd_batch, "frontier": cmd_frontier}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_INPUT
    except BudgetsimError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
