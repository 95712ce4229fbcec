"""Drawing the print layout as an RGB brochure, so every edition comes from one layout.

The print layout is the expensive one to make (WeasyPrint's line breaking and pagination):
it has the page geometry every edition shares, plus three things only the press wants —
theme colours as device-cmyk(), photos converted to the press profile at 300 ppi, and
bleed. Those three only change how the pages are *drawn*, not where anything is, so the
RGB editions (standard, screen, booklet, proof) are written from the same laid-out pages,
drawn with:

- the theme's own RGB value for each theme colour (other CMYK colours are converted
  naively, as no press profile applies on a screen),
- each photo's RGB version, prepared at the RGB edition's resolution for the same box,
- no bleed: the page is the trimmed page; what lies in the bleed is outside the MediaBox
  (the live preview keeps it, to show where the page will be cut).

This reaches into WeasyPrint's laid-out pages (`Page.bleed`, `ReplacedBox.replacement`)
and its PDF stream (`Stream.set_color`); tests/test_one_layout.py checks the result against
a brochure laid out in RGB on its own, so a WeasyPrint upgrade that moves these fails there.
`Stream.set_color` is replaced for the whole process while an RGB edition is written: a
process writes one PDF at a time (the build's thread; the preview's build thread), and a
forked child has its own copy.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import weasyprint
from tinycss2.color5 import parse_color

from ..config.theme import Theme
from .weasy import Stream, boxes, descendants, get_image_from_uri, gradients_drawn_with

CMYK = tuple[float, float, float, float]
RGB = tuple[float, float, float]


@dataclass(frozen=True)
class RgbView:
    """How to draw a CMYK layout as RGB: colour by colour, photo by photo."""

    colours: tuple[tuple[CMYK, RGB], ...]
    """Each theme colour's device-cmyk() value (0–1) with its RGB value (0–1)."""
    photos: tuple[tuple[str, str], ...]
    """Each photo's URL as the print HTML gives it, with the file URI of its RGB version."""
    keep_bleed: bool = False
    """For the live preview, which shows the bleed and where the page will be cut."""

    @classmethod
    def for_theme(cls, theme: Theme, photos: dict[str, str], keep_bleed: bool = False) -> "RgbView":
        colours = []
        for colour in theme.colours.values():
            cmyk = tuple(round(part / 100, 6) for part in colour.cmyk)
            rgb = tuple(part / 255 for part in colour.rgb_bytes)
            colours.append((cmyk, rgb))
        return cls(tuple(colours), tuple(sorted(photos.items())), keep_bleed)

    def rgb(self, cmyk: CMYK) -> RGB:
        key = tuple(round(float(part), 6) for part in cmyk)
        for theme_cmyk, rgb in self.colours:
            if theme_cmyk == key:
                return rgb
        cyan, magenta, yellow, black = key
        return ((1 - cyan) * (1 - black), (1 - magenta) * (1 - black), (1 - yellow) * (1 - black))


@contextmanager
def drawn_in_rgb(document: weasyprint.document.Document, view: RgbView) -> Iterator[None]:
    """While inside, writing `document` gives the RGB brochure without bleed; afterwards the
    document draws as the print layout again."""
    photos = dict(view.photos)
    options = dict(weasyprint.DEFAULT_OPTIONS)
    loaded: dict[str, object] = {}
    swapped: list[tuple[boxes.ReplacedBox, object]] = []
    bleeds = [page.bleed for page in document.pages]
    original_set_color = Stream.set_color
    original_output_intent, original_profiles = document.output_intent, document.color_profiles

    converted: dict[tuple, object] = {}

    def set_color(stream, color, stroke=False):
        if color.space == "device-cmyk":
            key = (*color.coordinates, color.alpha)
            if key not in converted:
                red, green, blue = view.rgb(color.coordinates)
                converted[key] = parse_color(
                    f"rgb({red * 100:.4f}% {green * 100:.4f}% {blue * 100:.4f}% / {color.alpha})"
                )
            color = converted[key]
        return original_set_color(stream, color, stroke)

    try:
        for page in document.pages:
            if not view.keep_bleed:
                page.bleed = dict.fromkeys(page.bleed, 0)
            for box in descendants(page):
                if isinstance(box, boxes.ReplacedBox) and box.element is not None:
                    rgb_url = photos.get(box.element.get("src", ""))
                    if rgb_url is None:
                        continue
                    if rgb_url not in loaded:
                        loaded[rgb_url] = get_image_from_uri(
                            cache={}, url_fetcher=document.url_fetcher, options=options, url=rgb_url, orientation="none"
                        )
                    swapped.append((box, box.replacement))
                    box.replacement = loaded[rgb_url]
        Stream.set_color = set_color
        # Without the press profile: it would add 1.5 MB, and nothing is drawn in CMYK any more.
        document.output_intent, document.color_profiles = None, {}
        with gradients_drawn_with(lambda colours: ("DeviceRGB", [
                view.rgb(colour.coordinates) if colour.space == "device-cmyk" else tuple(colour.to("srgb")[:3])
                for colour in colours])):
            yield
    finally:
        Stream.set_color = original_set_color
        document.output_intent, document.color_profiles = original_output_intent, original_profiles
        for box, replacement in swapped:
            box.replacement = replacement
        for page, bleed in zip(document.pages, bleeds):
            page.bleed = bleed
