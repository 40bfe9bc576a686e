"""Rendering: the Word board report, the CQC well-led evidence document and the evidence pack.

``RENDERERS`` is the explicit registry by name, as ``connectors.SOURCES`` is for importers;
each entry implements :class:`assurance.report_context.Renderer` (build for one organisation and
``as_of``, record an audit event with the output's SHA-256). The core builds the documented
contexts (:mod:`assurance.report_context`); these modules only render them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from assurance.config import Settings
from assurance.problems import Problem, ProblemsError
from assurance.report_context import Renderer
from reports.board import BoardRenderer
from reports.hia import HiaRenderer
from reports.pack import PackRenderer, verify_pack
from reports.wellled import WellLedRenderer

RENDERERS: dict[str, Renderer] = {
    "board": BoardRenderer(),
    "well-led": WellLedRenderer(),
    "pack": PackRenderer(),
    "hia": HiaRenderer(),
}


def renderer(name: str) -> Renderer:
    """The renderer registered as ``name``, or a ProblemsError naming the ones there are."""
    if name not in RENDERERS:
        raise ProblemsError([Problem(name, f"unknown report {name!r}; expected one of "
                                     + ", ".join(RENDERERS))])
    return RENDERERS[name]


def output_path(settings: Settings, name: str, org_code: str, as_of: date) -> Path:
    """Default file for a renderer's output: ``<output_dir>/<ORG>-<as_of>-<name><suffix>``."""
    suffix = RENDERERS[name].suffix
    return settings.reports.output_dir / f"{org_code}-{as_of.isoformat()}-{name}{suffix}"


__all__ = ["RENDERERS", "output_path", "renderer", "verify_pack"]
