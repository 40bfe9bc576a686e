"""Edges of the product: file sources (importers) and chat/email channels.

``SOURCES`` is the explicit registry of importers by name; channels register in
``connectors.channels.REGISTRY``.
"""

from __future__ import annotations

from assurance.config import Settings
from assurance.ingest import Source
from connectors.appraisal_csv import AppraisalCsv
from connectors.cases_csv import CasesCsv
from connectors.development_csv import DevelopmentCsv
from connectors.esr_csv import EsrCsv
from connectors.gpg_csv import GenderPayGapCsv
from connectors.metrics_csv import MetricsCsv
from connectors.nss_xlsx import StaffSurveyXlsx
from connectors.organisations_csv import OrganisationsCsv
from connectors.pay_csv import PayCsv
from connectors.recruitment_csv import RecruitmentCsv
from connectors.returns_xlsx import AnnualReturnXlsx

SOURCES: dict[str, Source] = {source.name: source for source in (
    MetricsCsv(), OrganisationsCsv(), StaffSurveyXlsx(), AnnualReturnXlsx(), EsrCsv(), PayCsv(),
    GenderPayGapCsv(), RecruitmentCsv(), CasesCsv(), DevelopmentCsv(), AppraisalCsv())}
"""Importers by the ``name`` each declares (what ``--source`` and provenance records use)."""


def configured(settings: Settings) -> dict[str, Source]:
    """:data:`SOURCES` with the importers that take options built from ``settings``
    (``[paygap]``: the ethnicity reference group, the gov.uk employer mapping)."""
    return {**SOURCES, "pay_csv": PayCsv(reference=settings.paygap.ethnicity_reference),
            "gpg_csv": GenderPayGapCsv(mapping=settings.paygap.gpg_mapping)}
