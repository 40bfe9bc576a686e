"""Well-led framework versions as data: ``assurance/catalogue/frameworks/<id>.yaml``.

CQC's 2024 Single Assessment Framework scores each quality statement 1-4 and aggregates to a
key-question rating with a percentage; its 2026 sector frameworks judge key lines of enquiry
at key-question level with no lower-level scores; NHS England's provider capability
assessment asks boards to self-assess "people and culture" (domain.md §6, §14). One file per
version holds its sections (statements, KLOEs or capabilities), its scoring model, its
wording (paraphrased, and marked verbatim only where domain.md confirms it) and how the ids
the rules name in ``evidence:`` (the 2024 quality statements) translate to its sections.

File layout (every key checked; unknown keys are errors, located ``file:line:col``)::

    version: 1
    framework: cqc-2026              # the id, the file's name without .yaml
    title / short / publisher / source / document_title: text
    section: key line of enquiry     # one section, in words; ``sections``: several
    statement_label: text            # what the section's description is called
    scoring:
      sections: scored | not-scored  # a score per section, or none (rated as a whole)
      words: {1: …, 2: …, 3: …, 4: …}          # with sections: scored
      key_question: percentage | overall | none
      ratings: [[88, Outstanding], …]           # with percentage: lowest percent, rating
      overall_words: {1: …, 4: …}               # with overall: the key-question words
      note: text                                 # "suggested by the tool, not …"
    categories: [...]                # evidence categories, in order
    statements: {id: {number, name, we, verbatim}}
    accountable: [id, …]             # sections a board-level breach without owner counts against
    maps: {well-led.N: [id, …]}      # omitted: the ids are the 2024 statements themselves
    rules: {rule-id: [id, …]}        # optional: a rule filed differently from its evidence

The suggested assessment is the same fixed rule for every version
(:mod:`assurance.report_context.wellled_scoring`); the version decides what it is called,
whether sections show it, and whether a percentage exists at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assurance.engine.yamlsrc import Checker, Pos, YList, YMap, describe
from assurance.problems import Problem, ProblemsError, did_you_mean
from assurance.yamlmap import load_mapping

FRAMEWORKS_DIR = Path(__file__).parent / "catalogue" / "frameworks"
DEFAULT_FRAMEWORK = "cqc-saf-2024"
"""The version ``reports.well_led_framework`` defaults to (the framework in force in 2025)."""
BASE_FRAMEWORK = "cqc-saf-2024"
"""The version whose statement ids the rules' ``evidence:`` lists name."""

TOP_KEYS = ("version", "framework", "title", "short", "publisher", "source", "document_title",
            "section", "sections", "statement_label", "scoring", "categories", "statements",
            "accountable", "maps", "rules")
REQUIRED = ("version", "framework", "title", "scoring", "statements")
SCORING_KEYS = ("sections", "words", "key_question", "ratings", "overall_words", "note")
STATEMENT_KEYS = ("number", "name", "we", "verbatim")
SECTION_MODES = ("scored", "not-scored")
KEY_QUESTION_MODES = ("percentage", "overall", "none")
SCORES = (1, 2, 3, 4)


@dataclass(frozen=True)
class Section:
    """One quality statement, key line of enquiry or capability."""

    id: str
    number: str  # "4", "W2", "PC2"
    name: str
    we: str  # what it asks, in its own words (or the tool's paraphrase)
    verbatim: bool  # True only where domain.md confirms the wording


