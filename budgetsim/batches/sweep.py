"""Sweeps: a base scenario and the parameters to vary, expanded into scenario points.

A sweep file (YAML, ``scenarios/sweeps/*.yaml``) names a base scenario and the dotted
scenario paths to vary (``budget.base_amount_wan``, ``rules.leverage_floor.min_ratio``,
``rules.category_share_min.shares.basic_frontier`` ...), each by an explicit list of
``values`` or a ``range`` (``from``/``to`` and ``steps``).  The ``design`` combines them:

* ``grid`` (default) — every combination (full factorial);
* ``zip`` — the lists paired element by element (all of one length);
* ``lhs`` — a Latin-hypercube sample of ``samples`` points over the ranges, drawn with ``seed``.

Loading validates the file like a scenario (every problem at once, each naming the field,
the value and what is allowed) and checks every path against the merged base scenario, so
a typo is rejected before anything runs.  Expansion is lazy: points are generated one at a
time, so a sweep of 100,000 points costs no memory until it is run.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..exceptions import MISSING, Problem, ScenarioError, SweepError, short_repr
from ..model.builder import OBJECTIVES, SOLVERS
from ..scenario.loading import BUNDLED_DIR, Scenario, _resolve_extends, get_path, load_scenario
from ..scenario.reading import read_yaml
from ..scenario.validation import structural_problems

MAX_POINTS = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RangeSpec(_Strict):
    """``from``/``to`` (inclusive) with ``steps`` points; ``steps`` is omitted for ``lhs``."""

    start: float = Field(alias="from")
    stop: float = Field(alias="to")
    steps: int | None = Field(default=None, ge=2, le=10_000)


class ParameterSpec(_Strict):
    path: str = Field(min_length=1)
    values: list[Any] | None = Field(default=None, min_length=1)
    range: RangeSpec | None = None
    integer: bool = False
    label: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ParameterSpec":
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of 'values' (a list) or 'range' (from/to/steps)")
        return self


class Label(_Strict):
    zh: str = ""
    en: str = ""


class SweepSpec(_Strict):
    id: str | None = None
    title: Label = Label()
    description: Label = Label()
    base: str = Field(min_length=1)
    design: Literal["grid", "zip", "lhs"] = "grid"
    parameters: list[ParameterSpec] = Field(min_length=1, max_length=32)
    samples: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    seed: int | None = Field(default=None, ge=0)
    objective: Literal[OBJECTIVES] | None = None  # type: ignore[valid-type]
    solver: Literal[SOLVERS] | None = None  # type: ignore[valid-type]


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its position, a label and the dotted-path changes."""

    index: int
    label: str
    changes: dict[str, Any]


@dataclass(frozen=True, eq=False)
class Sweep:
    """A validated sweep over a base scenario.  Iterate :meth:`points` to expand it lazily."""

    spec: SweepSpec
    base: Scenario
    source: str = "<sweep>"
    _grids: list[list[Any]] = field(default_factory=list, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id or Path(self.source).stem

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.spec.parameters]

    @property
    def seed(self) -> int | None:
        return self.spec.seed

    def __len__(self) -> int:
        if self.spec.design == "lhs":
            return int(self.spec.samples or 0)
        if self.spec.design == "zip":
            return len(self._grids[0])
        return math.prod(len(g) for g in self._grids)

    def points(self) -> Iterator[SweepPoint]:
        """The sweep's points in a fixed order (the same file always gives the same points)."""
        paths = self.paths
        if self.spec.design == "lhs":
            rows: Iterator[tuple] = iter(self._lhs_matrix().tolist())
        elif self.spec.design == "zip":
            rows = zip(*self._grids)
        else:
            rows = itertools.product(*self._grids)
        for i, combo in enumerate(rows):
            values = [self._cast(p, v) for p, v in zip(self.spec.parameters, combo)]
            label = f"{self.id}[{i}]"
            yield SweepPoint(i, label, dict(zip(paths, values)))

    def scenarios(self) -> Iterator[Scenario]:
        """Each point as a validated :class:`Scenario` (raises on an invalid point)."""
        for pt in self.points():
            yield self.base.with_changes(pt.changes, new_id=pt.label)

    # -------------------------------------------------------------- internals
    @staticmethod
    def _cast(p: ParameterSpec, v: Any) -> Any:
        if p.integer and isinstance(v, (int, float)) and not isinstance(v, bool):
            return int(round(v))
        if isinstance(v, float):
            return float(round(v, 12))  # no 0.30000000000000004 in tables and hashes
        return v

    def _lhs_matrix(self) -> np.ndarray:
        """A Latin hypercube: each range cut into ``samples`` strata, one point per stratum."""
        n = int(self.spec.samples or 0)
        rng = np.random.default_rng(self.spec.seed)
        out = np.empty((n, len(self.spec.parameters)))
        for k, p in enumerate(self.spec.parameters):
            assert p.range is not None
            u = (rng.permutation(n) + rng.random(n)) / n
            out[:, k] = p.range.start + u * (p.range.stop - p.range.start)
        return out


