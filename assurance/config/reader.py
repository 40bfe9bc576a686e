"""Reading config.toml safely: the file (regular, bounded, UTF-8) and a walker that checks
each table's keys and each value's type, collecting every problem with its key path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assurance.problems import Problem, ProblemsError, did_you_mean

MAX_NUMBER = 10**12
"""Largest magnitude of any number in config.toml (a 400-digit integer is a typo)."""
MAX_BYTES = 1_048_576
"""Largest config.toml read."""
_KIND_NAMES = {int: f"a whole number of at most {MAX_NUMBER:,}",
               float: f"a finite number of at most {MAX_NUMBER:,}",
               str: "text", bool: "true or false", list: "a list", dict: "a table"}


def shown(value: Any) -> str:
    """A value as a problem quotes it: short, and huge integers by their length."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


class Reader:
    """Walks the TOML document collecting problems with their key paths."""

    def __init__(self, where: str, base_dir: Path):
        self.where = where
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.where, f"{key}: {message}"))

    def table(self, doc: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
        value = doc.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, Mapping):
            self.error(key, f"expected a table, found {type(value).__name__}")
            return {}
        for k in value:
            if k not in allowed:
                self.error(f"{key}.{k}", f"unknown key{did_you_mean(k, allowed)}")
        return value

    def get(self, table: Mapping[str, Any], key: str, path: str, kind: type, default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True  # a whole number is a number
        if ok and kind in (int, float) and not abs(value) <= MAX_NUMBER:  # nan and inf too
            ok = False
        if not ok:
            self.error(f"{path}.{key}", f"expected {_KIND_NAMES.get(kind, kind.__name__)}, "
                       f"found {shown(value)}")
            return default
        return float(value) if kind is float else value

    def path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def read_config(path: Path, where: str) -> str:
    """The config file as text; a file that is not a regular file, too big or not UTF-8
    (UTF-16 with a byte-order mark, Latin-1 bytes) is refused with the place of the byte."""
    try:
        if not path.is_file():  # a FIFO would block, a folder is a mistake
            raise ProblemsError([Problem(where, "cannot read config: not a regular file")])
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProblemsError([Problem(where, f"cannot read config: {exc.strerror}")]) from exc
    if len(raw) > MAX_BYTES:
        raise ProblemsError([Problem(where, f"found a file over {MAX_BYTES:,} bytes; expected a "
                                     "config.toml of at most that size")])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProblemsError([Problem(where, "found UTF-16 text (it starts with a UTF-16 "
                                     "byte-order mark); expected UTF-8: save the file as UTF-8",
                                     1, 1)])
    if b"\x00" in raw:  # valid UTF-8, but what UTF-16 without a byte-order mark looks like
        at = raw.index(b"\x00")
        raise ProblemsError([Problem(
            where, f"found a NUL byte (byte {at + 1} of the file); expected UTF-8 text (is it "
            "UTF-16? save the file as UTF-8)", raw.count(b"\n", 0, at) + 1,
            at - raw.rfind(b"\n", 0, at))])
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace"))
        raise ProblemsError([Problem(
            where, f"found the byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the file), "
            "which is not UTF-8; expected UTF-8 text: save the file as UTF-8 (TOML requires it)",
            line, col + 1)]) from None
