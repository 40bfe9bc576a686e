"""The dashboard's pages (GET handlers). Each reads through :class:`web.queries.Store` and
shows figures only as the report context or :func:`~assurance.disclosure.figure.
disclose_figure` gives them for the viewer's audience; people's free text and the engine's
sentences (which quote exact counts) only to audiences that may quote them."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from assurance import routing
from assurance.db import session
from assurance.disclosure import quotable, suppression_note
from assurance.disclosure.figure import disclose_figure
from assurance.models import Finding
from assurance.report_context.summary import executive_summary, mdc_summary
from assurance.report_context.views import finding_view
from web import charts
from web.render import render, signed_in, state
from web.roles import (
    Viewer,
    audience,
    can_change,
    can_manage_subscriptions,
    can_see_finding,
    can_see_org,
    division_scope,
    limited_to_org,
    policy,
)

VERIFIERS = ("regulator", "admin")
"""Roles that may recompute the whole audit chain (``/audit?verify=1``)."""

PAGE_SIZE = 50
"""Findings per page of the list (the national store has thousands open)."""


def _org(request: Request, viewer: Viewer) -> str:
    org = str(request.path_params["org"]).upper()
    if not can_see_org(viewer, org):
        raise HTTPException(403)
    if not state(request).store.org_exists(org):
        raise HTTPException(404)
    return org


@signed_in
def home(request: Request, viewer: Viewer) -> Response:
    """The organisations held to account, with their open findings."""
    if viewer.role == "division_owner" and viewer.org_code:
        target = f"/org/{viewer.org_code}/division/{viewer.division}" if viewer.division \
            else f"/org/{viewer.org_code}"
        return RedirectResponse(target, status_code=303)
    st = state(request)
    orgs = [o for o in st.store.organisations() if can_see_org(viewer, o.code)]
    return render(request, "home.html", title="Organisations", orgs=orgs,
                  as_of=st.store.as_of())


@signed_in
def overview(request: Request, viewer: Viewer) -> Response:
    """Alert / Advise / Assure and the Making Data Count summary, as the board report's front
    pages give them, for the viewer's audience."""
    org = _org(request, viewer)
    st = state(request)
    ctx = st.store.board(org, st.store.as_of(), audience(st.settings, viewer))
    return render(request, "overview.html", title=ctx.organisation.name, ctx=ctx,
                  summary=executive_summary(ctx), mdc=mdc_summary(ctx),
                  divisions=st.store.divisions(org))


@signed_in
def indicator(request: Request, viewer: Viewer) -> Response:
    """One rule's figure for the organisation: chart, table, interval, rule and history."""
    org = _org(request, viewer)
    st = state(request)
    ctx = st.store.board(org, st.store.as_of(), audience(st.settings, viewer))
    rule_id = request.path_params["rule_id"]
    o = next((o for o in ctx.outcomes if o.rule_id == rule_id), None)
    if o is None:
        raise HTTPException(404)
    unit = o.figure.unit if o.figure else ""
    # An attestation judges no figure: no trend or chart of the metric it is anchored to.
    chart = None if o.assured else charts.trend_chart(
        o.series, unit=unit, title=f"{o.metric_label} over time",
        series_label=o.series_label or o.metric_label, reference_label=o.reference_label,
        band=o.band)
    spc = None if o.assured else next((v for v in ctx.spc if v.metric == o.metric), None)
    return render(request, "indicator.html", title=o.heading, ctx=ctx,
                  o=o, chart=chart, spc=spc, spc_chart=charts.spc_chart(spc) if spc else None)


@signed_in
def divisions(request: Request, viewer: Viewer) -> Response:
    org = _org(request, viewer)
    st = state(request)
    return render(request, "divisions.html", title="Divisions", org=org,
                  divisions=st.store.divisions(org))


@signed_in
def division(request: Request, viewer: Viewer) -> Response:
    """A division's figures (breakdown ``division:<code>``) and its findings."""
    org = _org(request, viewer)
    code = request.path_params["code"]
    if viewer.role == "division_owner" and viewer.division != code:
        raise HTTPException(403)
    st = state(request)
    pol = policy(st.settings, viewer)
    view = st.store.division(org, code, st.store.as_of(), pol)
    if view is None:
        raise HTTPException(404)
    shown = {d.rule_id: charts.trend_chart(d.series, unit=d.unit, title=f"{d.metric_label} "
                                           f"in {view.name}", series_label=d.metric_label)
             for d in view.figures if d.figure is not None}  # combined ones: no figure
    return render(request, "division.html", title=f"{view.name} division", org=org, view=view,
                  charts=shown,
                  findings=[_finding_row(f, pol, hide=f.rule_id in view.combined_rules)
                            for f in view.findings if can_see_finding(viewer, f)],
                  note=suppression_note(pol))


