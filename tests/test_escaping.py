"""Per-platform escaping: data can never ping, link or format (connectors/channels/escaping.py)."""

from __future__ import annotations

import re
from typing import Any

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


# --------------------------------------------------------------------- the digest path
# A digest carries many organisations' names, titles and headlines in one message: each
# platform's rendering of it must neutralise them exactly as it does a single message's.

HOSTILE_LINE = "=HYPERLINK(\"http://evil\") <!here> **b** [x](http://evil) <b>\x1b[2J\u202e"


def _hostile_digest() -> Any:
    from datetime import UTC, datetime, timedelta

    from assurance.channels import OutboundMessage
    from assurance.outbox import digest

    def message(key: str, code: str, name: str, url: str | None) -> OutboundMessage:
        return OutboundMessage(
            idempotency_key=key, event="opened", thread_key=f"ref-{key}", title=HOSTILE_LINE,
            severity="high", organisation_code=code, organisation_name=name, rule_id="r",
            period="2024", state="firing", level="edi_lead", headline=HOSTILE_LINE + " @here",
            report_url=url)

    until = datetime(2025, 6, 2, 7, tzinfo=UTC)
    return digest.build(
        [message("a", "RXX", HOSTILE_ORG, "https://r.example/x|<!channel>"),
         message("b", "RYY", "@channel " + HOSTILE_LINE, "javascript:alert(1)")],
        key="k", subscription="race", mode="daily", audience="network",
        since=until - timedelta(days=1), until=until, timezone="Europe/London")


def _texts(doc: Any) -> list[str]:
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k in ("text", "title", "value")
                and isinstance(v, str)] + [t for v in doc.values() for t in _texts(v)]
    if isinstance(doc, list):
        return [t for v in doc for t in _texts(v)]
    return []


def _no_controls(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n\t") or c in "\u202e\x85" for c in text)


def test_a_slack_digest_cannot_ping_mention_or_link_except_its_own_report_links() -> None:
    from connectors.channels import slack

    texts = _texts(slack.digest_blocks(_hostile_digest()))
    assert any("RYY" in t for t in texts) and all(_no_controls(t) for t in texts)
    for t in texts:
        links = re.findall(r"<[^>]*>", t)
        assert all(re.fullmatch(r"<https://r\.example/x%7C%3C!channel%3E\|Open report>", x)
                   for x in links), links
        assert re.search(r"@(here|channel|everyone)\b", t) is None


def test_a_teams_digest_carries_no_live_markdown_links_or_date_functions() -> None:
    from connectors.channels import teams

    card = teams.digest_card(_hostile_digest())
    texts = [t for t in _texts(card) if t != "Open report"]
    for t in texts:
        assert re.search(r"(?<!\\)[\[\]<>*_`]|https?://", t) is None, t
        assert _no_controls(t)
    urls = [a["url"] for b in card["body"] if b["type"] == "ActionSet" for a in b["actions"]]
    assert urls == ["https://r.example/x|<!channel>"]  # the javascript: link is dropped


def test_an_email_digest_escapes_html_and_strips_controls() -> None:
    from connectors.channels import email

    d = _hostile_digest()
    html_part, text_part = email.html_body(d), email.plain_body(d)
    tags = set(re.findall(r"<(/?[a-zA-Z!][a-zA-Z0-9]*)", html_part))
    assert tags <= {"!DOCTYPE", "html", "head", "meta", "title", "/title", "/head", "body",
                    "h1", "/h1", "p", "/p", "strong", "/strong", "table", "/table", "tr", "/tr",
                    "th", "/th", "td", "/td", "h2", "/h2", "ul", "/ul", "li", "/li", "a", "/a",
                    "/body", "/html"}
    assert 'href="javascript' not in html_part and "<!here>" not in html_part
    assert _no_controls(html_part) and _no_controls(text_part)
    assert "\n" not in email.subject(d, reply=False)


def test_a_webhook_digest_has_no_control_characters_at_any_depth() -> None:
    import json

    from connectors.channels import webhook

    doc = webhook.payload(_hostile_digest(), None)
    body = json.dumps(doc, ensure_ascii=False)
    assert "\x1b" not in body and "\u202e" not in body
    assert doc["sections"][0]["entries"][0]["headline"].startswith("=HYPERLINK")  # data is data


def test_a_digest_previewed_as_csv_cannot_run_a_formula() -> None:
    import csv
    import io
    from datetime import UTC, datetime

    from assurance import outbox
    from reports.extracts import csv_bytes

    item = outbox.PreviewItem("next digest", datetime(2025, 6, 2, 7, tzinfo=UTC), "digest",
                              "race", _hostile_digest())
    data = csv_bytes(outbox.PREVIEW_COLUMNS, outbox.preview_rows([item])).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 2
    for row in rows:
        for cell in row.values():
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell
    assert rows[1]["organisation_name"].startswith("'@channel")


def test_a_long_slack_digest_fits_slacks_limits_and_counts_what_it_leaves_out() -> None:
    from dataclasses import replace

    from assurance.outbox.digest import CHAT_LINES
    from connectors.channels import slack

    d = _hostile_digest()
    entry = d.sections[0].entries[0]
    long = replace(d, sections=(replace(d.sections[0], entries=tuple(
        replace(entry, headline="& " * 150 + str(i)) for i in range(100))),))
    blocks = slack.digest_blocks(long)
    assert len(blocks) <= 50
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert all(len(t) <= 3000 and not t.endswith("…") for t in texts)
    assert sum(t.count("\n• ") + t.startswith("• ") for t in texts) == CHAT_LINES
    context = blocks[-1]["elements"][0]["text"] + blocks[-1]["elements"][1]["text"]
    assert f"{100 - CHAT_LINES} more line(s)" in context
