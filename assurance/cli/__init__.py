"""The ``assurance`` command: thin wrappers over :mod:`assurance.api`.

Exit codes (README "Commands"): 0 success; 1 the command ran and found a failure it reports
(a broken audit chain, failing rule tests, a tampered pack); 2 bad input (a file, a rule
pack) — nothing was stored; 3 bad configuration.

Commands live in modules named for what they are about; importing them registers them on
the shared Typer app in :mod:`assurance.cli.base`.
"""

from __future__ import annotations

from assurance.cli import (  # noqa: F401  (registers the commands)
    attestations,
    data,
    deadlines,
    divisions,
    figures,
    interventions,
    outputs,
    rules,
    serve,
    spc,
)
from assurance.cli.base import app


def main() -> None:
    app()


__all__ = ["app", "main"]
