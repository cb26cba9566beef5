"""Layer 7 — the scenario library: saved scenarios that outlive a page, a session and a server.

Pins and drafts with their name, notes, author, time, question, YAML diff and headline figures, in
one embedded SQLite file (:mod:`.store`: where it lives, schema versions and migrations, safe
concurrent saves, refusing damaged files), and zip archives of YAML diffs plus an index to pass
them on (:mod:`.archive`).  No Streamlit here; the workbench and ``budgetsim library`` use it.

May import: every layer below (present, runs, analyses, results, model, scenario, base modules).
"""

from .archive import ImportReport, archive_bytes, export_library, import_archive, read_archive
from .store import (ENV_VAR, GIVEN, KINDS, SCHEMA_VERSION, Entry, Library, default_dir, headline, library_path,
                    plan_array, plan_doc)

__all__ = ["ENV_VAR", "GIVEN", "KINDS", "SCHEMA_VERSION", "Entry", "ImportReport", "Library", "archive_bytes",
           "default_dir", "export_library", "headline", "import_archive", "library_path", "plan_array", "plan_doc",
           "read_archive"]
