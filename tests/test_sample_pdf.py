"""End to end: the sample brochure, built from content/, read back from the PDF."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from conftest import REPO
from fontTools.ttLib import TTFont
from helpers import characters_outside_the_page
from pypdf import PdfReader

# Every section heading and pull quote of the seed text, in the original order.
HEADINGS_AND_QUOTES = [
    "Sociale innovatie in de praktijk",
    "Veranderen en versterken vanuit wederzijdse betrokkenheid",
    "Samenwerkende netwerkmaatschappij",
    "“We kunnen niet meer om nieuwe samenwerkingsverbanden heen. Het is de wereld van nu.”",
    "Sociaal vernieuwen in de regio",
    "“Wanneer je zelf niet bereid bent om te veranderen, dan verandert er ook niets.”",
    "Snelheid van de veranderingen",
    "“De wereld om ons heen verandert sneller dan wij als bestuurders. Daarin zitten zowel uitdagingen "
    "als mooie kansen.”",
    "Videoboodschap Jan van Ginkel, gemeentesecretaris Zaanstad",
    "“Geloof in de kracht van de samenleving”",
    "Bruggenbouwers en Plaatselijk Belang",
    "“Er ontstaan nieuwe kracht- en spanningsvelden waar je als bestuurder mee te maken krijgt of reeds hebt.”",
    "Samen bouwen aan het dorp",
    "“Voor bestuurders is het uitdagend om de juiste weg te vinden in de omgang met burgerinitiatieven”",
    "Leefwereld en systeemwereld",
    "“De leefwereld en systeemwereld moeten integreren en dat is niet altijd eenvoudig en vanzelfsprekend.”",
    "Betekenis voor competenties bestuurders",
    "Uitgangspunt: gezamenlijke belangen",
    "“Het stellen van vragen is het begin van luisteren. Laat zien dat je luistert, maak er een zichtbare "
    "actie van.”",
]


CAPTIONS = [
    "Engbert Breuker interviewt Astrid Schulting en René de Vent",
    "Charlotte Extercatte, initiatiefnemer Bruggenbouwers",
    "Martijn Dadema, burgemeester van de gemeente Raalte",
]


def normalise(text: str) -> str:
    text = re.sub(r"(\w)[\u2010-]\n(\w)", r"\1\2", text)  # words hyphenated at a line end
    text = text.replace("\u00ad", "").replace("\u200b", "")
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def reader(sample_pdf) -> PdfReader:
    return PdfReader(sample_pdf)


@pytest.fixture(scope="module")
def page_texts(reader) -> list[str]:
    return [normalise(page.extract_text()) for page in reader.pages]


def compact(text: str) -> str:
    """Text without spaces and hyphens: a line-end hyphen and a real one read alike in a PDF."""
    return re.sub(r"[\s\-\u00ad\u2010\u200b]", "", text)


def test_headings_and_quotes_appear_in_the_original_order(page_texts):
    text = compact(" ".join(page_texts))
    position = 0
    for expected in map(compact, HEADINGS_AND_QUOTES):
        found = text.find(expected, position)
        assert found >= 0, f"not found after position {position}: {expected!r}"
        position = found + len(expected)


def test_captions_name_the_people(page_texts):
    text = compact(" ".join(page_texts))
    for caption in CAPTIONS:
        assert compact(caption) in text, caption


def test_seven_pull_quotes_and_the_box_quote(sample_build):
    html = sample_build.renditions[0].html
    assert html.count('<aside class="pullquote"') == 8  # seven in the text, one in the video box
    assert len(re.findall(r'<aside class="box[ "]', html)) == 1


def test_colofon_is_on_the_last_inner_page(page_texts):
    last_inner = page_texts[-2]
    for field in ("Colofon", "Uitgave", "Regio Zwolle Bureau, november 2016", "Redactie",
                  "Marc Nijenhuis (Marcschrijft)", "Foto’s", "Kees Praamstra (Regio Zwolle Bureau)",
                  "Vormgeving", "Communicatie gemeente Zwolle", "Contact", "Postbus 10007", "8000 GA Zwolle",
                  "Telefoon 038 498 5106", "www.regiozwolle.net", "regiozwolle@zwolle.nl", "Twitter @regiozwolle"):
        assert field in last_inner, field
    assert "Colofon" not in " ".join(page_texts[:-2])


def _images(reader: PdfReader) -> dict[int, tuple[int, int]]:
    found = {}
    for page in reader.pages:
        resources = page["/Resources"]
        for xobject in resources.get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject["/Subtype"] == "/Image":
                found[id(xobject)] = (xobject["/Width"], xobject["/Height"])
    return found


def test_photos_are_embedded(reader):
    images = _images(reader)
    assert len(images) >= 4
    assert all(width >= 300 for width, _ in images.values()), images


def _shipped_font_names() -> set[str]:
    """PostScript names of the fonts in assets/fonts."""
    names = set()
    for path in (REPO / "assets" / "fonts").rglob("*"):
        if path.suffix.lower() in (".ttf", ".otf"):
            names.add(TTFont(path)["name"].getDebugName(6))
    return names


def _embedded_font_name(descriptor) -> str:
    """The PostScript name inside the embedded font program itself, not the PDF's label."""
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        if key in descriptor:
            program = TTFont(io.BytesIO(descriptor[key].get_object().get_data()))
            return program["name"].getDebugName(6)
    raise AssertionError(f"font {descriptor['/FontName']} is not embedded")


