"""Withdrawing an entry of a register (an attestation, an intervention) from a day: kept in
the register and its history, audited, in one write transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol, TypeVar

from sqlmodel import Session

from assurance import api
from assurance.cli.base import actor, now, out, parse_day, refused, settings
from assurance.db import session

Entry = TypeVar("Entry")
Entry_co = TypeVar("Entry_co", covariant=True)


class TakeBack(Protocol[Entry_co]):
    """A register's withdrawal (``attestations.expire``, ``interventions.withdraw``)."""

    def __call__(self, s: Session, ref: int | str, *, on: date, reason: str, actor: str,
                 at: datetime) -> Entry_co: ...


def withdraw(take_back: TakeBack[Entry], describe: Callable[[Entry], str], ref: str, *,
             reason: str, on: str | None) -> None:
    """Withdraw entry ``ref`` from the ``--on`` day (default today) and print
    ``withdrew <its description> from <day>``; a refusal prints its problems and exits 2."""
    s, at = settings(), now()
    day = parse_day(on, "--on") if on else at.date()
    with refused(), session(api.connect(s), write=True) as sess, sess.begin():
        line = describe(take_back(sess, ref, on=day, reason=reason, actor=actor(), at=at))
    out.print(f"withdrew {line} from {day}", markup=False, soft_wrap=True)
