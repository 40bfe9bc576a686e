"""YAML that remembers where every node came from.

Rule packs and their test cases are written by people, so every problem must point at a line
and column. :func:`load_located` returns plain ``dict``/``list``/scalars, except that mappings
are :class:`YMap` and sequences :class:`YList`, which carry the 1-based position of
themselves and of each key/item. Duplicate keys — which PyYAML silently overwrites — and
tabs are reported as problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from assurance.problems import Problem, did_you_mean

Pos = tuple[int, int]


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


def _pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1  # the one 0→1 conversion


def _build(node: yaml.Node, where: str, problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.pos = _pos(node)
        for knode, vnode in node.value:
            key = _build(knode, where, problems)
            if not isinstance(key, str | int | float | bool):
                problems.append(Problem(where, "mapping keys must be plain words", *_pos(knode)))
                continue
            key = str(key)
            if key in out:
                first = out.key_pos[key]
                problems.append(Problem(where, f"duplicate key '{key}' (first at line "
                                        f"{first[0]})", *_pos(knode)))
                continue
            out[key] = _build(vnode, where, problems)
            out.key_pos[key] = _pos(knode)
            out.value_pos[key] = _pos(vnode)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList()
        seq.pos = _pos(node)
        for item in node.value:
            seq.append(_build(item, where, problems))
            seq.item_pos.append(_pos(item))
        return seq
    return _scalar(node)


_RESOLVER = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    """Construct a scalar the way safe_load would (ints, floats, bools, dates, null)."""
    return _RESOLVER.construct_object(node, deep=True)


def load_located(path: Path, problems: list[Problem]) -> Any:
    """Parse one YAML file; syntax errors and duplicate keys go to ``problems``."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(where, f"cannot read: {exc}"))
        return None
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            problems.append(Problem(where, "tab used for indentation; YAML needs spaces", i,
                                    len(line) - len(stripped) + 1))
    if any(p.where == where for p in problems):
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"not valid YAML: {exc.problem or exc.context}"
        if mark is not None:
            problems.append(Problem.at_zero_based(where, mark.line, mark.column, msg))
        else:
            problems.append(Problem(where, msg))
        return None
    return None if node is None else _build(node, where, problems)


class Checker:
    """Helpers for reading a located mapping and collecting problems with positions."""

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
        if key not in m:
            return default
        v = m[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            self.error(m.value_pos[key], f"'{key}' must be a number, found {v!r}")
            return default
        return float(v)

    def integer(self, m: YMap, key: str, default: int | None = None, minimum: int = 0
                ) -> int | None:
        if key not in m:
            return default
        v = m[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            self.error(m.value_pos[key], f"'{key}' must be a whole number ≥ {minimum}, "
                       f"found {v!r}")
            return default
        return v

    def text(self, m: YMap, key: str, default: str | None = None) -> str | None:
        if key not in m:
            return default
        v = m[key]
        if not isinstance(v, str) or not v.strip():
            self.error(m.value_pos[key], f"'{key}' must be text, found {v!r}")
            return default
        return " ".join(v.split()) if "\n" in v else v

    def boolean(self, m: YMap, key: str, default: bool = False) -> bool:
        if key not in m:
            return default
        v = m[key]
        if not isinstance(v, bool):
            self.error(m.value_pos[key], f"'{key}' must be true or false, found {v!r}")
            return default
        return v

    def choice(self, m: YMap, key: str, choices: Iterable[str], default: str | None = None
               ) -> str | None:
        choices = list(choices)
        if key not in m:
            return default
        v = m[key]
        if v not in choices:
            self.error(m.value_pos[key], f"'{key}' must be one of {', '.join(choices)}, found "
                       f"{v!r}{did_you_mean(str(v), choices)}")
            return default
        return str(v)

    def text_list(self, m: YMap, key: str) -> tuple[str, ...]:
        if key not in m:
            return ()
        v = m[key]
        if isinstance(v, str):
            return (v,)
        if not isinstance(v, list) or not all(isinstance(x, str | int) for x in v):
            self.error(m.value_pos[key], f"'{key}' must be a word or a list of words")
            return ()
        return tuple(str(x) for x in v)
