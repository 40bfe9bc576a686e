"""Who is looking: a signed-in person's role, the disclosure audience it reads as, and what
the role may see and do. Every page takes its policy from here and nowhere else.

=================  =========================  =============================================
role               audience (``web.roles``)   may
=================  =========================  =============================================
board              board (exact counts)       read everything; change findings
executive          executive (suppressed)     read everything; change findings
division_owner     executive (suppressed)     read their organisation's figures and their
                                              division's findings; change those only
network            network (suppressed)       read figures and findings; change nothing
regulator          regulator (exact)          read evidence (figures, findings, audit,
                                              downloads); change nothing
admin              board (exact)              everything, including subscriptions
=================  =========================  =============================================

An account with an organisation (``web-users add --org``, any role) sees that organisation
only: its pages, findings and downloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assurance.config import Settings
from assurance.disclosure import DisclosurePolicy, policy_for
from assurance.models import Finding

CHANGERS = ("board", "executive", "division_owner", "admin")
ROLE_LABELS = {"board": "Board member", "executive": "Executive", "division_owner":
               "Division owner", "network": "Staff network member", "regulator": "Regulator",
               "admin": "Administrator"}


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the session holds them."""

    username: str
    role: str
    org_code: str | None = None  # the one organisation the account may see (any role)
    division: str | None = None  # a division owner's division code
    via: str = "password"  # password | oidc

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def to_session(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "org_code": self.org_code,
                "division": self.division, "via": self.via}

    @classmethod
    def from_session(cls, data: Mapping[str, Any] | None) -> Viewer | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("username"), str):
            return None
        if data.get("role") not in ROLE_LABELS:
            return None
        return cls(data["username"], data["role"], data.get("org_code"), data.get("division"),
                   str(data.get("via") or "password"))


def audience(settings: Settings, viewer: Viewer) -> str:
    """The disclosure audience the viewer reads figures as (``web.roles``)."""
    return settings.web.roles.get(viewer.role, "network")


def policy(settings: Settings, viewer: Viewer) -> DisclosurePolicy:
    """The viewer's disclosure policy: the one path every figure on every page goes through."""
    return policy_for(settings, audience(settings, viewer))


def can_see_org(viewer: Viewer, org_code: str) -> bool:
    """An account that carries an organisation (any role: ``web-users add --org``) sees that
    organisation only; one without sees every organisation, except a division owner, who
    sees none without one."""
    if viewer.org_code is not None:
        return viewer.org_code == org_code
    return viewer.role != "division_owner"


def limited_to_org(viewer: Viewer) -> bool:
    """An account that sees one organisation (or one division), not the whole service: the
    subscriptions and audit pages show it only what concerns that organisation."""
    return viewer.org_code is not None or viewer.role == "division_owner"


def division_scope(viewer: Viewer) -> str | None:
    """The finding scope a division owner is limited to (None: not limited by division)."""
    return f"division:{viewer.division}" if viewer.role == "division_owner" else None


def can_see_finding(viewer: Viewer, f: Finding) -> bool:
    """The finding's organisation, and for a division owner their own division's findings
    only (``scope == "division:<code>"``)."""
    scope = division_scope(viewer)
    return can_see_org(viewer, f.org_code) and (scope is None or f.scope == scope)


def can_change(viewer: Viewer, f: Finding) -> bool:
    """Acknowledge, assign, silence or comment on this finding."""
    return viewer.role in CHANGERS and can_see_finding(viewer, f)


def can_manage_subscriptions(viewer: Viewer) -> bool:
    return viewer.role == "admin"
