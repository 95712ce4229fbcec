"""One layout for every edition: the RGB editions are drawn from the print layout's pages.

These tests hold the drawn editions against a brochure laid out in RGB on its own, so that a
WeasyPrint upgrade that changes what rgb_view.py reaches into fails here, not at the printer.
"""

from __future__ import annotations

import pikepdf
import pypdfium2
import pytest
from conftest import copy_sample
from helpers import page_texts

from publication.config.theme import load_theme
from publication.content.project import load_project
from publication.core.builtin import BUILTIN_ASSETS
from publication.editions.press import PRINT, print_spec
from publication.render.rendition import render
from publication.render.spec import SCREEN_SPEC, RenderSpec

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def laid_out_alone(tmp_path_factory):
    """The sample laid out by WeasyPrint in RGB with the print geometry (its bleed and page count):
    what drawing the print layout in RGB must give, inside the trim."""
    root = copy_sample(tmp_path_factory.mktemp("alone"))
    project, _ = load_project(root)
    theme = load_theme(project.config.theme, [project.root / "assets", BUILTIN_ASSETS])
    printed = print_spec(project)
    rgb = RenderSpec(colour_space="rgb", bleed=printed.bleed, ppi=SCREEN_SPEC.ppi)
    path = tmp_path_factory.mktemp("alone-pdf") / "alone.pdf"
    path.write_bytes(render(project, theme, rgb).plain_pdf)
    return path


def _value(operand) -> float | str:
    try:
        return round(float(operand), 3)
    except (TypeError, ValueError):
        return str(operand)


def colour_operations(pdf_path) -> set[tuple[str, tuple[float, ...]]]:
    """Every colour-setting operation in the page contents and the forms they draw."""
    found = set()
    with pikepdf.open(pdf_path) as pdf:
        holders = [page.obj for page in pdf.pages]
        seen = set()
        while holders:
            holder = holders.pop()
            if holder.objgen in seen:
                continue
            seen.add(holder.objgen)
            for operands, operator in pikepdf.parse_content_stream(holder):
                if str(operator) in ("rg", "RG", "k", "K", "sc", "scn", "SC", "SCN", "cs", "CS"):
                    found.add((str(operator), tuple(_value(operand) for operand in operands)))
            for xobject in holder.get("/Resources", {}).get("/XObject", {}).values():
                if xobject.get("/Subtype") == "/Form":
                    holders.append(xobject)
    return found


def test_the_default_build_lays_out_once_for_every_edition(sample_build):
    documents = {id(rendition.document) for rendition in sample_build.renditions}
    pdfs = [path.name for path in sample_build.written if path.suffix == ".pdf"]
    assert len(documents) == 1
    assert {PRINT.output_name(sample_build.project.slug), f"{sample_build.project.slug}.pdf",
            f"{sample_build.project.slug}-screen.pdf"} <= set(pdfs)


def test_the_drawn_edition_has_the_text_and_pages_of_one_laid_out_alone(sample_pdf, laid_out_alone):
    assert page_texts(sample_pdf) == page_texts(laid_out_alone)
    with pikepdf.open(sample_pdf) as drawn, pikepdf.open(laid_out_alone) as alone:
        for page, other in zip(drawn.pages, alone.pages):
            assert [round(float(v), 2) for v in page.mediabox] == [0, 0, *A4]  # the trimmed page
            trim = [float(v) for v in other.trimbox]
            assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx(A4, abs=0.01)
        assert "/OutputIntents" not in drawn.Root  # the press profile stays in the print file


def test_the_drawn_edition_uses_the_theme_rgb_colours_and_no_cmyk(sample_pdf, laid_out_alone):
    drawn, alone = colour_operations(sample_pdf), colour_operations(laid_out_alone)
    assert not [op for op in drawn if op[0] in ("k", "K") or len(op[1]) == 4], "CMYK left in the RGB edition"
    rgb_fills = {values for operator, values in drawn if operator == "rg"}
    assert rgb_fills == {values for operator, values in alone if operator == "rg"}
    assert (0.0, 0.2, 0.4) in {tuple(round(v, 1) for v in values) for values in rgb_fills}  # the theme's dark blue
    with pikepdf.open(sample_pdf) as pdf:
        spaces = {str(image.get("/ColorSpace")) for page in pdf.pages for image in page.get_images().values()}
    assert spaces == {"/DeviceRGB"}


def placed(page) -> tuple[list, list]:
    """Every character with its box, and every image's box, in points. WeasyPrint puts the trimmed
    page's corner at the origin, with or without bleed (the MediaBox of a page with bleed starts below zero)."""
    text = page.get_textpage()
    characters = []
    for index in range(text.count_chars()):
        box = tuple(round(value, 1) for value in text.get_charbox(index))
        characters.append((text.get_text_range(index, 1), box))
    images = sorted(tuple(round(value, 1) for value in image.get_bounds())
                    for image in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE], max_depth=5))
    return characters, images


def test_the_drawn_pages_place_everything_where_a_layout_in_rgb_does(sample_pdf, laid_out_alone):
    """Every character and every photo at the same place, to a tenth of a point."""
    drawn, alone = pypdfium2.PdfDocument(sample_pdf), pypdfium2.PdfDocument(laid_out_alone)
    try:
        for number, (page, other) in enumerate(zip(drawn, alone), start=1):
            characters, images = placed(page)
            other_characters, other_images = placed(other)
            assert len(characters) > 20 or number in (9, 12)  # the full-bleed photo, the back cover
            assert characters == other_characters, f"page {number}"
            assert images == other_images, f"page {number}"
    finally:
        drawn.close()
        alone.close()


def test_drawing_in_rgb_leaves_the_print_spec_as_it_was(sample_build):
    printed = next(r for r in sample_build.renditions if r.spec.colour_space == "cmyk")
    drawn = next(r for r in sample_build.renditions if r.rgb_view is not None)
    before = printed.write(object_streams=False, pdf_variant="pdf/x-4", output_intent="device-cmyk")
    drawn.write()
    after = printed.write(object_streams=False, pdf_variant="pdf/x-4", output_intent="device-cmyk")
    assert before == after
    with pikepdf.open(__import__("io").BytesIO(after)) as pdf:
        assert "/OutputIntents" in pdf.Root
        trim, media = pdf.pages[0].trimbox, pdf.pages[0].mediabox
        assert float(trim[0]) - float(media[0]) == pytest.approx(3 * 72 / 25.4, abs=0.01)  # the bleed is back
