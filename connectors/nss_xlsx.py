"""The official NHS Staff Survey detailed spreadsheet (organisational results), as published.

Layout of each question sheet (checked, not assumed): row 1 holds question headings
(``Q14a - In the last 12 months …``) at the first column of each question's block; row 5
holds the column labels: ``ODS code, Organisation name, Benchmarking group, Region, ICS,
Weighting`` then ``% <response>`` … ``Base (number of responses)`` per question (score sheets:
``<code> - score``, ``Base …``); organisations from row 6 until the first empty row. ``-``
means fewer than 10 responses: stored as suppressed, never as zero.

Stored: every response percentage as ``nss.<question>`` with the response as breakdown and
the base as denominator; the organisation register (name, benchmarking group, region, ICS)
so peers can be compared; question texts per survey year. The year comes from the title
cell, and the questions the WRES/WDES metrics use are checked against the catalogue's map
for that year, so a file from another year with renumbered questions is refused rather
than misread.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl.utils import get_column_letter

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.models import Organisation, SurveyQuestion
from assurance.problems import Problem
from connectors.tabular import CellError, parse_count, parse_number, workbook

FIXED = ("ODS code", "Organisation name", "Benchmarking group", "Region", "ICS", "Weighting")
TITLE = re.compile(r"NHS Staff Survey (\d{4})")
QUESTION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s+-\s+(.+)$", re.S)
BASE = "Base (number of responses)"
HEADER_ROW, FIRST_DATA_ROW = 5, 6

ORG_TYPES = {
    "Acute": "acute", "Acute Specialist": "acute specialist", "Mental Health": "mental health",
    "Community": "community", "Ambulance": "ambulance", "ICB": "ICB", "CSU": "CSU",
    "Social Enterprise": "social enterprise", "Community Surgical": "community surgical",
}


def slug(text: str) -> str:
    """``% Yes, frequently`` → ``yes_frequently``; ``Staff Engagement`` → ``staff_engagement``."""
    text = text.strip().lstrip("%").strip().lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def org_type(benchmark_group: str | None) -> str | None:
    if not benchmark_group:
        return None
    for prefix, kind in ORG_TYPES.items():
        if benchmark_group.startswith(prefix):
            return kind
    return None


class StaffSurveyXlsx:
    """Source ``nss_xlsx``: the published Staff Survey workbook, read-only (see module docstring)."""

    name = "nss_xlsx"
    version = "1"
    description = ("the NHS Staff Survey detailed spreadsheet (organisational results) as "
                   "published by NHS England")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        with workbook(path, out.problems, self.description, read_only=True) as wb:
            if wb is not None:
                self._parse_workbook(wb, str(path), ctx, out)
        return out

    def _parse_workbook(self, wb, where: str, ctx: ParseContext, out: Parsed) -> None:
        year: int | None = None
        orgs: dict[str, Organisation] = {}
        questions: dict[str, str] = {}
        sheets = [ws for ws in wb.worksheets if ws.title.strip().lower() != "notes"]
        if not sheets:
            out.problems.append(Problem(where, "no question sheets found; expected "
                                        + self.description))
            return
        for ws in sheets:
            sw = f"{where}[{ws.title}]"
            rows = ws.iter_rows(values_only=True)
            head = [next(rows, ()) for _ in range(HEADER_ROW)]
            title = str(head[0][0] if head[0] else "")
            m = TITLE.search(title)
            if not m:
                out.problems.append(Problem(sw, f"found {title[:60]!r}; expected a title like "
                                            "'NHS Staff Survey 2024 - WEIGHTED Results'", 1, "A"))
                continue
            if year is None:
                year = int(m.group(1))
            elif int(m.group(1)) != year:
                out.problems.append(Problem(sw, f"survey year {m.group(1)} differs from {year} "
                                            "in earlier sheets", 1, "A"))
            labels = [str(c).strip() if c is not None else "" for c in head[HEADER_ROW - 1]]
            if tuple(labels[:6]) != FIXED:
                out.problems.append(Problem(sw, f"found headers {labels[:6]}; expected "
                                            f"{list(FIXED)}", HEADER_ROW, "A"))
                continue
            columns = self._columns(head[0], labels, sw, out, questions, ws.title, year)
            if columns is None:
                continue
            for r, row in enumerate(rows, start=FIRST_DATA_ROW):
                code = str(row[0]).strip().upper() if row and row[0] is not None else ""
                if not code:
                    break
                out.rows_read += 1
                if code not in orgs:
                    bg = _text(row[2])
                    orgs[code] = Organisation(code=code, name=_text(row[1]) or code,
                                              org_type=org_type(bg), region=_text(row[3]),
                                              ics=_text(row[4]), benchmark_group=bg)
                    out.observations.append(ObservationRow(
                        code, f"survey:{year}", "nss.weighting", note=_text(row[5]), line=r))
                self._row(row, r, code, f"survey:{year}", columns, sw, out)
        if year is None:
            return
        self._check_question_map(year, questions, where, ctx, out)
        out.organisations = list(orgs.values())
        out.note = f"NHS Staff Survey {year}: {len(orgs)} organisations"
        out.supersede = "figure"

    def _columns(self, titles, labels, sw, out, questions, sheet, year):
        """Map each data column to (question code, response slug)."""
        columns: list[tuple[int, str, str]] = []
        current: str | None = None
        responses: dict[str, list[str]] = {}
        for i in range(len(FIXED), len(labels)):
            heading = titles[i] if i < len(titles) else None
            if heading:
                m = QUESTION.match(str(heading))
                if not m:
                    out.problems.append(Problem(sw, f"found {str(heading)[:60]!r}; expected a "
                                                "question heading like 'Q14a - …'", 1,
                                                get_column_letter(i + 1)))
                    return None
                current = slug(m.group(1))
                questions[current] = " ".join(m.group(2).split())
                responses.setdefault(current, [])
            label = labels[i]
            if not label:
                continue
            if current is None:
                out.problems.append(Problem(sw, "data column before any question heading",
                                            HEADER_ROW, get_column_letter(i + 1)))
                return None
            response = "base" if label == BASE else ("score" if label.endswith("- score")
                                                    else slug(label))
            if not label.startswith("%") and response not in ("base", "score"):
                out.problems.append(Problem(sw, f"found column label {label!r}; expected "
                                            f"'% <response>', '<code> - score' or '{BASE}'",
                                            HEADER_ROW, get_column_letter(i + 1)))
                return None
            columns.append((i, current, response))
            if response != "base":
                responses[current].append(response)
        for code, resp in responses.items():
            out.questions.append(SurveyQuestion(survey_year=year or 0, code=code,
                                                text=questions[code], sheet=sheet,
                                                responses="|".join(resp)))
        return columns

    def _row(self, row, r, code, period, columns, sw, out) -> None:
        bases: dict[str, int | None] = {}
        for i, q, resp in columns:
            if resp == "base":
                raw = row[i] if i < len(row) else None
                try:
                    bases[q] = None if raw == "-" else parse_count(raw)
                except CellError as exc:
                    out.problems.append(Problem(sw, str(exc), r, get_column_letter(i + 1)))
        for i, q, resp in columns:
            if resp == "base":
                continue
            raw = row[i] if i < len(row) else None
            if raw == "-":
                out.observations.append(ObservationRow(code, period, f"nss.{q}", breakdown=resp,
                                                       suppressed=True, line=r))
                continue
            try:
                value = parse_number(raw)
            except CellError as exc:
                out.problems.append(Problem(sw, f"{exc} or '-'", r, get_column_letter(i + 1)))
                continue
            if value is None:
                continue
            limit = 10.0 if resp == "score" else 100.0
            if not 0 <= value <= limit:
                out.problems.append(Problem(sw, f"found {value}; expected 0-{limit:g}", r,
                                            get_column_letter(i + 1)))
                continue
            out.observations.append(ObservationRow(code, period, f"nss.{q}", breakdown=resp,
                                                   value=value, denominator=bases.get(q),
                                                   line=r))

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
    return None if s in ("", "-") else s
