"""Deterministic synthetic data: a demo set and a national-scale set.

Every organisation is clearly fictional: codes start ``SY`` (never allocated by ODS), names
say "Synthetic", and the register marks them ``synthetic=yes`` so every report and message
labels them. Counts are drawn with a seeded generator, so the same seed gives the same files
byte for byte.

The demo set embeds situations the shipped rules must find (README "Demo data"):

* ``SYN01`` Northmoor — WRES 2 sits near 1.6 every year (flatlining), and the BME share of
  its appointments halves over the last 8 months (a special-cause fall on an SPC chart);
* ``SYN02`` Eastbrook — no voting board member declares a disability;
* ``SYN03`` Riverside — improving steadily on WRES 2, 3 and senior BME representation;
* ``SYN04`` Hillcrest — poor ethnicity and disability declaration on ESR;
* ``SYN05`` Westvale — the 2023 return is missing;
* ``SYN06`` Lakeside — a trust meeting most standards (the "assure" case).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BANDS = ("band:1", "band:2", "band:3", "band:4", "band:5", "band:6", "band:7", "band:8a",
         "band:8b", "band:8c", "band:8d", "band:9", "vsm", "medical:consultant",
         "medical:non_consultant_career", "medical:trainee")
# Share of the workforce in each band (sums to 1) and how BME representation scales by band.
BAND_WEIGHT = (0.005, 0.12, 0.13, 0.08, 0.16, 0.17, 0.12, 0.05, 0.025, 0.012, 0.006, 0.003,
               0.002, 0.04, 0.02, 0.077)
BAND_BME_FACTOR = (0.8, 1.0, 0.9, 0.8, 1.3, 1.2, 0.9, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 1.4, 1.7,
                   1.6)
REGIONS = ("London", "Midlands", "North East and Yorkshire", "North West", "East of England",
           "South East", "South West")
TYPES = (("acute", "Acute and Acute & Community Trusts"),
         ("mental health", "Mental Health & Learning Disability and Mental Health, Learning "
                           "Disability & Community Trusts"),
         ("community", "Community Trusts"), ("ambulance", "Ambulance Trusts"))
CSV_HEADER = ("org_code", "period", "metric", "group", "breakdown", "numerator", "denominator",
              "value", "note")


@dataclass
class Profile:
    """How one synthetic trust behaves over the years."""

    code: str
    name: str
    org_type: str = "acute"
    benchmark_group: str = TYPES[0][1]
    region: str = "Midlands"
    headcount: int = 6000
    bme_share: float = 0.26
    disabled_share: float = 0.05
    eth_unknown: float = 0.04
    dis_unknown: float = 0.18
    rl2: tuple[float, float] = (1.45, 1.45)  # WRES 2 at the first and last year
    rl3: tuple[float, float] = (1.3, 1.3)
    senior_factor: tuple[float, float] = (1.0, 1.0)  # multiplies senior BME representation
    board_disabled: int = 1
    board_bme: int = 2
    missing_years: tuple[int, ...] = ()
    gap_pp: tuple[float, float] = (6.0, 6.0)  # survey: BME worse than White by this many points
    extra: dict[str, float] = field(default_factory=dict)


DEMO_PROFILES = (
    Profile("SYN01", "Northmoor Synthetic NHS Trust", region="North West", rl2=(1.61, 1.58),
            rl3=(1.5, 1.45), gap_pp=(9.0, 9.5), board_disabled=1, board_bme=1),
    Profile("SYN02", "Eastbrook Synthetic NHS Foundation Trust", region="East of England",
            headcount=4200, rl2=(1.2, 1.15), board_disabled=0, board_bme=2),
    Profile("SYN03", "Riverside Synthetic Teaching Hospitals NHS Trust", region="London",
            headcount=9000, bme_share=0.42, rl2=(1.7, 1.05), rl3=(1.9, 1.05),
            senior_factor=(0.7, 2.4), gap_pp=(10.0, 2.0), board_bme=4),
    Profile("SYN04", "Hillcrest Synthetic Community NHS Trust", org_type="community",
            benchmark_group=TYPES[2][1], region="South West", headcount=2500, bme_share=0.12,
            eth_unknown=0.22, dis_unknown=0.45, rl2=(1.3, 1.35)),
    Profile("SYN05", "Westvale Synthetic Mental Health NHS Foundation Trust",
            org_type="mental health", benchmark_group=TYPES[1][1], region="Midlands",
            headcount=3800, rl2=(1.35, 1.3), missing_years=(2023,)),
    Profile("SYN06", "Lakeside Synthetic NHS Trust", region="South East", headcount=5200,
            rl2=(1.1, 1.02), rl3=(1.1, 0.98), gap_pp=(3.0, 1.0), senior_factor=(1.1, 2.6),
            board_disabled=2, board_bme=3),
)


def national_profiles(n: int = 215, seed: int = 2024) -> tuple[Profile, ...]:
    """About 215 synthetic trusts with varied size, type, region and trajectories."""
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        kind, group = TYPES[0] if i % 5 else TYPES[rng.randrange(1, 4)]
        start = rng.uniform(1.0, 2.0)
        out.append(Profile(
            code=f"SY{i:03d}", name=f"Synthetic Trust {i:03d}", org_type=kind,
            benchmark_group=group, region=REGIONS[i % len(REGIONS)],
            headcount=rng.randrange(1500, 16000), bme_share=rng.uniform(0.05, 0.5),
            disabled_share=rng.uniform(0.02, 0.08), eth_unknown=rng.uniform(0.01, 0.15),
            dis_unknown=rng.uniform(0.05, 0.45), rl2=(start, start + rng.uniform(-0.6, 0.2)),
            rl3=(rng.uniform(0.8, 2.2), rng.uniform(0.8, 1.8)),
            senior_factor=(rng.uniform(0.5, 1.0), rng.uniform(0.6, 1.4)),
            board_disabled=rng.choice((0, 0, 1, 1, 2)), board_bme=rng.randrange(0, 5),
            missing_years=(2018,) if i % 37 == 0 else (),
            gap_pp=(rng.uniform(0, 12), rng.uniform(-2, 10)),
        ))
    return tuple(out)


def _draw(rng: random.Random, n: int, p: float) -> int:
    """A binomial-like count (normal approximation, clipped) for n people at rate p."""
    p = min(max(p, 0.0), 1.0)
    x = round(n * p + math.sqrt(max(n * p * (1 - p), 0.0)) * rng.gauss(0, 1))
    return min(max(x, 0), n)


def _lerp(pair: tuple[float, float], t: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * t


def _rows(p: Profile, years: range, rng: random.Random) -> Iterator[tuple[object, ...]]:
    first, last = years[0], years[-1]
    for year in years:
        if year in p.missing_years:
            continue
        t = (year - first) / max(last - first, 1)
        wres = f"wres:{year}"
        # WRES 1 / WDES 1: headcount by band.
        totals = {"white": 0, "bme": 0, "unknown": 0}
        dtotals = {"disabled": 0, "non_disabled": 0, "unknown": 0}
        senior = _lerp(p.senior_factor, t)
        headcount = int(p.headcount * (1 + 0.02 * (year - first)))
        for band, w, f in zip(BANDS, BAND_WEIGHT, BAND_BME_FACTOR, strict=True):
            n = max(int(headcount * w), 3)
            is_senior = band in ("band:8c", "band:8d", "band:9", "vsm")
            share = min(p.bme_share * f * (senior if is_senior else 1.0) * (1 + 0.03 * t), 0.9)
            unknown = _draw(rng, n, p.eth_unknown)
            bme = _draw(rng, n - unknown, share)
            counts = {"white": n - unknown - bme, "bme": bme, "unknown": unknown}
            dunk = _draw(rng, n, p.dis_unknown)
            dis = _draw(rng, n - dunk, p.disabled_share * (1 + 0.4 * t))
            dcounts = {"disabled": dis, "non_disabled": n - dunk - dis, "unknown": dunk}
            for g, c in counts.items():
                totals[g] += c
                yield (p.code, wres, "wres.1", g, band, c, n, "", "")
            for g, c in dcounts.items():
                dtotals[g] += c
                yield (p.code, wres, "wdes.1", g, band, c, n, "", "")
        total = sum(totals.values())
        for g, c in totals.items():
            yield (p.code, wres, "wres.1", g, "overall", c, total, "", "")
        for g, c in dtotals.items():
            yield (p.code, wres, "wdes.1", g, "overall", c, total, "", "")
        # Relative likelihoods from counts.
        yield from _rl(p.code, wres, "wres.2", ("white", "bme"), _lerp(p.rl2, t), 0.22,
                       (int(total * 0.35), int(total * 0.3)), rng)
        yield from _rl(p.code, wres, "wres.3", ("bme", "white"), _lerp(p.rl3, t), 0.012,
                       (totals["bme"], totals["white"]), rng)
        yield from _rl(p.code, wres, "wres.4", ("white", "bme"), 1.05, 0.6,
                       (totals["white"], totals["bme"]), rng)
        yield from _rl(p.code, wres, "wdes.2", ("non_disabled", "disabled"), 1.1, 0.2,
                       (int(total * 0.5), max(int(total * 0.04), 10)), rng)
        yield from _rl(p.code, wres, "wdes.3", ("disabled", "non_disabled"), 2.0, 0.004,
                       (dtotals["disabled"], dtotals["non_disabled"]), rng)
        # Board (WRES 9, WDES 10).
        voting, execs = 12, 7
        bme_b = min(p.board_bme, voting)
        dis_b = min(p.board_disabled, voting)
        for metric, groups in (("wres.9", (("bme", bme_b), ("white", voting - bme_b - 1),
                                           ("unknown", 1))),
                               ("wdes.10", (("disabled", dis_b),
                                            ("non_disabled", voting - dis_b - 1),
                                            ("unknown", 1)))):
            focus_execs = min(groups[0][1], execs)
            execs_by_group = {groups[0][0]: focus_execs, groups[1][0]: execs - focus_execs,
                              "unknown": 0}
            for g, c in groups:
                yield (p.code, wres, metric, g, "board_voting", c, voting, "", "")
                yield (p.code, wres, metric, g, "board_executive", execs_by_group[g], execs,
                       "", "")
            src = totals if metric == "wres.9" else dtotals
            for g, c in src.items():
                yield (p.code, wres, metric, g, "workforce", c, total, "", "")
        narrative = year >= first + 2 or p.code != "SYN02"
        yield (p.code, wres, "wdes.9b", "all", "", "", "", 1.0 if narrative else 0.0,
               "Disability staff network chaired by a board sponsor; reverse mentoring"
               if narrative else "")
        # Staff Survey breakdowns for the survey year feeding this WRES year.
        yield from _survey(p, year - 1, _lerp(p.gap_pp, t), totals, dtotals, rng)


def _rl(org: str, period: str, metric: str, groups: tuple[str, str], rl: float, base: float,
        pools: tuple[int, int], rng: random.Random) -> Iterator[tuple[object, ...]]:
    focus_n, ref_n = max(pools[0], 1), max(pools[1], 1)
    ref_rate = base
    focus_rate = min(base * rl, 0.95)
    yield (org, period, metric, groups[0], "", _draw(rng, focus_n, focus_rate), focus_n, "", "")
    yield (org, period, metric, groups[1], "", _draw(rng, ref_n, ref_rate), ref_n, "", "")
    yield (org, period, metric, "unknown", "", _draw(rng, 40, base), 40, "", "")


SURVEY = (  # metric, breakdown, base % for the better-off group, adverse direction (+1 higher)
    ("wres.5", "", 25.0, +1), ("wres.6", "", 22.0, +1), ("wres.7", "", 58.0, -1),
    ("wres.8", "", 6.0, +1),
    ("wdes.4a", "patients_public", 26.0, +1), ("wdes.4a", "managers", 9.0, +1),
    ("wdes.4a", "colleagues", 17.0, +1), ("wdes.4b", "", 48.0, -1), ("wdes.5", "", 56.0, -1),
    ("wdes.6", "", 18.0, +1), ("wdes.7", "", 45.0, -1),
)


def _survey(p: Profile, survey_year: int, gap: float, totals: dict[str, int],
            dtotals: dict[str, int], rng: random.Random) -> Iterator[tuple[object, ...]]:
    period = f"survey:{survey_year}"
    resp = 0.45
    for metric, bd, base, sign in SURVEY:
        race = metric.startswith("wres")
        focus, ref = ("bme", "white") if race else ("disabled", "non_disabled")
        n_focus = max(int((totals["bme"] if race else dtotals["disabled"] * 4) * resp), 11)
        n_ref = max(int((totals["white"] if race else dtotals["non_disabled"]) * resp), 11)
        g = gap if race else gap * 0.8
        for grp, n, pct in ((focus, n_focus, base + sign * g), (ref, n_ref, base)):
            v = min(max(pct + rng.gauss(0, 0.8), 0.5), 99.5)
            yield (p.code, period, metric, grp, bd, "", n, f"{v:.1f}", "")
    n_dis = max(int(dtotals["disabled"] * 4 * resp), 11)
    yield (p.code, period, "wdes.8", "disabled", "", "", int(n_dis * 0.6),
           f"{min(max(80 - gap + rng.gauss(0, 1), 1), 99):.1f}", "")
    for grp, n, score in (("disabled", n_dis, 6.95 - gap * 0.05),
                          ("non_disabled", int(dtotals["non_disabled"] * resp), 7.0)):
        yield (p.code, period, "wdes.9a", grp, "", "", max(n, 11),
               f"{min(max(score + rng.gauss(0, 0.05), 0), 10):.2f}", "")


def monthly_rows(p: Profile, months: int, rng: random.Random,
                 end: tuple[int, int] = (2025, 3)) -> Iterator[tuple[object, ...]]:
    """BME share of appointments by month (an SPC series); Northmoor's halves in its last 8.

    Northmoor's fall is designed to be special cause of concern in the latest month under
    both NHSRplotthedots (run 7, moving ranges screened) and the MDC tools (run 6, no
    screening). With about 70 appointments a month a 30% fall was lost in the noise; a
    halving (about 22% to 11%) puts each of the last eight months below the mean. Only the
    rate changes, never the number of draws, so the other trusts' figures stay the same.
    """
    y, m = end
    keys = []
    for _ in range(months):
        keys.append(f"month:{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keys.reverse()
    for i, key in enumerate(keys):
        rate = p.bme_share * 0.85
        if p.code == "SYN01" and i >= months - 8:
            rate *= 0.5
        if p.code == "SYN03":
            rate *= 0.8 + 0.4 * i / months
        n = max(int(p.headcount * 0.012), 20)
        yield (p.code, key, "recruit.bme_appointed_share", "bme", "", _draw(rng, n, rate), n,
               "", "")


def write_set(out_dir: Path, profiles: tuple[Profile, ...], years: range, *, seed: int,
              months: int = 36) -> tuple[Path, Path]:
    """Write ``organisations.csv`` and ``metrics.csv`` for the profiles; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    orgs = out_dir / "organisations.csv"
    with orgs.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("code", "name", "type", "region", "ics", "benchmark_group", "synthetic"))
        for p in profiles:
            w.writerow((p.code, p.name, p.org_type, p.region, f"Synthetic {p.region} ICS",
                        p.benchmark_group, "yes"))
    metrics = out_dir / "metrics.csv"
    rng = random.Random(seed)
    with metrics.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_HEADER)
        for p in profiles:
            w.writerows(_rows(p, years, rng))
            if months:
                w.writerows(monthly_rows(p, months, rng))
    return orgs, metrics


def write_demo_set(out_dir: Path, seed: int = 7) -> tuple[Path, Path]:
    """The demo set: six synthetic trusts, WRES years 2019-2025."""
    return write_set(out_dir, DEMO_PROFILES, range(2019, 2026), seed=seed)


def write_national_set(out_dir: Path, seed: int = 2024) -> tuple[Path, Path]:
    """The national-scale set: 215 synthetic trusts, WRES years 2016-2025."""
    return write_set(out_dir, national_profiles(215, seed), range(2016, 2026), seed=seed,
                     months=120)
