"""What a rendering needs to know besides the content: everything that changes the laid-out pages.

Editions with equal specs share one WeasyPrint layout; the RGB editions are even drawn from the
print edition's pages (render/rgb_view.py), so one layout serves every edition. The page count is
not in a spec: every edition is padded to the binding's multiple alike (render.rendition), so page 7
of a proof is page 7 of the print file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderSpec:
    """How to lay out and draw the pages for one kind of edition."""

    colour_space: str = "rgb"  # "rgb" or "cmyk"
    bleed: float = 0.0
    ppi: int = 300
    extra_css: tuple[str, ...] = ()
    output_profile: Path | None = None
    """For CMYK: the press's ICC profile, which photos are converted to."""
    max_ink: int = 300
    """For CMYK: the highest total ink a photo may carry, in percent."""


SCREEN_SPEC = RenderSpec(ppi=150)
"""The RGB editions: screen colours, photos at 150 ppi, no bleed."""
