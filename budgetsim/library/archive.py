"""Library archives: saved scenarios as a zip of YAML diffs plus an index, to hand to a colleague.

Layout of an archive (:func:`export_library`)::

    index.json                 {"format": "budgetsim-library", "format_version": 1, "exported_at", "budgetsim",
                                "entries": [{"file", "name", "kind", "notes", "author", "created_at",
                                             "updated_at", "objective", "base", "headline"}, ...]}
    scenarios/001_方案_1.yaml   each entry's YAML diff, as `budgetsim solve` reads it

The archive is written atomically.  :func:`import_archive` reads it without extracting anything to
disk and refuses, before importing anything, an archive that is not a zip, has members whose paths
climb out (``../``, absolute paths, drive letters), members or a total larger than the limits, too
many members, or an index that does not match its files; every scenario must load.  The import is
one transaction: all entries or none.  An entry identical to one already saved (same kind, name —
or the name with an import's ' (2)' —, question and YAML) is skipped; a different entry with a taken name gets ' (2)', ' (3)' ….
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ..exceptions import BudgetsimError, LibraryError
from ..fileio import atomic_write
from ..present.compare import slug
from ..version import __version__
from .store import KINDS, MAX_YAML, Entry, Library, plan_array

FORMAT = "budgetsim-library"
FORMAT_VERSION = 1
INDEX = "index.json"
MAX_MEMBERS = 2_000
MAX_INDEX_BYTES = 5_000_000
MAX_TOTAL_BYTES = 200_000_000
MAX_ARCHIVE_BYTES = 100_000_000
_ENTRY_KEYS = {"file", "name", "kind", "notes", "author", "created_at", "updated_at", "objective", "base",
               "headline", "saved_by", "plan"}


def export_library(library: Library, out: str | Path, entries: list[Entry] | None = None) -> Path:
    """Write ``entries`` (default: every entry) as a zip archive at ``out``, atomically."""
    entries = library.entries() if entries is None else entries
    data = archive_bytes(entries)
    return atomic_write(out, lambda tmp: Path(tmp).write_bytes(data))


def archive_bytes(entries: list[Entry]) -> bytes:
    """The archive of ``entries`` as bytes (the app's download uses this too)."""
    buf = io.BytesIO()
    index = []
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i, e in enumerate(entries, 1):
            name = f"scenarios/{i:03d}_{slug(e.name)[:60]}.yaml"
            z.writestr(name, e.diff_yaml)
            index.append({"file": name} | {k: v for k, v in e.to_dict().items() if k != "id"})
        z.writestr(INDEX, json.dumps({
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "budgetsim": __version__, "entries": index}, ensure_ascii=False, indent=1))
    return buf.getvalue()


@dataclass
class ImportReport:
    """What an import did: entries added (with the names they got), skipped as already saved, renamed."""

    added: list[Entry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # name in the archive → name given


def _safe_member(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts and not PurePosixPath(name).is_absolute()


def read_archive(source: str | Path | bytes) -> list[dict[str, Any]]:
    """The archive's entries (index fields plus ``diff_yaml``), checked; :class:`LibraryError` lists
    every problem of the archive at once."""
    where = "archive" if isinstance(source, (bytes, bytearray)) else str(source)
    if not isinstance(source, (bytes, bytearray)):
        p = Path(source)
        if not p.is_file():
            raise LibraryError(f"{where}: no such file")
        if p.stat().st_size > MAX_ARCHIVE_BYTES:
            raise LibraryError(f"{where}: refused: larger than {MAX_ARCHIVE_BYTES // 1_000_000} MB")
    elif len(source) > MAX_ARCHIVE_BYTES:
        raise LibraryError(f"{where}: refused: larger than {MAX_ARCHIVE_BYTES // 1_000_000} MB")
    try:
        z = zipfile.ZipFile(io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray)) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LibraryError(f"{where}: not a zip archive ({exc})") from exc
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise LibraryError(f"{where}: refused: {len(infos):,} members, at most {MAX_MEMBERS:,}")
        bad = [i.filename for i in infos if not _safe_member(i.filename)]
        if bad:
            raise LibraryError(f"{where}: refused: member paths that climb out of the archive or are absolute: "
                               f"{bad[:5]}")
        big = [i.filename for i in infos if i.file_size > (MAX_INDEX_BYTES if i.filename == INDEX else MAX_YAML)]
        if big:
            raise LibraryError(f"{where}: refused: members larger than the limit ({MAX_YAML // 1000} kB per "
                               f"scenario): {big[:5]}")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise LibraryError(f"{where}: refused: more than {MAX_TOTAL_BYTES // 1_000_000} MB unpacked")
        members = {i.filename: i for i in infos}
        if INDEX not in members:
            raise LibraryError(f"{where}: not a budgetsim library archive (no {INDEX})")

        def read(name: str, limit: int) -> bytes:
            with z.open(members[name]) as f:  # never trust the declared size: read at most limit + 1
                data = f.read(limit + 1)
            if len(data) > limit:
                raise LibraryError(f"{where}: refused: {name} unpacks to more than {limit // 1000} kB")
            return data

        try:
            index = json.loads(read(INDEX, MAX_INDEX_BYTES).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise LibraryError(f"{where}: {INDEX} is not valid JSON ({exc})") from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise LibraryError(f"{where}: {INDEX} cannot be read ({exc})") from exc
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise LibraryError(f"{where}: {INDEX} is not a budgetsim library index (format {FORMAT!r} expected)")
        if index.get("format_version") != FORMAT_VERSION:
            raise LibraryError(f"{where}: archive format version {index.get('format_version')!r}; this budgetsim "
                               f"reads version {FORMAT_VERSION}")
        rows = index.get("entries")
        if not isinstance(rows, list):
            raise LibraryError(f"{where}: {INDEX}: 'entries' must be a list")
        problems: list[str] = []
        out: list[dict[str, Any]] = []
        for n, row in enumerate(rows):
            at = f"entries[{n}]"
            if not isinstance(row, dict):
                problems.append(f"{at}: must be a mapping")
                continue
            extra = set(row) - _ENTRY_KEYS
            if extra:
                problems.append(f"{at}: unexpected keys {sorted(extra)}; allowed: {sorted(_ENTRY_KEYS)}")
            if not isinstance(row.get("name"), str) or not row["name"].strip():
                problems.append(f"{at}.name: a saved scenario needs a name")
            if row.get("kind", "pin") not in KINDS:
                problems.append(f"{at}.kind: {row.get('kind')!r} is not allowed; allowed: {list(KINDS)}")
            if not isinstance(row.get("headline", {}), dict):
                problems.append(f"{at}.headline: must be a mapping")
            file = row.get("file")
            if not isinstance(file, str) or file not in members or file == INDEX:
                problems.append(f"{at}.file: {file!r} is not a scenario file of this archive")
                continue
            try:
                text = read(file, MAX_YAML).decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{file}: not UTF-8 text")
                continue
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                problems.append(f"{file}: cannot be read ({exc})")
                continue
            try:
                from ..scenario.loading import load_scenario_text
                scen = load_scenario_text(text, file)
                if row.get("plan") is not None:
                    plan_array(row["plan"], scen, f"{at}.plan")
            except BudgetsimError as exc:
                problems.append(f"{file}: {exc}" if not str(exc).startswith(at) else str(exc))
                continue
            out.append({k: row[k] for k in row if k in _ENTRY_KEYS - {"file"}} | {"diff_yaml": text})
        if problems:
            raise LibraryError(f"{where}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was "
                               f"imported:\n" + "\n".join(f"  - {p}" for p in problems))
        return out


def import_archive(library: Library, source: str | Path | bytes) -> ImportReport:
    """Add an archive's entries to ``library`` (all or none; see the module docstring)."""
    rows = read_archive(source)
    report = ImportReport()
    existing = library.entries()
    same = {(e.kind, re.sub(r" \(\d+\)$", "", e.name), e.objective, e.diff_yaml) for e in existing}
    taken = {(e.kind, e.name) for e in existing}
    todo = []
    for r in rows:
        kind, name = r.get("kind", "pin"), " ".join(str(r["name"]).split())
        if (kind, name, r.get("objective", "max-performance"), r["diff_yaml"]) in same:
            report.skipped.append(name)
            continue
        new, n = name, 1
        while (kind, new) in taken:
            n += 1
            new = f"{name} ({n})"
        taken.add((kind, new))
        if new != name:
            report.renamed[name] = new
        todo.append(r | {"name": new, "kind": kind})
    report.added = library.add_many(todo)
    return report
