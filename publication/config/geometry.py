"""Page geometry shared by the layout, the image stage and the checks.

The CSS of a theme reads the same numbers, injected as custom properties, so a photo
is prepared for exactly the size at which it will be placed.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}


@dataclass(frozen=True)
class Geometry:
    page_width: float
    page_height: float
    margin_top: float
    margin_bottom: float
    margin_inner: float
    margin_outer: float
    column_gap: float
    columns: int
    bleed: float
    cover_photo_share: float = 0.62
    back_photo_share: float = 0.70
    """Shares of the full page height (bleed included) that the cover and back cover photos fill."""

    @property
    def text_width(self) -> float:
        return self.page_width - self.margin_inner - self.margin_outer

    @property
    def text_height(self) -> float:
        return self.page_height - self.margin_top - self.margin_bottom

    @property
    def column_width(self) -> float:
        return (self.text_width - (self.columns - 1) * self.column_gap) / self.columns

    def placed_width(self, placement: str) -> float:
        """Width in mm at which a photo of this placement is printed."""
        if placement == "full-bleed":
            return self.page_width + 2 * self.bleed
        if placement == "full-width":
            return self.text_width
        return self.column_width

    def placed_height(self, placement: str) -> float | None:
        """Height in mm of a photo that fills a fixed box (object-fit: cover); None if it keeps its ratio."""
        return self.page_height + 2 * self.bleed if placement == "full-bleed" else None

    def cover_photo_box(self, key: str) -> tuple[float, float]:
        """Width and height in mm of the box that the "cover" or "back_cover" photo fills."""
        share = self.cover_photo_share if key == "cover" else self.back_photo_share
        return (self.page_width + 2 * self.bleed, round(share * (self.page_height + 2 * self.bleed), 2))

    def css_properties(self) -> dict[str, str]:
        return {
            "--page-width": f"{self.page_width}mm",
            "--page-height": f"{self.page_height}mm",
            "--margin-top": f"{self.margin_top}mm",
            "--margin-bottom": f"{self.margin_bottom}mm",
            "--margin-inner": f"{self.margin_inner}mm",
            "--margin-outer": f"{self.margin_outer}mm",
            "--column-gap": f"{self.column_gap}mm",
            "--bleed": f"{self.bleed}mm",
        }


def geometry_for(page_size: str, bleed: float = 3.0) -> Geometry:
    width, height = PAGE_SIZES_MM[page_size]
    scale = width / 210.0
    return Geometry(page_width=width, page_height=height, margin_top=round(20 * scale, 1),
                    margin_bottom=round(24 * scale, 1), margin_inner=round(20 * scale, 1),
                    margin_outer=round(15 * scale, 1), column_gap=round(7 * scale, 1),
                    columns=2, bleed=bleed)
