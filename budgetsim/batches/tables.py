"""Batch output tables: assembling rows in input order, streaming them into parquet/CSV/Excel, and a summary."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..exceptions import BudgetsimError
from ..fileio import atomic_write
from .journal import _journal_offsets, _ordered_chunks

OUT_FORMATS = (".parquet", ".csv", ".xlsx")




class BatchSummary:
    """Counts and ranges of a finished batch, gathered while its rows stream past."""

    def __init__(self, resumed: int = 0):
        self.n = 0
        self.resumed = resumed
        self.counts: dict[str, int] = {}
        self.perf: tuple[float, float] | None = None
        self.sq: tuple[float, float] | None = None
        self.best: tuple[float, str] | None = None
        self.errors: list[tuple[str, str]] = []
        self.table: pd.DataFrame | None = None

    def add(self, rows: Iterable[dict]) -> None:
        for r in rows:
            self.n += 1
            st = r.get("status")
            self.counts[st] = self.counts.get(st, 0) + 1
            if st == "optimal":
                p, q = float(r["performance"]), float(r["status_quo_performance"])
                self.perf = (p, p) if self.perf is None else (min(self.perf[0], p), max(self.perf[1], p))
                self.sq = (q, q) if self.sq is None else (min(self.sq[0], q), max(self.sq[1], q))
                if self.best is None or p > self.best[0]:
                    self.best = (p, str(r["scenario"]))
            elif st == "error" and len(self.errors) < 3:
                self.errors.append((str(r["scenario"]), str(r.get("message", ""))))

    def text(self) -> str:
        if not self.n:
            return "no scenarios"
        parts = [f"{self.n} scenarios: " + ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))]
        if self.perf is not None:
            parts.append(f"performance {self.perf[0]:.2f} … {self.perf[1]:.2f} "
                         f"(status quo {self.sq[0]:.2f} … {self.sq[1]:.2f}); best: {self.best[1]}")
        if self.resumed:
            parts.append(f"{self.resumed} taken from the journal of an earlier run, {self.n - self.resumed} solved now")
        parts += [f"error in {s}: {m[:160]}" for s, m in self.errors]
        return "\n".join(parts)


def _stream_write(out: str | Path, jpath: Path, order: list[str], labels: list[str]) -> BatchSummary:
    """Write the final table from the journal in item order, a chunk at a time, atomically."""
    out = Path(out)
    offsets = _journal_offsets(jpath, set(order))
    missing = [h for h in order if h not in offsets]
    if missing:  # pragma: no cover - every submitted input is journaled before we get here
        raise BudgetsimError(f"{len(missing)} results missing from the journal {jpath}")
    chunks = lambda: _ordered_chunks(jpath, order, labels, offsets)  # noqa: E731
    summary = BatchSummary()
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            schemas = [pa.Table.from_pylist(ch).schema for ch in chunks()]
            schema = pa.unify_schemas(schemas, promote_options="permissive")
            schema = pa.schema([schema.field(n) for n in _column_order(schema.names)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            schema = None  # e.g. one input column holding numbers and names: the in-memory path copes
        if schema is not None:
            def write(tmp: str) -> None:
                with pq.ParquetWriter(tmp, schema) as w:
                    for ch in chunks():
                        summary.add(ch)
                        w.write_table(pa.Table.from_pylist(ch, schema=schema))
            atomic_write(out, write)
            return summary
    elif suffix == ".csv":
        cols: list[str] = []
        for ch in chunks():
            for row in ch:
                cols.extend(k for k in row if k not in cols)
        cols = _column_order(cols)

        def write_csv(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                for k, ch in enumerate(chunks()):
                    summary.add(ch)
                    pd.DataFrame.from_records(ch, columns=cols).to_csv(fh, index=False, header=k == 0)
        atomic_write(out, write_csv)
        return summary
    # .xlsx (and the parquet fallback) need the whole table at once
    table = pd.concat([pd.DataFrame.from_records(ch) for ch in chunks()], ignore_index=True)
    table = table[_column_order(table.columns)]
    summary.add(table.to_dict(orient="records"))
    write_table(table, out)
    return summary


def _assemble(order: list[str], labels: list[str], rows: Iterable[dict], chunk: int = 2000) -> pd.DataFrame:
    """One row per item, in item order (the last journal row of each hash wins).

    Rows are read in chunks straight into columns, so assembling 100,000 rows never holds
    100,000 row dicts at once."""
    wanted = set(order)
    parts: list[pd.DataFrame] = []
    buf: list[dict] = []
    for row in rows:
        if row["input_hash"] in wanted:
            buf.append(row)
        if len(buf) >= chunk:
            parts.append(pd.DataFrame.from_records(buf))
            buf = []
    if buf:
        parts.append(pd.DataFrame.from_records(buf))
    del wanted
    index = pd.DataFrame({"item": range(len(order)), "scenario": labels, "input_hash": order})
    if not parts:
        return index.iloc[0:0]
    found = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    found = found.drop_duplicates("input_hash", keep="last").drop(columns=["scenario"], errors="ignore")
    df = index.merge(found, on="input_hash", how="left", validate="many_to_one")
    return df[_column_order(df.columns)].reset_index(drop=True)


def _column_order(cols) -> list[str]:
    head = ["item", "scenario"] + sorted(c for c in cols if c.startswith("in:"))
    core = ["status", "message", "performance", "status_quo_performance", "performance_diff"]
    inds = [c for c in cols if c.startswith("ind:")]
    tail = ["leverage", "budget_used_wan", "budget_envelope_wan", "external_wan", "targets_met", "targets_total",
            "linearisation_gap", "passes", "build_seconds", "solve_seconds", "wall_seconds",
            "source", "objective", "solver", "seed", "version", "input_hash"]
    ordered = [c for c in head + core + inds + tail if c in cols]
    return ordered + [c for c in cols if c not in ordered]


def write_table(df: pd.DataFrame, out: str | Path) -> Path:
    """Write the table atomically as Parquet, CSV or Excel (by the file's ending)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise BudgetsimError("writing Parquet needs pyarrow: pip install 'budgetsim[batch]'") from exc
        return atomic_write(out, lambda tmp: _parquet_safe(df).to_parquet(tmp, index=False))
    if suffix == ".csv":
        return atomic_write(out, lambda tmp: df.to_csv(tmp, index=False))
    if suffix == ".xlsx":
        def write_xlsx(tmp: str) -> None:
            with open(tmp, "wb") as fh:  # the temporary name has no .xlsx ending: hand pandas a handle
                df.to_excel(fh, index=False, engine="openpyxl")
        return atomic_write(out, write_xlsx)
    raise BudgetsimError(f"{out}: unknown format; allowed endings: {', '.join(OUT_FORMATS)}")


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: an input column mixing numbers and names becomes text."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 and not kinds <= {int, float}:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


def read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    return pd.read_excel(path)


def summarise(df: pd.DataFrame) -> str:
    """A few lines for the end of a batch: counts by status, performance range, best point."""
    summary = BatchSummary(resumed=df.attrs.get("resumed", 0))
    summary.add(df.to_dict(orient="records"))
    return summary.text()
