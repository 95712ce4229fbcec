"""Page layouts: the designs a publication can be set in, chosen with `page.layout`.

A page layout is a stylesheet in assets/css that @imports the common brochure.css and
changes what differs, plus the few numbers the pipeline needs before CSS runs: the
number of text columns (photos are prepared for the column width), the margins, and the
multiple of pages a bound copy needs (a saddle-stitched booklet is folded from sheets
of four pages; blank pages before the colofon make up the difference).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from .geometry import Geometry, geometry_for


@dataclass(frozen=True)
class PageLayout:
    name: str
    stylesheet: str
    """Relative to assets/: the project's own assets first, then the built-in ones."""
    columns: int
    margins_mm: tuple[float, float, float, float] | None = None
    """Top, bottom, inner, outer; None keeps geometry_for's margins scaled to the page size."""
    pages_multiple_of: int = 1

    def blank_pages_needed(self, pages: int, output_multiple: int = 1) -> int:
        """Blank pages that bring `pages` to a multiple of both this layout's and the output's."""
        return -pages % math.lcm(self.pages_multiple_of, output_multiple)

    def stylesheet_path(self, asset_dirs: list[Path]) -> Path:
        candidates = [directory / self.stylesheet for directory in asset_dirs]
        return next((path for path in candidates if path.is_file()), candidates[-1])


PAGE_LAYOUTS: dict[str, PageLayout] = {
    "brochure": PageLayout("brochure", "css/brochure.css", columns=2),
    # One column of about 70 characters on A5, with room in the gutter for the staples.
    "pocket": PageLayout("pocket", "css/pocket.css", columns=1, margins_mm=(15.0, 18.0, 18.0, 15.0),
                          pages_multiple_of=4),
}


DEFAULT_FOR_SIZE = {"A4": "brochure", "A5": "pocket"}
"""The page layout a page size gets when publication.yml names none."""


def page_layout_for(page) -> PageLayout:
    """The layout of a `PageSettings` (models.py reads the names from here, so adding one here is enough)."""
    return PAGE_LAYOUTS[page.layout_name]


def page_geometry(page, bleed: float) -> Geometry:
    """The page geometry of the chosen size in the chosen page layout."""
    design = page_layout_for(page)
    geometry = dataclasses.replace(geometry_for(page.size, bleed=bleed), columns=design.columns)
    if design.margins_mm:
        top, bottom, inner, outer = design.margins_mm
        geometry = dataclasses.replace(geometry, margin_top=top, margin_bottom=bottom, margin_inner=inner,
                                       margin_outer=outer)
    return geometry
