"""``assurance serve`` (the web dashboard under uvicorn) and ``assurance web-users`` (its
local accounts). Thin: the dashboard is the ``web`` edge; these only start it or call its
account functions and map problems to exit codes."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from assurance import api
from assurance.cli.base import EXIT_BAD_INPUT, actor, app, fail, now, out, refused, settings
from assurance.problems import Problem, ProblemsError

web_users_app = typer.Typer(no_args_is_help=True, help="Local accounts of the web dashboard.")
app.add_typer(web_users_app, name="web-users")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Serve the EDI dashboard (NHS.UK pages; sign-in required) until interrupted."""
    import uvicorn

    from web import create_app

    s = settings()
    with refused():
        application = create_app(s, os.environ, engine=api.connect(s))
    out.print(f"EDI dashboard on http://{host}:{port}/ (Ctrl+C stops it)", markup=False)
    # One process: the sign-in rate limit and the context cache live in its memory.
    uvicorn.run(application, host=host, port=port, proxy_headers=True, server_header=False,
                log_level="info")


@web_users_app.command("add")
def web_users_add(
    username: str,
    role: Annotated[str, typer.Option(help="board, executive, division_owner, network, "
                                      "regulator or admin")],
    org: Annotated[str | None, typer.Option(help="a division owner's organisation")] = None,
    division: Annotated[str | None, typer.Option(help="a division owner's division code")]
    = None,
    password_env: Annotated[str | None, typer.Option(
        help="read the password from this environment variable (default: ask)")] = None,
) -> None:
    """Create a local account (argon2 hash stored; audited). The password is asked for
    twice, or read from --password-env; it is never taken on the command line."""
    from web.accounts import add_account

    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            raise fail(ProblemsError([Problem("--password-env", f"environment variable "
                                              f"{password_env} is not set")]), EXIT_BAD_INPUT)
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    s = settings()
    with refused():
        a = add_account(api.connect(s), username=username, password=password, role=role,
                        org_code=org, division=division, actor=actor(), at=now())
    out.print(f"added {a.username} ({a.role})", markup=False)


@web_users_app.command("list")
def web_users_list() -> None:
    """Every local account: role, scope, state and last sign-in (never a hash)."""
    from web.accounts import list_accounts

    t = Table("username", "role", "organisation", "division", "state", "last sign-in")
    for a in list_accounts(api.connect(settings())):
        t.add_row(a.username, a.role, a.org_code or "", a.division or "",
                  "disabled" if a.disabled else "active",
                  f"{a.last_login_at:%Y-%m-%d %H:%M}" if a.last_login_at else "never")
    out.print(t)


@web_users_app.command("disable")
def web_users_disable(username: str) -> None:
    """Disable an account (kept, so the audit log's names stay meaningful); audited."""
    from web.accounts import disable_account

    with refused():
        a = disable_account(api.connect(settings()), username, actor=actor(), at=now())
    out.print(f"disabled {a.username}", markup=False)
