"""Person-level pay extract → gender, ethnicity and disability pay gaps. Nothing personal is kept.

One row per relevant employee on the 31 March snapshot. The file is checked row by row in
Python (streamed; every problem located by row and column, never quoting a value), then
aggregated **in DuckDB, in process** (no server, nothing written to disk by this module) into
group counts, means, medians and quartile counts per organisation, year and division; the
pay gaps themselves are computed from those aggregates by :mod:`assurance.stats.paygap`. Only
aggregates are returned: no pay, no person, and no cell of the file reaches the store, a log
or a message. A file with any bad row is refused whole (nothing stored).

Columns (header required, names in any case, order free; other columns are never read):

* ``org_code`` — the employing organisation (registered);
* ``snapshot_date`` — the 31 March snapshot, ``YYYY-03-31``, 1990 to 2100 (period
  ``wres:YYYY``);
* ``sex`` — ``male``/``m``/``man`` or ``female``/``f``/``woman`` (any case); anything else
  recognised (blank, ``not stated``, ``unknown``, ``prefer not to say``, ``x``, ``other``,
  ``indeterminate``) is *not recorded* and left out of the gender figures, as the gov.uk
  method compares men and women only;
* ``ethnic_category`` — NHS Data Dictionary ETHNIC CATEGORY code, as in ``esr_csv``: A–C
  White (A White British), D–S BME, Z/99/blank unknown; config ``[ethnicity.map]`` first;
* ``disability`` — ``yes``/``no``/``not declared`` (any case) or blank;
* ``hourly_pay`` — ordinary hourly pay in pounds (gov.uk: ordinary pay ÷ hours in the pay
  period), ``0.01`` to ``10000``; **blank** for a relevant employee who is not *full-pay
  relevant* (on reduced pay for leave in the pay period): counted for bonus, left out of the
  hourly gaps and quartiles;
* ``bonus_pay`` (optional) — bonus pay in the 12 months to the snapshot, ``0`` to
  ``10000000``; blank or 0 is no bonus. Without the column no bonus figures are made;
* ``division`` (optional) — the division's name; every figure is also made per division,
  breakdown ``division:<name>`` (the name in lower case, runs of other characters as ``_``);
* ``band`` (optional) — read only to check it is a short field; not used yet.

Figures (``assurance/catalogue/metrics.yaml``, ``paygap.*``), each for the organisation
(breakdown ``""``) and each division: ``headcount`` (full-pay relevant staff per group, a
share), ``mean_hourly``/``median_hourly`` (the gap on the comparison group's row), with a
bonus column ``mean_bonus``/``median_bonus`` and ``bonus_received``, and
``quartile_lower``/``_lower_middle``/``_upper_middle``/``_top`` (each group's share of the
quartile, with counts). A gap that is not calculable is stored without a value and with the
reason as its note. Ethnicity and disability need at least 10 people in each group
(:data:`assurance.stats.paygap.MIN_GROUP`); the ethnicity reference group is the
``reference`` option: ``white`` (default, WRES practice: White vs BME) or ``white_british``
(the statutory proposal: White British vs all other groups, groups ``white_british`` and
``other_than_white_british``); ethnicity figures say which in their note.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assurance.figures_export import division_breakdown
from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.problems import MoreProblems, Problem, ProblemsError
from assurance.safeinput import (
    LIMITS,
    InputError,
    check_ods_code,
    check_text,
    describe,
    open_regular,
    parse_decimal,
    scan_text,
)
from assurance.stats.paygap import MIN_GROUP, QUARTILES, GroupPay, pay_gap
from connectors.csv_lines import mixed_line_end, readable
from connectors.nhs_codes import (
    DISABILITY,
    ETHNIC_FORMS,
    FIRST_YEAR,
    LAST_YEAR,
    ethnic_key,
    wres_ethnic_group,
)
from connectors.pay_aggregates import GroupStats, group_stats, quartile_counts
from connectors.person_level import Extract, header_problems, line_end_problem
from connectors.person_sql import MEMORY_LIMIT, connect, sql_text, strip
from connectors.person_sql import source as source_of
from connectors.tabular import CSV_ADVICE, unreadable_csv

if TYPE_CHECKING:
    import duckdb

REQUIRED = ("org_code", "snapshot_date", "sex", "ethnic_category", "disability", "hourly_pay")
OPTIONAL = ("bonus_pay", "division", "band")
_COLUMNS = Extract(REQUIRED, OPTIONAL)
MAX_FIELD = 100
"""The longest field read: codes, amounts and a division's name."""
MAX_PROBLEMS = LIMITS.max_problems
MAX_BREAKDOWN = 64
"""The longest breakdown the store holds (``division:<name>``)."""
MAX_HOURLY = 10_000.0
MAX_BONUS = 10_000_000.0
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

