"""The package's error hierarchy.

Every error a user can cause is a :class:`BudgetsimError`.  Scenario problems carry
structured :class:`Problem` records (path, value, reason) so the CLI, the app and
scripts can show every problem of a file at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class BudgetsimError(Exception):
    """Base class of every error raised on purpose by budgetsim."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what was found, what is allowed."""

    path: str
    value: Any
    reason: str

    def __str__(self) -> str:
        shown = _short(self.value)
        where = self.path or "(file)"
        if shown is None:
            return f"{where}: {self.reason}"
        return f"{where}: {self.reason} (got {shown})"


def _short(value: Any) -> str | None:
    if value is _MISSING:
        return None
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - never shown
        return "<missing>"


_MISSING = _Missing()
MISSING: Any = _MISSING


class ScenarioError(BudgetsimError):
    """A scenario file cannot be used; ``problems`` lists every reason at once."""

    noun = "scenario"

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} in {self.noun}"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ScenarioNotFoundError(ScenarioError):
    """The scenario file (or the scenario named in ``extends``) does not exist."""


class SweepError(ScenarioError):
    """A sweep file cannot be used."""

    noun = "sweep"


class SolverError(BudgetsimError):
    """The solver failed for a reason other than infeasibility (e.g. time limit)."""


class LibraryError(BudgetsimError):
    """The scenario library cannot be used: a corrupt or foreign database file, a newer schema,
    a hostile or broken archive, a missing entry.  The message names the file and what to do."""