def _grid(p: ParameterSpec) -> list[Any]:
    if p.values is not None:
        return list(p.values)
    assert p.range is not None and p.range.steps is not None
    return [float(v) for v in np.linspace(p.range.start, p.range.stop, p.range.steps)]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def sweep_problems(spec: SweepSpec, base: Scenario) -> list[Problem]:
    """Every problem of a structurally valid sweep, checked against its base scenario."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, p in enumerate(spec.parameters):
        where = f"parameters.{i}"
        current = get_path(base.raw, p.path)
        if p.path in seen:
            problems.append(Problem(f"{where}.path", p.path, "this path is already varied by another parameter"))
        seen.add(p.path)
        if current is MISSING:
            parent = p.path.rsplit(".", 1)[0] if "." in p.path else ""
            node = get_path(base.raw, parent) if parent else base.raw
            allowed = sorted(map(str, node))[:20] if isinstance(node, dict) else []
            hint = f"; keys allowed under '{parent}': {allowed}" if allowed else ""
            problems.append(Problem(f"{where}.path", p.path,
                                    f"not a path of the base scenario '{base.id}'{hint}"))
            continue
        if isinstance(current, (dict, list)):
            problems.append(Problem(f"{where}.path", p.path,
                                    f"points at a {'mapping' if isinstance(current, dict) else 'list'}; "
                                    "vary a single number, flag or name (a dotted path down to it)"))
            continue
        if p.range is not None:
            if not _is_number(current):
                problems.append(Problem(f"{where}.range", p.path,
                                        f"a range needs a numeric parameter; the base value is {short_repr(current)}"))
            if p.range.stop < p.range.start:
                problems.append(Problem(f"{where}.range.to", p.range.stop,
                                        f"must be ≥ from ({p.range.start})"))
            if spec.design == "lhs" and p.range.steps is not None:
                problems.append(Problem(f"{where}.range.steps", p.range.steps,
                                        "not used by design 'lhs' (the number of points is 'samples'); remove it"))
            if spec.design != "lhs" and p.range.steps is None:
                problems.append(Problem(f"{where}.range.steps", MISSING,
                                        f"design '{spec.design}' needs the number of points (an integer ≥ 2)"))
        if p.values is not None:
            if spec.design == "lhs":
                problems.append(Problem(f"{where}.values", p.values,
                                        "design 'lhs' samples ranges: give 'range: {from: A, to: B}'"))
            for k, v in enumerate(p.values):
                if isinstance(v, (dict, list)):
                    problems.append(Problem(f"{where}.values.{k}", v, "each value must be a single number, "
                                            "flag or name"))
                elif _is_number(current) and not _is_number(v):
                    problems.append(Problem(f"{where}.values.{k}", v,
                                            f"must be a number like the base value ({short_repr(current)})"))
    if spec.design == "lhs":
        if spec.samples is None:
            problems.append(Problem("samples", MISSING, "design 'lhs' needs the number of points (an integer ≥ 1)"))
        if spec.seed is None:
            problems.append(Problem("seed", MISSING, "design 'lhs' needs a seed (an integer ≥ 0) "
                                    "so the same file gives the same points"))
    else:
        if spec.samples is not None:
            problems.append(Problem("samples", spec.samples,
                                    f"only used by design 'lhs'; design '{spec.design}' takes every point"))
    if spec.design == "zip" and not problems:
        lengths = {p.path: len(_grid(p)) for p in spec.parameters}
        if len(set(lengths.values())) > 1:
            problems.append(Problem("parameters", lengths,
                                    "design 'zip' pairs values element by element: every list must be as long"))
    if spec.design == "grid" and not problems:
        n = math.prod(len(_grid(p)) for p in spec.parameters)
        if n > MAX_POINTS:
            problems.append(Problem("parameters", n, f"the grid has more than {MAX_POINTS:,} points"))
    return problems


def _resolve_base(name: str, here: Path) -> Path | None:
    cand = Path(name)
    if cand.is_absolute() and cand.is_file():
        return cand
    if len(cand.parts) > 1:  # a path relative to the sweep file (sweeps are the command line's, not uploads)
        return here / cand if (here / cand).is_file() else None
    for d in (here, here.parent, BUNDLED_DIR):
        hit = _resolve_extends(name, d)
        if hit is not None:
            return hit
    return None


def sweep_from_dict(doc: dict, source: str = "<sweep>", here: Path | None = None) -> Sweep:
    """Validate a sweep document (``base`` resolved next to ``here``, its parent, or bundled)."""
    try:
        spec = SweepSpec.model_validate(doc)
    except ValidationError as err:
        raise SweepError(structural_problems(err, SweepSpec), source) from None
    here = here or BUNDLED_DIR
    base_path = _resolve_base(spec.base, here)
    if base_path is None:
        known = sorted(p.stem for p in BUNDLED_DIR.glob("*.yaml"))
        raise SweepError([Problem("base", spec.base, f"unknown base scenario; known: {known}")], source)
    try:
        base = load_scenario(base_path)
    except ScenarioError as err:
        raise SweepError([Problem("base", spec.base, f"the base scenario is invalid: {p}") for p in err.problems],
                         source) from None
    problems = sweep_problems(spec, base)
    if problems:
        raise SweepError(problems, source)
    grids = [] if spec.design == "lhs" else [_grid(p) for p in spec.parameters]
    return Sweep(spec=spec, base=base, source=source, _grids=grids)


def is_sweep_document(doc: dict) -> bool:
    """A sweep file has ``parameters`` (a key no scenario file may have)."""
    return isinstance(doc, dict) and "parameters" in doc


def load_sweep(path: str | Path) -> Sweep:
    """Load and validate a sweep file; raises :class:`~budgetsim.exceptions.SweepError`."""
    path = Path(path)
    if not path.is_file():
        raise SweepError([Problem("", str(path), "sweep file not found")], str(path))
    try:
        doc, _ = read_yaml(path)
    except ScenarioError as err:
        raise SweepError(err.problems, str(path)) from None
    return sweep_from_dict(doc, source=str(path), here=path.parent)


def bundled_sweeps() -> list[Path]:
    return sorted((BUNDLED_DIR / "sweeps").glob("*.yaml"))