@dataclass(frozen=True)
class Scoring:
    """How a version turns the tool's suggested 1-4 assessment into words.

    ``percentages`` is true only for a version that aggregates scores to a percentage (the
    2024 framework); a version without one never prints a percentage.
    """

    sections_scored: bool
    word_list: tuple[str, ...]  # the words for scores 1-4 (empty: sections not scored)
    key_question: str  # percentage | overall | none
    ratings: tuple[tuple[float, str], ...] = ()  # (lowest percent, rating), highest first
    overall_list: tuple[str, ...] = ()  # with key_question: overall, the words for 1-4
    note: str = ""

    @property
    def words(self) -> dict[int, str]:
        """Score -> the version's word for it (sections)."""
        return dict(zip(SCORES, self.word_list, strict=False))

    @property
    def overall_words(self) -> dict[int, str]:
        """Score -> the version's key-question rating (``key_question: overall``)."""
        return dict(zip(SCORES, self.overall_list, strict=False))

    @property
    def percentages(self) -> bool:
        return self.key_question == "percentage"

    def rating(self, percent: float) -> str:
        """The rating a key-question percentage falls in (percentage versions only)."""
        return next((r for low, r in self.ratings if percent >= low), self.ratings[-1][1])


@dataclass(frozen=True)
class Framework:
    """One well-led framework version, as its catalogue file declares it."""

    id: str
    title: str
    short: str
    publisher: str
    source: str
    document_title: str
    section_word: str  # "quality statement"
    sections_word: str  # "quality statements"
    statement_label: str
    scoring: Scoring
    categories: tuple[str, ...]
    sections: tuple[Section, ...]
    accountable: tuple[str, ...]
    # (2024 statement id, this version's ids) and (rule id, ids: overrides maps), in file
    # order: plain tuples, so a framework is frozen data a report context can hold.
    maps: tuple[tuple[str, tuple[str, ...]], ...]
    rules: tuple[tuple[str, tuple[str, ...]], ...]
    file: str  # the catalogue file it was read from

    @property
    def file_name(self) -> str:
        return Path(self.file).name

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)

    def evidence_for(self, rule_id: str, evidence: Sequence[str]) -> tuple[str, ...]:
        """This version's section ids for a rule's ``evidence:`` (2024 statement ids)."""
        rules, maps = dict(self.rules), dict(self.maps)
        if rule_id in rules:
            return rules[rule_id]
        if not maps:  # the base version: the ids are its own
            return tuple(dict.fromkeys(e for e in evidence if any(s.id == e
                                                                   for s in self.sections)))
        return tuple(dict.fromkeys(t for e in evidence for t in maps.get(e, ())))


def framework_names(folder: Path = FRAMEWORKS_DIR) -> tuple[str, ...]:
    """The versions shipped (file names without ``.yaml``), sorted."""
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def framework_path(name: str, folder: Path = FRAMEWORKS_DIR,
                   where: str = "reports.well_led_framework") -> Path:
    """The file of a version by id; ProblemsError naming the choices when there is none
    (``where``: the option or setting it came from)."""
    names = framework_names(folder)
    if name not in names:
        raise ProblemsError([Problem(where, f"unknown well-led "
                                     f"framework {name!r}{did_you_mean(name, names)}; expected "
                                     f"one of {', '.join(names)} (--framework, or "
                                     "reports.well_led_framework in config.toml)")])
    return folder / f"{name}.yaml"


def load_framework(name: str = DEFAULT_FRAMEWORK, path: Path | None = None) -> Framework:
    """Load and check one version by id (or from ``path``); ProblemsError lists every problem
    located ``file:line:col``."""
    return _load(path if path is not None else framework_path(name))


