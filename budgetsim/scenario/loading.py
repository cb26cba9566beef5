"""Scenarios: YAML files → validated, immutable :class:`Scenario` objects.

A scenario is either a full file or a sparse diff on another one (``extends: baseline``);
loading resolves the chain, deep-merges the diffs (mappings merge key by key, lists and
numbers replace), then validates the merged document and reports every problem at once.
This layer knows no solver.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..exceptions import MISSING, Problem, ScenarioError, ScenarioNotFoundError
from .schema import Mode, ScenarioSpec
from .reading import MAX_FILE_BYTES, parse_yaml, read_yaml
from .validation import semantic_problems, structural_problems

__all__ = ["BUNDLED_DIR", "MAX_FILE_BYTES", "Scenario", "bundled_scenarios", "deep_merge", "get_path",
           "is_scenario_name", "load_scenario", "load_scenario_text", "parse_yaml", "scenario_from_dict", "set_path"]

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"


# ----------------------------------------------------------------------------- merging


def deep_merge(base: dict, diff: dict) -> dict:
    """A new dict: ``base`` with ``diff`` applied.

    Mappings merge key by key; lists, numbers and strings replace.  A mapping that names
    a ``curve`` replaces the base curve whole, so no parameter of the old shape lingers."""
    out = copy.deepcopy(base)
    for key, value in diff.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "curve" not in value:
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def set_path(doc: dict, path: str, value: Any) -> dict:
    """A copy of ``doc`` with the dotted ``path`` set to ``value``.

    Numeric parts index lists (``rules.lumpy_funding.projects.0.unit_wan``) or match
    integer keys (``budget.per_year_wan.2027``); missing mappings are created."""
    out = copy.deepcopy(doc)
    parts = path.split(".")
    node: Any = out
    for part in parts[:-1]:
        key = _key(part, node)
        if isinstance(node, list):
            node = node[key]
            continue
        if key not in node or not isinstance(node[key], (dict, list)):
            node[key] = {}
        node = node[key]
    node[_key(parts[-1], node)] = value
    return out


def get_path(doc: dict, path: str, default: Any = MISSING) -> Any:
    node: Any = doc
    for part in path.split("."):
        key = _key(part, node)
        if isinstance(node, list):
            if not isinstance(key, int) or not -len(node) <= key < len(node):
                return default
        elif not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _key(part: str, node: Any) -> Any:
    if isinstance(node, list):
        if not part.lstrip("-").isdigit():
            raise KeyError(f"'{part}' is not a list index")
        return int(part)
    if part not in node and part.lstrip("-").isdigit() and int(part) in node:
        return int(part)
    if part not in node and part.isdigit() and node and all(isinstance(k, int) for k in node):
        return int(part)
    return part


# ----------------------------------------------------------------------------- loading
#
# `extends:` stays inside a sandbox.  It names a scenario, never a path: a bundled scenario,
# or (from the command line and the API) a file in the extending file's own folder, or (in
# the app) a file uploaded earlier in the same session.  Anything else is refused before any
# file is opened, so nothing of another file can show up in a message.


def is_scenario_name(name: str) -> bool:
    """A bare file name: no folder part, not '.'/'..', not absolute, no drive, no NUL."""
    return (bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name
            and "\x00" not in name and ":" not in name and Path(name).name == name and len(name) <= 200)


def _extends_name(doc: dict, source: str, where: str | None) -> str | None:
    """The checked ``extends`` value of ``doc`` (None when it has none)."""
    if "extends" not in doc or doc["extends"] is None:
        return None
    parent = doc["extends"]
    if not isinstance(parent, str):
        raise ScenarioError([Problem("extends", parent, "must be the name of a scenario")], source)
    if not is_scenario_name(parent):
        raise ScenarioError([Problem("extends", parent, f"must be a scenario name, not a path: a bundled "
                                     f"scenario ({', '.join(_bundled_names()[:8])}, …)"
                                     + (f" or {where}" if where else ""))], source)
    return parent


def _bundled_names() -> list[str]:
    return [p.stem for p in bundled_scenarios()]


def _in_folder(name: str, folder: Path) -> Path | None:
    """``name`` (with or without .yaml/.yml) as a regular file directly inside ``folder``."""
    try:
        real = folder.resolve()
        for cand in (folder / name, folder / f"{name}.yaml", folder / f"{name}.yml"):
            if cand.is_file() and cand.resolve().parent == real:
                return cand
    except OSError:
        return None
    return None


def _resolve_extends(name: str, here: Path) -> Path | None:
    """The file a plain ``extends`` name means: in ``here`` (the extending file's folder), else bundled."""
    if not is_scenario_name(name):
        return None
    return _in_folder(name, here) or _in_folder(name, BUNDLED_DIR)


def _read_chain(path: Path, seen: tuple[Path, ...] = (), notices: list[str] | None = None
                ) -> tuple[dict, dict, Path | None, Path]:
    """(merged document, this file's own document, the path of the base it extends, the file the
    chain ends on: the one that extends nothing)."""
    source = str(path)
    doc, tf = read_yaml(path, source, what="scenario file")
    if tf.notice and notices is not None:
        notices.append(tf.notice)
    parent = _extends_name(doc, source, "a file in the same folder as this one")
    if parent is None:
        return doc, doc, None, path
    base_path = _resolve_extends(parent, path.parent)
    if base_path is None:
        known = sorted(set(_bundled_names()) |
                       {p.stem for p in path.parent.glob("*.y*ml") if p != path})[:12]
        raise ScenarioNotFoundError(
            [Problem("extends", parent, f"unknown base scenario: no file '{parent}.yaml' next to this one; "
                     f"known: {known}")], source)
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ScenarioError([Problem("extends", parent, "extends chain loops back on itself")], source)
    base_doc, _, _, root = _read_chain(base_path, seen + (path.resolve(),), notices)
    own = {k: v for k, v in doc.items() if k != "extends"}
    merged = deep_merge(base_doc, own)
    merged["extends"] = parent
    return merged, doc, base_path, root


@functools.lru_cache(maxsize=32)
def _root_file(resolved: str, mtime_ns: int, size: int) -> "Scenario":
    return load_scenario(resolved)


def _root_scenario(path: Path) -> "Scenario":
    """The scenario of a file that extends nothing (read once while the file stays the same): the
    origin of every scenario whose chain ends on it."""
    st = path.stat()
    return _root_file(str(path.resolve()), st.st_mtime_ns, st.st_size)


def load_scenario(path: str | Path) -> "Scenario":
    """Load, merge (``extends``) and validate a scenario file.

    ``extends`` may name a bundled scenario or a file in this file's own folder.  Raises
    :class:`ScenarioNotFoundError` for a missing file or base, and :class:`ScenarioError`
    listing every problem otherwise.  A file read in another encoding than UTF-8 carries a
    notice (``Scenario.notices``)."""
    path = Path(path)
    notices: list[str] = []
    merged, own, base_path, root = _read_chain(path, notices=notices)
    merged.setdefault("id", path.stem)
    if own.get("id") is None:
        merged["id"] = path.stem
    origin = _root_scenario(root) if base_path is not None else None
    return scenario_from_dict(merged, source=str(path), own=own, base_path=base_path, notices=tuple(notices),
                              origin=origin)


def load_scenario_text(text: str, name: str = "uploaded", base_dir: str | Path | None = None,
                       uploads: Mapping[str, str] | None = None) -> "Scenario":
    """Load a scenario from YAML text (an upload or a paste).

    ``extends`` may name a bundled scenario, a file directly in ``base_dir`` (when given), or
    one of ``uploads`` (the session's own earlier uploads: name → YAML text); never a path."""
    where = ("a file uploaded earlier in this session" if uploads is not None
             else f"a file in {base_dir}" if base_dir else None)
    uploads = {Path(k).stem: v for k, v in (uploads or {}).items()}
    doc = parse_yaml(text, name)
    merged, base_path, chain, origin = doc, None, [name], None
    parent = _extends_name(doc, name, where)
    if parent is not None:
        base_doc, base_path, root = _text_base(parent, name, Path(base_dir) if base_dir else None, uploads,
                                               where, chain)
        merged = deep_merge(base_doc, {k: v for k, v in doc.items() if k != "extends"})
        merged["extends"] = parent
        origin = _root_scenario(root) if isinstance(root, Path) else load_scenario_text(uploads[root], root)
    merged.setdefault("id", name)
    return scenario_from_dict(merged, source=name, own=doc, base_path=base_path, origin=origin)


def _text_base(parent: str, source: str, base_dir: Path | None, uploads: dict[str, str], where: str | None,
               chain: list[str]) -> tuple[dict, Path | None, Path | str]:
    """The merged document ``parent`` names for a text scenario, its file when it is one, and where
    the chain ends (a file, or the name of an upload)."""
    stem = Path(parent).stem if parent.endswith((".yaml", ".yml")) else parent
    if stem in uploads:
        if stem in chain:
            raise ScenarioError([Problem("extends", parent, "extends chain loops back on itself")], source)
        doc = parse_yaml(uploads[stem], stem)
        grand = _extends_name(doc, stem, where)
        if grand is None:
            return doc, None, stem
        base_doc, base_path, root = _text_base(grand, stem, base_dir, uploads, where, chain + [stem])
        merged = deep_merge(base_doc, {k: v for k, v in doc.items() if k != "extends"})
        merged["extends"] = grand
        return merged, base_path, root
    path = (_in_folder(parent, base_dir) if base_dir else None) or _in_folder(parent, BUNDLED_DIR)
    if path is None:
        known = sorted(set(_bundled_names()) | set(uploads) |
                       ({p.stem for p in base_dir.glob("*.y*ml")} if base_dir else set()))[:12]
        raise ScenarioNotFoundError([Problem("extends", parent, f"unknown base scenario; known: {known}")], source)
    base_doc, _, _, root = _read_chain(path)
    return base_doc, path, root


def scenario_from_dict(doc: dict, source: str = "<dict>", own: dict | None = None,
                       base_path: Path | None = None, notices: tuple[str, ...] = (),
                       origin: "Scenario | None" = None) -> "Scenario":
    try:
        spec = ScenarioSpec.model_validate(doc)
    except ValidationError as err:
        raise ScenarioError(structural_problems(err), source) from None
    problems = semantic_problems(spec)
    if problems:
        raise ScenarioError(problems, source)
    return Scenario(spec=spec, raw=copy.deepcopy(doc), source=source,
                    own=copy.deepcopy(own if own is not None else doc), base_path=base_path, notices=notices,
                    origin=origin)


def bundled_scenarios() -> list[Path]:
    """The scenario files shipped in ``scenarios/`` (baseline first)."""
    files = sorted(BUNDLED_DIR.glob("*.yaml"))
    return sorted(files, key=lambda p: (p.stem != "baseline", p.stem))


# ----------------------------------------------------------------------------- the object


def content_digest(doc) -> bytes:
    """A digest of a document or part of one, as written (the same content in another key order gets
    another digest: a cache keyed by it only misses).  Pickle: ten times faster than canonical JSON."""
    return hashlib.sha1(pickle.dumps(doc, protocol=5)).digest()


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario.  Immutable: changes make a new one (:meth:`with_changes`)."""

    spec: ScenarioSpec
    raw: dict = field(repr=False)
    source: str = "<dict>"
    own: dict = field(default_factory=dict, repr=False)
    base_path: Path | None = None
    notices: tuple[str, ...] = ()  # e.g. "read as GB18030 (GBK), not UTF-8": shown once, where it was loaded
    # the scenario this one was derived from by :meth:`with_changes` (the first one of a chain, so
    # never a chain itself): a solve starts from its optimum (see budgetsim.model.builder.optimise)
    origin: "Scenario | None" = field(default=None, repr=False)

    # --- identity
    @property
    def id(self) -> str:
        return self.spec.id

    def title(self, lang: str = "zh") -> str:
        return getattr(self.spec.title, lang)

    @cached_property
    def fingerprint(self) -> bytes:
        """A digest of the scenario's document, for caches keyed by content (:func:`content_digest`)."""
        return content_digest(self.raw)

    # --- changes
    def with_changes(self, changes: dict[str, Any] | None = None, *, diff: dict | None = None,
                     new_id: str | None = None) -> "Scenario":
        """A new scenario with dotted-path ``changes`` and/or a nested ``diff`` applied."""
        doc = copy.deepcopy(self.raw)
        own = copy.deepcopy(self.own)
        if diff:
            doc = deep_merge(doc, diff)
            own = deep_merge(own, diff)
        for path, value in (changes or {}).items():
            try:
                doc = set_path(doc, path, value)
                own = set_path(own, path, value)
            except (KeyError, IndexError, TypeError) as exc:
                raise ScenarioError([Problem(path, value, f"no such place in the scenario ({exc})")],
                                    self.source) from None
        if new_id:
            doc["id"] = new_id
            own["id"] = new_id
        return scenario_from_dict(doc, source=self.source, own=own, base_path=self.base_path,
                                  origin=self.origin if self.origin is not None else self)

    # --- index sets
    @cached_property
    def years(self) -> list[int]:
        return list(self.spec.plan.years)

    @cached_property
    def categories(self) -> list[str]:
        return list(self.spec.categories)

    @cached_property
    def modes(self) -> list[str]:
        return list(self.spec.modes)

    @cached_property
    def indicators(self) -> list[str]:
        return list(self.spec.indicators)

    @cached_property
    def channels(self) -> list[tuple[str, str]]:
        """Eligible (category, mode) pairs in file order: the decision's columns."""
        return [(c, m) for c in self.categories for m in self.spec.eligibility[c]]

    def mode(self, mode_id: str) -> Mode:
        return self.spec.modes[mode_id]

    # --- money
    @cached_property
    def budget_wan(self) -> np.ndarray:
        """The yearly budget envelope in 万元."""
        b = self.spec.budget
        if b.per_year_wan is not None:
            return np.array([b.per_year_wan[y] for y in self.years], dtype=float)
        return np.array([b.base_amount_wan * (1 + b.growth_rate) ** (y - b.base_year) for y in self.years])

    @cached_property
    def discount(self) -> np.ndarray:
        r = self.spec.plan.discount_rate
        return np.array([(1 + r) ** -(i) for i in range(len(self.years))])

    def per_year(self, value: float | dict[int, float]) -> np.ndarray:
        """A rule value given as one number or per year, as an array over the plan years.

        Years missing from a per-year mapping are unconstrained (``nan``)."""
        if isinstance(value, dict):
            return np.array([float(value.get(y, np.nan)) for y in self.years])
        return np.full(len(self.years), float(value))

    # --- rules
    def rule(self, rule_id: str):
        """The rule's settings when it is present and enabled, else ``None``."""
        rule = getattr(self.spec.rules, rule_id, None)
        return rule if rule is not None and rule.enabled else None

    @cached_property
    def targets(self) -> dict[str, float]:
        """Plan-total indicator targets of the enabled ``indicator_targets`` rule (else empty)."""
        rule = self.rule("indicator_targets")
        return dict(rule.targets) if rule is not None else {}

    @cached_property
    def enabled_rules(self) -> list[str]:
        return [rid for rid in type(self.spec.rules).model_fields if self.rule(rid) is not None]

    # --- status quo
    @cached_property
    def status_quo_shares(self) -> np.ndarray:
        """Shares of the on-budget envelope per channel (0 for channels not in the split)."""
        split = self.spec.status_quo.split
        return np.array([split.get(c, {}).get(m, 0.0) for c, m in self.channels])

    @cached_property
    def status_quo_allocation(self) -> np.ndarray:
        """The current split carried over the plan: channels × years, in 万元.

        On-budget channels get today's shares of each year's envelope; off-budget channels
        (tax incentives) keep today's amount."""
        x = np.outer(self.status_quo_shares, self.budget_wan)
        off = self.spec.status_quo.off_budget_wan
        for j, (c, m) in enumerate(self.channels):
            if not self.mode(m).on_budget:
                x[j, :] = off.get(c, {}).get(m, 0.0)
        return x
