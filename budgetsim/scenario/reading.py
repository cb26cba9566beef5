"""Reading untrusted files safely: bytes → text → YAML, each step bounded.

Files come from colleagues' Windows machines and from anyone who can reach the workbench,
so every reader of user files goes through here:

* :func:`read_bytes` / :func:`read_text` — the size is checked *before* reading (``stat``, then a read of at most
  ``max_bytes + 1`` bytes, so a file that grows or lies about its size is still cut off);
  only regular files are read (never a FIFO or a device).
* :func:`decode` — the encoding.  UTF-8, with or without a byte-order mark, is read silently.
  UTF-16 (with a BOM, or recognisable by its zero bytes) and GB18030 (which includes GBK, what
  Chinese-language Windows tools still write) are **read, with a notice that names the
  encoding** so the user knows and can re-save the file as UTF-8.  Anything else is refused
  with a message that says how to convert (``iconv -f GBK -t UTF-8``).
* :func:`parse_yaml` — safe YAML (no tags that run code), duplicate keys refused, nesting at
  most :data:`MAX_DEPTH` levels and at most :data:`MAX_NODES` values once aliases are expanded
  (a "billion laughs" alias bomb is refused before anything walks it), numbers too long to
  convert refused.

Other readers of user files (plans and records as CSV or Excel) reuse :func:`read_bytes`,
:func:`decode` and :func:`read_text`, and get the text plus the encoding used.  Every refusal
is a :class:`~budgetsim.exceptions.ScenarioError` that names the file and says nothing of its
contents.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..exceptions import MISSING, Problem, ScenarioError, ScenarioNotFoundError

MAX_FILE_BYTES = 1_000_000   # a scenario is a few kB; an upload or a file past this is refused unread
MAX_DEPTH = 40               # nesting levels (a scenario needs about 6)
MAX_NODES = 200_000          # values after expanding YAML aliases (the baseline has about 1,500)


@dataclass(frozen=True)
class TextFile:
    """A decoded file: its ``text``, the ``encoding`` used and, unless it was UTF-8, a ``notice``."""

    text: str
    encoding: str
    notice: str | None = None


def _refuse(source: str, reason: str, cls: type[ScenarioError] = ScenarioError) -> ScenarioError:
    return cls([Problem("", MISSING, reason)], source)


def read_bytes(path: str | Path, max_bytes: int = MAX_FILE_BYTES, source: str | None = None,
               what: str = "file") -> bytes:
    """The bytes of a user's file, never reading more than ``max_bytes`` (e.g. an .xlsx).

    Raises :class:`ScenarioNotFoundError` when there is no such file and :class:`ScenarioError`
    when it is not a regular file or too large."""
    path = Path(path)
    source = source or str(path)
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise _refuse(source, f"{what} not found", ScenarioNotFoundError) from None
    except OSError as exc:
        raise _refuse(source, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(source, "not a regular file")
    if info.st_size > max_bytes:
        raise _refuse(source, _too_large(info.st_size, max_bytes))
    try:
        with open(path, "rb", buffering=0) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped between stat and open
                raise _refuse(source, "not a regular file")
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise _refuse(source, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:
        raise _refuse(source, _too_large(len(data), max_bytes))
    return data


def read_text(path: str | Path, max_bytes: int = MAX_FILE_BYTES, source: str | None = None,
              what: str = "file") -> TextFile:
    """The text of a user's file, decoded (see :func:`decode`), never reading more than ``max_bytes``.

    Raises :class:`ScenarioNotFoundError` when there is no such file and :class:`ScenarioError`
    when it is not a regular file, too large or not text in a known encoding."""
    source = source or str(path)
    return decode(read_bytes(path, max_bytes, source, what), source, max_bytes)


def _too_large(size: int, cap: int) -> str:
    return f"file too large: {size:,} bytes; at most {cap:,} bytes ({cap // 1000:,} kB) are read"


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode(data: bytes, source: str = "<text>", max_bytes: int = MAX_FILE_BYTES) -> TextFile:
    """Bytes → text: UTF-8 (BOM or not) silently; UTF-16 and GB18030/GBK with a notice; else refused."""
    if len(data) > max_bytes:
        raise _refuse(source, _too_large(len(data), max_bytes))
    if data.startswith(codecs.BOM_UTF8):
        return _try(data, "utf-8-sig", source) or _not_text(source)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        got = _try(data, "utf-32", source)
        if got:
            return got
    if data.startswith(_UTF16_BOMS):
        return _try(data, "utf-16", source) or _not_text(source)
    got = _try(data, "utf-8", source)
    if got:
        return got
    guess = _utf16_without_bom(data)
    if guess:
        got = _try(data, guess, source)
        if got:
            return got
    return _try(data, "gb18030", source) or _not_text(source)


_NAMES = {"utf-16": "UTF-16", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE", "utf-32": "UTF-32",
          "gb18030": "GB18030 (GBK)"}


def _try(data: bytes, encoding: str, source: str) -> TextFile | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text:  # zero characters: binary, or decoded with the wrong width
        return None
    if encoding in ("utf-8", "utf-8-sig"):
        return TextFile(text, encoding)
    name = _NAMES.get(encoding, encoding)
    notice = (f"{source}: read as {name}, not UTF-8 — 已按 {name} 编码读取；"
              f"请另存为 UTF-8 (e.g. iconv -f {encoding.upper()} -t UTF-8)")
    return TextFile(text, encoding, notice)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when zero bytes sit at odd / even places (ASCII-heavy UTF-16)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _not_text(source: str) -> TextFile:
    raise _refuse(source, "not text in UTF-8, UTF-16 or GB18030/GBK: save the file as UTF-8 "
                          "(e.g. iconv -f GBK -t UTF-8 in.yaml > out.yaml, or 另存为 UTF-8 in the editor)")


# ----------------------------------------------------------------------------- YAML


class _BoundedLoader(yaml.SafeLoader):
    """Safe loader (no tags that run code) that refuses duplicate keys, deep nesting and
    alias bombs: nesting is counted while composing, expanded size before constructing."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _check_expanded_size(node)
        return node


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a document that holds more than MAX_NODES values once its aliases are expanded.

    Aliases make the node graph a DAG; each node's expanded size is computed once (memo), so
    this takes time linear in the file, not in the expansion."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = MAX_NODES + 1  # a node met again while being sized: a cycle, count it as too large
        n = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                n += size(child)
                if n > MAX_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
                if n > MAX_NODES:
                    break
        memo[key] = n
        return n

    if size(root) > MAX_NODES:
        raise yaml.composer.ComposerError(
            None, None, f"more than {MAX_NODES:,} values once its aliases (*name) are expanded", root.start_mark)


