"""YAML that remembers where every node came from, read through one bounded, safe loader.

Rule packs, their test cases, the condition kinds' cases, the metric catalogue and the
well-led statements are written by people, so every problem must point at a line and column,
and a careless or hostile file must be refused quickly rather than crash or hang the product.
:func:`load_located` returns plain ``dict``/``list``/scalars, except that mappings are
:class:`YMap` and sequences :class:`YList`, which carry the 1-based position of themselves
and of each key/item. Duplicate keys — which PyYAML silently overwrites — and tabs are
reported as problems.

What the loader refuses, each as a located problem (all of them, then nothing is returned):

* files over :data:`MAX_BYTES`, anything that is not a regular file (a FIFO would hang),
  bytes that are not UTF-8 and control characters such as NUL;
* nesting deeper than :data:`MAX_DEPTH` (``[[[[…]]]]`` would otherwise exhaust the stack),
  and more than :data:`MAX_NODES` values in one file;
* more than :data:`MAX_ALIASES` aliases (``*name``), or aliases repeating more than
  :data:`MAX_ALIASED_NODES` nodes in all — a "billion laughs" document is refused after a few
  hundred events, in bounded memory — and an alias inside the node it names (a cycle);
* any tag other than the plain YAML types (``!!binary``, ``!!python/name:…``,
  ``!!python/object``, ``!!set``, ``!custom``) and merge keys (``<<``);
* scalars that cannot be built: dates that do not exist (``2024-02-30``), integers of more
  than 4,300 digits, ``!!int abc``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.safeinput import check_file

Pos = tuple[int, int]

MAX_BYTES = 524_288
"""Largest YAML file read (512 KiB; the largest shipped file is about 26 KB)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists (the shipped files nest at most 8 deep)."""
MAX_ALIASES = 100
"""Most aliases (``*name``) in one file (the shipped case files use at most 13)."""
MAX_ALIASED_NODES = 10_000
"""Most nodes all aliases in one file may repeat, counted as if written out."""
MAX_NODES = 20_000
"""Most values (mappings, lists, scalars, aliases written out) in one file: the largest
shipped file has about 2,100; this bounds parsing time to about a second."""
MAX_NUMBER = 1e12
"""Largest magnitude :meth:`Checker.number` accepts (thresholds, limits, tolerances)."""
MAX_INTEGER = 1_000_000_000
"""Largest whole number :meth:`Checker.integer` accepts unless told otherwise."""

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_EXPECTED_TYPE = {_CORE + "int": "a whole number", _CORE + "float": "a number",
                  _CORE + "bool": "true or false", _CORE + "null": "null (~)",
                  _CORE + "timestamp": "a date that exists, like 2024-03-31",
                  _CORE + "str": "text"}
# What PyYAML's reader refuses, found first so each can be located (its own error is not).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                            "\U00010000-\U0010ffff]")
_MAX_CHAR_PROBLEMS = 20


class YMap(dict[str, Any]):
    """A mapping with positions: ``pos`` of the mapping, ``key_pos[k]``/``value_pos[k]``."""

    pos: Pos = (1, 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_pos: dict[str, Pos] = {}
        self.value_pos: dict[str, Pos] = {}


class YList(list[Any]):
    """A sequence with positions: ``pos`` of the sequence, ``item_pos[i]``."""

    pos: Pos = (1, 1)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_pos: list[Pos] = []


def describe(value: Any) -> str:
    """How a problem names a value it found: its kind, and the value when it is short."""
    if value is None:
        return "null (~ or nothing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return f"the date {value.isoformat()} (quote it to make it text)"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: ".inf", -math.inf: "-.inf"}.get(value, ".nan")
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _pos(node: yaml.Node | yaml.Event) -> Pos:
    mark = node.start_mark
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1  # the one 0→1 conversion


class _Refused(Exception):
    """The loader stops here: a bound was exceeded at ``pos``."""

    def __init__(self, pos: Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer bounds nesting depth and alias expansion as it goes.

    PyYAML's composer is recursive and shares aliased nodes; expanding them afterwards (as
    :func:`_build` does) multiplies them. Counting each node's size as if written out,
    while composing, refuses a document before any expansion happens.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._aliased_nodes = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}  # id(node) → nodes when written out, once composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(_pos(event), f"found more than {MAX_ALIASES} aliases (*name); "
                               "expected at most that many (write the values out)")
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._sizes.get(id(target))
                if size is None:
                    raise _Refused(_pos(event), f"found the alias *{event.anchor} inside the "
                                   "node it names (a cycle); expected an alias to a finished "
                                   "node")
                self._aliased_nodes += size
                self._nodes += size
                self._check_nodes(event)
                if self._aliased_nodes > MAX_ALIASED_NODES:
                    raise _Refused(_pos(event), "found aliases that repeat more than "
                                   f"{MAX_ALIASED_NODES:,} values in all (an alias bomb?); "
                                   "expected a small number of short aliases")
            return super().compose_node(parent, index)
        self._depth += 1
        self._nodes += 1
        self._check_nodes(self.peek_event())
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(_pos(self.peek_event()), f"found nesting deeper than "
                               f"{MAX_DEPTH} levels; expected at most {MAX_DEPTH}")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1)
                           for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._sizes.get(id(v), 1) for v in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return node

    def _check_nodes(self, event: yaml.Event) -> None:
        if self._nodes > MAX_NODES:
            raise _Refused(_pos(event), f"found more than {MAX_NODES:,} values in one file; "
                           f"expected at most {MAX_NODES:,} (split it into several packs)")


class _Builder:
    """Turns composed nodes into YMap/YList/scalars, refusing unsafe tags and bad scalars."""

    def __init__(self, where: str, problems: list[Problem], loader: yaml.SafeLoader):
        self.where = where
        self.problems = problems
        self.loader = loader
        self.unreadable = 0  # problems that make the document unusable (not duplicate keys)

    def refuse(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(self.where, message, *_pos(node)))
        self.unreadable += 1

    def refuse_tag(self, node: yaml.Node, expected: str) -> None:
        """Refuse a node written with a tag; ``expected`` says what plain node was wanted."""
        self.refuse(node, f"found the tag {_short_tag(node.tag)}; expected {expected} (tags "
                    "are not allowed)")

    def build(self, node: yaml.Node, depth: int = 1) -> Any:
        if depth > MAX_DEPTH:  # aliases can stack nodes deeper than the text nests
            self.refuse(node, f"found nesting deeper than {MAX_DEPTH} levels (through "
                        f"aliases); expected at most {MAX_DEPTH}")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _CORE + "seq":
                self.refuse_tag(node, "a plain list")
                return None
            seq = YList()
            seq.pos = _pos(node)
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_pos.append(_pos(item))
            return seq
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap | None:
        if node.tag != _CORE + "map":
            self.refuse_tag(node, "a plain mapping")
            return None
        out = YMap()
        out.pos = _pos(node)
        for knode, vnode in node.value:
            if knode.tag == _CORE + "merge":
                self.refuse(knode, "found a merge key (<<); expected the keys written out "
                            "(merge keys are not supported)")
                continue
            before = self.unreadable
            key = self.build(knode, depth + 1)
            if self.unreadable > before:
                continue
            if not isinstance(key, str | int | float | bool):
                self.problems.append(Problem(self.where, f"found {describe(key)} as a "
                                             "mapping key; expected a plain word",
                                             *_pos(knode)))
                continue
            key = str(key)
            if key in out:
                first = out.key_pos[key]
                self.problems.append(Problem(self.where, f"duplicate key '{key}' (first at "
                                             f"line {first[0]})", *_pos(knode)))
                continue
            out[key] = self.build(vnode, depth + 1)
            out.key_pos[key] = _pos(knode)
            out.value_pos[key] = _pos(vnode)
        return out

    def scalar(self, node: yaml.Node) -> Any:
        """Construct a scalar the way safe_load would (ints, floats, bools, dates, null)."""
        tag = node.tag
        if tag == _CORE + "value":  # a lone "=" (YAML 1.1 value key): it is just text
            return str(node.value)
        if tag not in _SCALAR_TAGS:
            self.refuse_tag(node, "plain text, numbers, true/false or dates")
            return None
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError, yaml.YAMLError) as exc:
            shown = str(node.value)
            shown = shown if len(shown) <= 40 else shown[:37] + "…"
            reason = str(exc).split("\n")[0]
            if "limit (4300 digits)" in reason:  # Python's guard against huge integers
                reason = "more than 4,300 digits"
            self.refuse(node, f"found {shown!r}, which cannot be read ({reason}); "
                        f"expected {_EXPECTED_TYPE[tag]}, or quotes to make it text")
            return None


def _read_text(path: Path, where: str, problems: list[Problem]) -> str | None:
    """The file as text, or None with problems: not a regular file, too big, not UTF-8,
    control characters."""
    try:
        refused = check_file(path, what="a YAML file")  # a FIFO would block or never end
        if refused:
            problems.extend(dataclasses.replace(p, where=where) for p in refused)
            return None
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(where, f"cannot read: {exc.strerror or exc}"))
        return None
    if len(raw) > MAX_BYTES:
        problems.append(Problem(where, f"found a file over {MAX_BYTES:,} bytes; expected a "
                                f"YAML file of at most {MAX_BYTES:,} bytes"))
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(where, "found UTF-16 text (it starts with a UTF-16 byte-order "
                                "mark); expected UTF-8: save the file as UTF-8", 1, 1))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1
        problems.append(Problem(where, f"found the byte 0x{raw[exc.start]:02x} (byte "
                                f"{exc.start + 1} of the file), which is not UTF-8; expected "
                                "UTF-8 text: save the file as UTF-8", line, col))
        return None
    text = text.removeprefix("\ufeff")
    bad = 0
    for m in _NON_PRINTABLE.finditer(text):  # lines counted by "\n" alone, as editors do
        bad += 1
        if bad <= _MAX_CHAR_PROBLEMS:
            at = m.start()
            problems.append(Problem(where, f"found the control character U+{ord(m.group()):04X}"
                                    "; expected printable text", text.count("\n", 0, at) + 1,
                                    at - text.rfind("\n", 0, at)))
    if bad > _MAX_CHAR_PROBLEMS:
        problems.append(Problem(where, f"found {bad} control characters in all (the first "
                                f"{_MAX_CHAR_PROBLEMS} are listed); expected printable text"))
    return None if bad else text


def load_located(path: Path, problems: list[Problem]) -> Any:
    """Parse one YAML file; every problem goes to ``problems``, never raised.

    Returns the document, or None when it is empty or could not be read safely (syntax,
    encoding, bounds, tags, scalars); duplicate keys are reported and the first kept, so the
    rest of the file can still be checked.
    """
    where = str(path)
    text = _read_text(path, where, problems)
    if text is None:
        return None
    tabs = False
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            problems.append(Problem(where, "tab used for indentation; YAML needs spaces", i,
                                    len(line) - len(stripped) + 1))
            tabs = True
    if tabs:
        return None
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        problems.append(Problem(where, exc.message, *exc.pos))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"not valid YAML: {exc.problem or exc.context}"
        if mark is not None:
            problems.append(Problem.at_zero_based(where, mark.line, mark.column, msg))
        else:
            problems.append(Problem(where, msg))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(where, f"not valid YAML: {str(exc).splitlines()[0]}"))
        return None
    finally:
        loader.dispose()
    if node is None:
        return None
    builder = _Builder(where, problems, loader)
    doc = builder.build(node)
    return None if builder.unreadable else doc


def load_yaml(path: Path) -> Any:
    """Load a YAML data file through the same safe loader, or raise ProblemsError."""
    problems: list[Problem] = []
    doc = load_located(path, problems)
    if problems:
        raise ProblemsError(problems)
    return doc


class Checker:
    """Helpers for reading a located mapping and collecting problems with positions.

    Each problem says what was found and what was expected (``'key': found …; expected …``).
    """

    def __init__(self, where: str, problems: list[Problem]):
        self.where = where
        self.problems = problems

    def error(self, pos: Pos, message: str) -> None:
        self.problems.append(Problem(self.where, message, *pos))

    def keys(self, m: YMap, allowed: Iterable[str], required: Iterable[str] = (),
             what: str = "") -> bool:
        """Report unknown and missing keys; True when the mapping is usable."""
        allowed = list(allowed)
        ok = True
        for k in m:
            if k not in allowed:
                self.error(m.key_pos[k], f"unknown key '{k}'{' in ' + what if what else ''}"
                           f"{did_you_mean(k, allowed)}; expected one of: {', '.join(allowed)}")
                ok = False
        for k in required:
            if k not in m:
                self.error(m.pos, f"missing key '{k}'{' in ' + what if what else ''}")
                ok = False
        return ok

    def number(self, m: YMap, key: str, default: float | None = None) -> float | None:
        """A finite number of magnitude at most :data:`MAX_NUMBER` (never true/false)."""
        if key not in m:
            return default
        v = m[key]
        if (isinstance(v, bool) or not isinstance(v, int | float)
                or abs(v) > MAX_NUMBER or not math.isfinite(v)):  # big ints: no float()
            self.error(m.value_pos[key], f"'{key}': found {describe(v)}; expected a finite "
                       f"number between -{MAX_NUMBER:g} and {MAX_NUMBER:g}")
            return default
        return float(v)

    def integer(self, m: YMap, key: str, default: int | None = None, minimum: int = 0,
                maximum: int = MAX_INTEGER) -> int | None:
        if key not in m:
            return default
        v = m[key]
        if isinstance(v, bool) or not isinstance(v, int) or not minimum <= v <= maximum:
            self.error(m.value_pos[key], f"'{key}': found {describe(v)}; expected a whole "
                       f"number from {minimum} to {maximum:,}")
            return default
        return v

    def text(self, m: YMap, key: str, default: str | None = None) -> str | None:
        if key not in m:
            return default
        v = m[key]
        if not isinstance(v, str) or not v.strip():
            found = "empty text" if isinstance(v, str) else describe(v)
            self.error(m.value_pos[key], f"'{key}': found {found}; expected text")
            return default
        return " ".join(v.split()) if "\n" in v else v

    def boolean(self, m: YMap, key: str, default: bool = False) -> bool:
        if key not in m:
            return default
        v = m[key]
        if not isinstance(v, bool):
            self.error(m.value_pos[key], f"'{key}': found {describe(v)}; expected true or "
                       "false")
            return default
        return v

    def choice(self, m: YMap, key: str, choices: Iterable[str], default: str | None = None
               ) -> str | None:
        choices = list(choices)
        if key not in m:
            return default
        v = m[key]
        if not isinstance(v, str) or v not in choices:
            hint = did_you_mean(v, choices) if isinstance(v, str) else ""
            self.error(m.value_pos[key], f"'{key}': found {describe(v)}{hint}; expected one "
                       f"of {', '.join(choices)}")
            return default
        return v

    def text_list(self, m: YMap, key: str) -> tuple[str, ...]:
        if key not in m:
            return ()
        v = m[key]
        if isinstance(v, str):
            return (v,)
        if not isinstance(v, list) or not all(
                isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool))
                for x in v):
            self.error(m.value_pos[key], f"'{key}': found {describe(v)}; expected a word or "
                       "a list of words")
            return ()
        return tuple(str(x) for x in v)
