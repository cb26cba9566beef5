"""The ``budgetsim`` command line: a thin layer over the public API.

Exit codes: 0 success, 1 solver failure, 2 bad input (a scenario, plan file or option problem),
3 impossible scenario, 4 ``check``: the plan breaks at least one rule (the report is still printed),
5 the solver ran out of time (``--time-limit SECONDS``, default 60) before it found a plan.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from .version import __version__
from .solving import solve
from .present.compare import MAX_COMPARED, SHEETS, STATUS_QUO, compare
from .exceptions import BudgetsimError, ScenarioError, SolverError, TimeLimitError
from .fileio import atomic_write_bytes, atomic_write_text
from .model.builder import OBJECTIVES, SOLVERS
from .present.report import text_report
from .scenario.loading import bundled_scenarios, load_scenario
from .analysis.uncertainty import robustness, robustness_text, simulate, simulation_text

EXIT_OK, EXIT_SOLVER, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_BREAKS_RULES, EXIT_TIME_LIMIT = 0, 1, 2, 3, 4, 5


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
    sp.add_argument("--alpha", type=_unit_float, default=0.1,
                    help="cvar: tail share whose mean performance is maximised (default 0.1 = worst 10 %%)")
    sp.add_argument("--cvar-weight", type=_unit_float, default=1.0,
                    help="cvar: weight of CVaR against mean performance, in [0, 1] (default 1 = pure CVaR)")
    sp.add_argument("--samples", type=_positive_int, default=500, help="cvar: sampled draws in the LP (default 500)")
    sp.add_argument("--seed", type=int, default=0, help="cvar: seed of the sampled draws (default 0)")
    sp.add_argument("--check-draws", type=_positive_int, default=10_000,
                    help="cvar: fresh draws to check the plan's tail out of sample (default 10000)")
    sp.add_argument("--fix", metavar="PLAN", help="a plan file (.xlsx/.csv) whose --fix-years are kept as they are")
    sp.add_argument("--fix-years", metavar="YEARS", type=_years,
                    help="years of --fix to keep (e.g. 2026 or 2026,2027): spent years, the rest is re-optimised")

    tp = sub.add_parser("plan-template", help="write a plan file to fill in (Excel or CSV), prefilled")
    tp.add_argument("scenario", help="scenario YAML file")
    tp.add_argument("--out", required=True, help="plan file: .xlsx (one sheet 'plan') or .csv")
    tp.add_argument("--from", dest="prefill", choices=("optimum", "status-quo"), default="optimum",
                    help="prefill with the optimum (default: a plan that keeps every rule) or the status quo "
                         "carried over the plan")
    tp.add_argument("--layout", choices=("wide", "long"), default="wide", help="CSV only: a column per year, "
                    "or tidy rows (category, mode, year, amount_wan)")
    tp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels")

    kp = sub.add_parser("check", help="score your own plan, list the rules it breaks, show the optimum "
                        "(exit 4 when it breaks a rule)")
    kp.add_argument("scenario", help="scenario YAML file")
    kp.add_argument("--plan", required=True, help="plan file (.xlsx or .csv, from plan-template)")
    kp.add_argument("--format", choices=("text", "json"), default="text")
    kp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the text report")
    kp.add_argument("--improve", type=_percent, metavar="PCT",
                    help="also the best plan within ±PCT %% of the draft in each channel-year, as moves")
    kp.add_argument("--out", help="write to this file instead of standard output")

    mp = sub.add_parser("simulate", help="the plan and the status quo under uncertain parameters (Monte Carlo)")
    mp.add_argument("scenario", help="scenario YAML file")
    mp.add_argument("--draws", type=_positive_int, default=10_000)
    mp.add_argument("--seed", type=int, default=None, help="seed for reproducible draws")
    mp.add_argument("--alpha", type=_unit_float, default=0.1, help="tail share for the CVaR column (default 0.1)")
    mp.add_argument("--format", choices=("text", "json"), default="text")
    mp.add_argument("--out", help="write to this file instead of standard output")

    vp = sub.add_parser("validate", help="check scenario files; exit 2 listing every problem")
    vp.add_argument("scenarios", nargs="+")

    ep = sub.add_parser("explain", help="what one more 万元 buys, what each rule costs, why a plan is impossible")
    ep.add_argument("scenario", help="scenario YAML file")
    ep.add_argument("--format", choices=("text", "json"), default="text")
    ep.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the text report")
    ep.add_argument("--hard", action="append", metavar="RULE_ID",
                    help="a rule never relaxed when diagnosing an impossible scenario (repeatable; "
                         "default: budget_envelope; 'none' relaxes every rule)")
    ep.add_argument("--objective", choices=OBJECTIVES, default="max-performance")
    ep.add_argument("--solver", choices=SOLVERS, default="highs")
    ep.add_argument("--out", help="write to this file instead of standard output")

    sub.add_parser("scenarios", help="list the bundled scenarios")

    ip = sub.add_parser("inputs", help="how many of a scenario's inputs are sourced and which are illustrative")
    ip.add_argument("scenario", help="scenario YAML file")
    ip.add_argument("--format", choices=("text", "json"), default="text")
    ip.add_argument("--lang", choices=("zh", "en"), default="zh")

    cp = sub.add_parser("compare", help="solve scenarios and write a comparison workbook (or CSV)")
    cp.add_argument("scenarios", nargs="+", help=f"scenario YAML files (at most {MAX_COMPARED})")
    cp.add_argument("--out", help="output file (.xlsx for the workbook; required unless --format csv)")
    cp.add_argument("--format", choices=("xlsx", "csv"), default="xlsx",
                    help="xlsx: the workbook the app downloads; csv: one table (see --table)")
    cp.add_argument("--table", choices=SHEETS, default="summary", help="the table written by --format csv")
    cp.add_argument("--objective", choices=OBJECTIVES, default="max-performance")
    cp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the labels")
    cp.add_argument("--charts", metavar="DIR", help="also write the comparison charts as PNG into DIR")
    cp.add_argument("--reference", default=STATUS_QUO, metavar="NAME",
                    help="what every difference is measured against: 'status_quo' (the baseline's status quo, "
                         "default) or the name of a compared plan (its file name without .yaml)")

    brp = sub.add_parser("brief", help="write the leadership brief (Word .docx): recommended plan vs alternatives")
    brp.add_argument("scenarios", nargs="+", help=f"scenario YAML files, the recommended plan first (at most {MAX_COMPARED})")
    brp.add_argument("--out", required=True, help="output file (.docx)")
    brp.add_argument("--recommend", metavar="NAME", help="the recommended plan (default: the first with a solution)")
    brp.add_argument("--reference", default=STATUS_QUO, metavar="NAME",
                     help="'status_quo' (default) or the name of a compared plan")
    brp.add_argument("--objective", choices=OBJECTIVES, default="max-performance")
    brp.add_argument("--lang", choices=("zh", "en"), default="zh")
    brp.add_argument("--draws", type=_positive_int, default=2_000, help="simulation draws for the risks (default 2000)")
    brp.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")

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
    _library_parser(sub)
    _calibration_parsers(sub)
    for name in ("solve", "simulate", "explain", "compare", "brief"):
        sub.choices[name].add_argument(
            "--time-limit", type=_seconds, default=None, metavar="SECONDS",
            help="stop the solver after this many seconds (default 60); running out of time exits 5")
    return p


def _seconds(v: str) -> float:
    """An argparse type: a time limit in seconds, a positive finite number."""
    try:
        f = float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{v[:40]!r} is not a number of seconds") from None
    if not 0 < f < 1e7:
        raise argparse.ArgumentTypeError(f"{v[:40]} must be a positive number of seconds below 10,000,000")
    return f


def _library_parser(sub) -> None:
    """``budgetsim library list|show|export|import``: the saved scenarios (pins and drafts)."""
    lp = sub.add_parser("library", help="saved scenarios (the app's pins and drafts): list, show, export, import")
    lp.add_argument("--library", metavar="FILE.sqlite3",
                    help="the library file (default: $BUDGETSIM_LIBRARY, else library.sqlite3 in the user's data "
                    "directory, e.g. ~/.local/share/budgetsim/)")
    lsub = lp.add_subparsers(dest="library_command", required=True, parser_class=_Parser)
    ll = lsub.add_parser("list", help="one line per saved scenario")
    ll.add_argument("--kind", choices=("pin", "draft"), help="only pins or only drafts")
    ll.add_argument("--format", choices=("text", "json"), default="text")
    ll.add_argument("--lang", choices=("zh", "en"), default="zh")
    ls = lsub.add_parser("show", help="one saved scenario: its details and YAML diff")
    ls.add_argument("entry", help="its number (from `list`) or exact name")
    ls.add_argument("--format", choices=("text", "yaml", "json"), default="text",
                    help="text: details and YAML; yaml: only the YAML diff (for `budgetsim solve`)")
    ls.add_argument("--lang", choices=("zh", "en"), default="zh")
    lx = lsub.add_parser("export", help="write saved scenarios as a zip of YAML diffs plus an index")
    lx.add_argument("--out", required=True, help="the .zip file to write (atomically)")
    lx.add_argument("entries", nargs="*", help="numbers or names (default: all)")
    li = lsub.add_parser("import", help="add the scenarios of an exported zip (all or none)")
    li.add_argument("archive", help="a .zip written by `budgetsim library export` or the app")


def _calibration_parsers(sub) -> None:
    """``records-template`` and ``calibrate``: curves fitted to a bureau's own records (issue 14)."""
    tp = sub.add_parser("records-template", help="write a records file (Excel or CSV) for a scenario to fill")
    tp.add_argument("scenario", help="scenario YAML file")
    tp.add_argument("--out", required=True, help="records file to write: .xlsx (sheets) or .csv (one tidy table)")
    tp.add_argument("--empty", action="store_true",
                    help="headers only (default: one example year, the scenario's status quo, to replace)")

    kp = sub.add_parser("calibrate", help="fit the scenario's response curves to a records file")
    kp.add_argument("scenario", help="scenario YAML file")
    kp.add_argument("--records", required=True, help="records file (.xlsx or .csv; see records-template)")
    kp.add_argument("--out", required=True, help="calibrated scenario to write (.yaml, an extends: diff)")
    kp.add_argument("--report", help="also write the calibration report (.html)")
    kp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report and summary")
    kp.add_argument("--no-flips", action="store_true",
                    help="skip re-planning at the ends of each curve's band (which recommendations flip)")


