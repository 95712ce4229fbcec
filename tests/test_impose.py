"""Booklets: saddle-stitch order on landscape sheets, read back from PDFs with numbered pages."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import weasyprint
from click.testing import CliRunner
from pypdf import PdfReader

from publication.cli import main
from publication.commands.build import BuildOptions, build
from publication.core.units import PT_PER_MM as MM
from publication.editions.booklet import SHEETS, booklet_order, impose, sheet_for


def numbered_pdf(count: int, size: str = "A5", bleed: str = "0") -> bytes:
    """`count` pages, each with its number large in the middle: "P01", "P02", ..."""
    pages = "".join(f'<div class="page">P{number:02d}</div>' for number in range(1, count + 1))
    html = f"""<style>
      @page {{ size: {size}; margin: 0; bleed: {bleed}; background: #fdd; }}
      .page {{ height: 100vh; display: flex; align-items: center; justify-content: center;
               font: 40pt sans-serif; break-after: page; }}
    </style>{pages}"""
    return weasyprint.HTML(string=html).write_pdf()


def half_texts(pdf: bytes) -> list[tuple[str, str]]:
    """For each sheet side, the text on its left and on its right half."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = []
        for page in document:
            width, height = page.get_size()
            text = page.get_textpage()
            found.append((text.get_text_bounded(0, 0, width / 2, height),
                          text.get_text_bounded(width / 2, 0, width, height)))
        return found
    finally:
        document.close()


def sides(pdf: bytes) -> list[tuple[str, str]]:
    """For each sheet side, the page numbers printed on its left and right half ("" for blank)."""
    return [tuple("".join(re.findall(r"P\d\d", half)) for half in halves) for halves in half_texts(pdf)]


def sheet_sizes_mm(pdf: bytes) -> set[tuple[int, int]]:
    return {(round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM))
            for page in PdfReader(io.BytesIO(pdf)).pages}


def test_saddle_stitch_order_of_sixteen_pages():
    order = [(side.sheet, side.side, side.left, side.right) for side in booklet_order(16)]
    assert order[:2] == [(0, "front", 15, 0), (0, "back", 1, 14)]
    assert order[-2:] == [(3, "front", 9, 6), (3, "back", 7, 8)]


def test_a5_booklet_on_a4_landscape_sheets():
    booklet = impose(numbered_pdf(16), SHEETS["A4"])
    assert sheet_sizes_mm(booklet) == {(297, 210)}
    found = sides(booklet)
    assert len(found) == 8
    assert found[0] == ("P16", "P01")  # sheet 1, front: the outside of the booklet
    assert found[1] == ("P02", "P15")  # sheet 1, back
    assert found[-1] == ("P08", "P09")  # the innermost spread, where the staples go
    for left, right in found:
        assert int(left[1:]) + int(right[1:]) == 17  # facing pages of a saddle-stitched booklet
    assert sorted(number for side in found for number in side) == [f"P{n:02d}" for n in range(1, 17)]


def test_blank_pages_fill_up_to_a_multiple_of_four_before_the_back_cover():
    found = sides(impose(numbered_pdf(10), SHEETS["A4"]))
    assert len(found) == 6  # 12 pages: 3 sheets
    assert found[0] == ("P10", "P01")  # the back cover stays on the outside
    assert found[1] == ("P02", "")
    assert found[2] == ("", "P03")
    assert sorted(number for side in found for number in side if number) == [f"P{n:02d}" for n in range(1, 11)]


def test_a4_brochure_on_a3_sheets_chosen_from_the_page_size():
    pdf = numbered_pdf(8, "A4")
    assert sheet_for(pdf) == SHEETS["A3"]
    assert sheet_for(numbered_pdf(4, "A5")) == SHEETS["A4"]
    booklet = impose(pdf, sheet_for(pdf))
    assert sheet_sizes_mm(booklet) == {(420, 297)}
    assert sides(booklet) == [("P08", "P01"), ("P02", "P07"), ("P06", "P03"), ("P04", "P05")]


def test_a4_pages_shrink_to_an_a5_booklet_on_a4_sheets():
    """Most office printers take A4 only: an A4 brochure then becomes an A5 booklet."""
    booklet = impose(numbered_pdf(8, "A4"), SHEETS["A4"])
    assert sheet_sizes_mm(booklet) == {(297, 210)}
    assert sides(booklet) == [("P08", "P01"), ("P02", "P07"), ("P06", "P03"), ("P04", "P05")]


def _number_position(pdf: bytes, side: int, number: str) -> float:
    """The left edge, in points, of a page number on one sheet side."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = document[side].get_textpage()
        start = text.get_text_range().index(number)
        return text.get_charbox(start)[0]
    finally:
        document.close()


def test_creep_moves_inner_sheets_towards_the_spine():
    pdf = numbered_pdf(16)
    plain, crept = impose(pdf, SHEETS["A4"]), impose(pdf, SHEETS["A4"], creep_mm=0.5)
    assert _number_position(crept, 0, "P01") == pytest.approx(_number_position(plain, 0, "P01"), abs=0.01)
    # Sheet 4 (index 3) is the innermost: its left page moves right, its right page left, 3 × 0.5 mm.
    assert _number_position(crept, 7, "P08") - _number_position(plain, 7, "P08") == pytest.approx(1.5 * MM, abs=0.05)
    assert _number_position(crept, 7, "P09") - _number_position(plain, 7, "P09") == pytest.approx(-1.5 * MM, abs=0.05)


def test_bleed_stays_off_the_sheet():
    """A print PDF with bleed is placed by its trim box, and its bleed is cut off at the trim."""
    booklet = impose(numbered_pdf(3, "A5", bleed="3mm"), SHEETS["A4"])
    assert sides(booklet) == [("P03", "P01"), ("P02", "")]
    document = pypdfium2.PdfDocument(booklet)
    try:
        back = document[1].render(scale=1).to_pil().convert("RGB")
    finally:
        document.close()
    width, height = back.size
    white = (255, 255, 255)
    assert back.getpixel((2, 2)) != white  # page 2's trim reaches the sheet's edge ...
    assert back.getpixel((width // 2 - 3, height // 2)) != white  # ... and the fold,
    assert back.getpixel((width // 2 + 3, height // 2)) == white  # but its bleed stays off the blank half


def test_impose_command_writes_a_booklet_beside_the_pdf(tmp_path):
    source = tmp_path / "brochure.pdf"
    source.write_bytes(numbered_pdf(8))
    result = CliRunner().invoke(main, ["impose", str(source), "--creep", "0.2"])
    assert result.exit_code == 0, result.output
    booklet = (tmp_path / "brochure-booklet.pdf").read_bytes()
    assert sides(booklet)[0] == ("P08", "P01")
    assert sheet_sizes_mm(booklet) == {(297, 210)}


def test_impose_command_reports_a_file_that_is_not_a_pdf(tmp_path):
    source = tmp_path / "notes.pdf"
    source.write_text("not a pdf")
    result = CliRunner().invoke(main, ["impose", str(source)])
    assert result.exit_code == 1
    assert "notes.pdf: cannot read this PDF" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "notes-booklet.pdf").exists()


def test_the_sample_booklet_on_a3(sample_build):
    booklet = (sample_build.project.dist_dir / f"{sample_build.project.slug}-booklet.pdf").read_bytes()
    assert sheet_sizes_mm(booklet) == {(420, 297)}
    halves = half_texts(booklet)
    assert len(halves) == 6  # 12 pages on 3 sheets, printed on both sides
    assert "www.regiozwolle.net" in halves[0][0] and "Colofon" not in halves[0][0]  # the back cover
    assert "Sociale innovatie in de praktijk" in halves[0][1]  # the cover
    assert "BIJEENKOMST" in halves[1][0].upper() and "Colofon" in halves[1][1]  # page 2 backs page 11
    assert "Sociaal vernieuwen in de regio" in halves[2][1]  # page 3 on the second sheet
    assert "Gosker" in halves[3][0] and "Kees Praamstra" in halves[3][1]  # page 4 backs the photo page 9
    assert "Videoboodschap" in halves[4][1]  # page 5, the box's own page, on the innermost sheet


def test_an_a5_publication_gets_an_a5_booklet_on_a4(project):
    project.edit("publication.yml", "articles:", "back_cover:\n  photo: photos/cover.jpg\n  photo_alt: Achterkant\n"
                 "page:\n  size: A5\narticles:")
    result = build(project.root, BuildOptions(targets=("booklet",)))
    booklet = (result.project.dist_dir / "testbrochure-booklet.pdf").read_bytes()
    assert sheet_sizes_mm(booklet) == {(297, 210)}
    assert len(PdfReader(io.BytesIO(booklet)).pages) == 2 * -(-result.pages // 4)
