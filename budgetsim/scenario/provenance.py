"""Where a scenario's figures come from: each input block's ``source``, and which are illustrative.

Every block of a scenario file that holds figures (``plan``, ``budget``, each dimension,
indicator, category and its response curves, each mode and its pool / fund / post-subsidy
terms, ``status_quo``, ``uncertainty`` and each uncertain parameter) carries a ``source``:
an id under ``references:`` or ``illustrative`` (the default, an assumption for a bureau to
replace).  :func:`input_sources` lists them as ``(path, source)``; :func:`illustrative_inputs`
and :func:`source_counts` say which and how many are illustrative.  Workbooks, briefs and
results share these so that every output names the same assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

ILLUSTRATIVE = "illustrative"


@dataclass(frozen=True)
class InputSource:
    """One input block: its dotted path in the scenario file and where its figures come from."""

    path: str
    source: str

    @property
    def illustrative(self) -> bool:
        return self.source == ILLUSTRATIVE


def _walk(node, path: str, out: list[InputSource]) -> None:
    if isinstance(node, BaseModel):
        if "source" in type(node).model_fields:
            out.append(InputSource(path, str(node.source)))
        for name in type(node).model_fields:
            if name in ("source", "rules", "references", "title", "description"):
                continue  # rules carry a policy reference, not input figures
            _walk(getattr(node, name), f"{path}.{name}" if path else name, out)
    elif isinstance(node, dict):
        for k, v in node.items():
            _walk(v, f"{path}.{k}", out)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            _walk(v, f"{path}.{i}", out)


def input_sources(scenario) -> list[InputSource]:
    """Every input block of ``scenario`` with its source, in file order."""
    out: list[InputSource] = []
    _walk(scenario.spec, "", out)
    return out


def illustrative_inputs(scenario) -> list[str]:
    """Dotted paths of the input blocks whose figures are illustrative assumptions."""
    return [i.path for i in input_sources(scenario) if i.illustrative]


def source_counts(scenario) -> dict[str, int]:
    """``{"sourced": n, "illustrative": m, "total": n + m}`` over the scenario's input blocks."""
    items = input_sources(scenario)
    ill = sum(i.illustrative for i in items)
    return {"sourced": len(items) - ill, "illustrative": ill, "total": len(items)}


def inputs_summary(scenario) -> dict:
    """What every result carries: the counts and the illustrative inputs' paths."""
    return {**source_counts(scenario), "illustrative_paths": illustrative_inputs(scenario)}


def inputs_sentence(scenario, lang: str = "zh") -> str:
    """One line for a report, a caption or a tile: how many inputs are sourced, how many illustrative."""
    n = source_counts(scenario)
    if lang == "zh":
        return f"输入数据：{n['sourced']} 项有出处，{n['illustrative']} 项为示例假设（请以本地数据替换）"
    return f"Inputs: {n['sourced']} sourced, {n['illustrative']} illustrative (to be replaced with local figures)"
