"""Provenance: which inputs of a scenario come from a source and which are illustrative.

An *input* is every block of the file that carries a ``source`` (the plan, the budget, each
dimension, indicator, response curve, mode and its terms, channel capacity, the status quo, the
risk price, each uncertain parameter) and every enabled rule (sourced when it names a
``reference``).  ``source: illustrative`` — the default when a block names none — marks an
assumption a bureau should replace with its own figures; any other source is an id under
``references:``.  Every result says how many of each it rests on, and lists the illustrative
ones on request (``budgetsim inputs SCENARIO``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from .loading import Scenario

ILLUSTRATIVE = "illustrative"


@dataclass(frozen=True)
class Provenance:
    """The sourced and the illustrative inputs of a scenario, as dotted paths with their source."""

    sourced: tuple[tuple[str, str], ...]
    illustrative: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        return {"sourced": len(self.sourced), "illustrative": len(self.illustrative)}

    def to_dict(self) -> dict:
        return {**self.counts(), "illustrative_paths": list(self.illustrative),
                "sourced_paths": [{"path": p, "source": src} for p, src in self.sourced]}

    def sentence(self, lang: str = "zh") -> str:
        n, m = len(self.sourced), len(self.illustrative)
        if lang == "zh":
            return f"输入数据：{n} 项有出处，{m} 项为示例假设（请以本地数据替换）"
        return f"Inputs: {n} sourced, {m} illustrative (to be replaced with local figures)"


def _walk(obj: object, path: str, sourced: list, illustrative: list) -> None:
    if isinstance(obj, BaseModel):
        fields = type(obj).model_fields
        if "source" in fields and path:
            src = getattr(obj, "source")
            (illustrative.append(path) if src == ILLUSTRATIVE else sourced.append((path, src)))
        for name in fields:
            if name != "source":
                _walk(getattr(obj, name), f"{path}.{name}" if path else name, sourced, illustrative)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}.{k}", sourced, illustrative)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _walk(v, f"{path}.{i}", sourced, illustrative)


def provenance(s: Scenario) -> Provenance:
    """Every input of ``s`` with its source (rules: the enabled ones, by their reference)."""
    sourced: list[tuple[str, str]] = []
    illustrative: list[str] = []
    spec = s.spec
    for name in type(spec).model_fields:
        if name in ("rules", "references"):
            continue
        _walk(getattr(spec, name), name, sourced, illustrative)
    for rid in s.enabled_rules:
        ref = getattr(s.rule(rid), "reference", None)
        (sourced.append((f"rules.{rid}", ref)) if ref else illustrative.append(f"rules.{rid}"))
    return Provenance(tuple(sourced), tuple(illustrative))
