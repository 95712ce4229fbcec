"""Each preflight check, caught on one deliberately planted defect."""

from __future__ import annotations

import io
import json
import shutil

import pikepdf
import pytest
import weasyprint
from conftest import REPO
from PIL import Image

from publication.commands.build import BuildOptions, build
from publication.commands.preflight import preflight_only
from publication.core.problems import BuildFailed
from publication.core.units import PX_PER_MM
from publication.preflight.document import check_fonts_embedded, check_page_boxes
from publication.preflight.ink import check_ink
from publication.preflight.pages import check_empty_pages, check_layout

PRINT = BuildOptions(targets=("print",))
ARTICLE = "content/01-artikel.md"


def build_report(project, options=PRINT) -> tuple[dict, bool]:
    """Build the print target; the JSON report and whether the build passed."""
    try:
        build(project.root, options)
        passed = True
    except BuildFailed:
        passed = False
    report = json.loads((project.root / "dist" / "testbrochure-preflight.json").read_text())
    return report, passed


def only(report: dict, check: str) -> dict:
    found = [finding for finding in report["findings"] if finding["check"] == check]
    assert len(found) == 1, report["findings"]
    return found[0]


def with_css(project, css: str) -> None:
    """The project gets its own copy of the theme, with extra CSS at the end."""
    shutil.copytree(REPO / "assets", project.root / "assets")
    with open(project.root / "assets" / "css" / "brochure.css", "a", encoding="utf-8") as sheet:
        sheet.write("\n" + css + "\n")


def photo(project, name: str, size: tuple[int, int]) -> None:
    Image.new("RGB", size, (90, 120, 160)).save(project.content / "photos" / name, quality=85)


def test_clean_project_passes(project):
    report, passed = build_report(project)
    assert passed and report["passed"] and report["errors"] == 0 and report["pages"] == 4


def test_100_px_photo_is_an_error(project):
    photo(project, "foto.jpg", (100, 67))
    report, passed = build_report(project)
    finding = only(report, "image-resolution")
    assert not passed and finding["severity"] == "error"
    assert finding["source"] == f"{ARTICLE}:7" and finding["page"] == 2
    assert "100×67 px" in finding["message"] and "below 150" in finding["message"]


def test_200_ppi_photo_is_a_warning(project):
    photo(project, "foto.jpg", (660, 440))
    report, passed = build_report(project)
    finding = only(report, "image-resolution")
    assert passed and finding["severity"] == "warning" and finding["source"] == f"{ARTICLE}:7"
    assert "below 300" in finding["message"]


def test_missing_photo(project):
    """The build stops before layout and leaves dist/ alone; `publication preflight` reports it."""
    (project.content / "photos" / "foto.jpg").unlink()
    with pytest.raises(BuildFailed):
        build(project.root, PRINT)
    assert not (project.root / "dist").exists()
    report, written = preflight_only(project.root)
    finding = only(json.loads(report.to_json()), "image-missing")
    assert finding["severity"] == "error" and finding["source"] == f"{ARTICLE}:7"
    assert sorted(path.name for path in written) == ["testbrochure-preflight.html", "testbrochure-preflight.json"]


def test_unreadable_photo(project):
    project.write("photos/foto.jpg", b"not a jpeg at all")
    report, _ = preflight_only(project.root)
    assert only(json.loads(report.to_json()), "image-unreadable")["source"] == f"{ARTICLE}:7"


def test_missing_alt_text_and_credit_are_warnings(project):
    project.edit("01-artikel.md", '{fig-alt="Beschrijving" credit="Fotograaf"}', "")
    report, passed = build_report(project)
    assert passed
    for check in ("alt-text", "credit"):
        finding = only(report, check)
        assert finding["severity"] == "warning" and finding["source"] == f"{ARTICLE}:7" and finding["page"] == 2


def test_text_that_cannot_wrap_is_overset(project):
    with_css(project, ".columns p { white-space: nowrap; }")
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea, " * 12)
    report, passed = build_report(project)
    finding = only(report, "overset")
    assert not passed and finding["source"] == f"{ARTICLE}:9" and finding["page"] == 2
    assert finding["element"] == "p" and finding["message"].startswith("text runs out of its box (p)")


def with_tagline(project) -> None:
    project.edit("publication.yml", "  photo_alt: Een testfoto",
                 "  photo_alt: Een testfoto\n  tagline_mark: top\n  tagline: [Een, twee]")


