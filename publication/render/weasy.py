"""The one adapter to WeasyPrint's internals.

WeasyPrint's public API (HTML, CSS, Document, Page, FontConfiguration, URLFetcher) says nothing
about where each box landed or how a colour is written into the PDF stream; the preflight, the
proof's line numbers and the RGB view of the print layout need both. Everything they use that is
not public is imported and wrapped here, and nowhere else (tests/test_architecture.py holds that),
so a WeasyPrint upgrade that moves these fails in one module. pyproject.toml pins the WeasyPrint
versions the tests have run: upgrade deliberately, run the suite, then widen the pin.
"""

from __future__ import annotations

from typing import Iterator

from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes
from weasyprint.images import RasterImage, get_image_from_uri
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf.stream import Stream

__all__ = ["AbsolutePlaceholder", "RasterImage", "Stream", "boxes", "descendants", "get_color",
           "get_image_from_uri", "is_blank_page", "page_box", "unwrap"]


def page_box(page) -> boxes.PageBox:
    """The laid-out box tree of a `weasyprint.Page` (semi-private: `Page._page_box`)."""
    return page._page_box  # noqa: SLF001 - the reason this module exists


def unwrap(box):
    """An absolutely positioned or floated box sits behind a placeholder; the box itself."""
    return box._box if isinstance(box, AbsolutePlaceholder) else box  # noqa: SLF001


def descendants(page) -> Iterator:
    """Every box on a page, placeholders replaced by the boxes they hold."""
    for box in page_box(page).descendants(placeholders=True):
        yield unwrap(box)


def is_blank_page(page) -> bool:
    """A page left empty by a break to a left or right page."""
    return bool(page_box(page).page_type.blank)
