"""Opening a YAML document that must be one mapping (a well-led framework, the improvement
plan): anything else is refused at 1:1, and its top-level keys are checked."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from assurance.engine.yamlsrc import Checker, YMap, describe, load_yaml
from assurance.problems import Problem, ProblemsError


def load_mapping(path: Path, expected: str, keys: Collection[str], required: Collection[str],
                 what: str) -> tuple[YMap, Checker]:
    """The document at ``path`` and a :class:`Checker` collecting its problems, its unknown
    and missing top-level keys already among them.

    Args:
        expected: what the document should be, as the refusal says it ("a framework: a
            mapping with …").
        keys: the top-level keys allowed; ``required``: those that must be present.
        what: the document as a missing-key problem names it ("the plan").

    Raises:
        ProblemsError: the document is not a mapping (located at 1:1).
    """
    raw = load_yaml(path)
    where = str(path)
    if not isinstance(raw, YMap):
        raise ProblemsError([Problem(where, f"found {describe(raw)}; expected {expected}", 1, 1)])
    chk = Checker(where, [])
    chk.keys(raw, keys, required, what=what)
    return raw, chk
