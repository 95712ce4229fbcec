"""The one rasteriser: PDF pages to pictures, with PDFium (pypdfium2).

The preview's pages, the preflight report's thumbnails and the diff's pixel comparison all
come from here, so they agree on what a page looks like and on which box is shown.
PDFium is not thread-safe, across documents too: every call into it holds `PDFIUM_LOCK`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from PIL import Image

from .units import PT_PER_INCH

if TYPE_CHECKING:
    import pypdfium2

PDFIUM_LOCK = threading.RLock()

BOXES = ("media", "bleed", "trim")


@dataclass(frozen=True)
class PagePicture:
    number: int
    """1-based."""
    image: Image.Image
    width_pt: float
    height_pt: float
    """The size of the box that was drawn."""
    text: str = ""
    """The page's text, when asked for."""


def render_page(page: pypdfium2.PdfPage, dpi: float | None = None, box: str = "media",
                width_px: int | None = None) -> tuple[Image.Image, float, float]:
    """One page as an RGB(A) picture of its `box` ("media", "bleed" or "trim"), at `dpi` or `width_px`
    wide. Returns the picture and the box's width and height in points."""
    media_left, media_bottom, media_right, media_top = page.get_mediabox()
    if box == "media":
        left, bottom, right, top = media_left, media_bottom, media_right, media_top
    else:
        left, bottom, right, top = page.get_bleedbox() if box == "bleed" else page.get_trimbox()
    scale = width_px / (right - left) if width_px else (dpi or PT_PER_INCH) / PT_PER_INCH
    crop = (left - media_left, bottom - media_bottom, media_right - right, media_top - top)
    with PDFIUM_LOCK:
        image = page.render(scale=scale, crop=crop).to_pil()
    return image, right - left, top - bottom


def render_pages(pdf: bytes, dpi: float | None = None, numbers: Iterable[int] | None = None, box: str = "media",
                 width_px: int | None = None, text: bool = False) -> Iterator[PagePicture]:
    """The given 1-based pages of a PDF (all by default), as `render_page` draws them; with `text`,
    each page's text in reading order, inside the box."""
    import pypdfium2  # here: 15 ms of the start of every build, and only a picture of a page needs it

    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            for number in numbers or range(1, len(document) + 1):
                page = document[number - 1]
                image, width, height = render_page(page, dpi, box, width_px)
                words = ""
                if text:
                    words = " ".join(page.get_textpage().get_text_bounded().split())
                yield PagePicture(number, image, width, height, words)
        finally:
            document.close()


def page_words(pdf: bytes, number: int) -> list[tuple[str, float, float, float, float]]:
    """The words printed on a 1-based page, each with its box (left, top, right, bottom) in points from
    the top left of the page's trim box: for marking words found on the page."""
    import pypdfium2

    words: list[tuple[str, float, float, float, float]] = []
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[number - 1]
            trim_left, _, _, trim_top = page.get_trimbox()
            textpage = page.get_textpage()
            letters: list[str] = []
            box = [0.0, 0.0, 0.0, 0.0]
            for index in range(textpage.count_chars()):
                letter = textpage.get_text_range(index, 1)
                if not letter or letter.isspace() or letter == "\ufffe":
                    if letters:
                        words.append(("".join(letters), *box))
                    letters = []
                    continue
                left, bottom, right, top = textpage.get_charbox(index)
                edges = (left - trim_left, trim_top - top, right - trim_left, trim_top - bottom)
                if not letters:
                    box = list(edges)
                else:
                    box = [min(box[0], edges[0]), min(box[1], edges[1]), max(box[2], edges[2]), max(box[3], edges[3])]
                letters.append(letter)
            if letters:
                words.append(("".join(letters), *box))
        finally:
            document.close()
    return words
