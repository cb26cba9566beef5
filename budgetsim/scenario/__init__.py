"""Layer 1 — scenarios: YAML files → validated, immutable :class:`Scenario` objects.

Holds the file format and the bounds of every number (:mod:`.schema`), whole-file checks
(:mod:`.validation`), safe reading of untrusted files — size, encoding, YAML depth and aliases
(:mod:`.reading`), loading with ``extends:`` diffs in a sandbox (:mod:`.loading`) and the uncertain parameters a scenario declares
(:mod:`.distributions`).  Knows no solver and no screen.

May import: :mod:`budgetsim.exceptions`, :mod:`budgetsim.fileio`, :mod:`budgetsim.version`.
"""

from .loading import (BUNDLED_DIR, MAX_FILE_BYTES, Scenario, bundled_scenarios, deep_merge, get_path,
                      load_scenario, load_scenario_text, parse_yaml, scenario_from_dict, set_path)
from .reading import TextFile, decode, read_text, read_yaml

__all__ = ["BUNDLED_DIR", "MAX_FILE_BYTES", "Scenario", "bundled_scenarios", "deep_merge", "get_path",
           "load_scenario", "load_scenario_text", "parse_yaml", "scenario_from_dict", "set_path",
           "TextFile", "decode", "read_text", "read_yaml"]
