"""Batch items: what a batch solves (files, Scenario objects, sweep points) and the hash that names each input."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from ..exceptions import BudgetsimError, Problem, ScenarioError, ScenarioNotFoundError
from ..scenario.loading import Scenario, _key, load_scenario
from ..scenario.reading import read_yaml
from .sweep import Sweep, is_sweep_document, load_sweep



# ----------------------------------------------------------------------------- items


@dataclass(frozen=True)
class BatchItem:
    """One scenario to solve: the merged document (validated in the worker) and its inputs."""

    label: str
    doc: dict | None            # merged scenario document; None when the file could not be read
    inputs: dict[str, Any]      # the varied parameters (dotted path -> value)
    source: str
    seed: int | None = None
    error: str = ""             # set when the scenario is unusable before solving
    origin: dict | None = None  # the document of the scenario it derives from (a solve starts at its optimum)

    def key(self, objective: str, solver: str) -> str:
        doc = self.doc if self.doc is not None else {"unreadable": self.source, "error": self.error}
        if self.origin is not None:  # where the solve starts is part of what it gives
            doc = {"scenario": doc, "origin": self.origin}
        return input_hash(doc, objective, solver)


def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)  # 60000 and 60000.0 are the same input
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def input_hash(doc: dict, objective: str, solver: str) -> str:
    """SHA-256 of the merged scenario document + objective + solver.

    Key order does not matter, nor does the scenario's ``id`` (a name, not an input): the
    same settings reached from two sweeps share one hash and are solved once."""
    doc = {k: v for k, v in doc.items() if k != "id"}
    payload = json.dumps({"scenario": _canonical(doc), "objective": objective, "solver": solver},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _origin_doc(s: Scenario) -> dict:
    """The document of the scenario a batch item derived from ``s`` starts from."""
    return (s.origin if s.origin is not None else s).raw


def _sweep_items(sweep: Sweep) -> Iterator[BatchItem]:
    base = sweep.base.raw
    origin = _origin_doc(sweep.base)
    for pt in sweep.points():
        doc = copy.deepcopy(base)  # one copy per point, then the changes in place
        for path, value in pt.changes.items():
            _set_in_place(doc, path, value)
        doc["id"] = pt.label
        yield BatchItem(pt.label, doc, dict(pt.changes), sweep.source, sweep.seed, origin=origin)


def _set_in_place(doc: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        key = _key(part, node)
        if key not in node or not isinstance(node[key], dict):
            node[key] = {}
        node = node[key]
    node[_key(parts[-1], node)] = value


def _file_items(path: Path) -> Iterator[BatchItem]:
    if not path.is_file():
        raise ScenarioNotFoundError([Problem("", str(path), "file not found")], str(path))
    try:
        doc, _ = read_yaml(path)
    except ScenarioError as err:
        yield BatchItem(path.stem, None, {}, str(path), error=_one_line(err))
        return
    if is_sweep_document(doc):
        yield from _sweep_items(load_sweep(path))
        return
    try:
        s = load_scenario(path)
    except ScenarioNotFoundError:
        raise
    except ScenarioError as err:
        yield BatchItem(path.stem, doc, {}, str(path), error=_one_line(err))
        return
    yield BatchItem(s.id, s.raw, {}, str(path), origin=s.origin.raw if s.origin is not None else None)


def iter_items(items: Iterable[Any] | Any) -> Iterator[BatchItem]:
    """Expand scenario files, Scenario objects, sweep files and Sweep objects into batch items.

    A missing file or an invalid sweep raises (bad input); an invalid scenario file becomes an
    item that is reported as an ``error`` row."""
    if isinstance(items, (str, Path, Scenario, Sweep)):
        items = [items]
    for it in items:
        if isinstance(it, Sweep):
            yield from _sweep_items(it)
        elif isinstance(it, Scenario):
            yield BatchItem(it.id, it.raw, {}, it.source, origin=it.origin.raw if it.origin is not None else None)
        elif isinstance(it, (str, Path)):
            yield from _file_items(Path(it))
        elif isinstance(it, BatchItem):
            yield it
        else:
            raise BudgetsimError(f"cannot run {type(it).__name__!r} in a batch; give scenario files, Scenario "
                                 "objects, sweep files or Sweep objects")


def _one_line(err: Exception) -> str:
    if isinstance(err, ScenarioError):
        return "; ".join(str(p) for p in err.problems)
    return str(err).replace("\n", " ")
