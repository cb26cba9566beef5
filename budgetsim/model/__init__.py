"""Layer 2 — the model: a validated scenario → a linear (or mixed-integer) program → a solution.

Holds the response curves (:mod:`.curves`), support-mode money flows (:mod:`.mechanics`),
performance on the true curves (:mod:`.evaluate`), the policy-rule registry (:mod:`.rules`),
the builder and refinement loop (:mod:`.builder`), the matrix LP and its solvers (:mod:`.lp`)
and the live HiGHS sessions re-solved warm (:mod:`.compiled`).  Knows no screen, no file format.

May import: the scenario layer and the base modules (exceptions, fileio, version).
"""

from .builder import OBJECTIVES, SOLVERS, ModelBuilder, RiskSpec, RowMeta, SolveRun, optimise
from .rules import RULES, rule_label

__all__ = ["OBJECTIVES", "RULES", "SOLVERS", "ModelBuilder", "RiskSpec", "RowMeta", "SolveRun", "optimise",
           "rule_label"]
