"""The batch journal: every finished row appended and flushed as JSON lines, so an interrupted batch keeps its work."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any





class Journal:
    """Append-only JSON lines, flushed and fsync'd per row; a torn last line is ignored on read."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def done_keys(self) -> set[str]:
        return {row["input_hash"] for row in self.rows()}

    def rows(self) -> Iterator[dict]:
        if not self.path.is_file():
            return
        with open(self.path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # the write that was interrupted
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and "input_hash" in row:
                    yield row

    def _repair_tail(self) -> None:
        """Cut a torn last line (a kill in the middle of a write) before appending."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            cut = data.rfind(b"\n") + 1
            f.truncate(cut)

    def append(self, row: dict) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _json_default(v: Any) -> Any:
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def journal_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".journal.jsonl")


# ----------------------------------------------------------------------------- executors


def _journal_offsets(path: Path, wanted: set[str]) -> dict[str, int]:
    """Byte offset of the last journal line of each wanted input hash."""
    offsets: dict[str, int] = {}
    pos = 0
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            try:
                h = json.loads(line).get("input_hash")
            except (json.JSONDecodeError, AttributeError):
                h = None
            if h in wanted:
                offsets[h] = pos
            pos += len(line)
    return offsets


def _ordered_chunks(path: Path, order: list[str], labels: list[str], offsets: dict[str, int]) -> Iterator[list[dict]]:
    """The rows in item order, ``_CHUNK`` at a time, read back from the journal by offset."""
    buf: list[dict] = []
    with open(path, "rb") as f:
        for i, (h, label) in enumerate(zip(order, labels)):
            f.seek(offsets[h])
            row = json.loads(f.readline())
            row.pop("scenario", None)
            buf.append({"item": i, "scenario": label, **row})
            if len(buf) >= _CHUNK:
                yield buf
                buf = []
    if buf:
        yield buf


_CHUNK = 1000
