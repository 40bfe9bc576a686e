"""The finding forms (POST): acknowledge, assign, silence and comment.

Each calls :func:`assurance.api.change_finding` with the same lifecycle functions the
``assurance findings ack|assign|silence`` commands call, so the finding's history, the audit
chain and the channel threads follow exactly as from the command line. The CSRF token is
checked before anything else is read; a role that may not change the finding is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assurance import api
from assurance import findings as fnd
from assurance.problems import Problem, ProblemsError
from web.pages import finding_page
from web.render import now, render, signed_in, state
from web.roles import Viewer, can_change
from web.security import CSRF_FIELD, csrf_ok

MAX_TEXT = 2000


def comment(s: Session, ref: str, *, who: str, text: str, at: datetime,
            as_of: date) -> fnd.Transition:
    """A comment on a finding's history (audited; comments do not notify channels)."""
    if not text.strip():
        raise ProblemsError([Problem("comment", "expected some text")])
    f, _ = fnd.get(s, ref)
    return fnd.record_transition(s, f, "commented", at=at, as_of=as_of, actor=who,
                                 summary=f"Comment by {who}: {text}", details={"text": text})


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ProblemsError([Problem(field, f"found {value!r}; expected a date like "
                                         "2025-09-30")]) from None


def _text(form: dict[str, str], key: str) -> str:
    return form.get(key, "").strip()[:MAX_TEXT]


CHANGES: dict[str, Callable[[dict[str, str], Viewer, date], tuple[Callable[..., fnd.Transition],
                                                                   dict[str, object]]]] = {
    "acknowledge": lambda form, v, today: (fnd.acknowledge, {
        "who": v.username, "note": _text(form, "note") or "Acknowledged on the dashboard"}),
    "assign": lambda form, v, today: (fnd.assign, {
        "owner": _text(form, "owner"), "note": _text(form, "note") or None,
        "due": _day(form["due"], "due") if form.get("due", "").strip() else None,
        "actor": v.username}),
    "silence": lambda form, v, today: (fnd.silence, {
        "reason": _text(form, "reason"), "approver": _text(form, "approver"),
        "until": _day(form.get("until", ""), "until"), "actor": v.username}),
    "comment": lambda form, v, today: (comment, {"who": v.username,
                                                 "text": _text(form, "text")}),
}


@signed_in
async def change(request: Request, viewer: Viewer) -> Response:
    """One lifecycle change from a finding page's form."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not csrf_ok(request.session, form.get(CSRF_FIELD)):
        return render(request, "error.html", 403, title="Form expired",
                      message="This form was not sent from this session (its security token "
                      "did not match). Reload the page and try again: nothing was changed.")
    return await run_in_threadpool(_apply, request, viewer, form)


def _apply(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    st = state(request)
    finding_id = int(request.path_params["finding_id"])
    kind = request.path_params["change"]
    got = st.store.finding(finding_id)
    if kind not in CHANGES or got is None:
        raise HTTPException(404)
    if not can_change(viewer, got[0]):
        raise HTTPException(403)
    at = now()
    try:
        fn, options = CHANGES[kind](form, viewer, at.date())
        t = api.change_finding(st.engine, st.settings, fn, str(finding_id), at=at,
                               as_of=at.date(), **options)
    except ProblemsError as exc:
        return finding_page(request, viewer, finding_id, status=400,
                            errors=[p.message for p in exc.problems])
    request.session["flash"] = t.event.summary
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)
