"""Person-level ESR-style workforce extract → WRES 1 / WDES 1 head counts. Nothing personal is kept.

Ethnicity and disability are special-category data (UK GDPR Art. 9). This source **streams**
the extract row by row, keeps only running counts per organisation, year, band and group,
and returns those counts; no person-level value is stored or echoed in any message (errors
name the row and column and describe the problem, never the person). Other columns (staff
numbers, names …) are never read.

Columns (header required, order free; extra columns ignored):

* ``org_code`` — the employing organisation (registered);
* ``snapshot_date`` — the 31 March snapshot, ``YYYY-03-31``;
* ``band`` — ``Band 5``/``5``/``8c``/``VSM``/``Consultant``/``Career grade``/``Trainee``;
* ``ethnic_category`` — NHS Data Dictionary ETHNIC CATEGORY code: first character A–C →
  White; D–S → BME; Z (not stated), 99 or blank → unknown. Codes in config
  ``[ethnicity.map]`` take precedence (census-2021 style codes have no published WRES
  mapping: domain.md §1);
* ``disability`` — ``Yes`` / ``No`` / ``Not declared`` / blank.

Memory is bounded by the number of (organisation, year, band, group) combinations, not by
the number of staff, so a national extract of 1.4 million rows streams in constant memory.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path

from assurance.ingest import ObservationRow, ParseContext, Parsed
from assurance.problems import Problem, did_you_mean

REQUIRED = ("org_code", "snapshot_date", "band", "ethnic_category", "disability")
MAX_PROBLEMS = 1000
BMEFIRST = set("DEFGHJKLMNPRS")
WHITEFIRST = set("ABC")
DISABILITY = {"yes": "disabled", "y": "disabled", "no": "non_disabled", "n": "non_disabled",
              "not declared": "unknown", "prefer not to say": "unknown", "unspecified": "unknown",
              "": "unknown"}
BANDS = {"vsm": "vsm", "very senior manager": "vsm", "consultant": "medical:consultant",
         "medical consultant": "medical:consultant",
         "career grade": "medical:non_consultant_career",
         "non-consultant career grade": "medical:non_consultant_career",
         "trainee": "medical:trainee", "trainee grade": "medical:trainee"}
BAND_RE = re.compile(r"^(?:afc\s+)?(?:band\s*)?([1-9]|8[a-d])$")


def band_key(raw: str) -> str | None:
    text = " ".join(raw.strip().lower().split())
    if text in BANDS:
        return BANDS[text]
    m = BAND_RE.match(text)
    return f"band:{m.group(1)}" if m else None


def ethnic_group(code: str, mapping: dict[str, str]) -> str | None:
    code = code.strip().upper()
    if code in mapping:
        return mapping[code]
    if code in ("", "Z", "99"):
        return "unknown"
    first = code[0]
    if first in WHITEFIRST:
        return "white"
    if first in BMEFIRST:
        return "bme"
    return None


class EsrCsv:
    """Source ``esr_csv``: streams an ESR-style extract into head counts (see module docstring).

    Problems are capped at ``MAX_PROBLEMS`` with a count of the rest, so a wholly wrong national
    extract gives a readable report rather than a million lines.
    """

    name = "esr_csv"
    version = "1"
    description = ("a person-level ESR-style extract CSV (org_code, snapshot_date, band, "
                   "ethnic_category, disability), aggregated on import")

    def parse(self, path: Path, ctx: ParseContext) -> Parsed:
        out = Parsed()
        where = str(path)
        mapping = {k.upper(): v for k, v in ctx.ethnicity_map.items()}
        eth: Counter[tuple[str, int, str, str]] = Counter()
        dis: Counter[tuple[str, int, str, str]] = Counter()
        extra = 0

        def bad(line: int, column: str, message: str) -> None:
            nonlocal extra
            if len(out.problems) < MAX_PROBLEMS:
                out.problems.append(Problem(where, message, line, column))
            else:
                extra += 1

        try:
            fh = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            out.problems.append(Problem(where, f"cannot read: {exc.strerror}"))
            return out
        with fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader)]
            except (StopIteration, UnicodeDecodeError, csv.Error):
                out.problems.append(Problem(where, "no header row; expected " + ", ".join(REQUIRED)))
                return out
            missing = [c for c in REQUIRED if c not in header]
            for c in missing:
                out.problems.append(Problem(where, f"missing column '{c}'"
                                            f"{did_you_mean(c, header)}", 1))
            if missing:
                return out
            idx = {c: header.index(c) for c in REQUIRED}
            line = 1
            try:
                for line, cells in enumerate(reader, start=2):
                    if not any(cells):
                        continue
                    if len(cells) < len(header):
                        bad(line, "", f"found {len(cells)} cells; expected {len(header)}")
                        continue
                    out.rows_read += 1
                    org = cells[idx["org_code"]].strip().upper()
                    if org not in ctx.known_orgs:
                        bad(line, "org_code", f"unknown organisation code {org!r}; register it "
                            "first (assurance orgs import)")
                        continue
                    try:
                        snap = date.fromisoformat(cells[idx["snapshot_date"]].strip())
                    except ValueError:
                        bad(line, "snapshot_date", "expected a date like 2025-03-31")
                        continue
                    if (snap.month, snap.day) != (3, 31):
                        bad(line, "snapshot_date", "expected the 31 March snapshot date")
                        continue
                    band = band_key(cells[idx["band"]])
                    if band is None:
                        bad(line, "band", "unrecognised band; expected e.g. 'Band 5', '8c', "
                            "'VSM', 'Consultant', 'Career grade' or 'Trainee'")
                        continue
                    group = ethnic_group(cells[idx["ethnic_category"]], mapping)
                    if group is None:
                        bad(line, "ethnic_category", "ethnic category code has no WRES "
                            "mapping; add it to [ethnicity.map] in config.toml")
                        continue
                    d = DISABILITY.get(cells[idx["disability"]].strip().lower())
                    if d is None:
                        bad(line, "disability", "expected Yes, No or Not declared")
                        continue
                    eth[(org, snap.year, band, group)] += 1
                    dis[(org, snap.year, band, d)] += 1
            except (UnicodeDecodeError, csv.Error) as exc:
                out.problems.append(Problem(where, f"unreadable after row {line}: {exc}; save "
                                            "the file as CSV UTF-8"))
                return out
        if extra:
            out.problems.append(Problem(where, f"… and {extra} more problems"))
        if out.problems:
            return out
        out.observations = [*_rows("wres.1", eth, ("white", "bme", "unknown")),
                            *_rows("wdes.1", dis, ("disabled", "non_disabled", "unknown"))]
        out.note = f"aggregated {out.rows_read:,} person-level rows; no person-level data kept"
        return out


def _rows(metric: str, counts: Counter[tuple[str, int, str, str]],
          groups: tuple[str, ...]) -> list[ObservationRow]:
    """Head counts per band and overall, every group present (zeros included)."""
    bands: dict[tuple[str, int], set[str]] = {}
    for org, year, band, _ in counts:
        bands.setdefault((org, year), set()).add(band)
    out = []
    for (org, year), present in sorted(bands.items()):
        overall = {g: 0 for g in groups}
        for band in sorted(present):
            total = sum(counts[(org, year, band, g)] for g in groups)
            for g in groups:
                n = counts[(org, year, band, g)]
                overall[g] += n
                out.append(ObservationRow(org, f"wres:{year}", metric, g, band, numerator=n,
                                          denominator=total))
        total = sum(overall.values())
        out.extend(ObservationRow(org, f"wres:{year}", metric, g, "overall", numerator=n,
                                  denominator=total) for g, n in overall.items())
    return out
