"""The second page layout: the sample as an A5 pocket edition (a booklet), one column, a multiple of 4 pages."""

from __future__ import annotations

import subprocess

import pytest
from conftest import copy_sample
from pypdf import PdfReader
from test_sample_pdf import HEADINGS_AND_QUOTES, compact, normalise
from weasyprint.formatting_structure import boxes

from publication.commands.build import BuildOptions, build
from publication.config.models import PageSettings
from publication.config.schema import schema_for
from publication.config.theme import load_theme
from publication.content.project import load_project
from publication.core.builtin import BUILTIN_ASSETS
from publication.render.rendition import render
from publication.render.spec import SCREEN_SPEC
from publication.render.typeset import typeset

MM = 72 / 25.4
PX_PER_MM = 96 / 25.4


@pytest.fixture(scope="module")
def pocket(tmp_path_factory):
    root = copy_sample(tmp_path_factory.mktemp("pocket"))
    config = root / "content" / "publication.yml"
    text = config.read_text(encoding="utf-8")
    assert "  size: A4\n" in text
    config.write_text(text.replace("  size: A4\n", "  size: A5\n"), encoding="utf-8")
    return build(root)


@pytest.fixture(scope="module")
def pocket_pdf(pocket):
    return pocket.project.dist_dir / f"{pocket.project.slug}.pdf"


def test_a5_selects_the_pocket_and_brochure_stays_the_a4_default():
    assert PageSettings(size="A5").layout_name == "pocket"
    assert PageSettings().layout_name == "brochure"
    assert PageSettings(size="A5", layout="brochure").layout_name == "brochure"


def test_schema_offers_the_page_layouts():
    page = schema_for("publication")["$defs"]["PageSettings"]["properties"]["layout"]
    assert {"brochure", "pocket"} <= {value for option in page["anyOf"] for value in option.get("enum", [])}


def test_pocket_pages_are_a5_and_a_multiple_of_four(pocket_pdf, pocket):
    reader = PdfReader(pocket_pdf)
    assert len(reader.pages) % 4 == 0
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(148 * MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(210 * MM, abs=0.5)
    assert pocket.warnings == ()


def test_pocket_has_all_the_text_in_order(pocket_pdf):
    text = compact(" ".join(normalise(page.extract_text()) for page in PdfReader(pocket_pdf).pages))
    position = 0
    for expected in map(compact, HEADINGS_AND_QUOTES):
        found = text.find(expected, position)
        assert found >= 0, expected
        position = found + len(expected)


def _content_boxes(page):
    page_box = page._page_box
    for child in page_box.children:
        if not isinstance(child, boxes.MarginBox):
            yield page_box, child


def _within_type_area(box):
    """The box and its descendants, without full-bleed photos: they reach into the bleed by design."""
    if "full-bleed" in ((box.element.get("class") or "") if box.element is not None else "").split():
        return
    yield box
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.Box):
            yield from _within_type_area(child)


def test_pocket_text_and_photos_stay_inside_the_type_area(pocket):
    """Every line, photo and block on an inner page lies within the margins; covers and full-bleed
    photos may bleed."""
    pages = pocket.renditions[0].document.pages
    for number, page in enumerate(pages[1:-1], start=2):
        for page_box, root in _content_boxes(page):
            left, top = page_box.content_box_x(), page_box.content_box_y()
            right, bottom = left + page_box.width, top + page_box.height
            for box in _within_type_area(root):
                block = isinstance(box, boxes.BlockBox) and box.element_tag not in ("html", "body")
                if block or isinstance(box, (boxes.TextBox, boxes.InlineReplacedBox, boxes.BlockReplacedBox)):
                    where = f"page {number}: {getattr(box, 'text', None) or box.element_tag}"
                    x, y = box.border_box_x(), box.border_box_y()
                    assert x >= left - 0.5 and x + box.border_width() <= right + 0.5, where
                    assert y >= top - 0.5 and y + box.border_height() <= bottom + 0.5, where


def test_pocket_sets_the_articles_in_one_column(pocket):
    """Paragraphs that no photo floats beside fill the whole type area: one column, not two."""
    geometry = pocket.renditions[0].geometry
    widths = [box.width / PX_PER_MM for page in pocket.renditions[0].document.pages
              for _, root in _content_boxes(page) for box in root.descendants()
              if isinstance(box, boxes.BlockBox) and box.element_tag == "p"]
    assert geometry.columns == 1
    assert max(widths) == pytest.approx(geometry.text_width, abs=0.5)
    assert sum(abs(w - geometry.text_width) < 0.5 for w in widths) > len(widths) / 2


