"""Lineages: which imported figures supersede which, and which figures are *published*.

What it does:
    Every import source belongs to one :class:`Lineage`. A file supersedes only current
    figures of its own lineage (:func:`scope_of` puts the lineage into the stored ``scope``
    of every figure), so two kinds of source can hold the same measure of the same
    organisation and period side by side, both current:

    ============== ===================== =============================================
    lineage         sources               what its figures are
    ============== ===================== =============================================
    ``own``         ``metrics_csv``,      the trust's own figures: returns, metric files,
                    ``returns_xlsx``,     figures computed from its ESR and pay extracts,
                    ``esr_csv``,          the Staff Survey publication's results. A later
                    ``pay_csv``,          file of any of these supersedes an earlier one
                    ``nss_xlsx``,         for the same organisation, period and metric
                    ``organisations_csv`` (a corrected return replaces a computed figure)
    ``gov.uk-gpg``  ``gpg_csv``           the gender pay gap figures as the gov.uk service
                                          *publishes* them; only another gov.uk download
                                          supersedes them, and they never supersede a
                                          trust's own ``pay_csv`` computation
    ============== ===================== =============================================

    A source not in :data:`LINEAGES` is of the ``own`` lineage (every importer written so
    far and any new one that computes or collects the trust's own figures).

    A lineage that copies a publication has a ``breakdown``: its figures are stored under
    that breakdown (``published:gov.uk``), so the published figure and the trust's own
    computation are two figures with two keys, never two current rows for one key; and a
    figure is *published* exactly when its breakdown is a published one
    (:func:`is_published`). The figures command and the disclosure path show a published
    figure as what it is: already public, so not suppressed (it has no counts to protect).

Why it matters:
    A trust computes its gender pay gap from its own pay extract and also reports it to the
    gov.uk service. When a gov.uk download superseded the trust's computation (same
    organisation, period and metric), the divisional figures and the counts behind the gaps
    were withdrawn and the board saw the published figure without knowing it.

Example:
    >>> scope_of("RR8", "wres:2024", "paygap.gender.mean_hourly", lineage_of("pay_csv"))
    'RR8|wres:2024|paygap.gender.mean_hourly'
    >>> scope_of("RR8", "wres:2024", "paygap.gender.mean_hourly", lineage_of("gpg_csv"))
    'RR8|wres:2024|paygap.gender.mean_hourly|gov.uk-gpg'
    >>> is_published("published:gov.uk"), is_published("division:surgery")
    (True, False)

Known limitations:
    * Figures imported from ``gpg_csv`` before lineages existed are stored under breakdown
      ``""`` with an ``own`` scope; a later pay extract supersedes them, and importing a
      gov.uk file again stores its figures anew under the published breakdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PUBLISHED_PREFIX = "published:"
"""The breakdowns of figures copied from a publication start with this."""


@dataclass(frozen=True, slots=True)
class Lineage:
    """A kind of source whose figures supersede one another.

    Attributes:
        name: the lineage's name; ``own`` keeps the plain ``org|period|metric`` scope.
        published_by: who publishes the figures, when the lineage copies a publication.
        breakdown: the breakdown its figures are stored under (published lineages only).
    """

    name: str
    published_by: str | None = None
    breakdown: str | None = None

    @property
    def published(self) -> bool:
        return self.published_by is not None


OWN = Lineage("own")
GOV_UK_GPG = Lineage("gov.uk-gpg", published_by="the gov.uk gender pay gap service",
                     breakdown=PUBLISHED_PREFIX + "gov.uk")

LINEAGES: Mapping[str, Lineage] = {
    "metrics_csv": OWN,
    "returns_xlsx": OWN,
    "esr_csv": OWN,
    "pay_csv": OWN,
    "nss_xlsx": OWN,
    "organisations_csv": OWN,
    "gpg_csv": GOV_UK_GPG,
}
"""Source name → its lineage (a source not listed is ``own``)."""

PUBLISHERS: Mapping[str, str] = {lin.breakdown: lin.published_by for lin in LINEAGES.values()
                                 if lin.breakdown is not None and lin.published_by is not None}
"""Published breakdown → who publishes its figures."""


def lineage_of(source: str) -> Lineage:
    """The lineage of an import source (by its registered name)."""
    return LINEAGES.get(source, OWN)


def scope_of(org: str, period: str, metric: str, lineage: Lineage) -> str:
    """The stored ``scope`` of a figure: what a later file of the same lineage supersedes."""
    plain = f"{org}|{period}|{metric}"
    return plain if lineage.name == OWN.name else f"{plain}|{lineage.name}"


def is_published(breakdown: str) -> bool:
    """Whether a figure stored under ``breakdown`` was copied from a publication."""
    return breakdown.startswith(PUBLISHED_PREFIX)


def publisher(breakdown: str) -> str | None:
    """Who publishes the figures of a published breakdown (None: not a published one)."""
    if not is_published(breakdown):
        return None
    return PUBLISHERS.get(breakdown, breakdown[len(PUBLISHED_PREFIX):])
