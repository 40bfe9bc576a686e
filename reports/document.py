"""The Word documents written for one organisation: what the board report and the well-led
evidence share, written once.

A document renderer gives its registry name, its audit action, how its context is built, its
front matter (:class:`Front` and the cover blocks) and its body. :class:`DocumentRenderer`
does the rest the same way for every document: the checked logo, the prose templates, a
document with fixed metadata (title "<title>: <organisation>", subject, keywords, author,
``as_of`` dates), the cover, the footer (marked SYNTHETIC DATA for a fictional organisation),
reproducible saving and the ``report.*`` audit record with the file's SHA-256.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import jinja2
from docx.document import Document as DocumentType
from sqlalchemy.engine import Engine

from assurance.config import Settings
from assurance.report_context import Branding, OrgView, ReportInputs
from reports import docxkit, prose
from reports.outputs import record

NHS_BLUE = "005EB8"
"""The primary colour when a document has no branding."""
FOOTER_SEPARATOR = "  \u2022  "


class DocumentContext(Protocol):
    """What every document's context holds (see :mod:`assurance.report_context`)."""

    @property
    def product(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def organisation(self) -> OrgView: ...

    @property
    def as_of(self) -> date: ...


Ctx = TypeVar("Ctx", bound=DocumentContext)


@dataclass(frozen=True)
class Front:
    """A document's own metadata and footer; the rest of its set-up is shared.

    Args:
        subject: the core property ``subject``.
        keywords: the core property ``keywords`` ("WRES; WDES; …").
        branding: logo, colour and the organisation's name as it brands the cover; ``None``
            for NHS blue, no logo and the organisation's own name.
        footer: what follows the organisation's name in the footer, part by part.
    """

    subject: str
    keywords: str
    branding: Branding | None
    footer: tuple[str, ...]


def primary_colour(branding: Branding | None) -> str:
    """The colour of headings and table header rows."""
    return branding.primary_colour if branding else NHS_BLUE


def _environment(templates_dir: Path | None) -> jinja2.Environment:
    """The template environment, one per templates folder *as it is now* and per process,
    so each template is compiled once however many documents are written. The key includes
    every override file's size and modification time (nanoseconds): a template edited, added
    or removed gets a fresh environment, as it did when one was made for every document."""
    files: tuple[tuple[str, int, int], ...] = ()
    if templates_dir is not None and templates_dir.is_dir():
        files = tuple(sorted((str(p), st.st_mtime_ns, st.st_size)
                             for p in templates_dir.rglob("*") if p.is_file()
                             for st in (p.stat(),)))
    return _compiled_environment(templates_dir, files)


@functools.lru_cache(maxsize=8)
def _compiled_environment(templates_dir: Path | None,
                          files: tuple[tuple[str, int, int], ...]) -> jinja2.Environment:
    del files  # part of the cache key only
    return prose.environment(templates_dir)


class DocumentRenderer(ABC, Generic[Ctx]):
    """A registry entry (:class:`assurance.report_context.Renderer`) for one Word document."""

    name: str
    description: str
    suffix = ".docx"
    action: str
    """The audit action recorded with the file's SHA-256 (``report.board`` …)."""

    @abstractmethod
    def context(self, engine: Engine, settings: Settings, *, org_code: str, as_of: date,
                inputs: ReportInputs | None = None) -> Ctx:
        """The document's context for one organisation and date (``inputs``: the store as
        read once for many reports, see :func:`~assurance.report_context.load_inputs`)."""

    @abstractmethod
    def front(self, ctx: Ctx) -> Front:
        """The document's metadata, branding and footer."""

    @abstractmethod
    def cover(self, ctx: Ctx, env: jinja2.Environment) -> list[prose.Block]:
        """The blocks under the cover's title and organisation."""

    @abstractmethod
    def body(self, doc: DocumentType, ctx: Ctx, env: jinja2.Environment) -> None:
        """Everything after the cover page."""

    def build(self, ctx: Ctx, settings: Settings) -> DocumentType:
        """The document as a python-docx document (not yet saved).

        Raises:
            ProblemsError: the logo, a template or the reference document is unusable (the
                message names the file, and the template line).
        """
        front = self.front(ctx)
        org = ctx.organisation
        logo = docxkit.check_logo(front.branding.logo if front.branding else None)
        env = _environment(settings.reports.templates_dir)
        doc = docxkit.new_document(
            title=f"{ctx.title}: {org.name}", subject=front.subject, keywords=front.keywords,
            author=ctx.product, when=ctx.as_of, primary=primary_colour(front.branding),
            reference_docx=settings.reports.reference_docx)
        brand_name = front.branding.organisation_name if front.branding else org.name
        docxkit.cover(doc, ctx.title, org.name, org.synthetic, logo, brand_name,
                      self.cover(ctx, env))
        docxkit.footer(doc, FOOTER_SEPARATOR.join(
            (("SYNTHETIC DATA",) if org.synthetic else ()) + (org.name, *front.footer)))
        docxkit.page_break(doc)
        self.body(doc, ctx, env)
        return doc

    def write(self, ctx: Ctx, settings: Settings, out_path: Path) -> Path:
        """Write the document reproducibly, with no audit event (see :meth:`write_and_record`)."""
        return docxkit.save(self.build(ctx, settings), out_path, ctx.as_of)

    def write_and_record(self, ctx: Ctx, settings: Settings, out_path: Path, *,
                         engine: Engine | None = None, actor: str = "assurance",
                         at: datetime | None = None) -> Path:
        """Write the document to ``out_path`` and record :attr:`action` with its SHA-256.

        Raises:
            ProblemsError: the logo, a template or the reference document is unusable (the
                message names the file, and the template line).
        """
        path = self.write(ctx, settings, out_path)
        record(engine, settings, action=self.action, org_code=ctx.organisation.code,
               as_of=ctx.as_of, path=path, actor=actor, at=at)
        return path

    def render(self, engine: Engine, settings: Settings, *, org_code: str, as_of: date,
               out_path: Path, actor: str = "assurance", at: datetime | None = None,
               inputs: ReportInputs | None = None) -> Path:
        """Build the context, write the document and record it (the registry's entry point).

        ``inputs`` (the store read once for many reports at the same ``as_of``, as
        :mod:`reports.batch` does) gives the same document as reading this organisation's
        figures afresh; it only saves the reading.
        """
        ctx = self.context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs)
        return self.write_and_record(ctx, settings, out_path, engine=engine, actor=actor, at=at)
