"""Escaping text from data for each platform's markup.

Every text field of an :class:`~assurance.channels.OutboundMessage` comes from data
(organisation names, rule packs, imported files) and may hold anything, for example a trust
named ``"<!channel> Trust"``. A channel passes each such string through its platform's function
here before use, so data can never ping people, make links, or format the message. Text the
channel writes itself (labels such as ``*Why it matters*``) is not escaped.

Every function first removes control characters (:func:`strip_controls`): they can rewrite a
terminal (ANSI escapes), split email headers (CR/LF) or reorder what a reader sees (bidi
overrides).

Zero-width space (U+200B) is used to *defuse* constructs that have no escape: it is invisible
when rendered, but breaks the token a platform looks for (``@here`` → ``@\u200bhere`` no longer
notifies anyone; ``http://`` → ``http:\u200b//`` is no longer auto-linked). Copy-pasting defused
text carries the invisible character with it, which is the intended, safe failure.
"""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse

ZWSP = "\u200b"
"""Zero-width space: the defusing character (see module docstring)."""

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SCHEME = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
# CommonMark allows a backslash before any ASCII punctuation; these are the ones that start
# emphasis, code, links, autolinks/HTML and entity references anywhere in a line.
_MARKDOWN_INLINE = re.compile(r"([\\`*_~\[\]<>&])")
# Block constructs only count at the start of a line: headings, list items, setext underlines.
_MARKDOWN_LINE_START = re.compile(r"^([ \t]*)([#+=-])", re.MULTILINE)
_MARKDOWN_ORDERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)


def strip_controls(text: str) -> str:
    """Remove control characters, keeping newline and tab; CR and CRLF become LF.

    Removes Unicode category Cc except ``\\n`` and ``\\t`` (this covers ESC, NUL, DEL and the
    C1 controls) and the bidirectional embedding/override/isolate characters.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )


def single_line(text: str) -> str:
    """Control-free text on one line (email subjects and headers, console headings)."""
    return " ".join(strip_controls(text).split())


def slack_mrkdwn(text: str) -> str:
    """Escape data for Slack ``mrkdwn`` and ``plain_text`` text objects.

    ``&``, ``<`` and ``>`` become entities, which neutralises every Slack control sequence:
    ``<!channel>``, ``<!here>``, ``<@U…>``, ``<#C…>``, ``<!subteam^…>`` and ``<url|label>``
    links. Bare ``@channel``/``@here``/``@everyone`` are defused with a zero-width space
    because clients may still highlight them. Slack has no escape for ``*``, ``_``, ``~`` or
    backticks: data may change emphasis, but cannot notify, link or mention (the Slack channel
    also sets ``verbatim`` so Slack does not auto-link URLs or channel names).
    """
    escaped = strip_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + ZWSP + m.group(1), escaped)


def adaptive_card(text: str) -> str:
    """Escape data for an Adaptive Card ``TextBlock`` or ``FactSet`` (Markdown subset).

    Backslash-escapes the inline Markdown characters (emphasis, code, ``[link](…)``,
    ``<autolink>``, ``&entity;``), escapes block markers at the start of a line (``#``, ``-``,
    ``+``, ``=``, ``1.``), defuses bare URLs (``http:\u200b//``, ``www\u200b.``) which Teams
    would otherwise auto-link, and ``{{`` which starts Adaptive Card date/time functions.
    Teams renders no HTML in cards and ``<at>`` mentions need an ``msteams.entities`` entry the
    card never has, so ``<`` escaping is belt and braces.
    """
    text = strip_controls(text)
    text = _SCHEME.sub(lambda m: m.group(1) + ":" + ZWSP, text)
    text = _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_LINE_START.sub(r"\1\\\2", text)
    text = _MARKDOWN_ORDERED.sub(r"\1\\\2", text)
    return text.replace("{{", "{" + ZWSP + "{")


def html_text(text: str) -> str:
    """Escape data for HTML element content and attribute values (``quote=True``)."""
    return html.escape(strip_controls(text), quote=True)


def plain(text: str) -> str:
    """Data for plain-text output (email text part, console, JSON): controls removed only.

    JSON needs no escaping beyond :func:`json.dumps`; a plain-text reader renders no markup.
    """
    return strip_controls(text)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL fit for a link or button, else None.

    Guards the one field that becomes a live link (``report_url``) against ``javascript:``,
    ``data:`` and other schemes, and against whitespace or control characters.
    """
    if not url or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def slack_link(url: str | None, label: str) -> str:
    """A Slack ``<url|label>`` link to a :func:`safe_url` (``""`` when there is none).

    The URL's ``&``, ``<`` and ``>`` become Slack's entities and ``|`` is percent-encoded, so
    the link cannot be closed early or given another label; ``label`` is escaped as data.
    """
    url = safe_url(url)
    if url is None:
        return ""
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{slack_mrkdwn(label)}>"
