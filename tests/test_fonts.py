"""Fonts and glyphs (issue 13): the hyphen WeasyPrint adds at a line break is drawn in the publication's
font, even one without U+2010; a family is known by the name its @font-face rule gives it; only the
project's font files are embedded, whatever the computer has installed; a character no font has, a
family nobody ships and a logo's text in such a family are each reported once, at their line."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pikepdf
import pytest
from conftest import REPO, ProjectFactory
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from publication.commands.build import BuildOptions, build
from publication.core.problems import BuildFailed
from publication.preflight.document import check_font_files

FONTS = REPO / "assets" / "fonts"
PLAIN = REPO / "assets" / "themes" / "plain"
FONT_CHECKS = {"missing-glyph", "font-fallback", "system-font", "svg-font", "font-embedding"}
ARTICLE = "content/01-artikel.md"

# A theme that names the shipped families by names of its own, as a designer may (the German leaflet of
# issue 13 named Debian's Linux Libertine files "Linux Libertine"; their files say "Linux Libertine O"),
# and sets the body in Source Sans Pro, which has no U+2010.
THEME_CSS = """\
@font-face { font-family: "Hausschrift"; src: url("../../fonts/source-sans-pro/SourceSansPro-Regular.ttf"); font-weight: 400; font-style: normal; }
@font-face { font-family: "Hausschrift"; src: url("../../fonts/source-sans-pro/SourceSansPro-It.ttf"); font-weight: 400; font-style: italic; }
@font-face { font-family: "Hausschrift"; src: url("../../fonts/source-sans-pro/SourceSansPro-Semibold.ttf"); font-weight: 600; font-style: normal; }
@font-face { font-family: "Hausschrift"; src: url("../../fonts/source-sans-pro/SourceSansPro-Bold.ttf"); font-weight: 700; font-style: normal; }
:root { --serif: "Hausschrift"; --sans: "Hausschrift"; }
"""  # noqa: E501 - one rule per line, as docs/theme.md shows them

LONG_WORDS = ("Arbeidsmarktparticipatieprogramma's en buurtvoorzieningenbeleid vragen "
              "wijkverpleegkundigenoverleg, ketensamenwerkingsverbanden en zorgverzekeringsmaatschappijen. ")


def project_with_theme(root, logo: str | None = None, css: str = "") -> ProjectFactory:
    project = ProjectFactory(root)
    theme = project.root / "assets" / "themes" / "huis"
    theme.mkdir(parents=True)
    shutil.copytree(FONTS / "source-sans-pro", project.root / "assets" / "fonts" / "source-sans-pro")
    yml = (PLAIN / "theme.yml").read_text(encoding="utf-8").replace("name: Plain", "name: Huis")
    if logo:
        (project.root / "assets" / "logos").mkdir()
        (project.root / "assets" / "logos" / "huis.svg").write_text(logo, encoding="utf-8")
        yml += "logo: ../../logos/huis.svg\n"
    (theme / "theme.yml").write_text(yml, encoding="utf-8")
    (theme / "theme.css").write_text(THEME_CSS + css, encoding="utf-8")
    project.edit("publication.yml", "articles:", "theme: huis\narticles:")
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea. " + LONG_WORDS * 12)
    return project


def report_of(project, force: bool = False) -> tuple[dict, bool]:
    try:
        build(project.root, BuildOptions(force=force))
        passed = True
    except BuildFailed:
        passed = False
    return json.loads((project.root / "dist" / "testbrochure-preflight.json").read_text()), passed


def embedded_fonts(pdf) -> set[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}


def hyphen_outlines(pdf_path) -> list[bool]:
    """For every font of the file that draws U+2010: whether its glyph for it has an outline in the
    embedded font program (a character a font lacks is written with a glyph number it does not have)."""
    found = []
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                if "/ToUnicode" not in font:
                    continue
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                glyphs = [int(gid, 16) for gid, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", cmap)
                          if text.upper() == "2010"]
                if not glyphs:
                    continue
                program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
                tt = TTFont(io.BytesIO(program))
                order = tt.getGlyphOrder()
                found += [gid < len(order) and tt["glyf"][order[gid]].numberOfContours > 0 for gid in glyphs]
    return found


# Typed hyphen-minuses, after the text's words broken with U+2010 in the same font (the first character a
# glyph is drawn for is the one a PDF copies it as): in an address and in a compound.
TYPED_HYPHENS = ("Mail naar info@buurt-huis.example.nl of kijk op www.buurt-huis.example.nl; de noord-zuidlijn "
                 "rijdt om de tien minuten.")


@pytest.fixture(scope="module")
def sans(tmp_path_factory):
    project = project_with_theme(tmp_path_factory.mktemp("fonts") / "project")
    with (project.content / "01-artikel.md").open("a", encoding="utf-8") as article:
        article.write(f"\n{TYPED_HYPHENS}\n")
    report, passed = report_of(project)
    return project, report, passed


def test_the_break_hyphen_is_drawn_in_a_font_that_lacks_u2010(sans):
    project, report, passed = sans
    assert passed, report["findings"]
    assert [f for f in report["findings"] if f["check"] in FONT_CHECKS] == []
    for edition in ("", "-print", "-screen"):
        pdf = project.root / "dist" / f"testbrochure{edition}.pdf"
        assert embedded_fonts(pdf) <= {"Hausschrift", "Hausschrift-Italic", "Hausschrift-Semi-Bold",
                                       "Hausschrift-Bold"}, edition
        # Words of the text broken at a line end, with a hyphen the author never typed.
        text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
        broken = re.findall(r"(\w+)[\u2010-]\n(\w+)", text)
        source = project.content.joinpath("01-artikel.md").read_text(encoding="utf-8")
        assert [pair for pair in broken if pair[0] + pair[1] in source], edition
        # ... drawn with a glyph of the font, not an empty box.
        outlines = hyphen_outlines(pdf)
        assert outlines and all(outlines), edition


def test_a_typed_hyphen_copies_as_hyphen_minus_and_a_break_hyphen_as_u2010(sans):
    """The font lacks U+2010, so the build adds it; as a glyph of its own, so that a '-' typed after the
    first break hyphen still copies as '-' (pypdf and pdftotext), and the break hyphen as U+2010."""
    project, _, _ = sans
    source = project.content.joinpath("01-artikel.md").read_text(encoding="utf-8")
    for edition in ("", "-print", "-screen"):
        pdf = project.root / "dist" / f"testbrochure{edition}.pdf"
        poppler = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for reader, text in (("pypdf", "\n".join(page.extract_text() for page in PdfReader(pdf).pages)),
                             ("pdftotext", poppler)):
            flat = re.sub(r"\s+", " ", text.replace("\u200b", ""))
            assert flat.count("buurt-huis.example.nl") == 2, (edition, reader, flat[-300:])
            assert "noord-zuidlijn" in flat or "noord- zuidlijn" in flat, (edition, reader, flat[-300:])
            assert "\u2010huis" not in flat and "noord\u2010" not in flat, (edition, reader)
            broken = re.findall(r"(\w+)\u2010\s*\n\s*(\w+)", text)
            assert [pair for pair in broken if pair[0] + pair[1] in source], (edition, reader)


def test_the_embedded_files_are_judged_not_the_names(sans):
    project, _, _ = sans
    with pikepdf.open(project.root / "dist" / "testbrochure-print.pdf") as pdf:
        assert check_font_files(pdf, {"SourceSansPro-Regular", "SourceSansPro-Bold", "SourceSansPro-Semibold",
                                      "SourceSansPro-It"}) == []
        # A file whose font program is another one is caught, whatever BaseFont says.
        (finding,) = [f for f in check_font_files(pdf, {"SourceSansPro-Bold", "SourceSansPro-Semibold",
                                                        "SourceSansPro-It"})]
        assert finding.code == "system-font" and "'SourceSansPro-Regular'" in finding.message


LOGO = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="200" height="60">
  <rect x="0" y="0" width="50" height="50" fill="#24505f"/>
  <g font-family="DejaVu Serif, serif">
    <text x="60" y="40" font-size="30">Huis</text>
  </g>
  <text x="60" y="58" font-family="Hausschrift" font-size="8">Onder</text>
</svg>
"""