SEX = {"male": "men", "m": "men", "man": "men", "female": "women", "f": "women",
       "woman": "women", "": "unknown", "not stated": "unknown", "not known": "unknown",
       "unknown": "unknown", "prefer not to say": "unknown", "x": "unknown",
       "other": "unknown", "indeterminate": "unknown"}

_WORDS = {"sex": (SEX, "male or female (m, f, man, woman), or not stated, unknown, x, other "
                     "or blank"),
          "disability": (DISABILITY, "yes, no or not declared (any case), or blank")}
"""The columns read as words (any case, runs of space as one): what each means, and the
forms a problem names."""

REFERENCES = {"white": ("white", "bme", "White (ethnic categories A-C) compared with BME"),
              "white_british": ("white_british", "other_than_white_british",
                                "White British compared with all other ethnic groups")}
"""The ethnicity reference option: (reference group, comparison group, label)."""


@dataclass(frozen=True)
class Scheme:
    """One characteristic's pay gap: its metric prefix, column, groups and minimum size."""

    name: str  # gender | ethnicity | disability
    column: str  # the aggregated column: sex | eth | dis
    reference: str
    comparison: str
    min_group: int
    note: str | None = None

    @property
    def groups(self) -> tuple[str, str, str]:
        return (self.reference, self.comparison, "unknown")


def ethnic_pay_group(code: str, mapping: dict[str, str], reference: str) -> str | None:
    """The pay gap group of an ETHNIC CATEGORY code under the reference option (None: no
    mapping). A config-mapped ``white`` code counts as White British only when it starts
    with ``A`` (the NHS Data Dictionary's White British)."""
    code = code.strip().upper()
    group = mapping[code] if code in mapping else wres_ethnic_group(code)
    if group is None or group not in ("white", "bme", "unknown", "white_british"):
        return None
    if reference == "white":
        return "white" if group == "white_british" else group
    if group == "unknown":
        return "unknown"
    if group == "white_british" or (group == "white" and ethnic_key(code).startswith("A")):
        return "white_british"
    return "other_than_white_british"


@dataclass
class _Maps:
    """Each distinct raw cell of a coded column, checked once, and what it means."""

    org: dict[str, str] = field(default_factory=dict)
    year: dict[str, int] = field(default_factory=dict)
    sex: dict[str, str] = field(default_factory=dict)
    eth: dict[str, str] = field(default_factory=dict)
    dis: dict[str, str] = field(default_factory=dict)
    division: dict[str, str] = field(default_factory=dict)
    bad: dict[tuple[str, str], str] = field(default_factory=dict)  # (column, raw) → message