def test_content_cut_off_by_overflow_hidden(project):
    with_tagline(project)
    with_css(project, ".cover-brand { height: 12mm; overflow: hidden; }")
    report, passed = build_report(project)
    clipped = [f for f in report["findings"] if f["check"] == "clipped"]
    assert not passed and clipped and all(f["page"] == 1 for f in clipped)
    assert "div.cover-brand" in clipped[0]["message"] and "overflow: hidden" in clipped[0]["message"]


def test_text_in_the_safety_zone(project):
    with_tagline(project)
    with_css(project, ".cover-brand { top: -1mm; padding-top: 0; }")
    report, passed = build_report(project)
    finding = [f for f in report["findings"] if f["check"] == "safety-zone"][0]
    assert not passed and finding["page"] == 1 and finding["element"] == "span.tagline-mark"
    assert "mm from the trim" in finding["message"]


def test_a_font_not_in_assets_falls_back(project):
    with_css(project, "p.lead, .columns p { font-family: 'No Such Font'; }")
    project.edit("01-artikel.md", "Eerste alinea van het artikel.", "Eerste alinea van het artikel.\n{.lead}")
    report, passed = build_report(project)
    findings = [f for f in report["findings"] if f["check"] == "font-fallback"]
    assert not passed and findings and {f["source"] for f in findings} >= {f"{ARTICLE}:5"}
    assert "'No Such Font' is not in assets/fonts" in findings[0]["message"]


def test_a_character_the_font_lacks(project):
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea met ☃ erin.")
    report, passed = build_report(project)
    finding = only(report, "missing-glyph")
    assert not passed and finding["source"] == f"{ARTICLE}:9" and "U+2603" in finding["message"]


def test_rgb_colour_in_an_x1a_build(project):
    with_css(project, ".columns p { color: rgb(200, 30, 30); }")
    project.edit("publication.yml", "articles:", "print:\n  standard: x-1a\narticles:")
    report, passed = build_report(project)
    assert not passed and report["standard"] == "x-1a"
    from_boxes = [f for f in report["findings"] if f["check"] == "rgb-colour" and f["source"]]
    from_pdf = [f for f in report["findings"] if f["check"] == "rgb-colour" and not f["source"]]
    assert from_boxes[0]["source"] == f"{ARTICLE}:5" and "color is an RGB colour" in from_boxes[0]["message"]
    assert from_pdf[0]["page"] == 2 and "RGB colour 0.784314 0.117647 0.117647" in from_pdf[0]["message"]


def test_transparency_in_an_x1a_build(project):
    """PDF/X-1a allows no transparency: the brochure with its logo passes, a title at 50% does not."""
    project.edit("publication.yml", "articles:", "print:\n  standard: x-1a\narticles:")
    report, passed = build_report(project)
    assert passed and not [f for f in report["findings"] if f["check"] == "transparency"]
    with_css(project, ".article-title { opacity: 0.5; }")
    report, passed = build_report(project)
    findings = [f for f in report["findings"] if f["check"] == "transparency"]
    assert not passed and {f["page"] for f in findings} == {2}  # the article's first page
    assert "opacity below 100%" in findings[0]["message"]
    build(project.root, BuildOptions(targets=("print",), force=True))
    with pikepdf.open(project.root / "dist" / "testbrochure-print.pdf") as pdf:
        assert pdf.pdf_version == "1.4" and str(pdf.trailer.Info.GTS_PDFXVersion) == "PDF/X-1a:2003"


def test_ink_above_the_limit(project):
    with_css(project, ".article-title { background: device-cmyk(1 1 1 1); }")
    report, passed = build_report(project)
    finding = only(report, "ink-coverage")
    assert not passed and finding["page"] == 2 and "up to 400% total ink, above the 300%" in finding["message"]


def test_ink_of_cmyk_photos_is_measured_as_the_press_prints_them(tmp_path):
    """CMYK JPEGs as WeasyPrint embeds them (Adobe's inverted CMYK, undone by a /Decode array): the
    ink check sees 400% in the photo with all four inks full and 100% in the one of black only; a
    second check of the same file reads the measurement from its cache."""
    Image.new("CMYK", (800, 400), (255, 255, 255, 255)).save(tmp_path / "dark.jpg", quality=95)
    Image.new("CMYK", (800, 400), (0, 0, 0, 255)).save(tmp_path / "black.jpg", quality=95)
    html = ('<style>@page { size: 100mm 100mm; margin: 0 } body { margin: 0 }'
            ' img { display: block; width: 100mm; height: 50mm }'
            '</style><img src="dark.jpg"><img src="black.jpg">')
    pdf = weasyprint.HTML(string=html, base_url=tmp_path.as_uri() + "/").write_pdf()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        images = list(opened.pages[0].get_images().values())
        assert [str(image.Filter) for image in images] == ["/DCTDecode"] * 2 and "/Decode" in images[0]
    cache = tmp_path / "cache"
    for _ in range(2):
        findings = check_ink(pdf, 300, cache).findings
        assert len(findings) == 1 and "has up to 400% total ink" in findings[0].message
        x, y, width, height = findings[0].area
        assert (x, y, width) == (0, 0, pytest.approx(100, abs=0.2)) and height == pytest.approx(50, abs=0.2)
        assert len(list(cache.glob("*.json"))) == 1
    assert check_ink(pdf, 400, cache).findings == ()


