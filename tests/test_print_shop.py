"""The print file as an online print shop takes it: page = trim + bleed (or crop marks when asked),
black text that overprints, no annotations, PDF/X keys that agree; and a preflight that checks the
final file."""

from __future__ import annotations

import io

import pikepdf
import pytest
from conftest import ProjectFactory
from helpers import renderers_disagree

from publication.commands.build import BuildOptions, build
from publication.preflight.document import check_page_boxes

MM = 72 / 25.4
PRINT = BuildOptions(targets=("print",))


def print_file(project: ProjectFactory) -> pikepdf.Pdf:
    return pikepdf.open(project.root / "dist" / "testbrochure-print.pdf")


@pytest.fixture(scope="module")
def with_crop_marks(tmp_path_factory):
    project = ProjectFactory(tmp_path_factory.mktemp("crop") / "project")
    project.edit("publication.yml", "articles:", "print:\n  marks: crop\narticles:")
    result = build(project.root, PRINT)
    assert result.preflight.passed, result.preflight.findings
    return project


def test_crop_marks_when_asked_for(with_crop_marks):
    with print_file(with_crop_marks) as pdf:
        for page in pdf.pages:
            trim, bleed, media = ([float(v) for v in page.obj[box]] for box in ("/TrimBox", "/BleedBox", "/MediaBox"))
            assert [round((b - t) / MM, 2) for b, t in zip(bleed, trim)] == [-3, -3, 3, 3]
            assert [round((m - t) / MM, 2) for m, t in zip(media, trim)] == [-9, -9, 9, 9], "a 9 mm slug"
            registration = page.obj.Resources.ColorSpace.Registration
            assert registration[0] == "/Separation" and registration[1] == "/All"
            content = b"".join(stream.read_bytes() for stream in page.obj.Contents)
            assert content.count(b"/Registration CS") == 1
            assert content.count(b" l S") >= 8
        assert check_page_boxes(pdf, 3.0, "crop") == []


def test_page_boxes_check_knows_which_marks_were_asked_for(with_crop_marks):
    with print_file(with_crop_marks) as pdf:
        findings = check_page_boxes(pdf, 3.0, "none")
    assert len(findings) == 4 and {f.code for f in findings} == {"page-boxes"}
    assert "larger than the trimmed page plus the bleed" in findings[0].message


@pytest.fixture(scope="module")
def sample_print(sample_build):
    return sample_build.project.dist_dir / f"{sample_build.project.slug}-print.pdf"


def black_glyphs(pdf: pikepdf.Pdf) -> tuple[int, int]:
    """Glyphs drawn in 100 % K, and those of them drawn with overprint on (OPM 1)."""
    from publication.core.pdf import TEXT_SHOWING, paints

    black = overprinted = 0
    for page in pdf.pages:
        for operands, operator, state in paints(page):
            if operator in TEXT_SHOWING and state.fill.is_black:
                glyphs = state.glyphs(operands, operator)
                black += glyphs
                overprinted += glyphs if state.overprints(False) else 0
    return black, overprinted


def test_black_text_overprints_and_nothing_else_does(sample_print):
    from publication.core.pdf import FILLING, TEXT_SHOWING, paints

    with pikepdf.open(sample_print) as pdf:
        black, overprinted = black_glyphs(pdf)
        assert black > 1000 and overprinted == black
        for page in pdf.pages:
            for _, operator, state in paints(page):
                if operator in FILLING or operator in ("sh", "Do"):
                    assert not state.overprints(False), "a photo, box or tint overprints"
                if operator in TEXT_SHOWING and not state.fill.is_black:
                    assert not state.overprints(False), "text in a colour overprints"
        states = pdf.pages[0].obj.Resources.ExtGState
        on = [state for state in states.values() if state.get("/OP") is True]
        assert on and all(state.op is True and state.OPM == 1 for state in on)


def test_the_tint_under_black_text_survives_on_the_cyan_plate(sample_print, tmp_path):
    """Ghostscript's separations of page 5 (black text on a tinted box): no hole in the cyan plate
    under the text. With the text knocking out, about 16,000 pixels at 100 dpi would be holes."""
    import subprocess

    import numpy
    from PIL import Image

    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r100", "-dFirstPage=5",
                    "-dLastPage=5", f"-sOutputFile={tmp_path / 'page.tif'}", str(sample_print)], check=True)
    cyan = numpy.asarray(Image.open(tmp_path / "page(Cyan).tif"))
    black = numpy.asarray(Image.open(tmp_path / "page(Black).tif"))
    text = black < 25  # over 90 % K
    assert text.sum() > 10000
    tinted = numpy.median(cyan[text])
    assert tinted < 250, "the text on page 5 stands on a box with cyan in it"
    assert (cyan[text] == 255).sum() < 0.001 * text.sum()


