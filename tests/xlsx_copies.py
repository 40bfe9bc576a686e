"""Copies of a real .xlsx workbook with a few cells, sheet names or sheets changed in its XML,
every other part as published: a damaged copy of the real file, written in milliseconds
(openpyxl would load the whole workbook and write every part again, seconds a copy).

Only what the tests need: worksheets named in ``xl/workbook.xml`` and found through its
relationships, cells that exist in the sheet XML (``<c r="G6" ...>``), written as a number,
inline text, blank, or a copy of another cell of the sheet.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

WORKBOOK = "xl/workbook.xml"
RELS = "xl/_rels/workbook.xml.rels"


@dataclass(frozen=True)
class CopyOf:
    """A cell's new content: that of another cell on the same sheet (its value and type)."""

    ref: str


Content = float | int | str | None | CopyOf


def edit_xlsx(src: Path, dst: Path, *, cells: Mapping[tuple[str, str], Content] | None = None,
              renamed: Mapping[str, str] | None = None, deleted: Sequence[str] = ()) -> None:
    """Write ``dst``: ``src`` with ``cells`` ((sheet, ref) → content) set, sheets renamed
    (old → new name) and sheets deleted from the workbook (their parts stay, unreferenced)."""
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
        infos = z.infolist()
    book = parts[WORKBOOK].decode()
    edits: dict[str, dict[str, Content]] = {}
    for (sheet, ref), content in (cells or {}).items():
        edits.setdefault(_sheet_part(book, parts[RELS].decode(), sheet), {})[ref] = content
    for part, changes in edits.items():
        xml = parts[part].decode()
        for ref, content in changes.items():
            xml = _set_cell(xml, ref, content)
        parts[part] = xml.encode()
    for name in deleted:
        book = _delete_sheet(book, name)
    for old, new in (renamed or {}).items():
        book = _rename_sheet(book, old, new)
    parts[WORKBOOK] = book.encode()
    with zipfile.ZipFile(dst, "w") as out:
        for info in infos:
            out.writestr(info, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)


def _sheet_element(book: str, name: str) -> re.Match[str]:
    found = re.search(r"<sheet [^>]*name=" + re.escape(quoteattr(name)) + "[^>]*/>", book)
    assert found, f"no sheet {name!r} in the workbook"
    return found


def _sheet_part(book: str, rels: str, name: str) -> str:
    rid = re.search(r'r:id="([^"]+)"', _sheet_element(book, name).group(0))
    assert rid
    target = re.search(f'<Relationship Id="{rid.group(1)}" [^>]*Target="([^"]+)"', rels)
    assert target, f"no relationship {rid.group(1)}"
    return "xl/" + target.group(1).removeprefix("/xl/")


def _cell(xml: str, ref: str) -> re.Match[str]:
    found = re.search(f'<c r="{ref}"' + r"(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</c>)", xml)
    assert found, f"no cell {ref} in the sheet"
    return found


def _set_cell(xml: str, ref: str, content: Content) -> str:
    old = _cell(xml, ref)
    style = re.search(r' s="\d+"', old.group("attrs"))
    head = f'<c r="{ref}"{style.group(0) if style else ""}'
    if isinstance(content, CopyOf):
        other = _cell(xml, content.ref)
        kind = re.search(r' t="\w+"', other.group("attrs"))
        new = f'{head}{kind.group(0) if kind else ""}>{other.group("body") or ""}</c>'
    elif content is None:
        new = head + "/>"
    elif isinstance(content, str):
        new = f'{head} t="inlineStr"><is><t>{escape(content)}</t></is></c>'
    else:
        new = f"{head}><v>{content!r}</v></c>"
    return xml[:old.start()] + new + xml[old.end():]


def _position(book: str, name: str) -> int:
    """The sheet's 0-based position in the workbook (what ``localSheetId`` counts)."""
    names = re.findall(r'<sheet [^>]*name="([^"]*)"', book)
    return names.index(escape(name))


def _delete_sheet(book: str, name: str) -> str:
    at = _position(book, name)
    element = _sheet_element(book, name)
    book = book[:element.start()] + book[element.end():]

    def renumber(m: re.Match[str]) -> str:
        local = int(m.group(1))
        if local == at:
            return ""
        shifted = local - 1 if local > at else local
        return m.group(0).replace(f'localSheetId="{local}"', f'localSheetId="{shifted}"')
    return re.sub(r'<definedName [^>]*localSheetId="(\d+)"[^>]*>.*?</definedName>', renumber,
                  book)


def _rename_sheet(book: str, old: str, new: str) -> str:
    element = _sheet_element(book, old)
    renamed = element.group(0).replace(f"name={quoteattr(old)}", f"name={quoteattr(new)}")
    book = book[:element.start()] + renamed + book[element.end():]
    quoted = "'" + old.replace("'", "''") + "'"
    return book.replace(f">{escape(quoted)}!", f">{escape(chr(39) + new + chr(39))}!")
