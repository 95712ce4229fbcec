"""The one adapter to WeasyPrint's internals.

WeasyPrint's public API (HTML, CSS, Document, Page, FontConfiguration, URLFetcher) says nothing
about where each box landed or how a colour is written into the PDF stream; the preflight, the
proof's line numbers and the RGB view of the print layout need both. Everything they use that is
not public is imported and wrapped here, and nowhere else (tests/test_architecture.py holds that),
so a WeasyPrint upgrade that moves these fails in one module. pyproject.toml pins the WeasyPrint
versions the tests have run: upgrade deliberately, run the suite, then widen the pin.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from tempfile import mkdtemp
from typing import Callable, Iterator

from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes
from weasyprint.images import Gradient, RasterImage, get_image_from_uri
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf import tags as _tags
from weasyprint.pdf.stream import Stream
from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2
from weasyprint.text.fonts import FontConfiguration

from ..core.builtin import BUILTIN_ASSETS
from .fonts import with_break_hyphen

__all__ = ["AbsolutePlaceholder", "RasterImage", "Stream", "boxes", "descendants", "get_color",
           "get_image_from_uri", "gradients_drawn_with", "is_blank_page", "page_box", "structure_keyed", "unwrap",
           "HTML_KEY", "NODE_KEY", "html_of", "project_font_configuration"]


ffi.cdef("FcConfig * FcConfigCreate (void);")
FALLBACK_FONT = BUILTIN_ASSETS / "fonts" / "source-sans-pro" / "SourceSansPro-Regular.ttf"


class _ProjectFonts(FontConfiguration):
    """A FontConfiguration that starts empty, not with the computer's fonts: it knows only the fonts
    the stylesheets add with @font-face (which are the project's, as the fetcher allows nothing else).
    So a system font that shares a family name with a project font (Debian's EB Garamond 08 beside a
    project's EB Garamond 12) can never win the match, and no system font fills in for a missing
    character: the preflight reports that character instead. Its __init__ is WeasyPrint 70's, with
    FcConfigCreate where WeasyPrint calls FcInitLoadConfigAndFonts."""

    def __init__(self, font_cache: Path | None = None) -> None:  # noqa: D107 - see the class
        self._config = fontconfig.FcConfigCreate()
        self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
        pangoft2.pango_fc_font_map_set_config(ffi.cast("PangoFcFontMap *", self.font_map), self._config)
        fontconfig.FcConfigDestroy(self._config)  # the font map keeps its own reference
        self._folder = Path(mkdtemp(prefix="weasyprint-"))  # removed by FontConfiguration.__del__
        self.strut_layouts = {}
        self.font_features = {}
        # Pango must always find a font: without any (every @font-face refused or broken) it crashes.
        # The tool's own Source Sans stands in, and the preflight names the family that was missing.
        fallback = self._folder / "fallback.ttf"
        fallback.write_bytes(with_break_hyphen(FALLBACK_FONT.read_bytes(), font_cache))
        fontconfig.FcConfigAppFontAddFile(self._config, str(fallback).encode())
        pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", self.font_map))


def project_font_configuration(font_cache: Path | None = None) -> FontConfiguration:
    """The font configuration of every layout: the project's fonts and nothing else (`font_cache`: see
    fonts.with_break_hyphen)."""
    return _ProjectFonts(font_cache)


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


# -- Gradients in CMYK ------------------------------------------------------------------------
# WeasyPrint 70 draws every CSS gradient in sRGB: a device-cmyk() stop raises NotImplementedError
# (it cannot convert it), and in a PDF/X file an sRGB gradient is declared in the default colour
# space, DeviceCMYK, with three values per colour: Ghostscript and poppler drop it, MuPDF paints a
# dark box. Gradient.draw below is WeasyPrint's own, with the colours and their colour space chosen
# by `GradientColours`: all stops device-cmyk() gives a DeviceCMYK gradient; anything else an
# honest DeviceRGB one (which the print preflight reports as RGB).

GradientColours = Callable[[list], "tuple[str, list[tuple[float, ...]]]"]
"""The stop colours of one gradient -> its PDF colour space and each stop's values in it."""


def _naive_rgb(colour) -> tuple[float, ...]:
    if colour.space == "device-cmyk":
        cyan, magenta, yellow, black = colour.coordinates
        return ((1 - cyan) * (1 - black), (1 - magenta) * (1 - black), (1 - yellow) * (1 - black))
    return tuple(colour.to("srgb")[:3])


def cmyk_if_possible(colours: list) -> tuple[str, list[tuple[float, ...]]]:
    if all(colour.space == "device-cmyk" for colour in colours):
        return "DeviceCMYK", [tuple(colour.coordinates) for colour in colours]
    return "DeviceRGB", [_naive_rgb(colour) for colour in colours]


_gradient_colours: list[GradientColours] = [cmyk_if_possible]


@contextmanager
def gradients_drawn_with(colours: GradientColours) -> Iterator[None]:
    """While inside, gradients take their colours from `colours` (the RGB view of a CMYK layout)."""
    _gradient_colours.append(colours)
    try:
        yield
    finally:
        _gradient_colours.pop()


def _draw_gradient(self, stream, concrete_width, concrete_height, style):
    """WeasyPrint 70's Gradient.draw, with the colour space chosen by `_gradient_colours`."""
    scale_y, type_, points, positions, colors, color_hints = self.layout(concrete_width, concrete_height, style)
    if type_ == "solid":
        stream.rectangle(0, 0, concrete_width, concrete_height)
        stream.set_color(colors[0])
        stream.fill()
        return
    space, values = _gradient_colours[-1](list(colors))
    alphas = [color.alpha for color in colors]  # not color[3]: that is K for a device-cmyk() colour
    alpha_couples = [[alphas[i], alphas[i + 1], color_hints[i]] for i in range(len(alphas) - 1)]
    color_couples = [[values[i], values[i + 1], color_hints[i]] for i in range(len(colors) - 1)]
    for i, alpha in enumerate(alphas):
        if alpha == 0:
            if i > 0:
                color_couples[i - 1][1] = color_couples[i - 1][0]
            if i < len(colors) - 1:
                color_couples[i][0] = color_couples[i][1]
    for i, (a0, a1, _hint) in enumerate(alpha_couples):
        if 0 not in (a0, a1) and (a0, a1) != (1, 1):
            color_couples[i][2] = a0 / a1
    shading_type = 2 if type_ == "linear" else 3
    domain = (positions[0], positions[-1])
    extend = not self.repeating
    encode = (len(colors) - 1) * (0, 1)
    bounds = positions[1:-1]
    sub_functions = (stream.create_interpolation_function((0, 1), c0, c1, hint) for c0, c1, hint in color_couples)
    function = stream.create_stitching_function(domain, encode, bounds, sub_functions)
    shading = stream.add_shading(shading_type, domain, points, extend, function, space)
    stream.transform(d=scale_y)
    if any(alpha != 1 for alpha in alphas):
        alpha_stream = stream.set_alpha_state(0, 0, concrete_width, concrete_height / scale_y)
        sub_functions = (stream.create_interpolation_function((0, 1), (c0,), (c1,), hint)
                         for c0, c1, hint in alpha_couples)
        function = stream.create_stitching_function(domain, encode, bounds, sub_functions)
        alpha_shading = alpha_stream.add_shading(shading_type, domain, points, extend, function, "DeviceGray")
        alpha_stream.transform(d=scale_y)
        alpha_stream.stream = [f"/{alpha_shading.id} sh"]
    stream.paint_shading(shading.id)


Gradient.draw = _draw_gradient


# -- Footnotes tagged as notes ----------------------------------------------------------------
# WeasyPrint 70 chooses a structure type from the HTML tag name alone, so a footnote (a <span>
# floated with `float: footnote`) is tagged /Span and a screen reader cannot tell it from the
# text around it. The wrapper below tags the box of any element floated to the footnote area as
# /Note (PDF 1.7 standard structure type), with the /ID that PDF/UA-1 asks of every note; its
# ::footnote-call and ::footnote-marker stay as WeasyPrint tags them.

_build_box_tree = _tags._build_box_tree  # noqa: SLF001


_notes: set[int] = set()
"""While a footnote area is tagged, the ids of its children: the boxes of its footnotes."""


def _build_box_tree_with_notes(box, parent, pdf, page_number, nums, annotations, tags):
    """WeasyPrint 70's `_build_box_tree`, with each footnote's element tagged /Note."""
    inner = unwrap(box)
    area = isinstance(inner, boxes.FootnoteAreaBox)
    if area:
        _notes.update(id(child) for child in inner.children)
    is_note = id(inner) in _notes
    try:
        for element in _build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
            if is_note:
                element["S"] = "/Note"
                element["ID"] = _tags.pydyf.String(f"note-{element.number}")
            yield element
    finally:
        if area:
            _notes.clear()


_tags._build_box_tree = _build_box_tree_with_notes  # noqa: SLF001


# ---- Tagging -----------------------------------------------------------------------------------

NODE_KEY = "/PublicationNode"
HTML_KEY = "/PublicationHTML"


def html_of(element) -> str:
    """The HTML tag a structure element was tagged from (`span::footnote-call` for a pseudo-element),
    as `structure_keyed` stamped it; '' for one it did not stamp."""
    return str(element.get(HTML_KEY, ""))


@contextmanager
def structure_keyed() -> Iterator[None]:
    """While inside, each structure element WeasyPrint tags carries `NODE_KEY`: the number of the
    HTML element it was made for, the same on every page, and `HTML_KEY`: the tag of the box it was
    made for (read with `html_of`); an element of HTML with a `lang` attribute carries it as /Lang
    (WeasyPrint 70 sets the language of the document only), so a reader speaks it in that language.

    WeasyPrint builds the structure tree page by page (pdf/tags.py, `_build_box_tree`), so an
    element split over pages becomes one structure element per page and nothing in the PDF says
    they are one; and it chooses the structure type from the tag name alone, so a `dt` is an
    `LI` like a `dd`. With the keys, a finishing pass can join the fragments and mend the roles;
    it must remove both keys after.
    """
    original = _tags._build_box_tree  # noqa: SLF001 - the reason this module exists
    numbers: dict[int, tuple[int, object]] = {}

    def keyed(box, parent, *args):
        inner = unwrap(box)
        node = inner.element
        for element in original(box, parent, *args):
            if node is not None and NODE_KEY[1:] not in element:
                element[NODE_KEY[1:]] = numbers.setdefault(id(node), (len(numbers), node))[0]
                element[HTML_KEY[1:]] = _tags.pydyf.String(inner.element_tag)
                if node.get("lang") and "Lang" not in element:  # a word in another language: read in it
                    element["Lang"] = _tags.pydyf.String(node.get("lang"))
            yield element

    _tags._build_box_tree = keyed  # noqa: SLF001
    try:
        yield
    finally:
        _tags._build_box_tree = original  # noqa: SLF001