def test_preflight_reports_black_text_that_knocks_out(sample_print):
    from publication.editions.press import OVERPRINT_ON
    from publication.preflight.document import check_black_overprint

    with pikepdf.open(sample_print) as pdf:
        assert check_black_overprint(pdf) == []
        state = pdf.pages[0].obj.Resources.ExtGState[OVERPRINT_ON]
        state.OP = state.op = False
        findings = check_black_overprint(pdf)
    assert len(findings) >= 8 and {(f.code, f.severity) for f in findings} == {("black-knockout", "warning")}
    assert findings[0].page == 2 and "glyphs in 100% K knock out" in findings[0].message


def test_overprint_can_be_switched_off(project):
    project.edit("publication.yml", "articles:", "print:\n  overprint_black: false\narticles:")
    result = build(project.root, PRINT)
    assert not [f for f in result.preflight.findings if f.code == "black-knockout"]
    with print_file(project) as pdf:
        black, overprinted = black_glyphs(pdf)
    assert black > 20 and overprinted == 0


def test_no_annotations_no_interpolation_and_pdfx_keys_that_agree(sample_print):
    from publication.preflight.document import check_annotations, check_pdfx

    with pikepdf.open(sample_print) as pdf:
        assert not [number for number, page in enumerate(pdf.pages, 1) if "/Annots" in page.obj]
        images = {xobject.objgen: xobject for page in pdf.pages
                  for xobject in page.obj.Resources.XObject.values() if xobject.get("/Subtype") == "/Image"}
        assert len(images) >= 6 and all(image.get("/Interpolate") is False for image in images.values())
        info = pdf.trailer.Info
        assert str(info.GTS_PDFXVersion) == "PDF/X-4" and "/GTS_PDFXConformance" not in info
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert xmp.get("pdfx:GTS_PDFXVersion") == xmp.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
            assert "pdfx:GTS_PDFXConformance" not in xmp and xmp.get("pdf:Trapped") == "False"
        assert str(info.Trapped) == "/False"
        assert check_pdfx(pdf, "x-4") == [] and check_annotations(pdf) == []


def test_preflight_finds_links_inside_the_trim(sample_build):
    """The screen edition keeps its links; the print preflight would reject them."""
    from publication.preflight.document import check_annotations

    with pikepdf.open(sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf") as pdf:
        pages_with_links = [number for number, page in enumerate(pdf.pages, 1) if "/Annots" in page.obj]
        findings = check_annotations(pdf)
        assert pages_with_links and [f.page for f in findings] == pages_with_links
        assert {(f.code, f.severity) for f in findings} == {("annotation", "error")}
        assert " Link annotation" in findings[0].message and "inside the trim" in findings[0].message
        trim = [float(v) for v in pdf.pages[0].obj.get("/TrimBox", pdf.pages[0].obj.MediaBox)]
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[trim[2] + 5, 0, trim[2] + 20, 20])]))
        assert 1 not in [f.page for f in check_annotations(pdf)], "outside the trim it does no harm"


def test_preflight_finds_pdfx_keys_that_disagree(sample_print):
    from publication.preflight.document import check_pdfx

    with pikepdf.open(sample_print) as pdf:
        pdf.trailer.Info.GTS_PDFXVersion = pikepdf.String("PDF/X-3:2003")
        pdf.trailer.Info.Trapped = pikepdf.Name.Unknown
        findings = check_pdfx(pdf, "x-4")
    assert [f.code for f in findings] == ["pdf-x", "pdf-x"]
    assert "disagree on GTS_PDFXVersion" in findings[0].message and "'PDF/X-3:2003'" in findings[0].message
    assert "disagree on Trapped" in findings[1].message


