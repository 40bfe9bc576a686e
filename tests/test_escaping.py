"""Per-platform escaping: data can never ping, link or format (connectors/channels/escaping.py)."""

from __future__ import annotations

import re

import pytest

from connectors.channels import escaping
from connectors.channels.escaping import ZWSP

HOSTILE_ORG = "<!channel> Trust & <@U123> <https://evil|click>"


def test_slack_escapes_the_three_control_characters() -> None:
    assert escaping.slack_mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_slack_neutralises_special_mentions_user_mentions_and_links() -> None:
    out = escaping.slack_mrkdwn(HOSTILE_ORG)
    assert "<" not in out and ">" not in out
    assert out == "&lt;!channel&gt; Trust &amp; &lt;@U123&gt; &lt;https://evil|click&gt;"


@pytest.mark.parametrize("word", ["@here", "@channel", "@everyone", "@HERE"])
def test_slack_defuses_bare_broadcast_mentions_with_a_zero_width_space(word: str) -> None:
    out = escaping.slack_mrkdwn(f"hello {word}!")
    assert re.search(r"@(here|channel|everyone)\b", out, re.IGNORECASE) is None
    assert out.replace(ZWSP, "") == f"hello {word}!"


def test_slack_leaves_ordinary_at_signs_alone() -> None:
    assert escaping.slack_mrkdwn("edi@nhs.net") == "edi@nhs.net"


def test_html_escapes_tags_and_quotes() -> None:
    out = escaping.html_text('<script>alert("x")</script> \'q\'')
    assert out == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#x27;q&#x27;"


def test_adaptive_card_escapes_markdown_links_and_emphasis() -> None:
    out = escaping.adaptive_card("[x](http://evil) **bold** _it_ `code` ~s~")
    assert re.search(r"(?<!\\)[\[\]*_`~]", out) is None
    assert "http://" not in out  # bare URL defused too


def test_adaptive_card_escapes_html_autolinks_and_entities() -> None:
    out = escaping.adaptive_card("<script>x</script> <http://evil> &amp;")
    assert re.search(r"(?<!\\)[<>&]", out) is None


@pytest.mark.parametrize("line", ["# Heading", "- item", "+ item", "1. item", "2) item", "==="])
def test_adaptive_card_escapes_block_markers_at_line_start(line: str) -> None:
    out = escaping.adaptive_card(line)
    assert out.startswith("\\") or re.match(r"^\d+\\[.)]", out)


def test_adaptive_card_keeps_ordinary_figures_readable() -> None:
    assert escaping.adaptive_card("Relative likelihood 1.62 (1.31-2.01)") == (
        "Relative likelihood 1.62 (1.31-2.01)")


def test_adaptive_card_defuses_date_functions_and_www_links() -> None:
    out = escaping.adaptive_card("{{DATE(2017-02-14T06:08:39Z,SHORT)}} www.evil.com")
    assert "{{" not in out and "www." not in out


@pytest.mark.parametrize("fn", [escaping.slack_mrkdwn, escaping.adaptive_card,
                                escaping.html_text, escaping.plain])
def test_every_platform_strips_control_and_bidi_characters(fn: object) -> None:
    assert callable(fn)
    out = fn("Trust\x1b[31m red\x00\x07\u202egnp.exe\x85 end\r\nnext\tcol")
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert "\u202e" not in out and "\x85" not in out
    assert "\n" in out and "\r" not in out


def test_single_line_flattens_newlines_for_headers() -> None:
    assert escaping.single_line("Title\r\nBcc: evil@example.com") == "Title Bcc: evil@example.com"


@pytest.mark.parametrize("url,ok", [
    ("https://reports.example.nhs.uk/board/2024", True),
    ("http://127.0.0.1:8000/r", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>", False),
    ("https://ok.example/ with space", False),
    ("//no-scheme.example", False),
    ("", False),
])
def test_safe_url_allows_only_http_links(url: str, ok: bool) -> None:
    assert escaping.safe_url(url) == (url if ok else None)
