"""Organisation codes as commands are given them (``--org``): upper-cased, stripped and
checked against the register, so an unknown code is a located problem ("did you mean …")
rather than an empty answer."""

from __future__ import annotations

from sqlmodel import Session, select

from assurance.models import Organisation
from assurance.problems import Problem, did_you_mean


def registered_org(s: Session, code: str, where: str, problems: list[Problem]) -> str:
    """``code`` as the register writes it; a problem at ``where`` when it is not there."""
    code = code.strip().upper()
    if s.get(Organisation, code) is None:
        codes = list(s.exec(select(Organisation.code)).all())
        problems.append(Problem(where, f"unknown organisation {code!r}"
                                f"{did_you_mean(code, codes)}; register it first (assurance "
                                "orgs import)"))
    return code
