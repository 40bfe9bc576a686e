"""The Word documents: read back with python-docx, opened by LibreOffice, checked for
accessibility, and failing clearly on a bad logo or template.

The demo store is built once (with the real Staff Survey 2024 file when present) and
evaluated at 1 June 2025; reports are rendered once per module where tests only read them.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree
from sqlalchemy.engine import Engine
from sqlmodel import col, select

import reports
from assurance import api
from assurance.config import Settings
from assurance.db import session
from assurance.models import AuditEvent
from assurance.problems import ProblemsError
from assurance.report_context import board_context, well_led_context
from conftest import NSS_FILE
from helpers import register_orgs
from report_support import C, chart_parts
from reports import charts
from reports.board import render_board_report
from reports.outputs import sha256_file
from reports.wellled import render_well_led

AS_OF = date(2025, 6, 1)
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
BOARD_HEADINGS = ["Introduction", "Summary: Alert, Advise, Assure", "Alert", "Advise",
                  "Assure", "Indicators and rules", "Charts", "Findings and actions",
                  "Data quality and declaration rates", "Sources of the data",
                  "Appendix: definitions"]


@pytest.fixture(scope="module")
def demo(demo_store: tuple[Engine, Settings]) -> tuple[Engine, Settings]:
    assert api.DEMO_AS_OF == AS_OF  # the demo store was evaluated as of this date
    return demo_store


@pytest.fixture(scope="module")
def rendered(demo: tuple[Engine, Settings], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Path]:
    engine, settings = demo
    out = tmp_path_factory.mktemp("reports-out")
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    wl = well_led_context(engine, settings, org_code="SYN01", as_of=AS_OF, board=ctx)
    return {
        "board": render_board_report(ctx, settings, out / "SYN01-board.docx", engine=engine,
                                     actor="test", at=AT),
        "well-led": render_well_led(wl, settings, out / "SYN01-well-led.docx", engine=engine,
                                    actor="test", at=AT),
    }


def _headings(path: Path) -> list[tuple[int, str]]:
    d = docx.Document(str(path))
    return [(int(p.style.name.split()[-1]), p.text) for p in d.paragraphs
            if p.style is not None and p.style.name.startswith("Heading ")]


def _all_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_board_report_has_its_sections_in_order(rendered: dict[str, Path]) -> None:
    h1 = [text for level, text in _headings(rendered["board"]) if level <= 2]
    positions = [h1.index(name) for name in BOARD_HEADINGS]
    assert positions == sorted(positions)
    d = docx.Document(str(rendered["board"]))
    cover = "\n".join(p.text for p in d.paragraphs[:14])
    for expected in ("Northmoor Synthetic NHS Trust (SYN01)", "People Committee (demo)",
                     "1 June 2025", "WRES/WDES 2025 (snapshot 31 March 2025)", "Data as at:",
                     "SYNTHETIC DATA"):
        assert expected in cover


def test_the_outcome_table_shows_the_wres2_figure_with_its_interval_and_counts(
        rendered: dict[str, Path]) -> None:
    d = docx.Document(str(rendered["board"]))
    rows = [[c.text for c in row.cells] for t in d.tables for row in t.rows]
    wres2 = next(r for r in rows if r[0].startswith("WRES 2\nWhite applicants"))
    assert wres2[1].startswith("Breach")
    assert "1.67\n95% CI 1.52 to 1.84\nWhite 868/2,396; BME 445/2,054" in wres2[2]
    assert "Rule: WRES 2: breach when the figure is above 1.25" in wres2[0]
    assert wres2[3].startswith("No significant change: 1.69 (2024) to 1.67 (2025)")
    findings = next(t for t in d.tables if t.rows[0].cells[0].text == "Finding")
    assert any("Regulator" in r.cells[1].text for r in findings.rows)


def test_well_led_document_has_a_section_per_statement_with_suggested_scores(
        rendered: dict[str, Path]) -> None:
    heads = _headings(rendered["well-led"])
    h1 = [t for level, t in heads if level == 1]
    assert h1[:2] == ["About this document", "Summary of suggested scores"]
    assert "4. Workforce equality, diversity and inclusion" in h1
    assert h1[-2:] == ["How the suggested scores are worked out", "Sources"]
    text = _all_text(rendered["well-led"])
    assert "Suggested by the tool, not a CQC rating." in text
    assert "No evidence for \u201cPartnerships and communities\u201d" in text
    assert "Disability staff network" in text  # WDES 9b narrative
    assert "feedback from staff and leaders" in text and "SHA-256" in text


def _xml_parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize("kind", ["board", "well-led"])
def test_documents_are_accessible_by_construction(rendered: dict[str, Path], kind: str) -> None:
    path = rendered[kind]
    d = docx.Document(str(path))
    assert d.core_properties.title and d.core_properties.language == "en-GB"
    styles = _xml_parts(path)["word/styles.xml"].decode()
    assert 'w:lang w:val="en-GB"' in styles
    levels = [level for level, _ in _headings(path)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    body = d.element.body
    drawings = body.findall(".//" + qn("wp:docPr"))
    for pr in drawings:
        assert len(pr.get("descr", "")) > 20, pr.get("name")
    assert d.tables
    for t in d.tables:
        first = t.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None
        assert len(t.rows) > 1, "an empty table"
        for row in t.rows:
            for cell in row.cells:
                shd = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
                if shd is not None:
                    assert cell.text.strip(), "shading without words"
    fonts = _xml_parts(path)["word/styles.xml"].decode()
    if kind == "board":
        assert 'w:ascii="Arial"' in fonts
        assert len(drawings) >= 4


def test_every_chart_has_alt_text_that_states_the_values(rendered: dict[str, Path]) -> None:
    d = docx.Document(str(rendered["board"]))
    alts = [pr.get("descr") for pr in d.element.body.iter(qn("wp:docPr"))]
    rl = next(a for a in alts if a.startswith("Dot chart of relative likelihoods"))
    assert "WRES 2 1.67 (95% CI 1.52 to 1.84), Breach" in rl and "0.80 to 1.25" in rl
    spc = next(a for a in alts if a.startswith("Making Data Count XmR chart"))
    assert "process limits" in spc and "Variation:" in spc and "Assurance:" in spc


def test_charts_are_native_word_charts_carrying_the_figures_they_describe(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    wres2 = next(o for o in ctx.outcomes if o.rule_id == "wres.2.adverse")
    made = [charts.trend_chart(wres2, ctx.organisation.name),
            *charts.likelihood_charts(ctx.outcomes), charts.gap_chart(ctx.outcomes),
            charts.spc_chart(ctx.spc[0])]
    if NSS_FILE.is_file():
        real = board_context(engine, settings, org_code="RR8", as_of=AS_OF)
        made.append(charts.peer_chart(real.peers))
    for c in made:
        assert c is not None
        root = etree.fromstring(c.part)  # well-formed, one chart part
        assert root.tag == f"{C}chartSpace" and root.find(f"{C}chart/{C}plotArea") is not None
        assert c.alt and c.caption and c.width_cm == 16.0 and c.height_cm >= 7.0, c.name
    trend = made[0]
    assert trend is not None and "2019 1.60" in trend.alt and "above it" in trend.alt
    values = [p.value for p in wres2.series if p.value is not None]
    plotted = etree.fromstring(trend.part).find(f".//{C}lineChart/{C}ser/{C}val")
    assert [float(v.text) for v in plotted.iter(f"{C}v")] == values  # the figures themselves
    again = charts.trend_chart(wres2, ctx.organisation.name)
    assert again is not None and again.part == trend.part  # same data, same bytes


def test_many_relative_likelihoods_are_charted_by_family_each_legible(
        demo: tuple[Engine, Settings], rendered: dict[str, Path]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    ratios = {o.metric for o in ctx.outcomes
              if o.figure is not None and o.figure.unit == "ratio" and o.figure.value is not None}
    assert len(ratios) > charts.RL_PER_CHART  # the demo's career stages: too many for one chart
    drawn = [c for c in chart_parts(rendered["board"]) if c.title.startswith("Relative")]
    assert len(drawn) >= 2 and drawn[0].title.endswith(": WRES and WDES")
    labels = [label for c in drawn for label in c.categories]
    assert all(len(c.categories) <= charts.RL_PER_CHART for c in drawn)
    assert len(labels) == len(set(labels)) == len(ratios)  # each figure drawn once, none lost
    assert "WRES 2" in drawn[0].categories
    assert any(c.title.endswith(": Recruitment") for c in drawn)
    assert max(len(label) for label in labels) <= 45  # short names, not catalogue titles


def test_a_wide_interval_is_cut_at_the_axis_cap_and_the_caption_says_so(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    wres2 = next(o for o in ctx.outcomes if o.rule_id == "wres.2.adverse")
    assert wres2.figure is not None and wres2.figure.value is not None
    wide = dataclasses.replace(wres2, figure=dataclasses.replace(
        wres2.figure, ci=(wres2.figure.value * 0.5, 11.0)))
    (plain,) = charts.likelihood_charts([wres2])
    (cut,) = charts.likelihood_charts([wide])
    assert "cut at the top" not in plain.caption
    assert "The interval of WRES 2 reaches past" in cut.caption and "in full" in cut.caption
    top = etree.fromstring(cut.part).find(f".//{C}valAx/{C}scaling/{C}max")
    assert top is not None and charts.RL_AXIS_CAP <= float(top.get("val")) < 11.0


def test_a_met_attestation_is_assured_by_what_was_attested_not_by_its_anchor_metric(
        demo: tuple[Engine, Settings]) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN01", as_of=AS_OF)
    attested = {o.rule_id for o in ctx.outcomes
                if o.assured and o.classification == "assure" and o.finding is not None}
    assert attested  # the demo resolves HIA 1's attestations
    items = [i for i in ctx.summary.assure if set(i.rule_ids) & attested]
    assert items
    for i in items:
        if len(i.rule_ids) == 1:  # a rule of its own, not the list of rules met
            assert i.heading.startswith("Attested: ") and "WRES 9" not in i.heading
            assert " attested by the " in i.text
            assert re.search(r"\d{4}-\d{2}-\d{2}", i.text) is None  # dates as boards write them
    met = [i for i in ctx.summary.assure if "further rule" in i.heading]
    title = "elative likelihood of White applicants being interviewed once shortlisted"
    # named once, not repeated in brackets after itself
    assert sum(i.text.count(title) for i in met) == 1
    # One line per rule pack, headed by its title, together naming every other rule met.
    packs = [i.heading.split(": ")[0] for i in met]
    assert len(packs) > 1 and len(set(packs)) == len(packs)
    listed = [r for i in met for r in i.rule_ids]
    named = {r for i in ctx.summary.assure if "further rule" not in i.heading
             for r in i.rule_ids}
    assert sorted(listed) == sorted(o.rule_id for o in ctx.outcomes
                                    if o.classification == "assure" and o.rule_id not in named)
    for i in met:
        pack = {o.pack_title for o in ctx.outcomes if o.rule_id in i.rule_ids}
        assert pack == {i.heading.split(": ")[0]}


def test_an_indicator_on_alert_or_advise_is_not_named_as_met_under_assure(
        demo: tuple[Engine, Settings]) -> None:
    # "Board composition: 3 further rules met … WRES 9 (difference …)" with WRES 9 on Alert:
    # the rule met was "No voting board member is BME", named by the indicator it shares.
    engine, settings = demo
    for org in ("SYN01", "SYN02"):
        ctx = board_context(engine, settings, org_code=org, as_of=AS_OF)
        met = [i for i in ctx.summary.assure if "further rule" in i.heading]
        wanting = {(o.metric, o.division) for o in ctx.outcomes if o.classification != "assure"}
        for i in met:
            for o in (o for o in ctx.outcomes if o.rule_id in i.rule_ids
                      and o.classification == "assure"):  # a division rule: one id, many
                if (o.metric, o.division) in wanting:
                    assert f"{o.title} — not breached, but another rule on {o.indicator} is " \
                        "listed above" in i.text, i.text
            count = int(i.heading.split(": ")[1].split(" ")[0])
            named = i.text.split(": ", 1)[1].rstrip(".").split("; ")
            assert count == sum(int(n.rsplit("(", 1)[1].split(" ")[0]) if n.endswith(" rules)")
                                else 1 for n in named), i.text


def test_the_spc_chart_keeps_making_data_counts_colours_and_shapes(
        demo: tuple[Engine, Settings], rendered: dict[str, Path]) -> None:
    engine, settings = demo
    v = board_context(engine, settings, org_code="SYN01", as_of=AS_OF).spc[0]
    spc = next(c for c in chart_parts(rendered["board"]) if c.title.startswith("SPC: "))
    kinds = {p.point_type for p in v.points}
    assert len(kinds) >= 2  # the demo series has signals, so shapes are told apart
    for kind in kinds:
        words = charts.MDC_WORDS[kind]
        assert spc.markers[words] == (charts.MDC_SHAPES[kind], charts.MDC_COLOURS[kind])
        assert spc.series[words] == [p.value if p.point_type == kind else None
                                     for p in v.points]
    assert spc.markers["Special cause: concern"] == ("diamond", "E46C0A")
    assert spc.series["Mean"] == [p.mean for p in v.points]
    assert spc.categories == [p.label for p in v.points]


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (soffice) and pdftotext are needed")
def test_libreoffice_opens_both_documents_and_the_pdf_says_what_the_docx_says(
        rendered: dict[str, Path], tmp_path: Path) -> None:
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path),
                           str(rendered["board"]), str(rendered["well-led"])],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    board_pdf = tmp_path / "SYN01-board.pdf"
    text = subprocess.run(["pdftotext", str(board_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for expected in ("Workforce equality assurance report", "Summary: Alert, Advise, Assure",
                     "Indicators and rules", "95% CI 1.52 to 1.84", "Findings and actions",
                     "Appendix: definitions", "Northmoor Synthetic NHS Trust"):
        assert expected in text, expected
    # The native charts are drawn: their titles and axis words exist only inside the charts.
    for drawn in ("Relative likelihoods with 95% confidence intervals",
                  "Relative likelihood (1.00 = equal)", "SPC: ", "% of staff responding"):
        assert drawn in text, drawn
    wl = subprocess.run(["pdftotext", str(tmp_path / "SYN01-well-led.pdf"), "-"],
                        capture_output=True, text=True, check=True).stdout
    assert "Workforce equality, diversity and inclusion" in wl
    assert "not a CQC rating" in wl


def test_rendering_records_an_audit_event_with_the_file_digest(
        demo: tuple[Engine, Settings], rendered: dict[str, Path]) -> None:
    engine, _ = demo
    with session(engine) as s:
        events = s.exec(select(AuditEvent).where(col(AuditEvent.action).in_(
            ["report.board", "report.well_led"]))).all()
    digests = {e.action: e.details for e in events}
    assert sha256_file(rendered["board"]) in digests["report.board"]
    assert sha256_file(rendered["well-led"]) in digests["report.well_led"]
    assert api.verify_audit(engine).ok


def test_the_same_context_gives_the_same_bytes(demo: tuple[Engine, Settings],
                                               tmp_path: Path) -> None:
    engine, settings = demo
    ctx = board_context(engine, settings, org_code="SYN03", as_of=AS_OF)
    a = render_board_report(ctx, settings, tmp_path / "a.docx", engine=engine)
    b = render_board_report(ctx, settings, tmp_path / "b.docx", engine=engine)
    assert a.read_bytes() == b.read_bytes()
    props = docx.Document(str(a)).core_properties
    assert props.created == props.modified == datetime(2025, 6, 1, tzinfo=UTC)
    assert props.author.startswith("assurance")


def _with(settings: Settings, **changes: object) -> Settings:
    branding_keys = {"logo", "organisation_name", "primary_colour", "secondary_colour"}
    branding = dataclasses.replace(settings.reports.branding,
                                   **{k: v for k, v in changes.items() if k in branding_keys})
    report = dataclasses.replace(settings.reports, branding=branding,
                                 **{k: v for k, v in changes.items() if k not in branding_keys})
    return dataclasses.replace(settings, reports=report)


def test_a_missing_logo_is_a_clear_error_naming_the_file(demo: tuple[Engine, Settings],
                                                         tmp_path: Path) -> None:
    engine, settings = demo
    missing = tmp_path / "trust-logo.png"
    bad = _with(settings, logo=missing)
    ctx = board_context(engine, bad, org_code="SYN01", as_of=AS_OF)
    with pytest.raises(ProblemsError) as err:
        render_board_report(ctx, bad, tmp_path / "x.docx", engine=engine)
    assert str(missing) in str(err.value) and "reports.branding.logo" in str(err.value)
    not_image = tmp_path / "logo.png"
    not_image.write_text("not a picture")
    ctx = board_context(engine, _with(settings, logo=not_image), org_code="SYN01", as_of=AS_OF)
    with pytest.raises(ProblemsError, match="logo.png.*not a PNG or JPEG"):
        render_board_report(ctx, settings, tmp_path / "x.docx", engine=engine)
    assert not (tmp_path / "x.docx").exists()


def test_a_logo_and_colours_brand_the_cover(demo: tuple[Engine, Settings],
                                            tmp_path: Path) -> None:
    engine, settings = demo
    logo = charts.spc_chart(board_context(engine, settings, org_code="SYN01",
                                          as_of=AS_OF).spc[0]).png  # any real PNG
    (tmp_path / "logo.png").write_bytes(logo)
    branded = _with(settings, logo=tmp_path / "logo.png", primary_colour="330072",
                    organisation_name="Northmoor Synthetic NHS Trust")
    ctx = board_context(engine, branded, org_code="SYN01", as_of=AS_OF)
    path = render_board_report(ctx, branded, tmp_path / "b.docx", engine=engine)
    d = docx.Document(str(path))
    first = d.element.body.find(".//" + qn("wp:docPr"))
    assert first is not None and first.get("descr") == "Logo of Northmoor Synthetic NHS Trust"
    assert "330072" in _xml_parts(path)["word/styles.xml"].decode()


def test_a_broken_template_is_a_clear_error_naming_the_template_and_line(
        demo: tuple[Engine, Settings], tmp_path: Path) -> None:
    engine, settings = demo
    templates = tmp_path / "templates" / "board"
    templates.mkdir(parents=True)
    intro = templates / "introduction.j2"
    intro.write_text("A first line.\n\nThis board met {{ ctx.organisation.nmae }}.\n")
    custom = _with(settings, templates_dir=tmp_path / "templates")
    ctx = board_context(engine, custom, org_code="SYN01", as_of=AS_OF)
    with pytest.raises(ProblemsError) as err:
        render_board_report(ctx, custom, tmp_path / "x.docx", engine=engine)
    assert f"{intro}:3: error: template error:" in str(err.value)
    assert "nmae" in str(err.value)
    intro.write_text("{% if ctx.has_data %}\nunclosed\n")
    with pytest.raises(ProblemsError, match=rf"{intro}:\d+: error: template syntax error"):
        render_board_report(ctx, custom, tmp_path / "x.docx", engine=engine)
    intro.write_text("Our own words for {{ ctx.organisation.name }}.\n")
    path = render_board_report(ctx, custom, tmp_path / "ok.docx", engine=engine)
    assert "Our own words for Northmoor Synthetic NHS Trust." in _all_text(path)


def test_an_organisation_with_no_data_gets_a_report_that_says_so(
        demo: tuple[Engine, Settings], tmp_path: Path) -> None:
    engine, settings = demo
    register_orgs(engine, tmp_path, "SYN99")
    ctx = board_context(engine, settings, org_code="SYN99", as_of=AS_OF)
    path = render_board_report(ctx, settings, tmp_path / "empty.docx", engine=engine)
    text = _all_text(path)
    assert "No data." in text and "holds no figures for Synthetic Test Trust SYN99" in text
    assert "No file has supplied figures" in text
    d = docx.Document(str(path))
    assert all(len(t.rows) > 1 for t in d.tables)
    wl = render_well_led(well_led_context(engine, settings, org_code="SYN99", as_of=AS_OF,
                                          board=ctx), settings, tmp_path / "wl.docx",
                         engine=engine)
    assert "Not scored" in _all_text(wl)


def test_a_reference_document_supplies_the_styles(demo: tuple[Engine, Settings],
                                                  tmp_path: Path) -> None:
    engine, settings = demo
    ref = docx.Document()
    ref.styles["Normal"].font.name = "Verdana"
    ref.add_paragraph("template text that must not appear")
    ref.save(str(tmp_path / "reference.docx"))
    custom = _with(settings, reference_docx=tmp_path / "reference.docx")
    ctx = board_context(engine, custom, org_code="SYN06", as_of=AS_OF)
    path = render_board_report(ctx, custom, tmp_path / "r.docx", engine=engine)
    d = docx.Document(str(path))
    assert d.styles["Normal"].font.name == "Verdana"
    assert "template text" not in _all_text(path)
    assert d.core_properties.language == "en-GB"


def test_renderers_are_registered_by_name(demo: tuple[Engine, Settings],
                                          tmp_path: Path) -> None:
    engine, settings = demo
    assert set(reports.RENDERERS) == {"board", "well-led", "pack", "hia"}
    out = reports.RENDERERS["well-led"].render(engine, settings, org_code="SYN06", as_of=AS_OF,
                                               out_path=tmp_path / "wl.docx", actor="test")
    assert out.is_file() and reports.RENDERERS["well-led"].suffix == ".docx"


def test_a_board_that_may_not_see_exact_counts_gets_suppressed_figures(
        demo: tuple[Engine, Settings], tmp_path: Path) -> None:
    from assurance.config import AudienceSettings

    engine, settings = demo
    audiences = dict(settings.audiences)
    audiences["board"] = AudienceSettings("board", exact_counts=False)
    restricted = dataclasses.replace(settings, audiences=audiences)
    ctx = board_context(engine, restricted, org_code="SYN01", as_of=AS_OF)
    path = render_board_report(ctx, restricted, tmp_path / "suppressed.docx", engine=engine)
    text = _all_text(path)
    assert "1/12" not in text and "868/2,396" not in text
    assert "870/2,395" in text and "Small numbers are suppressed" in text
