"""``[web]``: the dashboard's sessions, login limits, roles and single sign-on.

The roles and their default audiences live here because the core reads them to check the
config; the dashboard itself (``web/``) is an edge that only receives these settings.

Example::

    [web]
    session_secret_env = "ASSURANCE_WEB_SECRET"   # signs session cookies
    session_minutes = 480
    login_attempts = 5                            # per account and per client address …
    login_window_seconds = 900                    # … in this many seconds
    [web.roles]                                   # role → disclosure audience
    division_owner = "executive"
    [web.oidc]                                    # Microsoft Entra ID (optional)
    issuer = "https://login.microsoftonline.com/<tenant-id>/v2.0"
    client_id = "…"
    client_secret_env = "ASSURANCE_OIDC_SECRET"
    role_claim = "roles"
    [web.oidc.role_map]                           # claim value → role
    "EDI.Board" = "board"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from assurance.config.reader import Reader
from assurance.problems import did_you_mean

ROLES = ("board", "executive", "division_owner", "network", "regulator", "admin")
"""Who signs in to the dashboard; each role reads figures as one disclosure audience."""
DEFAULT_ROLE_AUDIENCES: Mapping[str, str] = MappingProxyType({
    "board": "board", "executive": "executive", "division_owner": "executive",
    "network": "network", "regulator": "regulator", "admin": "board"})


@dataclass(frozen=True)
class OidcSettings:
    """OpenID Connect sign-in (Entra ID); the client secret only from ``client_secret_env``."""

    issuer: str
    client_id: str
    client_secret_env: str
    role_claim: str = "roles"
    role_map: Mapping[str, str] = field(default_factory=dict)
    scopes: str = "openid profile email"


@dataclass(frozen=True)
class WebSettings:
    """``[web]`` (see the module docstring); the defaults suit one server behind HTTPS."""

    session_secret_env: str | None = None  # None: a random key per process (restart logs out)
    session_minutes: int = 480
    secure_cookies: bool = True  # false only to try the dashboard over plain HTTP
    login_attempts: int = 5
    login_window_seconds: int = 900
    roles: Mapping[str, str] = field(default_factory=lambda: DEFAULT_ROLE_AUDIENCES)
    oidc: OidcSettings | None = None


def read_web(r: Reader, doc: Mapping[str, Any]) -> WebSettings:
    """``[web]``: every problem collected with its key path."""
    from assurance.config.model import AUDIENCES  # model imports this module

    w = r.table(doc, "web", {"session_secret_env", "session_minutes", "secure_cookies",
                             "login_attempts", "login_window_seconds", "roles", "oidc"})
    numbers = {}
    for key, default in (("session_minutes", 480), ("login_attempts", 5),
                         ("login_window_seconds", 900)):
        numbers[key] = r.get(w, key, "web", int, default)
        if numbers[key] < 1:
            r.error(f"web.{key}", f"expected a whole number of at least 1, found {numbers[key]}")
    roles = {**DEFAULT_ROLE_AUDIENCES,
             **_choices(r, w, "web.roles", "role", "audience", AUDIENCES, names=ROLES)}
    if roles["network"] not in ("network", "public"):
        r.error("web.roles.network", "a network member must read as the network or public "
                "audience (no exact small counts)")
    return WebSettings(
        session_secret_env=r.get(w, "session_secret_env", "web", str, None),
        session_minutes=numbers["session_minutes"],
        secure_cookies=r.get(w, "secure_cookies", "web", bool, True),
        login_attempts=numbers["login_attempts"],
        login_window_seconds=numbers["login_window_seconds"],
        roles=MappingProxyType(roles), oidc=_oidc(r, w))


def _oidc(r: Reader, w: Mapping[str, Any]) -> OidcSettings | None:
    if "oidc" not in w:
        return None
    o = r.table(w, "web.oidc", {"issuer", "client_id", "client_secret_env", "role_claim",
                                "role_map", "scopes", "client_secret"})
    if "client_secret" in o:
        r.error("web.oidc.client_secret", "secrets never go in config.toml; name the "
                "environment variable that holds it in client_secret_env")
    values = {k: r.get(o, k, "web.oidc", str, None) for k in ("issuer", "client_id",
                                                               "client_secret_env")}
    for k, v in values.items():
        if not v:
            r.error(f"web.oidc.{k}", "required when [web.oidc] is present")
    issuer = values["issuer"] or ""
    if issuer and not issuer.startswith("https://"):
        r.error("web.oidc.issuer", f"expected an https:// URL, found {issuer!r}")
    role_map = _choices(r, o, "web.oidc.role_map", "claim value", "role", ROLES)
    return OidcSettings(issuer, values["client_id"] or "", values["client_secret_env"] or "",
                        r.get(o, "role_claim", "web.oidc", str, "roles"),
                        MappingProxyType(role_map),
                        r.get(o, "scopes", "web.oidc", str, "openid profile email"))


def _choices(r: Reader, table: Mapping[str, Any], path: str, name_noun: str, value_noun: str,
             values: Sequence[str], *, names: Sequence[str] | None = None) -> dict[str, str]:
    """The table at ``path`` (its last part a key of ``table``) of ``name = value``, each value
    one of ``values`` and, when ``names`` is given, each name one of those: every refused
    entry is a problem and is left out."""
    raw = table.get(path.rsplit(".", 1)[-1], {})
    if not isinstance(raw, Mapping):
        r.error(path, f"expected a table of {name_noun} = {value_noun}")
        return {}
    chosen: dict[str, str] = {}
    for name, value in raw.items():
        if names is not None and name not in names:
            r.error(f"{path}.{name}", f"unknown {name_noun}{did_you_mean(name, names)}; "
                    "expected one of " + ", ".join(names))
        elif value not in values:
            r.error(f"{path}.{name}", f"unknown {value_noun} {value!r}; expected one of "
                    + ", ".join(values))
        else:
            chosen[str(name)] = value
    return chosen