def test_pdf_x1a_declares_its_conformance_in_both_places(project):
    from publication.preflight.document import check_pdfx

    project.edit("publication.yml", "articles:", "print:\n  standard: x-1a\narticles:")
    build(project.root, PRINT)
    with print_file(project) as pdf:
        info = pdf.trailer.Info
        assert str(info.GTS_PDFXVersion) == str(info.GTS_PDFXConformance) == "PDF/X-1a:2003"
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            assert xmp.get("pdfx:GTS_PDFXConformance") == "PDF/X-1a:2003"
        assert b"pdfx:part" not in pdf.Root.Metadata.read_bytes()
        assert check_pdfx(pdf, "x-1a") == []


def with_theme_css(project: ProjectFactory, css: str) -> int:
    """The project gets its own copy of the assets, with `css` at the end of the theme's stylesheet;
    returns the line it starts on."""
    import shutil

    from conftest import REPO

    shutil.copytree(REPO / "assets", project.root / "assets")
    project.edit("publication.yml", "articles:", "theme: regio-zwolle\narticles:")  # a theme with --brand, --tint
    sheet = project.root / "assets" / "themes" / "regio-zwolle" / "theme.css"
    lines = sheet.read_text(encoding="utf-8").count("\n")
    with open(sheet, "a", encoding="utf-8") as file:
        file.write("\n" + css + "\n")
    return lines + 2


def test_gradient_in_theme_colours_is_a_cmyk_gradient_ghostscript_draws(project, tmp_path):
    import subprocess

    import numpy
    from PIL import Image

    with_theme_css(project, "h2.article-title { background: linear-gradient(var(--brand), var(--tint)); }")
    result = build(project.root, BuildOptions(targets=("print", "standard")))
    assert result.preflight.passed, result.preflight.findings
    with print_file(project) as pdf:
        shadings = [shading for page in pdf.pages for pattern in page.obj.Resources.get("/Pattern", {}).values()
                    for form in pattern.Resources.get("/XObject", {}).values()
                    for shading in form.Resources.get("/Shading", {}).values()]
        assert shadings and all(shading.ColorSpace == "/DeviceCMYK" for shading in shadings)
        stops = shadings[0].Function.Functions[0]
        assert [float(v) for v in stops.C0] == [1, 0.68, 0, 0.42] and [float(v) for v in stops.C1] == [0.08, 0.03, 0, 0]
    with pikepdf.open(project.root / "dist" / "testbrochure.pdf") as pdf:  # the RGB brochure drawn from it
        rgb = [shading for page in pdf.pages for pattern in page.obj.Resources.get("/Pattern", {}).values()
               for form in pattern.Resources.get("/XObject", {}).values()
               for shading in form.Resources.get("/Shading", {}).values()]
        assert rgb and all(shading.ColorSpace == "/DeviceRGB" for shading in rgb)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r50", "-dFirstPage=2",
                    "-dLastPage=2", f"-sOutputFile={tmp_path / 'page.tif'}",
                    str(project.root / "dist" / "testbrochure-print.pdf")], check=True)
    cyan = 100 - numpy.asarray(Image.open(tmp_path / "page(Cyan).tif"), dtype=float) * 100 / 255
    column = cyan[: cyan.shape[0] // 3, int(cyan.shape[1] * 0.8)]  # right of the title, in the band
    band = column[column > 4]
    assert band.max() > 90 and band.min() < 15, "from the brand colour down to the tint"
    assert len(numpy.unique(numpy.round(band))) >= 8, "a ramp, not a flat box"
    assert renderers_disagree(project.root / "dist" / "testbrochure-print.pdf", tmp_path / "renders") == []


def test_gradient_in_other_colours_is_a_located_error(project):
    from helpers import failed_build

    line = with_theme_css(project, "h2.article-title {\n  background: linear-gradient(to right,\n"
                          "    #ff0000, var(--brand) 40%, rgb(0 255 0)); }")
    issues = failed_build(project.root, PRINT)
    message = ("the linear-gradient uses '{}', which is not a theme colour, so the print file would get an RGB "
               "gradient that a CMYK press cannot print; use theme colours from theme.yml, e.g. "
               "linear-gradient(var(--brand), var(--accent))")
    assert issues == [f"assets/themes/regio-zwolle/theme.css:{line + 2}: " + message.format(colour)
                      for colour in ("#ff0000", "rgb(0 255 0)")]


def test_preflight_checks_the_colour_space_of_shadings_and_patterns():
    """A shading declared CMYK whose colours have 3 values (what WeasyPrint wrote for an RGB gradient
    in a PDF/X file), an RGB shading, and an RGB colour inside a tiling pattern."""
    from publication.preflight.document import check_rgb

    pdf = pikepdf.new()
    function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 1, 0], N=1)
    shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=pikepdf.Name.DeviceCMYK, Coords=[0, 0, 100, 0],
                                 Function=function)
    rgb_shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=pikepdf.Name.DeviceRGB, Coords=[0, 0, 100, 0],
                                     Function=function)
    tile = pdf.make_stream(b"1 0 0 rg 0 0 10 10 re f", Type=pikepdf.Name.Pattern, PatternType=1, PaintType=1,
                           TilingType=1, BBox=[0, 0, 10, 10], XStep=10, YStep=10, Resources=pikepdf.Dictionary())
    for content in (b"/S0 sh", b"/S1 sh", b"/Pattern cs /P0 scn 0 0 50 50 re f", b"/Pattern cs /P1 scn 0 0 5 5 re f"):
        page = pdf.add_blank_page()
        page.obj.Resources = pikepdf.Dictionary(
            Shading=pikepdf.Dictionary(S0=shading, S1=rgb_shading),
            Pattern=pikepdf.Dictionary(P0=tile, P1=pikepdf.Dictionary(PatternType=2, Shading=shading)))
        page.obj.Contents = pdf.make_stream(content)
    findings = check_rgb(pdf, "x-4")
    assert [(f.page, f.code) for f in findings] == [(1, "rgb-colour"), (2, "rgb-colour"), (3, "rgb-colour"),
                                                    (4, "rgb-colour")]
    assert "declared DeviceCMYK whose colours have 3 components instead of 4" in findings[0].message
    assert "an RGB gradient (shading /S1 in DeviceRGB)" in findings[1].message
    assert "RGB colour 1 0 0 (rg)" in findings[2].message
    assert "pattern /P1" in findings[3].message


