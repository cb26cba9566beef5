"""The package's error hierarchy.

Every error a user can cause is a :class:`BudgetsimError`.  Scenario problems carry
structured :class:`Problem` records (path, value, reason) so the CLI, the app and
scripts can show every problem of a file at once.
"""

from __future__ import annotations

import reprlib
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


SHOWN_CHARS = 80  # a value in a message is cut to this many characters
SHOWN_PROBLEMS = 50  # a message lists this many problems; ``.problems`` keeps them all


class _CutRepr(reprlib.Repr):
    """``repr`` that looks at no more of a value than it shows: strings, lists and mappings are
    cut *before* they are rendered, so a huge or alias-expanded value costs nothing to show."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 3, 4, 6, 6
        self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxstring = self.maxother = self.maxlong = SHOWN_CHARS

    def repr_int(self, x, level):
        if x.bit_length() > 200:  # 60+ digits: never convert the whole number to text
            return f"<a number of about {int(x.bit_length() * 0.30103):,} digits>"
        return super().repr_int(x, level)

    def repr_dict(self, x, level):  # file order, not sorted: no full pass over a huge mapping
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = []
        for k, (key, value) in enumerate(x.items()):
            if k >= self.maxdict:
                items.append("...")
                break
            items.append(f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}")
        return "{" + ", ".join(items) + "}"


_CUT = _CutRepr()


def short_repr(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A value as shown in messages: at most ``limit`` characters, cut before rendering."""
    try:
        text = _CUT.repr(value)
    except Exception:  # noqa: BLE001 - a value we cannot show is named by its type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any) -> str | None:
    if value is _MISSING:
        return None
    return short_repr(value)


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
        lines = [f"{head}{n:,} problem{'s' if n != 1 else ''} in {self.noun}"]
        lines += [f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if n > SHOWN_PROBLEMS:
            lines.append(f"  … and {n - SHOWN_PROBLEMS:,} more (the first {SHOWN_PROBLEMS} are listed)")
        super().__init__("\n".join(lines))


class ScenarioNotFoundError(ScenarioError):
    """The scenario file (or the scenario named in ``extends``) does not exist."""


class SweepError(ScenarioError):
    """A sweep file cannot be used."""

    noun = "sweep"


class SolverError(BudgetsimError):
    """The solver failed for a reason other than infeasibility (e.g. time limit)."""


class TimeLimitError(SolverError):
    """The solver ran out of time before it found a plan (status ``time_limit``)."""


class NonFiniteModelError(SolverError):
    """A model about to be solved holds a NaN or an infinity: refused before the solver sees it."""


class LibraryError(BudgetsimError):
    """The scenario library cannot be used: a corrupt or foreign database file, a newer schema,
    a hostile or broken archive, a missing entry.  The message names the file and what to do."""