def _unit_float(v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{v!r} is not a number") from None
    if not 0 <= f <= 1:
        raise argparse.ArgumentTypeError(f"{v} must lie in [0, 1]")
    return f


def _years(v: str) -> list[int]:
    """An argparse type: years, separated by commas or spaces (``2026`` or ``2026,2027``)."""
    parts = [p for p in v.replace(",", " ").split() if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{v!r}: give years such as 2026 or 2026,2027")
    return [int(p) for p in parts]


def _percent(v: str) -> float:
    """An argparse type: a percentage above 0 (``10`` = ±10 %), returned as a share."""
    try:
        f = float(v.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{v!r} is not a number") from None
    if not 0 < f <= 1000:
        raise argparse.ArgumentTypeError(f"{v} must lie in (0, 1000] percent")
    return f / 100.0


def _int_at_least(low: int):
    """An argparse type: a whole number ≥ ``low``."""
    def parse(v: str) -> int:
        try:
            i = int(v)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{v!r} is not a whole number") from None
        if i < low:
            raise argparse.ArgumentTypeError(f"{v} must be at least {low}")
        return i
    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _emit(text: str, out: str | None) -> None:
    if out:
        atomic_write_text(out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _load(path: str):
    """load_scenario, with a notice on stderr when a file was read in another encoding than UTF-8."""
    s = load_scenario(path)
    for notice in s.notices:
        print(f"budgetsim: {notice}", file=sys.stderr)
    return s


def cmd_solve(a) -> int:
    s = _load(a.scenario)
    if (a.fix is None) != (a.fix_years is None):
        raise BudgetsimError("--fix PLAN and --fix-years YEARS go together (e.g. --fix plan.xlsx --fix-years 2026)")
    if a.fix is not None:
        from .scenario.plans import read_plan, with_fixed_years

        s = with_fixed_years(s, read_plan(s, a.fix).amounts, a.fix_years)
    cvar_opts = dict(alpha=a.alpha, cvar_weight=a.cvar_weight, samples=a.samples, seed=a.seed)
    r = solve(s, a.objective, solver=a.solver, time_limit=a.time_limit,
              **(cvar_opts if a.objective == "cvar" else {}))
    rb = (robustness(s, **cvar_opts, fresh_draws=a.check_draws, cvar_result=r)
          if a.objective == "cvar" and r.ok else None)
    if a.write_model:
        r.run.builder.lp.write(a.write_model)
    if a.format == "json":
        d = r.to_dict()
        if rb is not None:
            d["robustness"] = rb
        _emit(json.dumps(d, ensure_ascii=False, indent=2) + "\n", a.out)
    elif a.format == "csv":
        buf = io.StringIO()
        r.allocation.to_csv(buf, index=False)
        _emit(buf.getvalue(), a.out)
    else:
        _emit(text_report(r, a.lang) + ("\n" + robustness_text(rb) if rb is not None else ""), a.out)
    if not r.ok:
        print(f"budgetsim: {a.scenario}: {r.message}", file=sys.stderr)
    return _exit_for(r)


def _exit_for(r) -> int:
    """The exit code a result's status stands for."""
    return {"optimal": EXIT_OK, "infeasible": EXIT_INFEASIBLE, "time_limit": EXIT_TIME_LIMIT}.get(r.status, EXIT_SOLVER)


def cmd_plan_template(a) -> int:
    from .scenario.plans import write_plan

    s = _load(a.scenario)
    if a.prefill == "optimum":
        r = solve(s)
        if not r.ok:
            print(f"budgetsim: {a.scenario}: no optimum to prefill with ({r.message})", file=sys.stderr)
            return EXIT_INFEASIBLE if r.status == "infeasible" else EXIT_SOLVER
        x = r.x
    else:
        x = s.status_quo_allocation
    path = write_plan(s, x, a.out, a.lang, a.layout)
    print(f"wrote {path} ({len(s.channels)} channels × {len(s.years)} years, 万元)", file=sys.stderr)
    return EXIT_OK


def cmd_check(a) -> int:
    from .analysis.check import check
    from .scenario.plans import read_plan

    s = _load(a.scenario)
    plan = read_plan(s, a.plan)
    c = check(s, plan, improve=a.improve)
    if a.format == "json":
        d = c.to_dict()
        d["plan_file"] = {"path": str(a.plan), "encoding": plan.encoding}
        _emit(json.dumps(d, ensure_ascii=False, indent=2) + "\n", a.out)
    else:
        _emit(c.text(a.lang), a.out)
    if not c.keeps_rules:
        print(f"budgetsim: {a.plan}: the plan breaks {len(c.breaches)} rule row(s)", file=sys.stderr)
        return EXIT_BREAKS_RULES
    return EXIT_OK


def cmd_simulate(a) -> int:
    s = _load(a.scenario)
    r = solve(s, time_limit=a.time_limit)
    if not r.ok:
        print(f"budgetsim: {a.scenario}: {r.message}", file=sys.stderr)
        return _exit_for(r)
    sim = simulate(r, a.draws, a.seed, alpha=a.alpha)
    if a.format == "json":
        _emit(json.dumps(sim.to_dict(), ensure_ascii=False, indent=2) + "\n", a.out)
    else:
        _emit(simulation_text(sim), a.out)
    return EXIT_OK


def cmd_explain(a) -> int:
    from .analysis.explain import DEFAULT_HARD, explain

    hard = DEFAULT_HARD if a.hard is None else tuple(h for h in a.hard if h != "none")
    try:
        ex = explain(_load(a.scenario), hard=hard, objective=a.objective, solver=a.solver, time_limit=a.time_limit)
    except TimeLimitError as err:
        print(f"budgetsim: {a.scenario}: {err}", file=sys.stderr)
        return EXIT_TIME_LIMIT
    except SolverError as err:
        print(f"budgetsim: {a.scenario}: {err}", file=sys.stderr)
        return EXIT_SOLVER
    if a.format == "json":
        _emit(json.dumps(ex.to_dict(), ensure_ascii=False, indent=2) + "\n", a.out)
    else:
        _emit(ex.text(a.lang), a.out)
    if ex.status == "infeasible":
        names = ", ".join(dict.fromkeys(ex.conflicts["id"])) if len(ex.conflicts) else "the hard rules"
        print(f"budgetsim: {a.scenario}: impossible as stated; must give: {names}", file=sys.stderr)
        return EXIT_INFEASIBLE
    return EXIT_OK


def cmd_validate(a) -> int:
    code = EXIT_OK
    for path in a.scenarios:
        try:
            _load(path)
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


def _solve_named(paths: list[str], objective: str, time_limit: float | None = None) -> dict:
    """Solve scenario files, named by file stem (made unique), reporting impossible ones on stderr."""
    if len(paths) > MAX_COMPARED:
        raise BudgetsimError(f"at most {MAX_COMPARED} scenarios, got {len(paths)}")
    results = {}
    for path in paths:
        name = Path(path).stem
        n = 2
        while name in results:
            name, n = f"{Path(path).stem}_{n}", n + 1
        r = solve(_load(path), objective, time_limit=time_limit)
        if not r.ok:
            print(f"budgetsim: {path}: {r.message}", file=sys.stderr)
        results[name] = r
    return results


def _explained(results: dict) -> dict:
    from .analysis.explain import explain

    return {n: explain(r) for n, r in results.items() if r.ok}


def cmd_compare(a) -> int:
    if len(a.scenarios) > MAX_COMPARED:
        raise BudgetsimError(f"compare: at most {MAX_COMPARED} scenarios, got {len(a.scenarios)}")
    if a.format == "xlsx" and not a.out:
        raise BudgetsimError("compare: --out FILE.xlsx is required for the workbook (or use --format csv)")
    results = _solve_named(a.scenarios, a.objective, a.time_limit)
    explanations = _explained(results) if a.format == "xlsx" else None
    comp = compare(results, a.lang, reference=a.reference, explanations=explanations)
    if a.format == "csv":
        _emit(comp.csv(a.table), a.out)
    else:
        from .present.workbook import sheet_names, write_workbook  # lazy: openpyxl is only needed here

        write_workbook(comp, a.out)
        print(f"wrote {a.out} (sheets: {', '.join(sheet_names(a.lang))})", file=sys.stderr)
    if a.charts:
        from .present import charts  # lazy: Altair and vl-convert are only needed here

        for name, chart in (("comparison_allocation", charts.comparison_allocation_chart(comp)),
                            ("comparison_indicators", charts.comparison_indicator_chart(comp))):
            path = atomic_write_bytes(Path(a.charts) / f"{name}.png", charts.to_png(chart))
            print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_brief(a) -> int:
    from .present.brief import write_brief  # lazy: python-docx, Altair and vl-convert are only needed here

    if Path(a.out).suffix.lower() != ".docx":
        raise BudgetsimError(f"brief: --out {a.out!r}: the brief is a Word file; use a name ending in .docx")
    results = _solve_named(a.scenarios, a.objective, a.time_limit)
    comp = compare(results, a.lang, reference=a.reference, explanations=_explained(results))
    write_brief(comp, a.out, a.recommend, draws=a.draws, seed=a.seed)
    print(f"wrote {a.out}", file=sys.stderr)
    return EXIT_OK


def cmd_batch(a) -> int:
    from .batches.batch import journal_path, run_batch, run_batch_to_file, summarise

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
    from .batches.batch import write_table
    from .present.charts import frontier_chart, save_chart  # lazy: Altair is only needed here
    from .batches.frontier import frontier, frontier_values

    if a.out and Path(a.out).suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        print(f"budgetsim: --out {a.out!r}: allowed endings are .csv, .parquet, .xlsx", file=sys.stderr)
        return EXIT_INPUT
    if a.chart and Path(a.chart).suffix.lower() not in (".html", ".json", ".png", ".svg"):
        print(f"budgetsim: --chart {a.chart!r}: allowed endings are .html, .json, .png, .svg", file=sys.stderr)
        return EXIT_INPUT
    s = _load(a.scenario)
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


def cmd_library(a) -> int:
    from .library import Library, export_library, import_archive
    from .present.labels import fmt_time, objective_label, t
    lib = Library(a.library)
    if a.library_command == "list":
        entries = lib.entries(a.kind)
        if a.format == "json":
            print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
            return EXIT_OK
        L = a.lang
        print(t("lib_caption", L, path=lib.path, n=len(entries), pins=sum(e.kind == "pin" for e in entries),
                drafts=sum(e.kind == "draft" for e in entries)).replace("`", ""))
        for e in entries:
            print(f"{e.id:>4}  {t('lib_kind_' + e.kind, L)}  {e.name}  ·  {_headline_text(e.headline, L)}")
            print(f"      {objective_label(e.objective, L)} · {e.author or t('no_author', L)} · "
                  f"{fmt_time(e.updated_at)}" + (f" · {e.notes}" if e.notes else ""))
        return EXIT_OK
    if a.library_command == "show":
        e = lib.find(a.entry)
        if a.format == "yaml":
            sys.stdout.write(e.diff_yaml)
        elif a.format == "json":
            print(json.dumps(e.to_dict() | {"diff_yaml": e.diff_yaml}, ensure_ascii=False, indent=1))
        else:
            L = a.lang
            print(f"{e.id}  {e.name}")
            print(t("lib_detail", L, kind=t("lib_kind_" + e.kind, L), question=objective_label(e.objective, L),
                    author=e.author or t("no_author", L), saved=fmt_time(e.updated_at)))
            print(_headline_text(e.headline, L))
            if e.plan is not None:
                n, y = len(e.plan["channels"]), e.plan["years"]
                print(f"附用户草案：{n} 个渠道 × {len(y)} 年（{y[0]}–{y[-1]}），"
                      f"合计 {sum(map(sum, e.plan['amounts_wan'])):,.0f} 万元" if L == "zh" else
                      f"With the user's plan: {n} channels × {len(y)} years ({y[0]}–{y[-1]}), "
                      f"{sum(map(sum, e.plan['amounts_wan'])):,.0f} 万元 in all")
            if e.notes:
                print(f"{t('col_notes', L)}: {e.notes}")
            print()
            sys.stdout.write(e.diff_yaml)
        return EXIT_OK
    if a.library_command == "export":
        entries = [lib.find(x) for x in a.entries] if a.entries else lib.entries()
        out = export_library(lib, a.out, entries)
        print(f"wrote {out} ({len(entries)} scenario{'s' if len(entries) != 1 else ''})", file=sys.stderr)
        return EXIT_OK
    rep = import_archive(lib, a.archive)
    print(f"imported {len(rep.added)} into {lib.path}; {len(rep.skipped)} already there"
          + "".join(f"\n  {old} → {new} (name taken)" for old, new in rep.renamed.items()), file=sys.stderr)
    return EXIT_OK


def _headline_text(h: dict, L: str) -> str:
    from .present.labels import fmt_money, status_label, t
    if h.get("status") not in ("optimal", "given") or h.get("performance") is None:
        return status_label(str(h.get("status", "—")), L)
    diff = h.get("performance_diff")
    return (f"{t('kpi_performance', L)} {h['performance']:.2f}"
            + ((f"（{t('kpi_vs_sq', L)} {diff:+.2f}）" if L == "zh" else f" ({t('kpi_vs_sq', L)} {diff:+.2f})")
               if diff is not None else "")
            + f" · {t('kpi_budget', L)} {fmt_money(h.get('budget_allocated_wan'), L)}"
            + (f" · {t('kpi_targets', L)} {h['targets_met']}/{h['targets_total']}" if h.get("targets_total") else ""))


def cmd_records_template(a) -> int:
    from .analysis.calibration import status_quo_records
    from .scenario.records import write_template

    if Path(a.out).suffix.lower() not in (".xlsx", ".csv"):
        print(f"budgetsim: --out {a.out!r}: allowed endings are .xlsx, .csv", file=sys.stderr)
        return EXIT_INPUT
    s = _load(a.scenario)
    write_template(s, a.out, None if a.empty else status_quo_records(s))
    print(f"wrote {a.out}", file=sys.stderr)
    return EXIT_OK


def cmd_calibrate(a) -> int:
    from .analysis.calibration import calibrate
    from .present.calibration_report import calibration_html, calibration_text

    for opt, path, endings in (("--out", a.out, (".yaml", ".yml")), ("--report", a.report, (".html", ".htm"))):
        if path and Path(path).suffix.lower() not in endings:
            print(f"budgetsim: {opt} {path!r}: allowed endings are {', '.join(endings)}", file=sys.stderr)
            return EXIT_INPUT
    cal = calibrate(a.scenario, a.records, flips=not a.no_flips)
    atomic_write_text(a.out, cal.yaml_text(a.out))
    print(f"wrote {a.out}", file=sys.stderr)
    if a.report:
        atomic_write_text(a.report, calibration_html(cal, a.lang))
        print(f"wrote {a.report}", file=sys.stderr)
    sys.stdout.write(calibration_text(cal, a.lang))
    return EXIT_OK


def cmd_inputs(a) -> int:
    """Sourced and illustrative inputs of one scenario (the illustrative ones listed by path)."""
    from .scenario.provenance import input_sources, inputs_sentence

    s = _load(a.scenario)
    items = input_sources(s)
    if a.format == "json":
        print(json.dumps({"inputs": [{"path": i.path, "source": i.source, "illustrative": i.illustrative}
                                     for i in items]}, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(inputs_sentence(s, a.lang))
    print("示例假设（illustrative）:" if a.lang == "zh" else "Illustrative:")
    for i in items:
        if i.illustrative:
            print(f"  {i.path}")
    print("有出处（sourced）:" if a.lang == "zh" else "Sourced:")
    for i in items:
        if not i.illustrative:
            print(f"  {i.path}  ← {i.source}")
    return EXIT_OK


COMMANDS = {"inputs": cmd_inputs,
            "solve": cmd_solve, "simulate": cmd_simulate, "validate": cmd_validate, "scenarios": cmd_scenarios,
            "compare": cmd_compare, "brief": cmd_brief, "explain": cmd_explain, "batch": cmd_batch,
            "frontier": cmd_frontier, "library": cmd_library, "plan-template": cmd_plan_template, "check": cmd_check,
            "records-template": cmd_records_template, "calibrate": cmd_calibrate}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_INPUT
    except TimeLimitError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_TIME_LIMIT
    except SolverError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_SOLVER
    except BudgetsimError as err:
        print(f"budgetsim: {err}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