def preflight_problems(project: ProjectFactory) -> list:
    from publication.core.problems import BuildFailed

    with pytest.raises(BuildFailed) as failed:
        build(project.root, PRINT)
    return [problem for problem in failed.value.problems if problem.code in ("beyond-trim", "safety-zone")]


def test_a_transform_that_moves_a_heading_beyond_the_trim_is_caught_on_the_final_pdf(project):
    """WeasyPrint's boxes do not move with `transform`: only the final PDF shows where the title went."""
    with_theme_css(project, "h2.article-title { transform: translateX(-22mm); }")
    (problem,) = preflight_problems(project)
    assert (problem.code, problem.severity.value, problem.page, problem.element, problem.path) == (
        "beyond-trim", "error", 2, "h2.article-title", "content/01-artikel.md")
    assert problem.message.startswith("text 'Een' lies 3.3 mm off the page, beyond the bleed in the print file")
    x, y, width, height = problem.area
    assert x == pytest.approx(-6.4, abs=0.3) and 5 < width < 20, "the box edge at -7 mm, the E a little in"


def test_a_negative_margin_into_the_safety_zone_is_reported_once(project):
    with_theme_css(project, "h2.article-title { margin-left: -14mm; }")
    found = [p for p in preflight_problems(project) if p.code == "safety-zone"]
    assert len(found) == 1 and found[0].element == "h2.article-title"


