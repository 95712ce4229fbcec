"""Booklets for office printers: pages 2-up on landscape sheets in saddle-stitch order.

Print the result double-sided, flipping on the short edge, fold the stack in the middle and
staple on the fold. Sheet 1's front carries the last and the first page, its back pages 2
and n-1, and so on inwards. Blank pages fill the count up to a multiple of four; they go
before the last page, so a back cover stays on the outside.

Creep: on a folded stack the inner sheets stick out at the fore-edge. With `creep_mm`
each sheet's pages move that much further towards the spine than the sheet outside it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

from ..content.sources import Project
from ..core.dist import Output
from ..core.reproducible import save_reproducibly
from ..core.units import PT_PER_MM
from ..render.rendition import Rendition
from .edition import Edition


@dataclass(frozen=True)
class SheetSize:
    name: str
    width: float  # points, landscape
    height: float


SHEETS = {
    "A4": SheetSize("A4", 297 * PT_PER_MM, 210 * PT_PER_MM),
    "A3": SheetSize("A3", 420 * PT_PER_MM, 297 * PT_PER_MM),
}
SHEET_FOR_PAGE_SIZE = {"A5": "A4", "A4": "A3"}
"""The sheet on which a page size fits twice at 100 %."""


@dataclass(frozen=True)
class SheetSide:
    """The pages (0-based) on the left and right half of one side of a sheet; None is blank."""

    sheet: int
    side: str  # "front" or "back"
    left: int | None
    right: int | None


def booklet_order(page_count: int, blanks_before_last: bool = True) -> list[SheetSide]:
    """The saddle-stitch order of `page_count` pages, two per side, filled up with blanks."""
    if page_count < 1:
        raise ValueError("a booklet needs at least one page")
    total = -(-page_count // 4) * 4
    blanks = total - page_count
    # Position in the booklet -> page in the source; blanks are None.
    if blanks_before_last and page_count > 1:
        positions = list(range(page_count - 1)) + [None] * blanks + [page_count - 1]
    else:
        positions = list(range(page_count)) + [None] * blanks
    sides = []
    for sheet in range(total // 4):
        outer_left, outer_right = total - 1 - 2 * sheet, 2 * sheet
        sides.append(SheetSide(sheet, "front", positions[outer_left], positions[outer_right]))
        sides.append(SheetSide(sheet, "back", positions[outer_right + 1], positions[outer_left - 1]))
    return sides


def sheet_for(pdf: bytes) -> SheetSize:
    """The smallest sheet that takes two of the PDF's first page side by side at 100 %."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        left, bottom, right, top = (float(value) for value in document.pages[0].trimbox)
    width, height = sorted((right - left, top - bottom))
    for sheet in sorted(SHEETS.values(), key=lambda s: s.width):
        if 2 * width <= sheet.width + PT_PER_MM and height <= sheet.height + PT_PER_MM:
            return sheet
    return SHEETS["A3"]


def impose(pdf: bytes, sheet: SheetSize, creep_mm: float = 0.0) -> bytes:
    """A booklet of `pdf` on `sheet`: each page's trim box scaled to fit half a sheet, centred.

    Each page goes onto the sheet whole, as a form XObject: its content is not parsed or
    rewritten, which keeps imposing fast however much text a page holds.
    """
    with pikepdf.open(io.BytesIO(pdf)) as source:
        booklet = pikepdf.new()
        half = sheet.width / 2
        for side in booklet_order(len(source.pages)):
            booklet.add_blank_page(page_size=(sheet.width, sheet.height))
            page = booklet.pages[-1]
            for slot, index in ((0, side.left), (1, side.right)):
                if index is not None:
                    towards_spine = side.sheet * creep_mm * PT_PER_MM * (1 if slot == 0 else -1)
                    _place(booklet, page, source.pages[index], slot, half, sheet.height, towards_spine)
        for key in ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate"):
            if key in source.docinfo:
                booklet.docinfo[key] = source.docinfo[key]
        booklet.docinfo["/Producer"] = "publication impose (pikepdf)"
        return save_reproducibly(booklet)


def _place(booklet: pikepdf.Pdf, sheet: pikepdf.Page, page: pikepdf.Page, slot: int, width: float, height: float,
           shift: float) -> None:
    """Put `page` centred in the left (slot 0) or right half of `sheet`, moved `shift` points to the right."""
    left = slot * width
    trim = [float(value) for value in page.trimbox]
    page_width, page_height = trim[2] - trim[0], trim[3] - trim[1]
    scale = min(width / page_width, height / page_height)
    x = left + (width - page_width * scale) / 2 - trim[0] * scale + shift
    y = (height - page_height * scale) / 2 - trim[1] * scale
    # Clip at the trim, so the bleed and marks of a print PDF stay off the sheet, and at the fold,
    # so a page moved by creep loses its inner margin instead of covering the facing page.
    if shift > 0:
        trim[2] -= shift / scale
    elif shift < 0:
        trim[0] -= shift / scale
    form = booklet.copy_foreign(page.as_form_xobject(handle_transformations=False))
    form.BBox = pikepdf.Array(trim)  # links (/Annots) stay behind: they are for screens, not for paper
    name = sheet.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/Page{slot}"))
    placement = f"q {scale:.6f} 0 0 {scale:.6f} {x:.4f} {y:.4f} cm {name} Do Q\n".encode()
    sheet.contents_add(pikepdf.Stream(booklet, placement), prepend=False)


def finish_booklet(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    sheet = SHEETS[SHEET_FOR_PAGE_SIZE[project.config.page.size]]
    booklet = impose(rendition.plain_pdf, sheet)
    return [Output(edition.output_name(project.slug), booklet,
                   f"a booklet for office printers: {project.config.page.size} pages 2-up on {sheet.name} sheets; "
                   "print double-sided, flip on the short edge, fold and staple")]


BOOKLET = Edition("booklet", "{slug}-booklet.pdf", "a booklet for office printers", finish_booklet)