class PayCsv:
    """Source ``pay_csv``: a person-level pay extract, aggregated into pay gaps (see module).

    Args:
        reference: the ethnicity reference group, ``white`` (default) or ``white_british``
            (config ``[paygap] ethnicity_reference``).
    """

    name = "pay_csv"
    version = "2"  # 2: ethnic category read by its code, not a first letter of words
    description = ("a person-level pay extract CSV (org_code, snapshot_date, sex, "
                   "ethnic_category, disability, hourly_pay; optional bonus_pay, division, "
                   "band), aggregated into pay gaps on import")

    def __init__(self, reference: str = "white") -> None:
        if reference not in REFERENCES:
            raise ValueError(f"unknown ethnicity reference group {reference!r}; expected one of "
                             + ", ".join(REFERENCES))
        self.reference = reference

    def schemes(self) -> tuple[Scheme, ...]:
        ref, comp, label = REFERENCES[self.reference]
        return (Scheme("gender", "sex", "men", "women", 1),
                Scheme("ethnicity", "eth", ref, comp, MIN_GROUP, f"reference group: {label}"),
                Scheme("disability", "dis", "non_disabled", "disabled", MIN_GROUP))

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        try:
            refused = scan_text(path, what="CSV text file", advice=CSV_ADVICE)
        except ProblemsError as exc:
            refused = list(exc.problems)
        if refused:
            out.problems.extend(refused)
            return out
        checked = self._check(path, ctx, out)
        if checked is None or out.problems:
            return out
        header, maps = checked
        try:
            out.observations = self._aggregate(path, header, maps, out.rows_read)
        except _Inconsistent as exc:
            out.problems.append(exc.problem(path))
            return out
        ref_label = REFERENCES[self.reference][2]
        out.note = (f"aggregated {out.rows_read:,} person-level rows in DuckDB; no person-level "
                    f"data kept; ethnicity reference group: {ref_label}")
        return out

    # ------------------------------------------------------------------ checking, in Python
    def _check(self, path: Path, ctx: ParseContext, out: Parsed
               ) -> tuple[list[str], _Maps] | None:
        where = str(path)
        mapping = {k.upper(): v for k, v in ctx.ethnicity_map.items()}
        maps = _Maps()
        extra = 0

        def bad(line: int, column: str | None, message: str) -> None:
            nonlocal extra
            if len(out.problems) < MAX_PROBLEMS:
                out.problems.append(Problem(where, message, line, column))
            else:
                extra += 1

        try:
            raw = open_regular(path)
        except ProblemsError as exc:
            out.problems.extend(exc.problems)
            return None
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)  # an unclosed quote refuses the file
            try:
                header = [h.strip().lower() for h in next(reader)]
            except (StopIteration, csv.Error):
                out.problems.append(Problem(where, "no header row; expected "
                                            + ", ".join(REQUIRED)))
                return None
            if not _header_ok(header, where, out.problems):
                return None
            idx = {c: header.index(c) for c in (*REQUIRED, *OPTIONAL) if c in header}
            line = 1
            try:
                for line, cells in enumerate(reader, start=2):
                    if not any(cells):
                        continue
                    if len(cells) != len(header):
                        bad(line, None, f"found {len(cells)} cells; expected {len(header)} "
                            "(one per header column)")
                        continue
                    out.rows_read += 1
                    for column, message in self._row_problems(cells, idx, header, ctx, maps,
                                                              mapping):
                        bad(line, column, message)
            except csv.Error as exc:  # csv messages name positions, never cell contents
                out.problems.append(Problem(where, unreadable_csv(exc), line + 1))
                return None
        if extra:
            out.problems.append(MoreProblems.of(where, extra, MAX_PROBLEMS))
        return header, maps

    def _row_problems(self, cells: list[str], idx: dict[str, int], header: list[str],
                      ctx: ParseContext, maps: _Maps, mapping: dict[str, str]
                      ) -> list[tuple[str, str]]:
        """(column, message) for each bad cell of one row; messages never quote a cell."""
        found: list[tuple[str, str]] = []
        for i, text in enumerate(cells):
            limit = MAX_FIELD if i in idx.values() else LIMITS.max_field_chars
            if len(text) > limit or "\x00" in text:
                name = header[i] if len(header[i]) <= 40 else str(i + 1)
                found.append((name, f"found a {len(text):,}-character text; expected a field "
                              f"of at most {limit:,} characters"))
        if found:
            return found
        for column, i in idx.items():
            text = cells[i]
            if column in ("hourly_pay", "bonus_pay"):
                msg = _amount_problem(text, column)
                if msg:
                    found.append((column, msg))
                continue
            if column == "band":
                try:
                    check_text(text, expected="a pay band", max_chars=MAX_FIELD, echo=False)
                except InputError as exc:
                    found.append((column, str(exc)))
                continue
            if text in _column_map(maps, column):
                continue
            if (column, text) in maps.bad:
                found.append((column, maps.bad[(column, text)]))
                continue
            msg = self._code(column, text, ctx, maps, mapping)
            if msg:
                maps.bad[(column, text)] = msg
                found.append((column, msg))
        return found

    def _code(self, column: str, text: str, ctx: ParseContext, maps: _Maps,
              mapping: dict[str, str]) -> str | None:
        """Check one distinct coded cell and remember what it means; the problem, or None."""
        if column == "org_code":
            try:
                org = check_ods_code(text, echo=False)
            except InputError as exc:
                return str(exc)
            if org not in ctx.known_orgs:
                return (f"found an organisation code of {len(org)} characters that is not "
                        "registered; expected a registered organisation (assurance orgs import)")
            maps.org[text] = org
        elif column == "snapshot_date":
            snap = _snapshot(text)
            if isinstance(snap, str):
                return snap
            maps.year[text] = snap.year
        elif column in _WORDS:
            words, expected = _WORDS[column]
            g = words.get(" ".join(text.lower().split()))
            if g is None:
                return f"found {describe(text, echo=False)}; expected {expected}"
            _column_map(maps, column)[text] = g
        elif column == "ethnic_category":
            try:
                check_text(text, expected="an ethnic category code", max_chars=MAX_FIELD,
                           echo=False)
            except InputError as exc:
                return str(exc)
            g = ethnic_pay_group(text, mapping, self.reference)
            if g is None:
                return (f"found a value with no WRES group; expected {ETHNIC_FORMS}, or the "
                        "value mapped in [ethnicity.map] in config.toml")
            maps.eth[text] = g
        elif column == "division":
            try:
                check_text(text, expected="a division's name on one line",
                           max_chars=MAX_FIELD, formula=True, echo=False)
            except InputError as exc:
                return str(exc)
            key = division_breakdown(text)
            if len(key) > MAX_BREAKDOWN:
                return (f"found a {len(text.strip()):,}-character name; expected a division's "
                        f"name of at most {MAX_BREAKDOWN - len('division:')} characters")
            if text.strip() and not key:
                return ("found a name without letters or digits; expected a division's name "
                        "(or blank)")
            maps.division[text] = key
        return None

    # ------------------------------------------------------------- aggregating, in DuckDB
    def _aggregate(self, path: Path, header: list[str], maps: _Maps, rows: int
                   ) -> list[ObservationRow]:
        """The figures, from DuckDB's aggregates of the (already checked) file.

        DuckDB is set up as :mod:`connectors.person_level` sets it up: in memory within
        :data:`MEMORY_LIMIT`, never spilling to disk (no temporary directory: the ranked pay
        values behind the quartiles never reach a file), reading only the file already opened
        and checked (through its descriptor, so it cannot be swapped for another), loading no
        extension, its configuration locked.
        """
        import duckdb  # imported when a pay file is read, not by every command

        try:
            raw = open_regular(path)
        except ProblemsError as exc:
            raise _Inconsistent("; ".join(p.message for p in exc.problems)) from None
        # A mix of CRLF and LF line ends is read from an in-memory LF copy (csv_lines).
        with raw, readable(raw, path) as text:
            source = source_of(text, path)
            con = connect(source)
            try:
                return self._figures(con, source, header, maps, rows)
            except duckdb.OutOfMemoryException:
                raise _Inconsistent(f"the file is too large to rank within DuckDB's memory "
                                    f"limit ({MEMORY_LIMIT}); nothing stored: split it by "
                                    "organisation") from None
            except duckdb.Error:
                # DuckDB's messages may quote a line of the file: never pass them on.
                raise _Inconsistent("the file passed every check but could not be aggregated "
                                    "consistently (DuckDB read it differently); nothing "
                                    "stored: save it again as 'CSV UTF-8 (Comma delimited)'"
                                    ) from None
            finally:
                con.close()

    def _figures(self, con: duckdb.DuckDBPyConnection, source: str, header: list[str],
                 maps: _Maps, rows: int) -> list[ObservationRow]:
        for name, values, kind in (("m_org", maps.org, "VARCHAR"), ("m_year", maps.year, "INTEGER"),
                                   ("m_sex", maps.sex, "VARCHAR"), ("m_eth", maps.eth, "VARCHAR"),
                                   ("m_dis", maps.dis, "VARCHAR"),
                                   ("m_div", maps.division, "VARCHAR")):
            con.execute(f"CREATE TEMP TABLE {name} (raw VARCHAR, v {kind})")
            if values:
                con.executemany(f"INSERT INTO {name} VALUES (?, ?)", list(values.items()))
        cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
        c = {name: f"coalesce(r.c{header.index(name)}, '')" for name in (*REQUIRED, *OPTIONAL)
             if name in header}
        bonus = _amount(c["bonus_pay"]) if "bonus_pay" in c else "NULL::DOUBLE"
        division = "nullif(dv.v, '')" if "division" in c else "NULL::VARCHAR"
        join_division = (f"LEFT JOIN m_div dv ON dv.raw = {c['division']}" if "division" in c
                         else "")
        con.execute(f"""
            CREATE TEMP VIEW p AS
            SELECT o.v AS org, y.v AS year, s.v AS sex, e.v AS eth, d.v AS dis,
                   {_amount(c["hourly_pay"])} AS pay,
                   CASE WHEN TRY_CAST(trim({c["hourly_pay"]}) AS DOUBLE) IS NOT NULL THEN true
                        ELSE nullif({strip(c["hourly_pay"])}, '') IS NOT NULL END AS has_pay,
                   {bonus} AS bonus, {division} AS division
            FROM read_csv({sql_text(source)}, header = false, skip = 1,
                          columns = {{{cols}}}, delim = ',', quote = '"', escape = '"',
                          auto_detect = false, strict_mode = true, null_padding = false,
                          compression = 'none', encoding = 'utf-8') r
            JOIN m_org o ON o.raw = {c['org_code']}
            JOIN m_year y ON y.raw = {c['snapshot_date']}
            JOIN m_sex s ON s.raw = {c['sex']}
            JOIN m_eth e ON e.raw = {c['ethnic_category']}
            JOIN m_dis d ON d.raw = {c['disability']}
            {join_division}
        """)
        counted = con.execute("SELECT count(*), count(*) FILTER (WHERE has_pay AND pay IS NULL) "
                              "FROM p").fetchone()
        if counted is None or counted[0] != rows or counted[1]:
            raise _Inconsistent("the file passed every check but DuckDB read a different "
                                "number of rows; nothing stored: save it again as 'CSV UTF-8 "
                                "(Comma delimited)'")
        con.execute("""
            CREATE TEMP VIEW s AS
            SELECT *, '' AS scope FROM p
            UNION ALL
            SELECT *, division AS scope FROM p WHERE division IS NOT NULL
        """)
        has_bonus = "bonus_pay" in header
        out: list[ObservationRow] = []
        for scheme in self.schemes():
            stats = group_stats(con, scheme.column)
            quarts = quartile_counts(con, scheme.column, men_and_women=scheme.name == "gender")
            for key in sorted({k[:3] for k in stats}):
                out.extend(_scheme_rows(scheme, key, stats, quarts, has_bonus))
        return out


