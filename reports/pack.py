"""The evidence pack: one zip a regulator can check, byte-for-byte reproducible.

Contents (paths inside the zip, sorted)::

    audit/audit-excerpt.csv      imports, evaluations and finding changes behind the figures
    audit/chain-head.json        the last excerpt event's hash and whether the chain verifies
    documents/board-report.docx  the board assurance report
    documents/well-led-evidence.docx  in the framework version reports.well_led_framework names
    documents/edi-improvement-plan.docx  the six High Impact Actions (when the hia pack is in force)
    frameworks/<version>.yaml    that version's catalogue file (sections, scoring, mapping)
    figures/*.csv                every figure used: outcomes, series, SPC, peers, declarations
    findings/findings.csv        the organisation's findings (lifecycle, owners, due dates)
    findings/finding-events.csv  their history up to ``as_of``
    rules/*.yaml                 the rule packs in force
    README.txt                   what the pack holds, who signed it, how to check it
    manifest.json                SHA-256 and size of every other file, import provenance
    signature.json               Ed25519 signature over manifest.json, with the public key

Reproducible: built twice from the same store and ``as_of`` the zip is byte-identical —
entries sorted, zip timestamps fixed at ``as_of``, fixed file modes, documents saved with
fixed core properties, and the audit excerpt leaves out ``report.*`` and ``pack.*`` events
(building a pack records one, which must not change the next pack), and Ed25519
signatures are deterministic, so the same key signs the same manifest alike.

:func:`verify_pack` recomputes every digest, checks the signature (:mod:`assurance.signing`)
and names each changed, missing or extra file; it needs nothing but the zip.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from assurance import signing
from assurance.config import Settings
from assurance.db import session as open_session
from assurance.frameworks import Framework, load_framework
from assurance.models import AuditEvent
from assurance.report_context import (
    BoardContext,
    FindingView,
    ReportInputs,
    board_context,
    load_inputs,
    well_led_context,
)
from assurance.report_context.hia import HIA_PACK, hia_context
from assurance.report_context.inputs import findings_of
from assurance.report_context.views import finding_view
from reports import board as board_doc
from reports import docxkit, extracts
from reports import hia as hia_doc
from reports import wellled as wellled_doc
from reports.outputs import record

MANIFEST = signing.MANIFEST
SIGNATURE = signing.SIGNATURE
FORMAT = signing.FORMAT


def _naive(at: datetime) -> datetime:
    """UTC without tzinfo, to the millisecond (as the audit log stores times)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.replace(microsecond=(at.microsecond // 1000) * 1000)


def audit_excerpt(s: Session, ctx: BoardContext, findings: list[FindingView]
                  ) -> list[AuditEvent]:
    """The audit events behind this pack's figures and findings, in chain order.

    Imports that supplied the organisation's figures, evaluations up to ``as_of``, and the
    finding transitions recorded in the findings history; never ``report.*``/``pack.*``.
    """
    subjects = [f"import:{i.id}" for i in ctx.imports]
    subjects += [f"finding:{f.fingerprint}" for f in findings]
    wanted = {(f"finding:{f.fingerprint}", f"finding.{e.kind}", _naive(e.at))
              for f in findings for e in f.history}
    rows = list(s.exec(select(AuditEvent).where(
        col(AuditEvent.subject).in_(subjects) | (col(AuditEvent.action) == "evaluate"))
        .order_by(col(AuditEvent.seq))).all())
    out = []
    for ev in rows:
        if ev.action == "evaluate":
            day = ev.subject.removeprefix("as_of:")
            if day[:10] <= ctx.as_of.isoformat():
                out.append(ev)
        elif ev.action.startswith("finding."):
            if (ev.subject, ev.action, _naive(ev.at)) in wanted:
                out.append(ev)
        elif ev.action == "import":
            out.append(ev)
    return out


def _provenance(ctx: BoardContext) -> list[dict[str, Any]]:
    return [{"id": i.id, "source": i.source, "filename": i.filename, "sha256": i.sha256,
             "imported_at": i.imported_at.isoformat(), "imported_by": i.imported_by,
             "rows_read": i.rows_read, "observations": i.observations,
             "importer_version": i.importer_version} for i in ctx.imports]


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key this deployment signs packs with (see :mod:`assurance.signing`).

    Raises:
        ProblemsError: ``reports.signing_key_env`` names an unset or unusable variable.
    """
    return signing.pack_key(key_env=settings.reports.signing_key_env, env=os.environ,
                            key_dir=settings.base_dir, config=str(settings.source or "<config>"))


def _readme(ctx: BoardContext, as_of: date, key: Ed25519PrivateKey,
            framework: Framework) -> bytes:
    public = signing.raw_public(key.public_key())
    b64 = base64.b64encode(public).decode("ascii")
    org = "".join(c if c.isprintable() else "\ufffd" for c in ctx.organisation.name)
    return "\n".join([
        f"Evidence pack: {org} ({ctx.organisation.code}), as of {as_of.isoformat()}",
        f"Produced by {ctx.product}.",
        "",
        f"The well-led evidence follows {framework.title} ({framework.id});",
        f"its catalogue file is frameworks/{framework.file_name}.",
        "",
        "manifest.json lists every other file with its SHA-256 and size; signature.json",
        f"signs it with {signing.ALGORITHM}. This pack was signed by the key",
        "",
        f"    fingerprint  {signing.fingerprint(public)}",
        f"    public key   {b64}  (raw 32 bytes, base64)",
        "",
        "Ask the sender for the fingerprint they sign with, by another route than this pack,",
        "and check with nothing but the zip (no store, no configuration; it writes nothing):",
        "",
        f"    assurance pack verify PACK.zip --public-key {signing.fingerprint(public)}",
        "",
        "Without the tool: the signature (base64 in signature.json) is over the ASCII text",
        f"'{FORMAT} {MANIFEST} sha256:<hex SHA-256 of manifest.json>'.",
        "",
    ]).encode("utf-8")


def pack_files(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
               key: Ed25519PrivateKey | None = None, inputs: ReportInputs | None = None
               ) -> tuple[dict[str, bytes], BoardContext]:
    """Every file of the pack (manifest and signature included), by path inside the zip.

    ``key`` signs the manifest; default :func:`signing_key`. ``inputs``: the store as read
    once for many packs at ``as_of`` (:func:`load_inputs` with ``org_codes=None``); read for
    this organisation alone when omitted. Either gives the same pack.
    """
    key = key if key is not None else signing_key(settings)
    inputs = inputs or load_inputs(engine, settings, as_of=as_of, org_codes=[org_code])
    ctx = board_context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs)
    wl = well_led_context(engine, settings, org_code=org_code, as_of=as_of, board=ctx)
    with open_session(engine) as s:
        findings = [finding_view(f, ev, as_of) for f, ev in findings_of(s, org_code, as_of)
                    if ev]
        events = audit_excerpt(s, ctx, findings)
        chain = inputs.verified_chain(s)
    files: dict[str, bytes] = {
        "documents/board-report.docx": docxkit.package(board_doc.build_document(ctx, settings),
                                                       as_of),
        "documents/well-led-evidence.docx": docxkit.package(
            wellled_doc.build_document(wl, settings), as_of),
        **({"documents/edi-improvement-plan.docx": docxkit.package(hia_doc.build_document(
            hia_context(engine, settings, org_code=org_code, as_of=as_of, inputs=inputs),
            settings), as_of)} if any(p.name == HIA_PACK for p in inputs.packs) else {}),
        "figures/outcomes.csv": extracts.outcomes_csv(ctx),
        "figures/series.csv": extracts.series_csv(ctx),
        "figures/spc.csv": extracts.spc_csv(ctx),
        "figures/peers.csv": extracts.peers_csv(ctx),
        "figures/declarations.csv": extracts.declarations_csv(ctx),
        "findings/findings.csv": extracts.findings_csv(findings),
        "findings/finding-events.csv": extracts.finding_events_csv(findings),
        "audit/audit-excerpt.csv": extracts.audit_csv(events),
    }
    last = events[-1] if events else None
    files["audit/chain-head.json"] = extracts.json_bytes({
        "excerpt_events": len(events), "last_seq": last.seq if last else None,
        "last_hash": last.hash if last else None, "chain_verified": chain.ok,
        "problem": chain.problem,
        "note": "Each row's hash is sha256(prev_hash + event); `assurance audit verify` "
                "recomputes the whole chain in the store this pack came from."})
    for pack in inputs.packs:
        name = f"rules/{pack.path.name}"
        if name in files:  # two packs with one file name: keep both, distinguishable
            name = f"rules/{pack.name}-{pack.path.name}"
        files[name] = pack.path.read_bytes()
    fw = wl.framework if wl.framework is not None else load_framework()
    files[f"frameworks/{fw.file_name}"] = Path(fw.file).read_bytes()
    files["README.txt"] = _readme(ctx, as_of, key, fw)
    files[MANIFEST] = extracts.json_bytes({
        "format": FORMAT, "product": ctx.product, "as_of": as_of.isoformat(),
        "organisation": {"code": ctx.organisation.code, "name": ctx.organisation.name,
                         "synthetic": ctx.organisation.synthetic},
        "audience": ctx.audience, "exact_counts": ctx.exact_counts,
        "files": [{"path": p, "sha256": _sha(b), "bytes": len(b)}
                  for p, b in sorted(files.items())],
        "imports": _provenance(ctx),
        "rule_packs": [{"pack": n, "file": f} for n, f in ctx.rule_packs],
        "well_led_framework": {"id": fw.id, "title": fw.title,
                               "file": f"frameworks/{fw.file_name}"}})
    files[SIGNATURE] = signing.signature_file(key, files[MANIFEST])
    return files, ctx


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_zip(files: dict[str, bytes], out_path: Path, when: date) -> Path:
    """Sorted entries, fixed timestamps and modes: the same files give the same bytes."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name in sorted(files):
            zi = zipfile.ZipInfo(name, date_time=docxkit.zip_timestamp(when))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            z.writestr(zi, files[name], compresslevel=6)
    os.replace(tmp, out_path)
    return out_path


def build_pack(engine: Engine, settings: Settings, *, org_code: str, as_of: date,
               out_path: Path, actor: str = "assurance", at: datetime | None = None,
               inputs: ReportInputs | None = None) -> Path:
    """Build the evidence pack zip and record ``pack.build`` with its SHA-256 (``inputs``:
    see :func:`pack_files`).

    Raises:
        ProblemsError: unknown organisation, unusable logo, template or reference document.
    """
    key = signing_key(settings)
    files, _ = pack_files(engine, settings, org_code=org_code, as_of=as_of, key=key,
                          inputs=inputs)
    path = write_zip(files, out_path, as_of)
    signer = signing.fingerprint(signing.raw_public(key.public_key()))
    record(engine, settings, action="pack.build", org_code=org_code, as_of=as_of, path=path,
           actor=actor, at=at, details={"manifest_sha256": _sha(files[MANIFEST]),
                                        "files": len(files), "signer": signer})
    return path


def verify_pack(path: Path, *, engine: Engine | None = None,
                public_key: str | None = None) -> list[str]:
    """Check a pack from the zip alone; one message per changed, missing or extra file.

    An empty list means the signature verifies and every file matches the SHA-256 the
    signed manifest records. ``public_key`` (a fingerprint, base64 or PEM public key) pins
    the expected signer. With ``engine``, the manifest must also be one a ``pack.build``
    event recorded in that store, and the chain head one of its audit log's events.
    """
    expected = signing.parse_public_key(public_key) if public_key else None
    return signing.check_pack(path, engine=engine, expected_signer=expected).problems


class PackRenderer:
    """Registry entry ``pack``: the evidence pack zip for one organisation."""

    name = "pack"
    description = "Evidence pack (zip): documents, CSV extracts, rules, findings, audit, manifest"
    suffix = ".zip"

    def render(self, engine: Engine, settings: Settings, *, org_code: str, as_of: date,
               out_path: Path, actor: str = "assurance", at: datetime | None = None,
               inputs: ReportInputs | None = None) -> Path:
        return build_pack(engine, settings, org_code=org_code, as_of=as_of, out_path=out_path,
                          actor=actor, at=at, inputs=inputs)
