"""Prose blocks from Jinja2 templates, overridable by the user.

Templates live in ``reports/templates/`` (``board/*.j2``, ``wellled/*.j2``). A deployment
can override any of them by putting a file with the same relative name in
``reports.templates_dir``; the built-in one is used otherwise. Each template receives the
report context as ``ctx`` (see :mod:`assurance.report_context`) plus any named extras.

Output format: plain text. Blank lines separate paragraphs; a line starting ``- `` is a
bulleted item; a paragraph starting ``**Lead:**`` gets a bold lead-in. Undefined names are
errors (``StrictUndefined``), and any error names the template file and line::

    /path/templates/board/introduction.j2:3: error: template error: 'ctx' has no attribute 'x'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from assurance.problems import Problem, ProblemsError

BUILTIN = Path(__file__).resolve().parent / "templates"
_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$", re.S)


@dataclass(frozen=True)
class Block:
    """One paragraph of rendered prose."""

    text: str
    bullet: bool = False
    lead: str = ""  # bold lead-in, e.g. "Purpose:"


def environment(templates_dir: Path | None) -> jinja2.Environment:
    """User templates first (when configured), then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN)))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                             autoescape=False, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=False)
    env.filters["plural"] = lambda n, word, many=None: (
        word if n == 1 else (many or word + "s"))
    return env


def _template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """The template line a runtime error happened on (Jinja2 rewrites tracebacks)."""
    line = None
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_text(env: jinja2.Environment, name: str, **values: Any) -> str:
    """Render one template to text; any problem names the template file and line."""
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or name
        raise ProblemsError([Problem(where, f"template syntax error: {exc.message}",
                                     exc.lineno)]) from exc
    except jinja2.TemplateNotFound as exc:
        raise ProblemsError([Problem(name, "template not found in reports.templates_dir or "
                                     "the built-in templates")]) from exc
    try:
        return template.render(**values)
    except Exception as exc:  # any failure inside a template is the template's
        where = template.filename or name
        line = _template_line(exc.__traceback__, template.filename)
        raise ProblemsError([Problem(where, f"template error: {exc}", line)]) from exc


def blocks(env: jinja2.Environment, name: str, **values: Any) -> list[Block]:
    """Render a template and split it into paragraphs and bullets."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", render_text(env, name, **values)):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            out.extend(_block(ln[2:].strip(), True) for ln in lines)
        else:
            out.append(_block(" ".join(lines), False))
    return out


def _block(text: str, bullet: bool) -> Block:
    m = _LEAD.match(text)
    if m:
        return Block(m.group(2), bullet, m.group(1))
    return Block(text, bullet)