@cache
def _load(path: Path) -> Framework:
    raw, chk = load_mapping(path, "a framework: a mapping with version, framework, title, "
                            "scoring and statements", TOP_KEYS, REQUIRED, "the framework")
    if "version" in raw and raw["version"] != 1:
        chk.error(raw.value_pos["version"], f"'version': found {describe(raw['version'])}; "
                  "expected 1 (the version this release reads)")
    fid = chk.text(raw, "framework", path.stem) or path.stem
    if fid != path.stem:
        chk.error(raw.value_pos["framework"], f"'framework': found {fid!r}; expected "
                  f"{path.stem!r}, the file's name (the id --framework takes)")
    sections = _sections(raw, chk)
    ids = [s.id for s in sections]
    scoring = _scoring(raw.get("scoring"), raw.value_pos.get("scoring", raw.pos), chk)
    accountable = _ids(raw, "accountable", ids, chk)
    maps = _mapping(raw, "maps", ids, chk, keys=_base_ids(path))
    rules = _mapping(raw, "rules", ids, chk, keys=None)
    cats = chk.text_list(raw, "categories")
    title = chk.text(raw, "title", fid) or fid
    if chk.problems:
        raise ProblemsError(chk.problems)
    return Framework(
        id=fid, title=title, short=chk.text(raw, "short", title) or title,
        publisher=chk.text(raw, "publisher", "") or "", source=chk.text(raw, "source", "") or "",
        document_title=chk.text(raw, "document_title", title) or title,
        section_word=chk.text(raw, "section", "section") or "section",
        sections_word=chk.text(raw, "sections", "sections") or "sections",
        statement_label=chk.text(raw, "statement_label", "Description") or "Description",
        scoring=scoring, categories=cats, sections=sections, accountable=accountable,
        maps=tuple(maps.items()), rules=tuple(rules.items()), file=str(path))


def _base_ids(path: Path) -> tuple[str, ...] | None:
    """The 2024 statement ids a ``maps:`` may translate (None while loading the base)."""
    if path.stem == BASE_FRAMEWORK:
        return None
    base = path.with_name(f"{BASE_FRAMEWORK}.yaml")  # a folder of versions keeps its own base
    if not base.is_file():
        base = FRAMEWORKS_DIR / f"{BASE_FRAMEWORK}.yaml"
    return tuple(s.id for s in _load(base).sections)


def parse_sections(raw: Any, chk: Checker) -> tuple[Section, ...]:
    """The ``statements:`` mapping, checked (also read by :func:`assurance.catalogue.
    load_statements`)."""
    statements = raw.get("statements") if isinstance(raw, YMap) else None
    if not isinstance(statements, YMap):
        chk.error((1, 1), "found no 'statements' mapping; expected statements: {well-led.1: "
                  "{name: …, we: …}, …}")
        return ()
    out = []
    for sid, st in statements.items():
        if not isinstance(st, YMap):
            chk.error(statements.value_pos[sid], f"'{sid}': found {describe(st)}; expected a "
                      "mapping with name and we")
            continue
        chk.keys(st, STATEMENT_KEYS, what=f"'{sid}'")
        name, we = chk.text(st, "name"), chk.text(st, "we")
        number = st.get("number", sid.rsplit(".", 1)[-1])
        if not isinstance(number, str | int) or isinstance(number, bool):
            chk.error(st.value_pos["number"], f"'number': found {describe(number)}; expected "
                      "a short label such as 4 or W2")
            number = sid
        if name is None or we is None:
            if "name" not in st or "we" not in st:
                chk.error(st.pos, f"'{sid}': expected both 'name' and 'we'")
            continue
        out.append(Section(sid, str(number), name, " ".join(we.split()),
                           chk.boolean(st, "verbatim", False)))
    return tuple(out)


def _sections(raw: YMap, chk: Checker) -> tuple[Section, ...]:
    if "statements" not in raw:
        return ()  # reported as a missing key
    return parse_sections(raw, chk)


def _words(m: YMap, key: str, chk: Checker) -> tuple[str, ...]:
    v = m.get(key)
    if not isinstance(v, YMap) or sorted(v) != [str(s) for s in SCORES] or not all(
            isinstance(w, str) and w.strip() for w in v.values()):
        chk.error(m.value_pos.get(key, m.pos), f"'{key}': found {describe(v)}; expected words "
                  "for each of 1, 2, 3 and 4, e.g. {1: Significant shortfalls, 2: Some "
                  "shortfalls, 3: Good, 4: Exceptional}")
        return tuple(str(s) for s in SCORES)
    return tuple(str(v[str(s)]) for s in SCORES)


