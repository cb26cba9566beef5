"""The scenario library's store: saved scenarios in one embedded SQLite file that outlives the app.

An :class:`Entry` is one saved scenario — a pin (in the comparison) or a draft (work to come back
to) — with its name, notes, author (free text), times, the question it was solved for, its YAML
diff against the bundled scenario it extends, and the headline figures of its plan at the time.
A user's own allocation (a draft plan scored as given, question ``given``) also keeps the plan:
万元 per category × mode × year.

Where the file lives (:func:`library_path`): the ``path`` given, else ``$BUDGETSIM_LIBRARY``, else
``library.sqlite3`` in the user's data directory (``$XDG_DATA_HOME/budgetsim`` or
``~/.local/share/budgetsim`` on Linux, ``~/Library/Application Support/budgetsim`` on macOS,
``%APPDATA%\\budgetsim`` on Windows) — never inside the package.

Safety:

* Several processes (app sessions, the CLI) may save at once: the file is in WAL mode, every write
  is one ``BEGIN IMMEDIATE`` transaction and waits up to :data:`BUSY_TIMEOUT_S` for the lock.
* A file that is not a budgetsim library (not SQLite, damaged, another program's database, a newer
  schema) raises :class:`~budgetsim.exceptions.LibraryError` naming the file and what to do; it is
  opened read-write only after those checks and never recreated or overwritten.
* The schema carries its version (table ``schema_version``); :data:`MIGRATIONS` upgrades older
  files step by step, in one transaction.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..exceptions import LibraryError
from ..model.builder import OBJECTIVES
from ..version import __version__

ENV_VAR = "BUDGETSIM_LIBRARY"
FILE_NAME = "library.sqlite3"
SCHEMA_VERSION = 3
KINDS = ("pin", "draft")
BUSY_TIMEOUT_S = 30.0
MAX_NAME = 200
MAX_NOTES = 10_000
MAX_YAML = 1_000_000  # the scenario file limit (budgetsim.scenario.loading.MAX_FILE_BYTES)
_SQLITE_MAGIC = b"SQLite format 3\x00"
# the headline figures kept with an entry (keys of Result.summary())
GIVEN = "given"  # the question of a user's own plan: scored as given, not solved
QUESTIONS = OBJECTIVES + (GIVEN,)
HEADLINE_KEYS = ("status", "performance", "status_quo_performance", "performance_diff", "budget_allocated_wan",
                 "budget_envelope_wan", "external_wan", "leverage", "targets_met", "targets_total")


def default_dir() -> Path:
    """The user's data directory for budgetsim (not created here)."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming") / "budgetsim"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "budgetsim"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "budgetsim"


def library_path(path: str | Path | None = None) -> Path:
    """The library file: ``path``, else ``$BUDGETSIM_LIBRARY``, else the user's data directory."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else default_dir() / FILE_NAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Entry:
    """One saved scenario.  ``headline`` holds the plan's figures when it was saved (see
    :data:`HEADLINE_KEYS`); ``diff_yaml`` turns back into the scenario (:meth:`scenario`)."""

    id: int
    name: str
    kind: str
    notes: str
    author: str
    created_at: str  # ISO 8601, UTC
    updated_at: str
    objective: str
    base: str | None  # the bundled scenario the diff extends (None: the YAML stands on its own)
    diff_yaml: str
    headline: dict[str, Any] = field(default_factory=dict)
    saved_by: str = ""  # the budgetsim version that saved it
    plan: dict[str, Any] | None = None  # a user's own plan: {"channels": [[cat, mode]...], "years", "amounts_wan"}

    def scenario(self):
        """The saved scenario, loaded from its YAML diff (``extends`` resolves among the bundled files)."""
        from ..scenario.loading import load_scenario_text
        return load_scenario_text(self.diff_yaml, f"library:{self.name}")

    def plan_array(self, scenario=None):
        """The saved plan as a channels × years array (万元) in ``scenario``'s order (default: the saved
        scenario); :class:`LibraryError` when it does not fit that scenario's channels and years."""
        if self.plan is None:
            return None
        s = scenario if scenario is not None else self.scenario()
        return plan_array(self.plan, s, f"{self.name}: plan")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "notes": self.notes, "author": self.author,
                "created_at": self.created_at, "updated_at": self.updated_at, "objective": self.objective,
                "base": self.base, "headline": dict(self.headline), "saved_by": self.saved_by, "plan": self.plan}


