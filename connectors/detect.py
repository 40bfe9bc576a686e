"""Which importer reads a file: guessed from its name and first bytes (``--source`` overrides).

A ``.csv`` is an organisation register when its header has ``code`` and ``name``, the gov.uk
gender pay gap download when it has ``DiffMeanHourlyPercent`` (any case), a person-level pay
extract when it has ``hourly_pay``, a career-stage extract when it has ``year_end`` and its
own column (:data:`CAREER_COLUMNS`), a person-level ESR extract when it has
``ethnic_category``, and tidy metrics otherwise; a
workbook is an annual return when it has a ``Workforce`` sheet, and the Staff Survey file
otherwise. A wrong guess is harmless: the chosen importer refuses the file and says why.
"""

from __future__ import annotations

from pathlib import Path

from assurance.problems import Problem, ProblemsError
from assurance.safeinput import open_regular, require_file
from connectors import SOURCES

CAREER_COLUMNS = (("furthest_stage", "recruitment_csv"), ("case_type", "cases_csv"),
                  ("appraisal", "appraisal_csv"), ("training", "development_csv"),
                  ("acting_up", "development_csv"), ("secondment", "development_csv"),
                  ("talent_pool", "development_csv"))
"""A career-stage extract (``year_end`` and its own column) → its importer."""


def detect_source(path: Path) -> str:
    """The name of the importer (a key of :data:`connectors.SOURCES`) for ``path``.

    Raises:
        ProblemsError: the file is not a regular file within the size limit (checked before
            anything opens it: a FIFO named ``x.csv`` would block for ever), or its suffix is
            not one any importer reads.
    """
    require_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with open_regular(path) as fh:
                head = fh.readline(65536).decode("utf-8-sig", errors="replace")
        except (OSError, ProblemsError):
            return "metrics_csv"  # the importer names the encoding problem and where
        # The first line, whatever ends it (a file saved with carriage returns alone, as
        # "CSV (Macintosh)" does, is one line to readline).
        first = next(iter(head.splitlines()), "")
        if not first.strip(",; \t\ufeff"):
            raise ProblemsError([Problem(str(path), "no header row (the file is empty, or its "
                                         "first line is blank); expected a CSV file whose "
                                         "first line names its columns, e.g. org_code,"
                                         "period,metric,… for figures (pass --source to name "
                                         "the format: " + ", ".join(SOURCES) + ")", 1)])
        cols = {c.strip().strip('"').lower() for c in first.split(",")}
        if {"code", "name"} <= cols:
            return "organisations_csv"
        if "diffmeanhourlypercent" in cols:
            return "gpg_csv"
        if "hourly_pay" in cols:
            return "pay_csv"
        career = next((src for col, src in CAREER_COLUMNS if col in cols and "year_end" in cols),
                      None)
        if career is not None:
            return career
        return "esr_csv" if "ethnic_category" in cols else "metrics_csv"
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # only a workbook needs it (0.2 s to import)

        from connectors.tabular import workbook

        either = ("one of the workbooks this product reads: " + SOURCES["returns_xlsx"].description
                  + ", or " + SOURCES["nss_xlsx"].description)
        if path.stat().st_size == 0:
            raise ProblemsError([Problem(str(path), "file is empty; expected " + either)])
        try:
            wb = load_workbook(path, read_only=True)
            names = set(wb.sheetnames)
            wb.close()
        except Exception:  # not a workbook: say what it is, naming both kinds expected
            problems: list[Problem] = []
            with workbook(path, problems, either):
                pass
            if problems:
                raise ProblemsError(problems) from None
            return "nss_xlsx"  # readable after all (not read-only): the importer reads it
        return "returns_xlsx" if "Workforce" in names else "nss_xlsx"
    raise ProblemsError([Problem(str(path), f"cannot tell the format of a '{suffix}' file; "
                                 "pass --source (" + ", ".join(SOURCES) + ")")])
