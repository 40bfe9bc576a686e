"""The message the channel tests send: an *opened* finding for RXX with hostile free text.

Every channel test module starts from :func:`hostile_message` and names the hostile text it
inspects (``why``, ``action`` …), so a test reads as "this markup must arrive dead".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from assurance.channels import OutboundMessage

HOSTILE_ORG = "<!channel> Trust & <@U123> <https://evil|click>"
"""An organisation name carrying Slack mentions, a Slack link and an ampersand."""


def hostile_message(**changes: Any) -> OutboundMessage:
    """An *opened* message for ``wres.2.adverse`` at RXX (2024), changed by ``changes``."""
    base = OutboundMessage(
        idempotency_key="wres.2.adverse/RXX/2024/opened", event="opened",
        thread_key="wres.2.adverse/RXX", title="WRES indicator 2 outside the non-adverse range",
        severity="high", organisation_code="RXX", organisation_name=HOSTILE_ORG,
        rule_id="wres.2.adverse", period="2024", state="firing", level="edi_lead",
        headline="Relative likelihood 1.62 (95% CI 1.31-2.01)", trend="up",
        why="Outside the range <script>alert(1)</script>", action="See [x](http://evil) @here",
        report_url="https://reports.example/rxx", facts=(("BME appointed", "* of 12"),),
        synthetic=True)
    return dataclasses.replace(base, **changes)