def test_blank_pages_added_for_saddle_stitch_are_a_warning(project):
    project.write("02-artikel.md", "---\ntitle: Tweede artikel\n---\n\nNog een alinea.\n")
    project.edit("publication.yml", "  - 01-artikel.md", "  - 01-artikel.md\n  - 02-artikel.md")
    report, passed = build_report(project)
    finding = only(report, "padding")
    assert passed and report["pages"] == 8 and report["blank_pages"] == [4, 5, 6]
    assert finding["message"] == ("3 blank pages (pages 4–6) added before the colofon so that the 8 pages suit "
                                  "saddle-stitch; add or cut content to do without them")
    assert not [f for f in report["findings"] if f["check"] == "empty-page"]


def test_page_count_that_does_not_suit_saddle_stitch(sample_build):
    """A PDF of 11 pages: the sample's print PDF with its back cover taken off."""
    from publication.preflight.document import check_pdf

    pdf_path = sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"
    with pikepdf.open(pdf_path) as pdf:
        del pdf.pages[-1]
        buffer = io.BytesIO()
        pdf.save(buffer)
    findings = [f for f in check_pdf(buffer.getvalue(), sample_build.project.config.print, "content/publication.yml")
                if f.code == "page-count"]
    assert [(f.severity, f.location, f.message) for f in findings] == [
        ("error", "content/publication.yml", "11 pages cannot be bound saddle-stitch, which needs a multiple of 4; "
         "add or remove pages to reach 12 or 8, or set print.binding")]


def test_unintended_empty_page(project):
    with_css(project, ".colofon-page::before { content: ''; display: block; break-after: page; }")
    report, passed = build_report(project)
    finding = only(report, "empty-page")
    # cover, article, the empty page, colofon, back cover: padded with 3 blank pages before the colofon
    assert not passed and report["pages"] == 8 and finding["page"] == 6
    assert finding["message"].startswith("the page is empty; remove what forces the page break")


def test_pages_left_blank_on_purpose_are_not_flagged():
    html = ("<style>@page { size: 100mm 60mm } .r { break-before: right }</style>"
            "<p>one</p><p class=r>three</p><div class='intentionally-blank' style='break-before: page'></div>")
    document = weasyprint.HTML(string=html).render()
    assert len(document.pages) == 4 and document.pages[1]._page_box.page_type.blank
    assert check_empty_pages(document) == []


def test_missing_and_inconsistent_page_boxes(sample_build):
    pdf_path = sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"
    with pikepdf.open(pdf_path) as pdf:
        assert check_page_boxes(pdf, 3.0) == []
        del pdf.pages[1].obj["/TrimBox"]
        pdf.pages[2].obj.BleedBox = pdf.pages[2].obj.TrimBox
        findings = check_page_boxes(pdf, 3.0)
    assert [(f.page, f.code) for f in findings] == [(2, "page-boxes"), (3, "page-boxes")]
    assert "no TrimBox" in findings[0].message and "not 3 mm outside the TrimBox" in findings[1].message


def test_missing_output_intent_and_pdfx_version(sample_build):
    from publication.preflight.document import check_pdfx

    pdf_path = sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"
    with pikepdf.open(pdf_path) as pdf:
        assert check_pdfx(pdf, "x-4") == []
        del pdf.Root["/OutputIntents"]
        findings = check_pdfx(pdf, "x-1a")
    assert [(f.code, f.severity) for f in findings] == [("pdf-x", "error")] * 2
    assert findings[0].message == "the file declares 'PDF/X-4' instead of 'PDF/X-1a:2003'"
    assert findings[1].message.startswith("the file has no PDF/X output intent with a CMYK (4-component)")


def test_fonts_not_embedded():
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page()
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 10 10 Td (x) Tj ET")
    (finding,) = check_fonts_embedded(pdf)
    assert finding.page == 1 and finding.message.startswith("font 'Helvetica' is not embedded")


