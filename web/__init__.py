"""The live EDI dashboard: server-rendered NHS.UK pages for boards, divisions, staff networks
and regulators (issue 16). An edge like ``reports/``: the core never imports it, and it never
imports ``connectors``; it reads through :mod:`assurance.api`, the report context and the one
disclosure path.

* :mod:`web.app` — :func:`create_app`, the Starlette application ``assurance serve`` runs;
* :mod:`web.pages`, :mod:`web.actions`, :mod:`web.auth` — pages, finding forms, signing in;
* :mod:`web.queries` — what the pages read, cached per audience;
* :mod:`web.roles` — roles, their audiences and permissions;
* :mod:`web.accounts` — local accounts (argon2);
* :mod:`web.security` — security headers, CSRF tokens, the sign-in rate limit;
* :mod:`web.charts` — the inline SVG charts' geometry.
"""

from web.app import create_app

__all__ = ["create_app"]