def _finding_row(f: Finding, pol: Any, *, hide: bool = False) -> dict[str, Any]:
    """A finding in a list; ``hide``: no figure (its division is shown only combined)."""
    d = disclose_figure(json.loads(f.facts or "{}"), pol)
    shown = (d.calculable or d.value_text) and not hide
    return {"f": f, "figure": d.headline() if shown else "",
            "summary": f.summary if quotable(pol) else ""}


@signed_in
def findings(request: Request, viewer: Viewer) -> Response:
    """Open findings (``?all=1``: resolved too) of the organisations held to account."""
    st = state(request)
    pol = policy(st.settings, viewer)
    every = request.query_params.get("all") == "1"
    org, scope = viewer.org_code, division_scope(viewer)
    if scope is not None and org is None:
        scope = "division:"  # a division owner without an organisation sees no findings
    raw = request.query_params.get("page", "1")
    page = max(int(raw) if raw.isdigit() and len(raw) < 7 else 1, 1)
    shown, total = st.store.findings(org=org, scope=scope, open_only=not every,
                                     offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        return RedirectResponse(f"/findings?{'all=1&' if every else ''}page={pages}", 303)
    query = "all=1&" if every else ""
    shown = [f for f in shown if can_see_finding(viewer, f)]  # filtered above already
    as_of = st.store.as_of()
    return render(request, "findings.html", title="Findings", every=every,
                  rows=[_finding_row(f, pol, hide=bool(st.store.combined_note(f, as_of, pol)))
                        for f in shown], total=total, page=page,
                  pages=pages, query=query, first=(page - 1) * PAGE_SIZE + 1,
                  note=suppression_note(pol))


def finding_page(request: Request, viewer: Viewer, finding_id: int, *,
                 errors: list[str] | None = None, status: int = 200) -> Response:
    """One finding with its history and, for a role that may change it, the forms."""
    st = state(request)
    got = st.store.finding(finding_id)
    if got is None:
        raise HTTPException(404)
    f, events = got
    if not can_see_finding(viewer, f):
        raise HTTPException(403)
    pol = policy(st.settings, viewer)
    fv = finding_view(f, events, st.store.as_of())
    d = disclose_figure(json.loads(f.facts or "{}"), pol)
    return render(request, "finding.html", status, title=f.title, f=f, fv=fv, figure=d,
                  combined=st.store.combined_note(f, st.store.as_of(), pol),
                  quote=quotable(pol), events=list(reversed(events)),
                  may_change=can_change(viewer, f), errors=errors or [],
                  note=suppression_note(pol) if d.hidden else None)


@signed_in
def finding(request: Request, viewer: Viewer) -> Response:
    return finding_page(request, viewer, int(request.path_params["finding_id"]))


@signed_in
def subscriptions(request: Request, viewer: Viewer) -> Response:
    """Who hears about which findings (config and those added by command)."""
    st = state(request)
    with session(st.engine) as s:
        subs = routing.list_subscriptions(s, st.settings)
    limited = limited_to_org(viewer)
    if limited:  # an organisation's account sees only who hears about that organisation
        subs = [sub for sub in subs if viewer.org_code is not None and routing.hears_about(
            sub, viewer.org_code, st.settings.accountable)]
    return render(request, "subscriptions.html", title="Subscriptions", subs=subs,
                  manage=can_manage_subscriptions(viewer), limited=limited)


@signed_in
def audit_chain(request: Request, viewer: Viewer) -> Response:
    """The audit chain's head and latest events (``?verify=1`` recomputes the chain, for a
    regulator or an administrator only: it reads every event)."""
    st = state(request)
    limited = limited_to_org(viewer)
    head, events = st.store.audit_tail(
        about=None if not limited else (
            "" if viewer.role == "division_owner" else viewer.org_code or "", viewer.username))
    asked, may_verify = request.query_params.get("verify") == "1", viewer.role in VERIFIERS
    report = st.store.verify_audit() if asked and may_verify else None
    return render(request, "audit.html", title="Audit chain", head=head, events=events,
                  report=report, details=quotable(policy(st.settings, viewer)),
                  may_verify=may_verify, refused=asked and not may_verify, limited=limited)


def _may_download(request: Request, viewer: Viewer) -> bool:
    """Board reports and evidence packs carry exact counts: exact audiences only."""
    return policy(state(request).settings, viewer).exact


@signed_in
def downloads(request: Request, viewer: Viewer) -> Response:
    st = state(request)
    files = [d for d in st.store.downloads() if can_see_org(viewer, d.org_code)]
    return render(request, "downloads.html", title="Downloads", files=files,
                  allowed=_may_download(request, viewer))


@signed_in
def download(request: Request, viewer: Viewer) -> Response:
    if not _may_download(request, viewer):
        raise HTTPException(403)
    org, kind = str(request.path_params["org"]).upper(), request.path_params["kind"]
    if not can_see_org(viewer, org):
        raise HTTPException(403)
    match = next((d for d in state(request).store.downloads()
                  if d.org_code == org and d.kind == kind), None)
    if match is None:
        raise HTTPException(404)
    return FileResponse(match.path, filename=match.path.name,
                        content_disposition_type="attachment")