LAYOUT_HTML = """<style>@page {{ size: 100mm {height}mm; margin: 0 }}
body {{ margin: 0; font: 10px/20px serif }} p, h2 {{ margin: 0; widows: 1; orphans: 1 }}
h2 {{ font-size: 10px; line-height: 20px; break-after: auto }}</style>
<div><p data-line="3">{first}</p><h2 data-line="5">Kop</h2><p data-line="7">{second}</p></div>"""


def _lines(count: int) -> str:
    return "<br>".join(f"regel {number}" for number in range(count))


def _layout_findings(first: int, second: int, heading: bool = False):
    """A page holds exactly 5 lines of 20 px; two paragraphs of `first` and `second` lines."""
    html = LAYOUT_HTML.format(height=100 / 96 * 25.4, first=_lines(first), second=_lines(second))
    if not heading:
        html = html.replace('<h2 data-line="5">Kop</h2>', "")
    return check_layout(weasyprint.HTML(string=html).render())


def test_orphan():
    (finding,) = _layout_findings(4, 3)  # one line of the second paragraph at the bottom of page 1
    assert (finding.code, finding.severity, finding.page, finding.element) == ("orphan", "warning", 1, "p")
    assert finding.area[1] == round(80 / PX_PER_MM, 1)


def test_widow():
    (finding,) = _layout_findings(3, 3)  # the last line of the second paragraph alone on page 2
    assert (finding.code, finding.severity, finding.page, finding.element) == ("widow", "warning", 2, "p")


def test_heading_at_the_bottom_of_a_column():
    (finding,) = _layout_findings(4, 2, heading=True)  # the heading is line 5, its text starts on page 2
    assert (finding.code, finding.severity, finding.page, finding.element) == ("heading-at-bottom", "warning", 1,
                                                                               "h2")


def test_weasyprint_warnings_are_findings(project):
    with_css(project, ".lead { colr: red; }")
    report, passed = build_report(project)
    finding = only(report, "css-invalid")
    assert passed and finding["severity"] == "warning" and "colr" in finding["message"]
    assert finding["source"].startswith("assets/css/brochure.css:")


def test_force_writes_the_pdf_marked_as_not_passed(project):
    photo(project, "foto.jpg", (100, 67))
    result = build(project.root, BuildOptions(targets=("print",), force=True))
    assert not result.preflight.passed
    report = json.loads((project.root / "dist" / "testbrochure-preflight.json").read_text())
    assert report["passed"] is False and report["forced"] is True
    with pikepdf.open(project.root / "dist" / "testbrochure-print.pdf") as pdf:
        assert str(pdf.trailer.Info.PublicationPreflight).startswith("not passed: 1 errors")


def test_html_report_marks_problems_on_page_thumbnails(project):
    photo(project, "foto.jpg", (100, 67))
    build_report(project)
    html = (project.root / "dist" / "testbrochure-preflight.html").read_text()
    assert html.count('<div class="page">') == 4
    assert html.count('class="mark error"') == 1 and "data:image/jpeg;base64," in html


def test_cli_build_fails_on_errors_but_writes_the_report(project):
    from click.testing import CliRunner

    from publication.cli import main

    photo(project, "foto.jpg", (100, 67))
    result = CliRunner().invoke(main, ["build", "--target", "print", str(project.root)])
    assert result.exit_code == 1
    assert "ppi effective, below 150" in result.output and "Preflight NOT passed: 1 error" in result.output
    assert sorted(path.name for path in (project.root / "dist").iterdir() if not path.name.startswith(".")) == \
        ["testbrochure-preflight.html", "testbrochure-preflight.json"]


