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
from .exceptions import BudgetsimError, ScenarioError, SolverError
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
    return p


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


def cmd_explain(a) -> int:
    from .explain import DEFAULT_HARD, explain

    hard = DEFAULT_HARD if a.hard is None else tuple(h for h in a.hard if h != "none")
    try:
        ex = explain(a.scenario, hard=hard, objective=a.objective, solver=a.solver)
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


COMMANDS = {"solve": cmd_solve, "validate": cmd_validate, "scenarios": cmd_scenarios, "explain": cmd_explain}


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