def _construct_mapping(loader: _BoundedLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a name or a number, not a list or mapping", key_node.start_mark) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_key_text(key)}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _key_text(key) -> str:
    text = repr(key[:60] if isinstance(key, str) else key)
    return text if len(text) <= 64 else text[:61] + "..."


_BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 reads 1e20 (no dot) as text; people write budgets that way: read it as the number it is
_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def parse_yaml(text: str, source: str, max_bytes: int = MAX_FILE_BYTES) -> dict:
    """Parse YAML text safely into a mapping, or raise ScenarioError naming the line."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise _refuse(source, f"file larger than {max_bytes // 1000:,} kB")
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise _refuse(source, f"not valid YAML: {where}{what}") from None
    except ValueError:  # e.g. an integer of more than 4,300 digits
        raise _refuse(source, "not valid YAML: a number too long to read") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before this
        raise _refuse(source, f"not valid YAML: nested more than {MAX_DEPTH} levels deep") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", type(data).__name__, "a scenario file must be a mapping of keys")], source)
    return data


def read_yaml(path: str | Path, source: str | None = None, what: str = "file") -> tuple[dict, TextFile]:
    """A user's YAML file as a mapping (size, encoding, depth and aliases checked), and how it was read."""
    tf = read_text(path, source=source, what=what)
    return parse_yaml(tf.text, source or str(path)), tf