def test_pocket_uses_only_the_fonts_shipped_in_assets(pocket_pdf):
    fonts = subprocess.run(["pdffonts", str(pocket_pdf)], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]}
    assert names and all(name.startswith(("Source-Sans-Pro", "Source-Serif-Pro")) for name in names), names


def test_short_pocket_is_padded_with_blank_pages_before_the_colofon(project):
    project.edit("publication.yml", "articles:\n", "page:\n  size: A5\narticles:\n")
    project.edit("publication.yml", "  - 01-artikel.md\n", "  - 01-artikel.md\n  - 02-tweede.md\n")
    project.write("02-tweede.md", "---\ntitle: Een tweede artikel\n---\n\nKorte tekst.\n")
    result = build(project.root)
    reader = PdfReader(result.project.dist_dir / f"{result.project.slug}.pdf")
    texts = [normalise(page.extract_text()) for page in reader.pages]
    # cover, two articles, colofon and back cover make 5 pages; 3 blank pages make 8.
    assert len(texts) == 8
    assert "Een tweede artikel" in texts[2]
    assert texts[3:6] == ["", "", ""]
    html = result.renditions[0].html
    assert html.count('class="intentionally-blank"') == 3
    assert html.index('class="intentionally-blank"') < html.index('class="colofon-page"')
    assert "Colofon" in texts[6]


def test_every_edition_is_padded_like_the_bound_copy(project):
    """The binding asks for a multiple of pages (4 for saddle stitch): the blank pages before the colofon
    are in every edition, built alone or together, so page 7 of a proof is page 7 of the print file."""
    project.edit("publication.yml", "  - 01-artikel.md\n", "  - 01-artikel.md\n  - 02-tweede.md\n")
    project.write("02-tweede.md", "---\ntitle: Een tweede artikel\n---\n\nKorte tekst.\n")
    alone = {target: build(project.root, BuildOptions(targets=(target,))) for target in ("proof", "standard")}
    together = build(project.root, BuildOptions(targets=("standard", "screen", "print", "proof")))
    dist = together.project.dist_dir
    slug = together.project.slug
    counts = {name: len(PdfReader(dist / name).pages)
              for name in (f"{slug}.pdf", f"{slug}-screen.pdf", f"{slug}-print.pdf")}
    counts["proof"] = len(alone["proof"].renditions[0].document.pages)
    counts["standard alone"] = len(alone["standard"].renditions[0].document.pages)
    # cover, two articles, colofon and back cover are 5 pages; the sample is saddle-stitched: 3 blank make 8
    assert counts == dict.fromkeys(counts, 8)
    texts = [normalise(page.extract_text()) for page in PdfReader(dist / f"{slug}.pdf").pages]
    assert texts[3:6] == ["", "", ""]


def test_a_loose_publication_is_not_padded(project):
    project.edit("publication.yml", "  - 01-artikel.md\n", "  - 01-artikel.md\n  - 02-tweede.md\n")
    project.write("02-tweede.md", "---\ntitle: Een tweede artikel\n---\n\nKorte tekst.\n")
    project.edit("publication.yml", "articles:", "print:\n  binding: loose\narticles:")
    result = build(project.root, BuildOptions(targets=("standard", "print")))
    assert {len(rendition.document.pages) for rendition in result.renditions} == {5}


def test_the_pocket_edition_passes_preflight_with_zero_errors(pocket):
    report = pocket.preflight
    assert report is not None, "the default build runs the print preflight"
    assert report.errors == () and report.passed
    assert (pocket.project.dist_dir / f"{pocket.project.slug}-print.pdf").is_file()


def test_a_build_remembers_the_blank_pages_and_lays_out_once(project):
    """The blank pages the last build needed are the next build's guess (in .cache/): a rebuild lays the
    publication out once, not once to count its pages and again with the blank pages."""
    project.edit("publication.yml", "  - 01-artikel.md\n", "  - 01-artikel.md\n  - 02-tweede.md\n")
    project.write("02-tweede.md", "---\ntitle: Een tweede artikel\n---\n\nKorte tekst.\n")
    loaded, _ = load_project(project.root)
    theme = load_theme(loaded.config.theme, [BUILTIN_ASSETS])
    blank_pages_laid_out = []

    def counting(html, base_url, allowed_roots):
        blank_pages_laid_out.append(html.count('class="intentionally-blank"'))
        return typeset(html, base_url, allowed_roots)

    first = render(loaded, theme, SCREEN_SPEC, typesetter=counting)
    again = render(loaded, theme, SCREEN_SPEC, typesetter=counting)
    assert blank_pages_laid_out == [0, 3, 3]
    assert len(first.document.pages) == len(again.document.pages) == 8 and first.html == again.html