def test_a_photo_that_crosses_the_trim_but_stops_short_of_the_bleed():
    from publication.preflight.geometry import check_geometry

    def page_with_image(left_mm: float) -> bytes:
        pdf = pikepdf.new()
        page = pdf.add_blank_page(page_size=(100 * MM + 6 * MM, 100 * MM + 6 * MM))
        page.obj.MediaBox = page.obj.BleedBox = [-3 * MM, -3 * MM, 103 * MM, 103 * MM]
        page.obj.TrimBox = [0, 0, 100 * MM, 100 * MM]
        image = pdf.make_stream(b"\x80\x80\x80", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1,
                                Height=1, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.obj.Contents = pdf.make_stream(f"q {40 * MM:.3f} 0 0 {20 * MM:.3f} {left_mm * MM:.3f} {50 * MM:.3f} cm "
                                            "/Im0 Do Q".encode())
        buffer = io.BytesIO()
        pdf.save(buffer)
        return buffer.getvalue()

    (finding,) = check_geometry(page_with_image(-1))
    assert (finding.code, finding.severity.value, finding.page) == ("beyond-trim", "warning", 1)
    assert "beyond the trim at the left but stops short of the bleed" in finding.message
    assert check_geometry(page_with_image(-3)) == [], "full bleed"
    assert check_geometry(page_with_image(10)) == [], "inside the page"


def test_overprint_rewrite_decides_per_painting_instruction():
    """Black text and hairlines overprint; a thick black rule, a black area, colour text and an image
    drawn after black text do not; overprint follows q/Q."""
    from publication.core.pdf import paints
    from publication.editions.press import overprint_black

    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    image = pdf.make_stream(b"\x00\x00\x00\xff", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1,
                            Height=1, ColorSpace=pikepdf.Name.DeviceCMYK, BitsPerComponent=8)
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image), Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(
        b"q 0 0 0 1 k BT /F1 10 Tf 10 10 Td (black) Tj ET\n"       # 1 text: overprints
        b"10 0 0 10 50 50 cm /Im0 Do Q\n"                           # 2 image: knocks out
        b"0 0 0 1 K 0.5 w 0 0 m 100 0 l S\n"                        # 3 hairline: overprints
        b"4 w 0 10 m 100 10 l S\n"                                  # 4 thick rule: knocks out
        b"0 0 0 1 k 0 20 100 0.8 re f\n"                            # 5 thin filled rule: overprints
        b"0 30 100 50 re f\n"                                       # 6 black area: knocks out
        b"q 0.5 0 0 0.5 0 0 cm 0 100 200 3 re f Q\n"                # 7 3 units at half scale = 1.5 pt: overprints
        b"1 0 0 0 k BT /F1 10 Tf 10 200 Td (cyan) Tj ET\n"          # 8 cyan text: knocks out
        b"/DeviceCMYK cs 0 0 0 1 sc BT /F1 10 Tf 10 300 Td [(black) -20 (again)] TJ ET\n")  # 9 overprints
    overprint_black(pdf)
    painted = [(operator, state.overprints(operator in ("S", "s"))) for _, operator, state in paints(page)]
    assert painted == [("Tj", True), ("Do", False), ("S", True), ("S", False), ("f", True), ("f", False),
                       ("f", True), ("Tj", False), ("TJ", True)]
    states = page.obj.Resources.ExtGState
    assert all(state.OPM == 1 for state in states.values())


def test_the_print_file_renders_alike_in_ghostscript_poppler_and_mupdf(sample_print, tmp_path):
    """Every page at 50 dpi in the three renderers a print shop's RIP or preview may be built on: no
    drawing dropped by one of them, and the same colours (see helpers.renderers_disagree)."""
    assert renderers_disagree(sample_print, tmp_path) == []


def test_the_renderers_comparison_finds_a_drawing_one_renderer_drops(tmp_path):
    """A gradient declared CMYK whose colours have 3 components (what WeasyPrint once wrote for an RGB
    gradient in a print file): Ghostscript and poppler leave it out, MuPDF paints a dark box."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(100 * MM, 100 * MM))
    function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 1, 0], N=1)
    page.obj.Resources = pikepdf.Dictionary(Shading=pikepdf.Dictionary(S0=pikepdf.Dictionary(
        ShadingType=2, ColorSpace=pikepdf.Name.DeviceCMYK, Coords=[0, 0, 100 * MM, 0], Function=function)))
    page.obj.Contents = pdf.make_stream(b"0 0 0 1 k 30 250 100 10 re f q 40 40 200 150 re W n /S0 sh Q")
    pdf.save(tmp_path / "broken.pdf")
    found = renderers_disagree(tmp_path / "broken.pdf", tmp_path / "renders")
    assert any(sentence.startswith("page 1: ") and "inked by mupdf are blank in gs" in sentence for sentence in found)
    assert any("plates differ" in sentence for sentence in found)


def test_qpdf_finds_the_print_file_clean(sample_print):
    import subprocess

    checked = subprocess.run(["qpdf", "--check", str(sample_print)], capture_output=True, text=True)
    assert checked.returncode == 0 and "No syntax or stream encoding errors found" in checked.stdout, checked.stdout


def test_overprint_rewrite_keeps_inline_images_intact():
    from publication.core.pdf import paints
    from publication.editions.press import overprint_black

    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(
        b"0 0 0 1 k BT /F1 10 Tf 10 10 Td (black) Tj ET\n"
        b"q 20 0 0 20 50 50 cm BI /W 1 /H 1 /CS /CMYK /BPC 8 ID \x00\x00\x00\xff EI Q\n")
    overprint_black(pdf)
    assert [(operator, state.overprints(False)) for _, operator, state in paints(page)] == [
        ("Tj", True), ("INLINE IMAGE", False)]
    assert b"ID \x00\x00\x00\xff" in page.obj.Contents.read_bytes().replace(b"ID\n", b"ID ")


def test_small_text_in_more_than_one_ink_is_a_warning_with_its_line(project):
    with_theme_css(project, "p { font-size: 8pt; line-height: 10pt; color: var(--brand); }\n"
                   "h2.article-title { color: var(--brand); }")
    result = build(project.root, PRINT)
    found = [f for f in result.preflight.findings if f.code == "small-text-inks"]
    assert found and {f.severity.value for f in found} == {"warning"}
    first = next(f for f in found if f.location == "content/01-artikel.md:5")
    assert (first.page, first.element) == (2, "p")
    assert first.message.startswith("text of 8 pt is printed in 3 inks (C 100 M 68 K 42)")
    assert not [f for f in found if f.element == "h2.article-title"], "a title is large enough"


def test_the_samples_small_text_is_set_in_one_ink(sample_build):
    """Folios, running heads, kickers, footnote numbers and the colofon's labels: under 9 pt, each in one ink."""
    assert not [f for f in sample_build.preflight.findings if f.code == "small-text-inks"]