def test_cli_preflight_on_its_own_writes_only_the_report(project):
    from click.testing import CliRunner

    from publication.cli import main

    project.edit("01-artikel.md", '{fig-alt="Beschrijving" credit="Fotograaf"}', '{fig-alt="Beschrijving"}')
    result = CliRunner().invoke(main, ["preflight", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "has no credit" in result.output and "Preflight passed: 0 errors, 1 warning on 4 pages." in result.output
    assert not (project.root / "dist" / "testbrochure-print.pdf").exists()
    assert json.loads((project.root / "dist" / "testbrochure-preflight.json").read_text())["warnings"] == 1


PAGES_HTML = """<style>@page {{ size: 100mm 100mm; margin: 10mm }}
body {{ margin: 0; font: 10px/20px serif }} p {{ margin: 0; orphans: 1; widows: 1 }}
.article {{ break-before: page }} aside, table {{ break-inside: auto }}</style>{body}"""


def _page_findings(body: str):
    from publication.preflight.pages import check_pages

    return check_pages(weasyprint.HTML(string=PAGES_HTML.format(body=body)).render())


def _paragraph(line: int, lines: int) -> str:
    return f'<p data-line="{line}">' + "<br>".join(f"regel {number}" for number in range(lines)) + "</p>"


def test_a_page_left_half_empty_before_a_box_that_did_not_fit():
    box = '<aside class="box" data-line="9" style="height: 60mm; break-inside: avoid">Kader</aside>'
    body = f'<article class="article" data-source="content/a.md">{_paragraph(3, 4)}{box}{_paragraph(12, 3)}</article>'
    (finding,) = _page_findings(body)
    assert (finding.code, finding.page, finding.element, finding.location) == ("page-gap", 1, "aside.box",
                                                                               "content/a.md:9")
    assert "page 1 is 7" in finding.message  # 4 lines of 20 px on a page of 80 mm: 73 % empty
    # An article's end that leaves the page 73 % empty mid-publication is a gap too ...
    article_end = f'<article class="article" data-source="content/a.md">{_paragraph(3, 4)}</article>' \
                  f'<article class="article" data-source="content/b.md">{box}{_paragraph(12, 3)}</article>'
    (finding,) = _page_findings(article_end)
    assert (finding.code, finding.page, finding.location) == ("page-gap", 1, "content/b.md:9")
    assert "the article before it ends here" in finding.message
    # ... but not before the colofon (a break on purpose), nor at the end of the publication.
    colofon = '<section class="colofon-page" style="break-before: page"><p data-line="1">Colofon</p></section>'
    assert _page_findings(f'<article class="article" data-source="content/a.md">{_paragraph(3, 4)}</article>'
                          f'{colofon}') == []
    # A box that is a page of its own by design, mid-article, leaves the gap too; a note at the foot of the
    # page does not fill it.
    note = '<span style="float: footnote">Een noot.</span>'
    forced = f'<article class="article" data-source="content/a.md"><p data-line="3">Tekst{note}</p>' \
             '<aside class="box page" data-line="9" style="break-before: page; break-after: page">Kader</aside>' \
             f'{_paragraph(12, 3)}</article>'
    (finding,) = _page_findings(forced)
    assert (finding.code, finding.page, finding.location) == ("page-gap", 1, "content/a.md:9")
    assert "starts a page of its own by design" in finding.message
    # At the end of its article, such a box still leaves the page before it empty: the article's tail and
    # the box should share pages, or a photo fill it.
    (finding,) = _page_findings(forced.replace(f"{_paragraph(12, 3)}</article>", "</article>"))
    assert (finding.code, finding.page) == ("page-gap", 1)


def test_a_table_and_a_box_split_over_pages():
    rows = "".join(f'<tr data-line="{20 + row}"><td>{row}</td></tr>' for row in range(20))
    body = f'<article class="article" data-source="content/a.md">{_paragraph(3, 2)}<table data-line="18">' \
           f'{rows}</table><aside class="box" data-line="45">{_paragraph(46, 14)}</aside></article>'
    findings = [f for f in _page_findings(body) if f.code == "split"]
    assert [(f.element, f.location, f.page) for f in findings] == [("table", "content/a.md:18", 1),
                                                                   ("aside.box", "content/a.md:45", 2)]
    assert "the table is split over pages 1 and 2" in findings[0].message


def test_the_last_lines_of_an_article_alone_on_a_page():
    body = f'<article class="article" data-source="content/a.md">{_paragraph(3, 12)}</article>' \
           f'<article class="article" data-source="content/b.md">{_paragraph(3, 2)}</article>'
    assert _page_findings(body) == []  # 15 lines fit a page: 12 lines of a.md end on page 1 ...
    body = f'<article class="article" data-source="content/a.md">{_paragraph(3, 17)}</article>' \
           f'<article class="article" data-source="content/b.md">{_paragraph(3, 2)}</article>'
    (finding,) = _page_findings(body)  # ... 17 lines leave two alone on page 2
    assert (finding.code, finding.page, finding.location) == ("short-tail", 2, "content/a.md:3")
    assert "the last 2 lines of the article" in finding.message


def test_the_sample_has_no_page_a_designer_would_send_back(sample_build):
    report = json.loads((sample_build.project.dist_dir / f"{sample_build.project.slug}-preflight.json").read_text())
    assert [f for f in report["findings"] if f["check"] in ("page-gap", "split", "short-tail")] == []
