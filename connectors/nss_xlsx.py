"""The official NHS Staff Survey detailed spreadsheet (organisational results), as published.

Layout of each question sheet (checked cell by cell against ``connectors.nss_layout`` for the
file's survey year, not assumed): row 1 holds question headings (``Q14a - In the last 12
months …``) at the first column of each question's block; row 5 holds the column labels:
``ODS code, Organisation name, Benchmarking group, Region, ICS, Weighting`` then
``% <response>`` … ``Base (number of responses)`` per question (score sheets:
``<code> - score``, ``Base …``); one organisation per row from row 6 to the end of the sheet.
``-`` means fewer than 10 responses: stored as suppressed, never as zero, with the base
kept as its denominator when the base is published. An **empty** cell where a figure or
``-`` belongs is damage, not suppression.

Refused, every problem located as ``file[sheet]:row:column`` and all of them reported: a
missing, renamed or extra sheet; a heading or response label that differs from the published
layout; a blank ODS code in a row that holds figures (the rest of the sheet is always read);
an empty figure cell; text, or a percentage outside 0–100 (a score outside 0–10), or a base
that is negative or not a whole number; an organisation missing from some sheets.

Stored: every response percentage as ``nss.<question>`` with the response as breakdown and
the base as denominator; the organisation register (name, benchmarking group exactly as
published, region, ICS, and the organisation type that group names) so peers can be
compared; question texts per survey year. The year comes from the title cell, and the
questions the WRES/WDES metrics use are checked against the catalogue's map for that year,
so a file from another year with renumbered questions is refused rather than misread.

The file supersedes **per figure** (``Parsed.supersede = "figure"``): importing a copy with
one changed cell supersedes that one figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.models import Organisation, SurveyQuestion
from assurance.problems import Problem, did_you_mean
from assurance.safeinput import InputError, check_ods_code
from connectors.nss_layout import BASE, LAYOUTS, NOTES, Block
from connectors.tabular import CellError, column_letter, parse_count, parse_number, workbook

FIXED = ("ODS code", "Organisation name", "Benchmarking group", "Region", "ICS", "Weighting")
TITLE = re.compile(r"NHS Staff Survey (\d{4})")
QUESTION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s+-\s+(.+)$", re.S)
HEADER_ROW, FIRST_DATA_ROW = 5, 6
DASH = "-"

#: The benchmarking groups as published, and the organisation type each one names. Matched
#: exactly: "Acute Specialist Trusts" is not "Acute …", "Community Surgical Services" is not
#: "Community Trusts". A group not listed keeps its published name and gets no type.
ORG_TYPES = {
    "Acute and Acute & Community Trusts": "acute",
    "Acute Specialist Trusts": "acute specialist",
    "Mental Health & Learning Disability and Mental Health, Learning Disability & Community "
    "Trusts": "mental health",
    "Community Trusts": "community",
    "Ambulance Trusts": "ambulance",
    "ICBs": "ICB",
    "CSUs": "CSU",
    "Social Enterprises - Community": "social enterprise",
    "Social Enterprises - Mental Health": "social enterprise",
    "Community Surgical Services": "community surgical",
}


def slug(text: str) -> str:
    """``% Yes, frequently`` → ``yes_frequently``; ``Staff Engagement`` → ``staff_engagement``."""
    text = text.strip().lstrip("%").strip().lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def org_type(benchmark_group: str | None) -> str | None:
    """The organisation type the published benchmarking group names (exact match only)."""
    return ORG_TYPES.get(benchmark_group) if benchmark_group else None


MIN_BASE = 10
"""Fewest responses the Staff Survey publishes a result for (fewer: '-')."""


def _cell(row: Sequence[Any], i: int) -> Any:
    return row[i] if i < len(row) else None


def _empty(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _dash(v: object) -> bool:
    return isinstance(v, str) and v.strip() == DASH


class StaffSurveyXlsx:
    """Source ``nss_xlsx``: the published Staff Survey workbook, read-only (see module docstring)."""

    name = "nss_xlsx"
    version = "2"
    description = ("the NHS Staff Survey detailed spreadsheet (organisational results) as "
                   "published by NHS England")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed(supersede="figure")
        with workbook(path, out.problems, self.description, read_only=True) as wb:
            if wb is not None:
                self._parse_workbook(wb, str(path), ctx, out)
        return out

    def _parse_workbook(self, wb: Any, where: str, ctx: ParseContext, out: Parsed) -> None:
        year: int | None = None
        orgs: dict[str, Organisation] = {}
        questions: dict[str, str] = {}
        sheets = [ws for ws in wb.worksheets if ws.title.strip().lower() != NOTES.lower()]
        if not sheets:
            out.problems.append(Problem(where, "no question sheets found; expected "
                                        + self.description))
            return
        heads: dict[str, list[tuple[Any, ...]]] = {}
        for ws in sheets:
            sw = f"{where}[{ws.title}]"
            rows = ws.iter_rows(min_row=1, max_row=HEADER_ROW, values_only=True)
            heads[ws.title] = [next(rows, ()) for _ in range(HEADER_ROW)]
            title = str(_cell(heads[ws.title][0], 0) or "")
            m = TITLE.search(title)
            if not m:
                out.problems.append(Problem(sw, f"found {title[:60]!r}; expected a title like "
                                            "'NHS Staff Survey 2024 - WEIGHTED Results'", 1, "A"))
            elif year is None:
                year = int(m.group(1))
            elif int(m.group(1)) != year:
                out.problems.append(Problem(sw, f"survey year {m.group(1)} differs from {year} "
                                            "in earlier sheets", 1, "A"))
        if year is None:
            return
        layout = LAYOUTS.get(year)
        if layout is None:
            out.problems.append(Problem(where, f"no published layout is recorded for survey "
                                        f"year {year}; record it in connectors/nss_layout.py "
                                        "(python -m connectors.nss_layout FILE) before "
                                        "importing, so that no column is misread"))
            self._check_question_map(year, questions, where, ctx, out)
            return
        expected = {name: blocks for name, blocks in layout}
        self._check_sheets(wb, expected, where, out)
        seen_in: dict[str, set[str]] = {}
        for ws in sheets:
            if ws.title not in expected:
                continue
            sw = f"{where}[{ws.title}]"
            columns = self._columns(heads[ws.title], expected[ws.title], sw, out, questions,
                                    ws.title, year)
            if columns is None:
                continue
            seen_in[ws.title] = self._rows(ws, sw, f"survey:{year}", columns, orgs, out)
        self._check_same_organisations(seen_in, orgs, where, out)
        self._check_question_map(year, questions, where, ctx, out)
        out.organisations = list(orgs.values())
        out.note = f"NHS Staff Survey {year}: {len(orgs)} organisations"

    def _check_sheets(self, wb: Any, expected: dict[str, tuple[Block, ...]], where: str,
                      out: Parsed) -> None:
        present = [ws.title for ws in wb.worksheets]
        names = [NOTES, *expected]
        listing = ", ".join(repr(n) for n in names)
        for name in names:
            if name not in present:
                out.problems.append(Problem(where, f"sheet {name!r} is missing; expected the "
                                            f"{len(names)} published sheets: {listing}"))
        for title in present:
            if title not in names:
                out.problems.append(Problem(where, f"found sheet {title!r}, which the "
                                            f"published file does not have"
                                            f"{did_you_mean(title, names)}; expected only "
                                            f"the {len(names)} published sheets"))

    def _columns(self, head: list[tuple[Any, ...]], blocks: tuple[Block, ...], sw: str,
                 out: Parsed, questions: dict[str, str], sheet: str, year: int
                 ) -> list[tuple[int, str, str, int]] | None:
        """Check rows 1 and 5 against the published layout; map each data column to
        (index, question, response, index of its base column)."""
        titles, labels = head[0], head[HEADER_ROW - 1]
        before = len(out.problems)
        found_fixed = [str(c).strip() if c is not None else "" for c in labels[:len(FIXED)]]
        if tuple(found_fixed) != FIXED:
            out.problems.append(Problem(sw, f"found headers {found_fixed}; expected "
                                        f"{list(FIXED)}", HEADER_ROW, "A"))
        columns: list[tuple[int, str, str, int]] = []
        responses: dict[str, list[str]] = {}
        i = len(FIXED)
        for code, block_labels in blocks:
            heading = _cell(titles, i)
            m = QUESTION.match(str(heading)) if heading is not None else None
            if m is None or m.group(1) != code:
                found = "an empty cell" if heading is None else repr(str(heading)[:60])
                out.problems.append(Problem(sw, f"found {found}; expected the heading of "
                                            f"question {code} ('{code} - …')", 1,
                                            column_letter(i + 1)))
                q = slug(code)
            else:
                q = slug(m.group(1))
                questions[q] = " ".join(m.group(2).split())
            base_at = i + len(block_labels) - 1
            for k, want in enumerate(block_labels):
                j = i + k
                raw = _cell(labels, j)
                got = str(raw).strip() if raw is not None else ""
                if got != want:
                    out.problems.append(Problem(sw, f"found response label "
                                                f"{got[:60]!r}; expected {want!r} (question "
                                                f"{code})", HEADER_ROW, column_letter(j + 1)))
                if k > 0 and _cell(titles, j) is not None:
                    out.problems.append(Problem(sw, f"found a heading inside question {code}'s "
                                                "columns; expected it empty", 1,
                                                column_letter(j + 1)))
                if want == BASE:
                    continue
                response = "score" if want.endswith("- score") else slug(want)
                columns.append((j, q, response, base_at))
                responses.setdefault(q, []).append(response)
            i += len(block_labels)
        for j in range(i, max(len(labels), len(titles))):
            extra = _cell(labels, j) if _cell(labels, j) is not None else _cell(titles, j)
            if not _empty(extra):
                out.problems.append(Problem(sw, f"found a column {str(extra)[:60]!r} after the "
                                            "last published question; expected nothing",
                                            HEADER_ROW, column_letter(j + 1)))
        if len(out.problems) > before:
            return None  # figures under wrong labels would be misread: report the layout only
        for q, resp in responses.items():
            out.questions.append(SurveyQuestion(survey_year=year, code=q,
                                                text=questions.get(q, ""), sheet=sheet,
                                                responses="|".join(resp)))
        return columns

    def _rows(self, ws: Any, sw: str, period: str, columns: list[tuple[int, str, str, int]],
              orgs: dict[str, Organisation], out: Parsed) -> set[str]:
        """Read every row to the end of the sheet (a blank code never ends it early)."""
        codes: set[str] = set()
        first_row: dict[str, int] = {}
        for r, row in enumerate(ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True),
                                start=FIRST_DATA_ROW):
            if all(_empty(v) for v in row):
                continue
            raw_code = _cell(row, 0)
            if _empty(raw_code):
                out.problems.append(Problem(sw, "blank ODS code in a row that holds figures; "
                                            "expected the organisation's ODS code", r, "A"))
                continue
            try:
                code = check_ods_code(str(raw_code))
            except InputError as exc:
                out.problems.append(Problem(sw, str(exc), r, "A"))
                continue
            out.rows_read += 1
            if code in first_row:
                out.problems.append(Problem(sw, f"{code} appears again (first on row "
                                            f"{first_row[code]}); expected one row per "
                                            "organisation", r, "A"))
                continue
            first_row[code] = r
            codes.add(code)
            if code in orgs:
                self._same_organisation(orgs[code], row, r, sw, out)
            else:
                org = self._organisation(code, row, r, sw, out)
                if org is None:
                    continue
                orgs[code] = org
                out.observations.append(ObservationRow(
                    code, period, "nss.weighting", note=_text(_cell(row, 5)), line=r))
            self._figures(row, r, code, period, columns, sw, out)
        if not codes:
            out.problems.append(Problem(sw, "no organisations found; expected one row per "
                                        f"organisation from row {FIRST_DATA_ROW}",
                                        FIRST_DATA_ROW, "A"))
        return codes

    @staticmethod
    def _same_organisation(org: Organisation, row: Sequence[Any], r: int, sw: str,
                           out: Parsed) -> None:
        """A code met on an earlier sheet names the same organisation and benchmarking group
        here: codes swapped between two rows of one sheet would put each trust's figures on
        the other."""
        def same(a: str | None, b: str | None) -> bool:
            return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()

        for i, known, what in ((1, org.name, "named"), (2, org.benchmark_group,
                                                         "in the benchmarking group")):
            found = _text(_cell(row, i))
            if found is not None and not same(found, known):
                out.problems.append(Problem(sw, f"found {found!r} for {org.code}, which an "
                                            f"earlier sheet has {what} {known!r}; expected the "
                                            "same organisation on every sheet's row for a code "
                                            "(a code or a row out of place?)", r,
                                            column_letter(i + 1)))

    def _organisation(self, code: str, row: Sequence[Any], r: int, sw: str,
                      out: Parsed) -> Organisation | None:
        missing = [(FIXED[i], column_letter(i + 1)) for i in (1, 2, 5)
                   if _text(_cell(row, i)) is None]
        for label, letter in missing:
            out.problems.append(Problem(sw, f"empty {label.lower()} for {code}; expected the "
                                        f"{label.lower()} as published", r, letter))
        if missing:
            return None
        bg = _text(_cell(row, 2))
        return Organisation(code=code, name=_text(_cell(row, 1)) or code, org_type=org_type(bg),
                            region=_text(_cell(row, 3)), ics=_text(_cell(row, 4)),
                            benchmark_group=bg)

    def _figures(self, row: Sequence[Any], r: int, code: str, period: str,
                 columns: list[tuple[int, str, str, int]], sw: str, out: Parsed) -> None:
        bases: dict[int, int | None] = {}
        bad_base: set[int] = set()
        for base_at in sorted({b for *_, b in columns}):
            raw = _cell(row, base_at)
            letter = column_letter(base_at + 1)
            if _dash(raw):
                bases[base_at] = None
            elif _empty(raw):
                out.problems.append(Problem(sw, "empty cell; expected the base (a whole number "
                                            "of responses) or '-'", r, letter))
                bad_base.add(base_at)
            else:
                try:
                    bases[base_at] = parse_count(raw)
                except CellError as exc:
                    out.problems.append(Problem(sw, f"{exc} (the base: number of responses) "
                                                "or '-'", r, letter))
                    bad_base.add(base_at)
        for i, q, resp, base_at in columns:
            raw = _cell(row, i)
            letter = column_letter(i + 1)
            limit = 10.0 if resp == "score" else 100.0
            what = "a score (0-10)" if resp == "score" else "a percentage (0-100)"
            if _dash(raw):
                if base_at not in bad_base:
                    out.observations.append(ObservationRow(
                        code, period, f"nss.{q}", breakdown=resp, suppressed=True,
                        denominator=bases.get(base_at), line=r))
                continue
            if _empty(raw):
                out.problems.append(Problem(sw, f"empty cell; expected {what} or '-' (fewer "
                                            "than 10 responses)", r, letter))
                continue
            try:
                value = parse_number(raw)
            except CellError as exc:
                out.problems.append(Problem(sw, f"{exc} or '-'", r, letter))
                continue
            if value is None:  # pragma: no cover - _empty() caught it
                continue
            if not 0 <= value <= limit:
                out.problems.append(Problem(sw, f"found {value}; expected 0-{limit:g}", r,
                                            letter))
                continue
            base = bases.get(base_at)
            if base is not None and base < MIN_BASE and base_at not in bad_base:
                # The publication shows '-' below 10 responses: a figure beside a smaller
                # base is a cell out of place, and would be shown as if it were sound.
                out.problems.append(Problem(sw, f"found a figure beside a base of {base} "
                                            f"responses (column {column_letter(base_at + 1)}); "
                                            f"expected '-' where there are fewer than "
                                            f"{MIN_BASE} responses", r, letter))
                continue
            if base_at not in bad_base:
                out.observations.append(ObservationRow(
                    code, period, f"nss.{q}", breakdown=resp, value=value,
                    denominator=base, line=r))

    def _check_same_organisations(self, seen_in: dict[str, set[str]],
                                  orgs: dict[str, Organisation], where: str,
                                  out: Parsed) -> None:
        """Every sheet lists every organisation: a row lost from one sheet is named."""
        every = set().union(*seen_in.values()) if seen_in else set()
        for sheet, codes in seen_in.items():
            for code in sorted(every - codes):
                name = orgs[code].name if code in orgs else code
                out.problems.append(Problem(f"{where}[{sheet}]", f"{code} ({name}) is missing "
                                            "from this sheet; expected every organisation on "
                                            "every sheet"))

    def _check_question_map(self, year: int, questions: dict[str, str], where: str,
                            ctx: ParseContext, out: Parsed) -> None:
        cat = ctx.catalogue
        mapping = cat.survey_years.get(year)
        if mapping is None:
            out.problems.append(Problem(where, f"survey year {year} has no question map in the "
                                        "metric catalogue; add survey_questions.years."
                                        f"{year} before importing (question numbers change "
                                        "between years)"))
            return
        if not questions:
            return  # the layout problems already say why no question was read
        for concept, code in mapping.items():
            stem = cat.survey_concepts[concept]
            text = questions.get(code)
            if text is None:
                out.problems.append(Problem(where, f"question {code} ({concept}) not found in "
                                            f"this {year} file; the catalogue's question map "
                                            "does not fit it"))
            elif stem.lower() not in (code.replace("_", " ") + " " + text).lower():
                out.problems.append(Problem(where, f"question {code} reads {text[:70]!r}; "
                                            f"expected it to be about '{stem}' ({concept}). "
                                            "Is this a file from another survey year?"))


def _text(v: object) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return None if s in ("", DASH) else s