# ----------------------------------------------------------------------------- schema and migrations


def _v1(conn: sqlite3.Connection) -> None:
    """The first layout: pinned scenarios with name, notes, time, question, YAML diff, headline."""
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version (version) VALUES (0)")
    conn.execute("""CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        objective TEXT NOT NULL,
        base TEXT,
        diff_yaml TEXT NOT NULL,
        headline TEXT NOT NULL DEFAULT '{}',
        saved_by TEXT NOT NULL DEFAULT '')""")


def _v2(conn: sqlite3.Connection) -> None:
    """Drafts beside pins (``kind``), a free-text author, the time of the last change, and one name per
    kind (older duplicates get ' (2)', ' (3)' … in save order)."""
    conn.execute("ALTER TABLE entries ADD COLUMN kind TEXT NOT NULL DEFAULT 'pin'")
    conn.execute("ALTER TABLE entries ADD COLUMN author TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE entries ADD COLUMN updated_at TEXT")
    conn.execute("UPDATE entries SET updated_at = created_at")
    taken: set[tuple[str, str]] = set()
    for eid, kind, name in conn.execute("SELECT id, kind, name FROM entries ORDER BY id").fetchall():
        new, n = name, 1
        while (kind, new) in taken:
            n += 1
            new = f"{name} ({n})"
        taken.add((kind, new))
        if new != name:
            conn.execute("UPDATE entries SET name = ? WHERE id = ?", (new, eid))
    conn.execute("CREATE UNIQUE INDEX entries_kind_name ON entries (kind, name)")


def _v3(conn: sqlite3.Connection) -> None:
    """A user's own plan kept with its entry (JSON; NULL for a solved scenario)."""
    conn.execute("ALTER TABLE entries ADD COLUMN plan TEXT")


# version reached → the step that reaches it from the version before
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3}
assert max(MIGRATIONS) == SCHEMA_VERSION


# ----------------------------------------------------------------------------- the library