def _amount(cell: str) -> str:
    """SQL for an amount the check accepted: a cast of the cell trimmed of spaces, or (only
    where that fails: other white space around it) of the cell stripped as Python strips."""
    quick = f"TRY_CAST(trim({cell}) AS DOUBLE)"
    return (f"CASE WHEN {quick} IS NOT NULL THEN {quick} "
            f"ELSE TRY_CAST(nullif({strip(cell)}, '') AS DOUBLE) END")


class _Inconsistent(Exception):
    """DuckDB's reading of a checked file differs from the check's: refuse, quote nothing."""

    def problem(self, path: Path) -> Problem:
        """The refusal; located where a line ends unlike line 1, which is what makes
        DuckDB read a file otherwise than the csv module (a stray carriage return)."""
        line = mixed_line_end(path)
        return line_end_problem(str(path), line) if line else Problem(str(path), str(self))


def _column_map(maps: _Maps, column: str) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = {"org_code": maps.org, "snapshot_date": maps.year, "sex": maps.sex,
            "ethnic_category": maps.eth, "disability": maps.dis,
            "division": maps.division}
    return table[column]


Key = tuple[str, int, str]  # organisation, year, scope ("" or division:<name>)


def _scheme_rows(scheme: Scheme, key: Key, stats: dict[tuple[str, int, str, str], GroupStats],
                 quarts: dict[tuple[str, int, str, str, int], int], has_bonus: bool
                 ) -> list[ObservationRow]:
    org, year, scope = key
    period = f"wres:{year}"
    prefix = f"paygap.{scheme.name}"
    empty = GroupStats(0, 0, None, None, 0, None, None)
    g = {grp: stats.get((org, year, scope, grp), empty) for grp in scheme.groups}
    ref, comp = g[scheme.reference], g[scheme.comparison]
    note = scheme.note
    out: list[ObservationRow] = []

    def row(metric: str, group: str, **kw: Any) -> None:
        out.append(ObservationRow(org, period, f"{prefix}.{metric}", group, scope, **kw))

    total = sum(s.fullpay for s in g.values())
    for grp, s in g.items():
        row("headcount", grp, numerator=s.fullpay, denominator=total, note=note)
    hourly = pay_gap(GroupPay(ref.fullpay, ref.mean, ref.median),
                     GroupPay(comp.fullpay, comp.mean, comp.median), min_group=scheme.min_group)
    row("mean_hourly", scheme.comparison, value=hourly.mean,
        note=_join(note, hourly.reason))
    row("median_hourly", scheme.comparison, value=hourly.median,
        note=_join(note, hourly.reason))
    if has_bonus:
        bonus = pay_gap(GroupPay(ref.bonus_n, ref.bonus_mean, ref.bonus_median),
                        GroupPay(comp.bonus_n, comp.bonus_mean, comp.bonus_median),
                        min_group=scheme.min_group)
        row("mean_bonus", scheme.comparison, value=bonus.mean, note=_join(note, bonus.reason))
        row("median_bonus", scheme.comparison, value=bonus.median,
            note=_join(note, bonus.reason))
        for grp in (scheme.reference, scheme.comparison):
            s = g[grp]
            small = s.relevant < scheme.min_group
            value = None if small or not s.relevant else 100.0 * s.bonus_n / s.relevant
            row("bonus_received", grp, value=value, numerator=s.bonus_n, denominator=s.relevant,
                note=_join(note, _small(scheme) if small and s.relevant else None))
    shown = (("men", "women") if scheme.name == "gender" else scheme.groups)
    for q, name in enumerate(QUARTILES):
        counts = {grp: quarts.get((org, year, scope, grp, q), 0) for grp in shown}
        size = sum(counts.values())
        for grp, n in counts.items():
            small = g[grp].fullpay < scheme.min_group
            value = None if small or not size else 100.0 * n / size
            row(f"quartile_{name}", grp, value=value, numerator=n, denominator=size,
                note=_join(note, _small(scheme) if small and g[grp].fullpay else None))
    return out