def test_every_font_is_embedded_and_shipped_in_assets(reader):
    shipped = _shipped_font_names()
    assert shipped
    seen = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []):
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            descriptors = [d.get_object() for d in descriptors if d is not None]
            assert descriptors, f"font {font.get('/BaseFont')} has no descriptor"
            seen.update(_embedded_font_name(descriptor) for descriptor in descriptors)
    assert seen and seen <= shipped, f"fonts not from assets/fonts: {seen - shipped}"


def test_title_language_and_dates_come_from_the_content(reader):
    info = reader.metadata
    assert info.title == "Sociale innovatie in de praktijk"
    assert info.author == "Marc Nijenhuis"
    assert "sociale innovatie" in (reader.metadata.get("/Keywords") or "")
    assert info.get("/Subject") == "Veranderen en versterken vanuit wederzijdse betrokkenheid"
    assert str(reader.trailer["/Root"]["/Lang"]) == "nl"
    assert str(info["/CreationDate"]).startswith("D:20161101")


def test_no_text_outside_the_page(sample_pdf):
    assert characters_outside_the_page(sample_pdf) == []


def test_page_size_is_a4_and_the_pdf_is_written_with_its_html(sample_build, reader):
    for page in reader.pages:
        assert round(float(page.mediabox.width) * 25.4 / 72) == 210
        assert round(float(page.mediabox.height) * 25.4 / 72) == 297
    html = sample_build.project.dist_dir / f"{sample_build.project.slug}.html"
    assert html.is_file() and "Sociale innovatie in de praktijk" in html.read_text(encoding="utf-8")


def largest_blank_band(image, margin_top: float, margin_bottom: float, margin_inner: float,
                       margin_outer: float, dpi: float) -> float:
    """The tallest run of rows without ink across the type area, as a share of its height: the part of a
    page left empty (between the end of the text and a note at its foot, or the foot itself)."""
    px = dpi / 25.4
    grey = np.asarray(image.convert("L"))
    side = round(min(margin_inner, margin_outer) * px)
    rows = grey[round(margin_top * px):grey.shape[0] - round(margin_bottom * px), side:grey.shape[1] - side]
    rows = rows.min(axis=1) < 225
    longest = run = 0
    for inked in rows:
        run = 0 if inked else run + 1
        longest = max(longest, run)
    return longest / len(rows)


DESIGNED_PAGES = {"cover", "colofon-page", "back-cover"}
"""The classes of the layouts' elements whose pages are designed as they are, not filled by the text."""


def designed_pages(document) -> dict[str, set[int]]:
    """The pages (from 1) on which each element of DESIGNED_PAGES was laid out, found by the element,
    wherever it is: a colofon moved or run over two pages is still found."""
    from publication.render.weasy import descendants

    found: dict[str, set[int]] = {name: set() for name in DESIGNED_PAGES}
    for number, page in enumerate(document.pages, start=1):
        for box in descendants(page):
            element = getattr(box, "element", None)
            for name in DESIGNED_PAGES & set(element.get("class", "").split() if element is not None else ()):
                found[name].add(number)
    return found


def test_no_page_is_more_than_40_percent_empty_but_the_deliberate_ones(sample_build, sample_pdf):
    # Issue 13: pages 4 (the end of an article, before a box of its own page) and 10 (the last article's
    # end, before the colofon) were a third and a half full; a larger opening photo and a full-width
    # portrait fill them. The cover, the colofon and the back cover are designed as they are: their pages
    # are found by their elements in the laid-out pages, not by where they are.
    from publication.config.geometry import geometry_for
    from publication.core.raster import render_pages

    geometry = geometry_for("A4")  # the sample's size (test_page_size_is_a4_...)
    pages = list(render_pages(sample_pdf.read_bytes(), dpi=30, box="trim"))
    (document,) = {rendition.document for rendition in sample_build.renditions}
    assert len(document.pages) == len(pages)
    designed = designed_pages(document)
    assert all(designed.values()), designed  # each is found
    deliberate = set().union(*designed.values())
    empty = {picture.number: largest_blank_band(picture.image, geometry.margin_top, geometry.margin_bottom,
                                                geometry.margin_inner, geometry.margin_outer, 30)
             for picture in pages if picture.number not in deliberate}
    assert {number: f"{share:.0%}" for number, share in empty.items() if share > 0.40} == {}
    assert len(pages) % 4 == 0  # saddle-stitched