def test_thin_black_rings_filled_even_odd_overprint():
    """WeasyPrint draws a border as its border box and its padding box filled even-odd (f*): a ring of
    1 pt (or a double border's two rings) overprints like a rule; a ring of 10 pt, a black area
    with a hole in it off-centre, and a single black area filled f* knock out."""
    from publication.core.pdf import paints
    from publication.editions.press import overprint_black

    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    page.obj.Contents = pdf.make_stream(
        b"0 0 0 1 k 10 10 100 50 re 11 11 98 48 re f*\n"                               # 1 pt ring: overprints
        b"10 100 100 50 re 20 110 80 30 re f*\n"                                       # 10 pt ring: knocks out
        b"10 200 100 50 re 11 201 98 48 re 12 202 96 46 re 13 203 94 44 re f*\n"      # double: overprints
        b"10 300 100 50 re 11 301 20 20 re f*\n"                                       # a hole: knocks out
        b"10 400 100 50 re f*\n"                                                       # an area: knocks out
        b"q 0.5 0 0 0.5 0 0 cm 10 600 100 50 re 13 603 94 44 re f* Q\n")              # 1.5 pt at half: overprints
    overprint_black(pdf)
    assert [state.overprints(False) for _, _, state in paints(page)] == [True, False, True, False, False, True]


def test_a_png_logo_is_converted_to_cmyk_like_a_photo(project):
    """docs/theme.md allows a PNG logo: the print file gets it in CMYK (its transparent parts white,
    no ink), the RGB brochure in RGB, and the preflight passes."""
    from PIL import Image, ImageDraw

    with_theme_css(project, "")
    logo = Image.new("RGBA", (1200, 300), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((20, 20, 280, 280), fill=(0, 58, 112, 255))
    logo.save(project.root / "assets" / "logos" / "logo.png")
    theme = project.root / "assets" / "themes" / "regio-zwolle" / "theme.yml"
    theme.write_text(theme.read_text().replace("logo: ../../logos/regio-zwolle.svg", "logo: ../../logos/logo.png"))
    result = build(project.root, BuildOptions(targets=("print", "standard")))
    assert result.preflight.passed and not [f for f in result.preflight.findings if f.code == "rgb-colour"]

    def logos(name: str) -> list:
        with pikepdf.open(project.root / "dist" / name) as pdf:
            found = {image.objgen: pikepdf.PdfImage(image) for page in pdf.pages
                     for image in page.obj.Resources.XObject.values()
                     if image.get("/Subtype") == "/Image" and (image.Width, image.Height) == (1200, 300)}
            return [(image.mode, image.as_pil_image()) for image in found.values()]

    [(mode, printed)] = logos("testbrochure-print.pdf")
    assert mode == "CMYK" and printed.getpixel((20 + 130, 150))[0] > 200, "the brand blue: mostly cyan"
    assert sum(printed.getpixel((1100, 150))) < 8, "transparent: no ink"
    [(mode, _)] = logos("testbrochure.pdf")
    assert mode == "RGB"