def test_a_family_nobody_ships_a_missing_character_and_logo_text_are_each_reported_once(tmp_path):
    project = project_with_theme(tmp_path / "project", logo=LOGO, css="h2 { font-family: 'DejaVu Sans' !important; }\n")
    project.edit("01-artikel.md", "Eerste alinea van het artikel.",
                 "Eerste alinea ☃ van het artikel.\n\n| Wat | Hoe |\n|---|---|\n| een | ☃ sneeuwpop |\n")
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede ☃ alinea.")
    report, _ = report_of(project, force=True)
    passed = report["passed"]
    findings = [f for f in report["findings"] if f["check"] in FONT_CHECKS]
    by_check = {check: [f for f in findings if f["check"] == check] for check in FONT_CHECKS}
    assert not passed
    (glyph,) = by_check["missing-glyph"]
    assert "U+2603" in glyph["message"] and glyph["source"] == f"{ARTICLE}:5"
    assert "2 more places" in glyph["message"], glyph["message"]
    # The article title (h2) is set in a family the project has no file for, on its page only once.
    (fallback,) = by_check["font-fallback"]
    assert "'DejaVu Sans'" in fallback["message"] and fallback["element"].startswith("h2")
    (logo,) = by_check["svg-font"]
    assert logo["source"] == "assets/logos/huis.svg:4" and "'DejaVu Serif, serif'" in logo["message"]
    # And nothing of the computer's is embedded for any of it: the project's fonts only.
    assert not by_check["system-font"]
    assert not any("DejaVu" in name for name in embedded_fonts(project.root / "dist" / "testbrochure-print.pdf"))


def test_a_table_cell_names_its_line(tmp_path):
    project = ProjectFactory(tmp_path / "project")
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea.\n\n| Wat | Hoe |\n|---|---|\n| een | twee |\n"
                 "| drie | vier ☃ |\n")
    report, _ = report_of(project)
    (glyph,) = [f for f in report["findings"] if f["check"] == "missing-glyph"]
    assert glyph["source"] == f"{ARTICLE}:14" and glyph["element"].startswith("td")
