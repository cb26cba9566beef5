"""Layer 5 — batches: many scenarios at once.

Sweep files expanded into scenario points (:mod:`.sweep`), parallel journaled batches
(:mod:`.batch`, with :mod:`.items`, :mod:`.executors`, :mod:`.journal` and :mod:`.tables`),
and frontiers along one parameter (:mod:`.frontier`).

May import: analyses, results and solving, the model, the scenario layer and the base modules.
"""

from .batch import BatchSummary, run_batch, run_batch_to_file
from .frontier import frontier
from .sweep import Sweep, load_sweep

__all__ = ["BatchSummary", "Sweep", "frontier", "load_sweep", "run_batch", "run_batch_to_file"]
