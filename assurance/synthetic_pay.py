"""Deterministic synthetic person-level pay extracts (``pay_csv``), for the demo and the tests.

Each trust's staff have the features pay gap reporting must handle: men paid about 12% more,
White staff about 5% and non-disabled staff about 4% more; hourly pay in whole 50p steps so
that people on the same pay straddle quartile boundaries; about 3% not full-pay relevant
(blank hourly pay); about 15% with a bonus; sex written four ways, blank and X; ethnic
categories A-S, Z, 99 and blank; and a division named ``Corporate Services`` with few disabled
staff, so its disability gap is not calculable. Staff numbers are made up (``E00001``…) and
never read by the importer. The same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

HEADER = ("staff_number", "org_code", "snapshot_date", "sex", "ethnic_category", "disability",
          "hourly_pay", "bonus_pay", "division", "band")
ETHNIC = ["A"] * 8 + ["B", "C", "C2"] + ["D", "E", "H", "J", "K", "L", "M", "N", "P", "R",
                                          "S"] + ["Z", "99", ""]
BASE_PAY = [11.44, 12.25, 13.10, 14.28, 15.50, 17.60, 20.12, 24.48, 30.10, 38.90, 52.75]
SMALL_DIVISION = "Corporate Services"


def pay_rows(org: str, seed: int, divisions: Mapping[str, int], *,
             snapshot: str = "2025-03-31", first: int = 1) -> list[tuple[str, ...]]:
    """One trust's staff: ``divisions`` maps each division's name to its headcount."""
    rng = random.Random(seed)
    out: list[tuple[str, ...]] = []
    n = first - 1
    for division, size in divisions.items():
        for _ in range(size):
            n += 1
            sex = rng.choices(["Female", "Male", "F", "M", "", "X"], [50, 22, 12, 10, 2, 1])[0]
            eth = rng.choice(ETHNIC)
            disabled_weight = 12 if division != SMALL_DIVISION else 2
            dis = rng.choices(["No", "Yes", "Not declared", ""], [70, disabled_weight, 10, 5])[0]
            base = rng.choice(BASE_PAY)
            uplift = ((sex in ("Male", "M")) * 0.12 + (eth[:1] in "ABC" and eth != "") * 0.05
                      + (dis == "No") * 0.04)
            pay = round(base * (1 + uplift + rng.uniform(-0.05, 0.05)) * 2) / 2
            hourly = "" if rng.random() < 0.03 else f"{pay:.2f}"
            bonus = ""
            if rng.random() < 0.15:
                amount = rng.choice([250, 500, 750, 1000, 1500, 3000])
                bonus = f"{amount * (1.3 if sex in ('Male', 'M') else 1):.2f}"
            band = rng.choice(["Band 5", "Band 6", "7", "8a"])
            out.append((f"E{n:05d}", org, snapshot, sex, eth, dis, hourly, bonus, division,
                        band))
    return out


def write_pay_extract(path: Path, orgs: Sequence[str], seed: int,
                      divisions: Mapping[str, int]) -> Path:
    """One pay extract for ``orgs`` (each with its own draw), as ``pay_csv`` reads it."""
    rows: list[tuple[str, ...]] = []
    for i, org in enumerate(orgs):
        rows += pay_rows(org, seed + i, divisions, first=len(rows) + 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path