class Library:
    """The scenario library in one SQLite file (see the module docstring for where and how)."""

    def __init__(self, path: str | Path | None = None):
        self.path = library_path(path)
        self._checked = False

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    # ------------------------------------------------------------------ opening
    def _refuse(self, what: str, cause: BaseException | None = None) -> LibraryError:
        err = LibraryError(
            f"{self.path}: {what}. The file was left untouched; move it away (or restore a backup), or point "
            f"${ENV_VAR} / --library at another file.")
        err.__cause__ = cause
        return err

    def _connect(self) -> sqlite3.Connection:
        path = self.path
        exists = path.exists()
        if exists:
            if not path.is_file():
                raise self._refuse("is not a file")
            with open(path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
            if head and head != _SQLITE_MAGIC:  # an empty file is a new library
                raise self._refuse("is not a budgetsim library (not an SQLite database: damaged or another kind "
                                   "of file)")
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create the library's folder {path.parent}: {exc.strerror or exc}") from exc
        mode = "rw" if exists and path.stat().st_size > 0 else "rwc"
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open the library {path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if not self._checked:
                self._check(conn)
            self._migrate(conn)
            self._checked = True
        except LibraryError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._refuse(f"cannot be read as a budgetsim library ({exc})", exc) from exc
        return conn

    def _check(self, conn: sqlite3.Connection) -> None:
        """Refuse a damaged file, another program's database or a newer schema before writing anything."""
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._refuse(f"is damaged or not an SQLite database ({exc})", exc) from exc
        if not ok or ok[0] != "ok":
            raise self._refuse(f"is damaged (SQLite quick_check: {ok[0] if ok else 'no answer'})")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables.discard("sqlite_sequence")
        if tables and "schema_version" not in tables:
            raise self._refuse(f"is another program's SQLite database (tables {sorted(tables)}), not a budgetsim "
                               f"library")
        if tables:
            version = self._version(conn)
            if version > SCHEMA_VERSION:
                raise self._refuse(f"was written by a newer budgetsim (library schema {version}; this version "
                                   f"reads up to {SCHEMA_VERSION}): upgrade budgetsim to use it")
        # WAL lets readers go on while one process writes; the setting is kept in the file.  Switching needs
        # the file to itself, and SQLite does not wait for that: retry while another process holds it
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise LibraryError(f"{self.path}: busy: another process held it for {BUSY_TIMEOUT_S:.0f} s") \
                        from exc
                time.sleep(0.02)

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
        if not has:
            return 0
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if self._version(conn) == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
        try:
            version = self._version(conn)
            if version > SCHEMA_VERSION:
                raise self._refuse(f"was written by a newer budgetsim (library schema {version}; this version "
                                   f"reads up to {SCHEMA_VERSION}): upgrade budgetsim to use it")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](conn)
                conn.execute("UPDATE schema_version SET version = ?", (step,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        conn = self._connect()
        try:
            return self._version(conn)
        finally:
            conn.close()

    # ------------------------------------------------------------------ reading
    _COLUMNS = ("id, name, kind, notes, author, created_at, updated_at, objective, base, diff_yaml, headline, "
                "saved_by, plan")

    @staticmethod
    def _entry(row: tuple) -> Entry:
        eid, name, kind, notes, author, created, updated, objective, base, diff, headline, saved_by, plan = row
        try:
            head = json.loads(headline) if headline else {}
        except ValueError:
            head = {}
        try:
            pl = json.loads(plan) if plan else None
        except ValueError:
            pl = None
        return Entry(int(eid), name, kind, notes, author, created, updated or created, objective, base, diff,
                     head if isinstance(head, dict) else {}, saved_by, pl if isinstance(pl, dict) else None)

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Every entry (or those of one kind), oldest first."""
        if kind is not None:
            _check_kind(kind)
        conn = self._connect()
        try:
            sql = f"SELECT {self._COLUMNS} FROM entries"
            rows = (conn.execute(sql + " WHERE kind = ? ORDER BY created_at, id", (kind,)) if kind
                    else conn.execute(sql + " ORDER BY created_at, id")).fetchall()
        finally:
            conn.close()
        return [self._entry(r) for r in rows]

    def get(self, entry_id: int) -> Entry:
        conn = self._connect()
        try:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM entries WHERE id = ?", (int(entry_id),)).fetchone()
        finally:
            conn.close()
        if row is None:
            raise LibraryError(f"{self.path}: no entry with id {entry_id}")
        return self._entry(row)

    def find(self, ref: str | int) -> Entry:
        """An entry by id, or by its exact name (pins first, then drafts)."""
        text = str(ref).strip()
        if text.isdigit():
            try:
                return self.get(int(text))
            except LibraryError:
                pass
        matches = [e for e in self.entries() if e.name == text]
        if not matches:
            raise LibraryError(f"{self.path}: no entry named or numbered {text!r}; `budgetsim library list` shows them")
        return min(matches, key=lambda e: KINDS.index(e.kind))

    # ------------------------------------------------------------------ writing
    def save(self, name: str, diff_yaml: str, *, objective: str = "max-performance", kind: str = "pin",
             notes: str = "", author: str = "", base: str | None = None,
             headline: dict[str, Any] | None = None, plan: dict[str, Any] | None = None) -> Entry:
        """Save a scenario under ``name``; an entry of the same kind and name is replaced (its id and
        creation time kept).  One transaction: a concurrent save never loses either write."""
        name = _check_name(name)
        _check_kind(kind)
        _check_question(objective, plan)
        notes, author = _check_text("notes", notes, MAX_NOTES), _check_text("author", author, MAX_NAME)
        if not isinstance(diff_yaml, str) or not diff_yaml.strip():
            raise LibraryError("diff_yaml: a saved scenario needs its YAML text")
        if len(diff_yaml.encode("utf-8")) > MAX_YAML:
            raise LibraryError(f"diff_yaml: larger than {MAX_YAML // 1000} kB, the scenario file limit")
        head = json.dumps(_plain(headline or {}), ensure_ascii=False, allow_nan=False)
        pl = json.dumps(plan, ensure_ascii=False, allow_nan=False) if plan is not None else None
        now = _now()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = conn.execute("SELECT id FROM entries WHERE kind = ? AND name = ?", (kind, name)).fetchone()
                if old:
                    conn.execute("UPDATE entries SET notes = ?, author = ?, updated_at = ?, objective = ?, base = ?, "
                                 "diff_yaml = ?, headline = ?, saved_by = ?, plan = ? WHERE id = ?",
                                 (notes, author, now, objective, base, diff_yaml, head, __version__, pl, old[0]))
                    eid = old[0]
                else:
                    eid = conn.execute(
                        "INSERT INTO entries (name, kind, notes, author, created_at, updated_at, objective, base, "
                        "diff_yaml, headline, saved_by, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (name, kind, notes, author, now, now, objective, base, diff_yaml, head, __version__,
                         pl)).lastrowid
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
        return self.get(eid)

    def save_result(self, result, name: str, base=None, *, kind: str = "pin", notes: str = "",
                    author: str = "") -> Entry:
        """Save a solved scenario: its YAML diff against ``base`` (default: the bundled scenario it
        extends), its question and its headline figures; a user's own plan (status ``given``) with it."""
        from ..present.compare import base_scenario, scenario_diff_yaml
        scen = result.scenario
        ref = base if base is not None else base_scenario(scen)
        given = result.status == GIVEN
        diff = scenario_diff_yaml(scen, ref, objective="max-performance" if given else result.objective)
        return self.save(name, diff, objective=GIVEN if given else result.objective, kind=kind, notes=notes,
                         author=author, base=ref.id if ref is not None else None, headline=headline(result),
                         plan=plan_doc(scen, result.given_x) if given else None)

    def rename(self, entry_id: int, new_name: str) -> Entry:
        new_name = _check_name(new_name)
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT kind, name FROM entries WHERE id = ?", (int(entry_id),)).fetchone()
                if row is None:
                    raise LibraryError(f"{self.path}: no entry with id {entry_id}")
                if row[1] != new_name and conn.execute("SELECT 1 FROM entries WHERE kind = ? AND name = ?",
                                                       (row[0], new_name)).fetchone():
                    raise LibraryError(f"name: {new_name!r} is already taken by another saved {row[0]}; choose "
                                       f"another name")
                conn.execute("UPDATE entries SET name = ?, updated_at = ? WHERE id = ?",
                             (new_name, _now(), int(entry_id)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
        return self.get(entry_id)

    def delete(self, entry_id: int) -> None:
        conn = self._connect()
        try:
            gone = conn.execute("DELETE FROM entries WHERE id = ?", (int(entry_id),)).rowcount
        finally:
            conn.close()
        if not gone:
            raise LibraryError(f"{self.path}: no entry with id {entry_id}")

    def add_many(self, rows: list[dict[str, Any]]) -> list[Entry]:
        """Insert several entries in one transaction (all or none); each dict has :meth:`save`'s
        arguments plus optional ``created_at``/``updated_at``.  Names must be free (see
        :mod:`budgetsim.library.archive` for how an import picks them)."""
        checked = []
        for r in rows:
            name = _check_name(r["name"])
            kind = r.get("kind", "pin")
            _check_kind(kind)
            _check_question(r.get("objective", "max-performance"), r.get("plan"))
            now = _now()
            checked.append((name, kind, _check_text("notes", r.get("notes", ""), MAX_NOTES),
                            _check_text("author", r.get("author", ""), MAX_NAME), str(r.get("created_at") or now),
                            str(r.get("updated_at") or r.get("created_at") or now),
                            r.get("objective", "max-performance"), r.get("base"), r["diff_yaml"],
                            json.dumps(_plain(r.get("headline") or {}), ensure_ascii=False, allow_nan=False),
                            str(r.get("saved_by") or __version__),
                            json.dumps(r["plan"], ensure_ascii=False, allow_nan=False) if r.get("plan") else None))
        conn = self._connect()
        ids = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for row in checked:
                    if conn.execute("SELECT 1 FROM entries WHERE kind = ? AND name = ?", row[1::-1]).fetchone():
                        raise LibraryError(f"name: {row[0]!r} is already taken by another saved {row[1]}")
                    ids.append(conn.execute(
                        "INSERT INTO entries (name, kind, notes, author, created_at, updated_at, objective, base, "
                        "diff_yaml, headline, saved_by, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        row).lastrowid)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
        return [self.get(i) for i in ids]


# ----------------------------------------------------------------------------- helpers


def headline(result) -> dict[str, Any]:
    """The figures kept with a saved scenario (a subset of ``Result.summary()``)."""
    sm = result.summary()
    return {k: sm.get(k) for k in HEADLINE_KEYS}


def plan_doc(scenario, x) -> dict[str, Any]:
    """A channels × years plan (万元) as the library keeps it, with the channels and years it is laid on."""
    return {"channels": [[c, m] for c, m in scenario.channels], "years": [int(y) for y in scenario.years],
            "amounts_wan": [[float(v) for v in row] for row in x]}


def plan_array(doc: Any, scenario, where: str = "plan"):
    """A kept plan back as an array in ``scenario``'s channel and year order; :class:`LibraryError` naming
    what does not fit (a channel or year the scenario lacks, a missing one, a number that is not one)."""
    import numpy as np
    if not isinstance(doc, dict) or not {"channels", "years", "amounts_wan"} <= set(doc):
        raise LibraryError(f"{where}: needs channels, years and amounts_wan")
    try:
        chans = [tuple(c) for c in doc["channels"]]
        years = [int(y) for y in doc["years"]]
        amounts = [[float(v) for v in row] for row in doc["amounts_wan"]]
    except (TypeError, ValueError) as exc:
        raise LibraryError(f"{where}: not a table of numbers ({exc})") from exc
    if len(amounts) != len(chans) or any(len(row) != len(years) for row in amounts):
        raise LibraryError(f"{where}: amounts_wan must be {len(chans)} rows of {len(years)} years")
    if any(not math.isfinite(v) or v < 0 for row in amounts for v in row):
        raise LibraryError(f"{where}: amounts must be finite numbers ≥ 0 万元")
    want_c, want_y = list(scenario.channels), [int(y) for y in scenario.years]
    if sorted(chans) != sorted(want_c) or sorted(years) != sorted(want_y):
        missing = sorted(set(want_c) - set(chans))[:3]
        extra = sorted(set(chans) - set(want_c))[:3]
        raise LibraryError(f"{where}: does not fit the scenario (channels missing {missing}, unknown {extra}; "
                           f"years {years} vs {want_y})")
    ci, yi = {c: i for i, c in enumerate(chans)}, {y: i for i, y in enumerate(years)}
    return np.array([[amounts[ci[c]][yi[y]] for y in want_y] for c in want_c])


def _check_question(objective: Any, plan: Any) -> None:
    if objective not in QUESTIONS:
        raise LibraryError(f"objective: {objective!r} is not a question budgetsim answers; allowed: {list(QUESTIONS)}")
    if (objective == GIVEN) != (plan is not None):
        raise LibraryError("plan: a user's own plan is saved with the question 'given', and only then"
                           if plan is not None else "plan: the question 'given' needs the plan it scores")


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe numbers: numpy scalars as Python numbers, NaN as None."""
    out = {}
    for k, v in d.items():
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and math.isnan(v):
            v = None
        out[str(k)] = v
    return out


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise LibraryError(f"name: a saved scenario needs a name (got {name!r})")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise LibraryError(f"name: at most {MAX_NAME} characters (got {len(name)})")
    return name


def _check_kind(kind: Any) -> None:
    if kind not in KINDS:
        raise LibraryError(f"kind: {kind!r} is not allowed; allowed: {list(KINDS)}")


def _check_text(what: str, text: Any, limit: int) -> str:
    text = "" if text is None else text
    if not isinstance(text, str):
        raise LibraryError(f"{what}: must be text (got {type(text).__name__})")
    if len(text) > limit:
        raise LibraryError(f"{what}: at most {limit:,} characters (got {len(text):,})")
    return text.strip()
