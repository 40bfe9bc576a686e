"""Shared by the batch-report tests: a small evaluated store, and what a .docx tells a reader."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import docx
from docx.oxml.ns import qn

from assurance import api
from assurance.config import Settings, parse_settings
from assurance.synthetic import write_demo_set
from conftest import pg_schema_url

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
CODES = ("SYN01", "SYN02", "SYN03", "SYN04", "SYN05", "SYN06")
DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


def _text(el: object) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t")))  # type: ignore[attr-defined]


def document_facts(path: Path) -> list[str]:
    """What a reader of the .docx gets, in order: paragraphs (``P``), table rows (``R``,
    cells ``|``-separated, a cell's paragraphs ``/``-separated), pictures' titles and alt
    text (``ALT``), then each picture file's SHA-256 (``MEDIA``: a chart's data is its
    picture)."""
    doc = docx.Document(str(path))
    out: list[str] = []
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            out.append("P " + _text(el))
        elif el.tag == qn("w:tbl"):
            for tr in el.iter(qn("w:tr")):
                out.append("R " + " | ".join("/".join(_text(p) for p in tc.iter(qn("w:p")))
                                             for tc in tr.iter(qn("w:tc"))))
        for pr in el.iter(DOCPR):
            out.append(f"ALT {pr.get('title', '')} :: {pr.get('descr', '')}")
    with zipfile.ZipFile(path) as z:
        out += [f"MEDIA {n} {hashlib.sha256(z.read(n)).hexdigest()}"
                for n in sorted(z.namelist()) if n.startswith("word/media/")]
    return out


_PRODUCT = re.compile(r"\bassurance \d[^\s,;)]*")
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def reader_facts(path: Path) -> list[str]:
    """:func:`document_facts` without the picture files' hashes (a chart may change form, its
    words and figures may not), the product's version written as ``assurance <version>``
    (a release must not change a snapshot)."""
    return [_PRODUCT.sub("assurance <version>", f) for f in document_facts(path)
            if not f.startswith("MEDIA ")]


def snapshot_path(name: str) -> Path:
    return SNAPSHOTS / f"{name}.json"


def read_snapshot(name: str) -> dict[str, list[str]]:
    return json.loads(snapshot_path(name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_snapshot(name: str, facts: dict[str, list[str]]) -> Path:
    path = snapshot_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@dataclass(frozen=True)
class ChartRead:
    """A native chart read back from its part: what Word and LibreOffice draw it from."""

    part: str
    title: str
    categories: list[str]
    series: dict[str, list[float | None]]  # legend name -> one value per category
    markers: dict[str, tuple[str, str]]  # legend name -> (symbol, fill colour)


def _points(lit: object, n: int) -> list[float | None]:
    values: list[float | None] = [None] * n
    for pt in lit.iter(f"{C}pt"):  # type: ignore[attr-defined]
        values[int(pt.get("idx"))] = float(pt.findtext(f"{C}v"))
    return values


def chart_parts(path: Path) -> list[ChartRead]:
    """Every native chart of the .docx, in document order, with its numbers."""
    from lxml import etree

    doc = docx.Document(str(path))
    out = []
    for el in doc.element.body.iter(f"{C}chart"):
        part = doc.part.related_parts[el.get(qn("r:id"))]
        root = etree.fromstring(part.blob)
        title = "\n".join("".join(t.text or "" for t in p.iter(f"{A}t"))
                          for p in root.findall(f"{C}chart/{C}title//{A}p"))
        cats = [pt.findtext(f"{C}v") or "" for pt in root.find(f".//{C}cat").iter(f"{C}pt")]
        series: dict[str, list[float | None]] = {}
        markers: dict[str, tuple[str, str]] = {}
        for ser in root.iter(f"{C}ser"):
            name = ser.findtext(f"{C}tx/{C}v") or ""
            key = name if name not in series else f"{name} ({len(series)})"
            series[key] = _points(ser.find(f"{C}val"), len(cats))
            symbol = ser.find(f"{C}marker/{C}symbol")
            fill = ser.find(f"{C}marker/{C}spPr/{A}solidFill/{A}srgbClr")
            if symbol is not None and symbol.get("val") != "none":
                markers[key] = (symbol.get("val"), fill.get("val") if fill is not None else "")
        out.append(ChartRead(str(part.partname), title, cats, series, markers))
    return out


@contextmanager
def store_url_for(kind: str, folder: Path) -> Iterator[str]:
    """A SQLite file in ``folder``, or a fresh PostgreSQL schema (skipped when
    ``ASSURANCE_TEST_POSTGRES_URL`` is unset), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    with pg_schema_url() as url:
        yield url


def small_store(url: str, folder: Path, **extra: object) -> Settings:
    """Six synthetic trusts (WRES 2019-2025, monthly series), imported and evaluated as of
    1 June 2025 (which opens findings), with ``extra`` config sections."""
    doc: dict[str, object] = {"database": {"url": url}, "reports": {"output_dir": "out"},
                              **extra}
    settings = parse_settings(doc, base_dir=folder, where="<test>", env={})
    engine = api.connect(settings)
    orgs, metrics = write_demo_set(folder / "data")
    for path, source in ((orgs, "organisations_csv"), (metrics, "metrics_csv")):
        api.import_file(engine, settings, path, actor="test", at=AT, source=source)
    api.evaluate_and_record(engine, settings, as_of=AS_OF, at=AT, actor="test")
    engine.dispose()
    return settings