def _ratings(m: YMap, chk: Checker) -> tuple[tuple[float, str], ...]:
    v = m.get("ratings")
    rows = [r for r in v if isinstance(r, list) and len(r) == 2 and isinstance(r[1], str)
            and isinstance(r[0], int | float) and not isinstance(r[0], bool)] \
        if isinstance(v, list) else []
    if not isinstance(v, list) or not v or len(rows) != len(v):
        chk.error(m.value_pos.get("ratings", m.pos), f"'ratings': found {describe(v)}; "
                  "expected [[lowest percent, rating], …], e.g. [[88, Outstanding], [0, "
                  "Inadequate]]")
        return ((0.0, "Not rated"),)
    out = tuple(sorted(((float(low), str(r)) for low, r in rows), reverse=True))
    if out[-1][0] != 0:
        chk.error(m.value_pos["ratings"], f"'ratings': the lowest band starts at "
                  f"{out[-1][0]:g}%; expected one starting at 0")
    return out


def _scoring(raw: Any, pos: Pos, chk: Checker) -> Scoring:
    if not isinstance(raw, YMap):
        if raw is not None:
            chk.error(pos, f"'scoring': found {describe(raw)}; expected a mapping with "
                      "sections and key_question")
        return Scoring(False, (), "none")
    chk.keys(raw, SCORING_KEYS, ("sections", "key_question"), what="'scoring'")
    scored = chk.choice(raw, "sections", SECTION_MODES, "not-scored") == "scored"
    kq = chk.choice(raw, "key_question", KEY_QUESTION_MODES, "none") or "none"
    words = _words(raw, "words", chk) if scored or "words" in raw else ()
    if kq == "percentage" and not scored:
        chk.error(raw.value_pos["key_question"], "'key_question': found percentage with "
                  "sections: not-scored; a percentage is the sum of section scores, so "
                  "expected sections: scored (or key_question: overall)")
    ratings = _ratings(raw, chk) if kq == "percentage" else ()
    if kq != "percentage" and "ratings" in raw:
        chk.error(raw.key_pos["ratings"], f"'ratings': only a key_question: percentage "
                  f"version has percentage bands; found key_question: {kq}")
    overall = _words(raw, "overall_words", chk) if kq == "overall" else ()
    return Scoring(scored, words, kq, ratings, overall, chk.text(raw, "note", "") or "")


def _ids(raw: YMap, key: str, ids: Sequence[str], chk: Checker) -> tuple[str, ...]:
    values = chk.text_list(raw, key)
    v = raw.get(key)
    for i, x in enumerate(values):
        if x not in ids:
            where = v.item_pos[i] if isinstance(v, YList) and i < len(v.item_pos) else \
                raw.value_pos[key]
            chk.error(where, f"'{key}': unknown section '{x}'{did_you_mean(x, ids)}; expected "
                      f"one of {', '.join(ids)}")
    return tuple(x for x in values if x in ids)


def _mapping(raw: YMap, key: str, ids: Sequence[str], chk: Checker,
             keys: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    v = raw.get(key)
    if v is None:
        return {}
    if not isinstance(v, YMap):
        chk.error(raw.value_pos[key], f"'{key}': found {describe(v)}; expected a mapping of "
                  "ids to lists of section ids")
        return {}
    if key == "maps" and keys is None:
        chk.error(raw.key_pos[key], f"'maps': the base version ({BASE_FRAMEWORK}) is what "
                  "the rules name; expected no maps in it")
        return {}
    out = {}
    for k in v:
        if keys is not None and k not in keys:
            chk.error(v.key_pos[k], f"'{k}': not a {BASE_FRAMEWORK} statement"
                      f"{did_you_mean(k, keys)}; expected one of {', '.join(keys)}")
            continue
        out[k] = _ids(v, k, ids, chk)
    return out


__all__ = ["BASE_FRAMEWORK", "DEFAULT_FRAMEWORK", "FRAMEWORKS_DIR", "Framework", "Scoring",
           "Section", "framework_names", "framework_path", "load_framework", "parse_sections"]