def _small(scheme: Scheme) -> str:
    return f"not calculable: fewer than {scheme.min_group} people in the group"


def _join(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None


def _amount_problem(text: str, column: str) -> str | None:
    """The problem with an hourly or bonus pay cell (None: fine); never quotes the amount."""
    if not text.strip():
        return None
    high = MAX_HOURLY if column == "hourly_pay" else MAX_BONUS
    low = 0.01 if column == "hourly_pay" else 0.0
    what, blank = (("hourly pay in pounds (ordinary pay ÷ hours)", "someone not full-pay relevant")
                   if column == "hourly_pay" else ("bonus pay in pounds", "no bonus"))
    try:
        parse_decimal(text, low=low, high=high, expected=what, echo=False)
    except InputError as exc:
        return f"{exc}, or blank for {blank}"
    return None


def _header_ok(header: list[str], where: str, problems: list[Problem]) -> bool:
    """Every required column once (:func:`~connectors.person_level.header_problems`: a first
    row naming none of them is data and is not echoed), and no header cell spanning lines."""
    found = header_problems(header, _COLUMNS, where)
    if any(c in header for c in REQUIRED) and any("\n" in h or "\r" in h for h in header):
        found.append(Problem(where, "a header cell spans lines; expected one header row", 1))
    problems.extend(found)
    return not found


def _snapshot(text: str) -> date | str:
    """The 31 March snapshot, or a message describing (not quoting) what is wrong."""
    text = text.strip()
    if not DATE_RE.fullmatch(text):
        return (f"found {describe(text, echo=False)}; expected the snapshot date written "
                "YYYY-MM-DD")
    try:
        snap = date.fromisoformat(text)
    except ValueError:
        return ("found an impossible date (the month or day is out of range); expected the "
                "snapshot date written YYYY-MM-DD")
    if not FIRST_YEAR <= snap.year <= LAST_YEAR:
        return (f"found a date out of range (a year before {FIRST_YEAR} or after {LAST_YEAR}); "
                f"expected a 31 March snapshot from {FIRST_YEAR} to {LAST_YEAR}")
    if (snap.month, snap.day) != (3, 31):
        return "found a date that is not 31 March; expected the 31 March snapshot date"
    return snap
