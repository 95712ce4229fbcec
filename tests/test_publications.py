"""Two publications that are not the sample (issue 13), each built once per session with the default
targets: an English A4 perfect-bound annual report with a theme, fonts and logo of its own and photos in
several formats (tests/publications/annual-report-en), and a German A5 leaflet on the built-in plain
theme (tests/publications/leaflet-de). Every edition builds without an error, and no word of the tool
in its PDFs is Dutch: the labels are those of the publication's language."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pikepdf
import pytest
from conftest import Built  # the fixtures annual_report and leaflet build them, once a session
from PIL import Image
from pypdf import PdfReader

DUTCH_TOOL_WORDS = ("Foto", "Foto’s", "Colofon", "Uitgave", "Redactie", "Vormgeving", "Telefoon", "Omslag",
                    "Achterkant", "pagina", "top")
EDITIONS = ("", "-screen", "-booklet", "-print")
GERMAN = ("sommerfest-am-elbufer",)


@pytest.fixture(params=["annual_report", "leaflet"])
def publication(request) -> Built:
    return request.getfixturevalue(request.param)


LABELS = {
    "annual-report-2026": ("Colophon", "Published by Riverside", "Editor Jane Doe", "Photography Sam Okafor",
                           "Design Studio Harbour", "Printing Example Print", "Contact Riverside",
                           "Phone 01234 567890", "Photo: Sam Okafor", "Photo: Lea Brandt", "6 MARCH 2027"),
    "sommerfest-am-elbufer": ("Impressum", "Herausgeber Nachbarschaftsverein", "Redaktion Lea Brandt",
                              "Fotos Jonas Weber", "Gestaltung Atelier Beispiel", "Kontakt Nachbarschaftsverein",
                              "Telefon 0351 000000", "Foto: Jonas Weber", "5. JUNI 2027"),
}


def test_every_edition_builds_without_an_error(publication):
    assert [str(problem) for problem in publication.result.issues if problem.is_error] == []
    for edition in EDITIONS:
        assert len(PdfReader(publication.pdf(edition)).pages) > 0, edition
    preflight = json.loads((publication.dist / f"{publication.slug}-preflight.json").read_text(encoding="utf-8"))
    assert preflight["passed"] and preflight["errors"] == 0, preflight


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_word_of_the_tool_is_dutch_and_the_labels_are_in_the_publications_language(publication, edition):
    text = publication.text(edition)
    # German writes "Foto" too: that one is the German label there.
    dutch = [word for word in DUTCH_TOOL_WORDS if not (publication.slug in GERMAN and word == "Foto")]
    assert [word for word in dutch if re.search(rf"(?<!\w){word}(?!\w)", text, re.IGNORECASE)] == []
    if edition != "-booklet":  # the booklet's pages are the same pages, two to a sheet
        assert [label for label in LABELS[publication.slug] if label not in text] == []


def test_bookmarks_and_structure_labels_are_in_the_publications_language(publication):
    colophon, cover, back = {"annual-report-2026": ("Colophon", "Cover", "Back cover"),
                             "sommerfest-am-elbufer": ("Impressum", "Titelseite", "Rückseite")}[publication.slug]
    def walk(items):
        for item in items:
            yield item.title
            yield from walk(item.children)

    with pikepdf.open(publication.pdf("-screen")) as pdf, pdf.open_outline() as outline:
        titles = list(walk(outline.root))
    assert titles[-1] == colophon and not set(titles) & set(DUTCH_TOOL_WORDS), titles
    html = publication.result.renditions[0].html
    for label in (colophon, cover, back):
        assert f'aria-label="{label}"' in html, label
    # The colofon page's running foot names it too.
    pages = [page.extract_text() for page in PdfReader(publication.pdf()).pages]
    assert sum(text.count(colophon) for text in pages if "Published by" in text or "Herausgeber" in text) == 2


def test_the_report_uses_its_own_fonts_only(annual_report):
    fonts = subprocess.run(["pdffonts", str(annual_report.pdf("-print"))], capture_output=True, text=True,
                           check=True).stdout
    names = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]}
    assert names and all(name.startswith(("EB-Garamond", "League-Spartan")) for name in names), names


def test_the_report_is_a4_perfect_bound_and_the_leaflet_a5(annual_report, leaflet):
    for built, (width, height) in ((annual_report, (210, 297)), (leaflet, (148, 210))):
        reader = PdfReader(built.pdf())
        box = reader.pages[0].mediabox
        assert (float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72) == pytest.approx((width, height), abs=0.5)
    assert len(PdfReader(annual_report.pdf("-print")).pages) % 2 == 0
    assert len(PdfReader(leaflet.pdf("-print")).pages) % 4 == 0


def test_every_photo_format_of_the_report_is_placed_the_right_way_up(annual_report):
    with pikepdf.open(annual_report.pdf()) as pdf:
        shapes = {(int(image.Width), int(image.Height)) for page in pdf.pages
                  for image in page.get_images().values()}
    # Six photos (two covers, CMYK, EXIF-rotated, alpha, greyscale) and the logo is vector.
    assert len(shapes) >= 6, shapes
    # The EXIF-rotated photo is stored 1100 x 800 and must be placed upright: about 8 wide to 11 high.
    assert any(abs(height / width - 1100 / 800) < 0.02 for width, height in shapes), shapes


PAGE_WARNINGS = {"page-gap", "split", "short-tail", "heading-at-bottom", "widow", "orphan"}


def test_no_page_a_designer_would_send_back(publication):
    preflight = json.loads((publication.dist / f"{publication.slug}-preflight.json").read_text(encoding="utf-8"))
    assert [finding for finding in preflight["findings"] if finding["check"] in PAGE_WARNINGS] == []


def test_no_warning_at_all_small_text_in_one_ink_included(publication):
    """The built-in layouts set every word under 9 pt in one ink (table headers, code, the A5 cover's
    tagline and event line, definition terms), whatever the theme's colours: a build with the defaults
    has nothing for a designer to act on, in the preflight or anywhere else."""
    preflight = json.loads((publication.dist / f"{publication.slug}-preflight.json").read_text(encoding="utf-8"))
    assert [finding for finding in preflight["findings"] if finding["check"] == "small-text-inks"] == []
    assert preflight["warnings"] == 0, preflight["findings"]
    assert [str(problem) for problem in publication.result.issues] == []


def photo_heights_mm(pdf, folder, dpi: int = 100) -> list[float]:
    """The height of every photo on the pages as poppler draws them: each run of rows of which more than
    30 % is inked between the page's margins (a line of text never is; a rule is a run of a few tenths)."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(folder / "page")], check=True)
    heights = []
    for picture in sorted(folder.glob("page-*.png")):
        grey = np.asarray(Image.open(picture).convert("L"))
        side = grey.shape[1] // 10  # inside the margins of an A5 page (15 mm of 148)
        photo_rows = (grey[:, side:-side] < 245).mean(axis=1) > 0.3
        run = 0
        for inked in list(photo_rows) + [False]:
            if not inked and run:
                heights.append(round(run * 25.4 / dpi, 1))
            run = run + 1 if inked else 0
    return heights


def test_a_photos_height_is_real_millimetres_on_the_a5_page(leaflet, tmp_path):
    """03-anfahrt.md writes `{.full-width height=60mm}`: on the A5 page the photo is 60 mm high (not 60 mm
    scaled to A5, 42 mm, nor the layout's 66 mm), as poppler draws the page: the photo is cropped to its box
    (object-fit: cover), so the drawn height is the box's, not the image's."""
    heights = photo_heights_mm(leaflet.pdf(), tmp_path)
    assert [height for height in heights if abs(height - 60) <= 0.6], heights
