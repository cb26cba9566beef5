"""Layer 4 — analyses: questions asked of a solved plan.

Explanations (:mod:`.explain`: budget duals, rule costs, channels at the margin; the elastic
diagnosis of impossible plans in :mod:`.diagnosis`), and uncertainty (:mod:`.uncertainty`:
Monte Carlo simulation, CVaR plans).

May import: results and solving (layer 3), the model, the scenario layer and the base modules.
"""

from .explain import Explanation, explain
from .uncertainty import Simulation, robustness, simulate

__all__ = ["Explanation", "Simulation", "explain", "robustness", "simulate"]
