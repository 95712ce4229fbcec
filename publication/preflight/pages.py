"""Preflight of the laid-out pages, read from WeasyPrint's boxes: photo resolution, overset and
clipped text, the safety zone, colours, fonts and glyphs, widows, orphans, headings at the foot of a
column, empty and padded pages. Each finding names its page, its element and, where the box came
from Markdown, its source file and line."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

from fontTools.ttLib import TTFont

from ..core.problems import Code, Problem
from ..core.units import PX_PER_MM, PX_PER_PT
from ..render.fonts import FONT_SUFFIXES, break_hyphen_coverage
from ..render.weasy import (
    RasterImage,
    boxes,
    get_color,
    is_blank_page,
    page_box,
    unwrap,
)
from .report import _error, _warning

SAFETY_ZONE_MM = 5.0
TOLERANCE_PX = 0.75
"""Sub-pixel differences in layout are rounding, not overset."""
BLEED_CLASSES = {"cover", "back-cover", "full-bleed"}
"""Elements that reach into the bleed on purpose."""
BLANK_CLASS = "intentionally-blank"
LOW_PPI_ERROR = 150


@dataclass(frozen=True)
class Placed:
    """A box with what we know about where it came from."""

    box: boxes.Box
    page: int
    element: str
    source: str
    in_bleed_element: bool
    containers: tuple[boxes.Box, ...]
    """Ancestors that are block containers, nearest last."""
    margin_box: bool = False


def _describe(element) -> str:
    if element is None:
        return ""
    classes = element.get("class", "").split()
    return element.tag + "".join(f".{name}" for name in classes)


def walk(document) -> Iterator[Placed]:
    for number, page in enumerate(document.pages, start=1):
        yield from _walk(page_box(page), number, "", "", "", False, (), False)


def _walk(
    box, page: int, element: str, source_file: str, line: str, bleed: bool, containers, margin
) -> Iterator[Placed]:
    box = unwrap(box)  # absolutely positioned and floated boxes sit in a placeholder
    node = getattr(box, "element", None)
    if node is not None:
        element = _describe(node) or element
        source_file = node.get("data-source") or source_file
        line = node.get("data-line") or line
        bleed = bleed or bool(BLEED_CLASSES & set(node.get("class", "").split()))
    margin = margin or isinstance(box, boxes.MarginBox)
    source = f"{source_file}:{line}" if source_file and line else source_file
    placed = Placed(box, page, element, source, bleed, containers, margin)
    yield placed
    if isinstance(box, boxes.ParentBox):
        inner = containers + (box,) if isinstance(box, boxes.BlockContainerBox) else containers
        for child in box.children:
            yield from _walk(child, page, element, source_file, line, bleed, inner, margin)


def _mm_area(box) -> tuple[float, float, float, float]:
    x, y = box.border_box_x(), box.border_box_y()
    return (
        round(x / PX_PER_MM, 1),
        round(y / PX_PER_MM, 1),
        round(box.border_width() / PX_PER_MM, 1),
        round(box.border_height() / PX_PER_MM, 1),
    )


def _where(placed: Placed) -> dict:
    return dict(page=placed.page, element=placed.element, source=placed.source, area=_mm_area(placed.box))


def _text(box) -> str:
    return getattr(box, "text", "") or ""


def check_image_resolution(placed: Placed, target_ppi: int) -> Problem | None:
    box = placed.box
    if not isinstance(box, boxes.ReplacedBox) or not isinstance(box.replacement, RasterImage):
        return None
    image = box.replacement
    if not (box.width and box.height and image.width and image.height):
        return None
    scale_x, scale_y = box.width / image.width, box.height / image.height
    scale = min(scale_x, scale_y) if box.style["object_fit"] == "contain" else max(scale_x, scale_y)
    ppi = 96 / scale
    if ppi >= target_ppi - 1:  # the photo stage rounds to whole pixels
        return None
    message = (
        f"photo is {image.width}×{image.height} px at {box.width / PX_PER_MM:.0f}×"
        f"{box.height / PX_PER_MM:.0f} mm: {ppi:.0f} ppi effective"
    )
    if ppi < LOW_PPI_ERROR:
        return _error(
            Code.IMAGE_RESOLUTION,
            f"{message}, below {LOW_PPI_ERROR}; it will print visibly blurred. Use a "
            f"larger original or place it smaller",
            **_where(placed),
        )
    return _warning(
        Code.IMAGE_RESOLUTION, f"{message}, below {target_ppi}; use a larger original if there is one", **_where(placed)
    )


def _overflows(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float], vertical: bool = True
) -> bool:
    left, top, right, bottom = inner
    o_left, o_top, o_right, o_bottom = outer
    horizontal = left < o_left - TOLERANCE_PX or right > o_right + TOLERANCE_PX
    return horizontal or (vertical and (top < o_top - TOLERANCE_PX or bottom > o_bottom + TOLERANCE_PX))


def _rect(box, kind: str = "border") -> tuple[float, float, float, float]:
    if kind == "content":
        x, y, w, h = box.content_box_x(), box.content_box_y(), box.width, box.height
    elif kind == "padding":
        x, y, w, h = box.padding_box_x(), box.padding_box_y(), box.padding_width(), box.padding_height()
    else:
        x, y, w, h = box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height()
    return x, y, x + w, y + h


def _visible_rect(box) -> tuple[float, float, float, float] | None:
    if isinstance(box, boxes.TextBox):
        if not _text(box).strip():
            return None
        return box.position_x, box.position_y, box.position_x + box.width, box.position_y + box.height
    if isinstance(box, (boxes.ReplacedBox, boxes.BlockBox)) and not isinstance(box, boxes.LineBox):
        return _rect(box)
    return None


def check_overflow(placed: Placed, laid_out) -> list[Problem]:
    """Overset (beyond the container or page area) and content clipped by overflow: hidden."""
    box = placed.box
    rect = _visible_rect(box)
    if rect is None or placed.margin_box or getattr(box, "element_tag", "") in ("html", "body"):
        return []
    findings = []
    kind = "text" if isinstance(box, boxes.TextBox) else "box"
    if placed.in_bleed_element and kind == "box":
        return []  # photos and colour areas of cover and full-bleed pages reach into the bleed on purpose
    for container in reversed(placed.containers):
        if container.style["overflow"] == "hidden" and _overflows(rect, _rect(container, "padding")):
            return [
                _error(
                    Code.CLIPPED,
                    f"{kind} is cut off by {_describe(container.element) or 'its container'}, "
                    "which hides what overflows (overflow: hidden); shorten the content or give the "
                    "container more room",
                    **_where(placed),
                )
            ]
    for container in reversed(placed.containers):
        fixed_height = container.style["height"] != "auto"
        if (isinstance(box, boxes.TextBox) or fixed_height) and container.style["overflow"] != "hidden":
            if _overflows(rect, _rect(container, "content"), vertical=fixed_height):
                label = _describe(container.element) or "its container"
                return [
                    _error(
                        Code.OVERSET,
                        f"{kind} runs out of its box ({label}); shorten it, allow hyphenation or give "
                        "the container more room",
                        **_where(placed),
                    )
                ]
        if isinstance(box, boxes.TextBox):
            break  # text is judged against its own block only
    if not placed.in_bleed_element and _overflows(rect, _rect(laid_out, "content")):
        findings.append(
            _error(
                Code.OVERSET,
                f"{kind} runs out of the page area into the margin; shorten it or make it smaller",
                **_where(placed),
            )
        )
    return findings


def check_safety_zone(placed: Placed, page_width: float, page_height: float) -> Problem | None:
    box = placed.box
    if not isinstance(box, boxes.TextBox) or not _text(box).strip():
        return None
    zone = SAFETY_ZONE_MM * PX_PER_MM
    left, top = box.position_x, box.position_y
    right, bottom = left + box.width, top + box.height
    if left >= zone and top >= zone and right <= page_width - zone and bottom <= page_height - zone:
        return None
    distance = min(left, top, page_width - right, page_height - bottom) / PX_PER_MM
    return _error(
        Code.SAFETY_ZONE,
        f"text '{_text(box).strip()[:30]}' is {max(distance, 0):.1f} mm from the trim, "
        f"inside the {SAFETY_ZONE_MM:g} mm safety zone; it may be cut off. Move it further in",
        **_where(placed),
    )


def check_colour(placed: Placed) -> Problem | None:
    """In a CMYK layout every colour of a box must be device-cmyk(); sRGB becomes RGB in the PDF."""
    box = placed.box
    if not hasattr(box, "style") or placed.margin_box and not isinstance(box, boxes.TextBox):
        return None
    keys = ["background_color"] + [
        f"border_{side}_color" for side in ("top", "right", "bottom", "left") if box.style[f"border_{side}_width"]
    ]
    if isinstance(box, boxes.TextBox) and _text(box).strip():
        keys.append("color")
    for key in keys:
        colour = get_color(box.style, key)
        if colour.alpha and colour.space != "device-cmyk":
            name = key.replace("_", "-")
            return _error(
                Code.RGB_COLOUR,
                f"{name} is an RGB colour ({colour}); use a theme colour (var(--name)) "
                "so that print gets its CMYK value",
                **_where(placed),
            )
    return None


def font_names(path: Path) -> tuple[set[str], set[int], str] | None:
    """A font file's family names (lower case), the characters it can draw as the build loads it
    (render/typeset.py adds the break hyphen) and its PostScript name; None if it cannot be read."""
    try:
        font = TTFont(path, lazy=True)
        names = font["name"]
        families = {str(name).lower() for name in (names.getDebugName(16), names.getDebugName(1),
                                                   names.getDebugName(4)) if name}
        return families, break_hyphen_coverage(font.getBestCmap() or {}), str(names.getDebugName(6) or "")
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a usable font
        return None


class FontCoverage:
    """The font families of the project and the characters each can draw: every file in the font
    folders by the family names written inside it, and every `@font-face` family of the stylesheets
    by the name the theme gives it. Each problem is reported once, at its first place, with a count."""

    def __init__(self, font_dirs: list[Path], faces: dict[str, list[Path]] | None = None):
        self.characters: dict[str, set[int]] = {}
        self.postscript_names: set[str] = set()
        files = [path for directory in font_dirs for path in sorted(directory.rglob("*"))
                 if path.suffix.lower() in FONT_SUFFIXES]
        for path in files:
            read = font_names(path)
            if read:
                for family in read[0]:
                    self.characters.setdefault(family, set()).update(read[1])
                self.postscript_names.add(read[2])
        for family, paths in (faces or {}).items():
            covered = self.characters.setdefault(family, set())
            for path in paths:
                read = font_names(path)
                if read:
                    covered.update(read[1])
                    self.postscript_names.add(read[2])
        self._fallback: dict[str, list[Placed]] = {}
        self._missing: dict[str, tuple[str, list[Placed]]] = {}

    def check(self, placed: Placed) -> list[Problem]:
        """Note the box's text; the problems come from `findings()` once every box is seen."""
        box = placed.box
        if not isinstance(box, boxes.TextBox) or not _text(box).strip():
            return []
        families = [family for family in box.style["font_family"] if family.lower() in self.characters]
        if not families:
            self._fallback.setdefault(box.style["font_family"][0], []).append(placed)
            return []
        covered = set().union(*(self.characters[family.lower()] for family in families))
        for char in _text(box):
            if ord(char) not in covered and unicodedata.category(char) not in ("Zs", "Cc", "Cf"):
                self._missing.setdefault(char, (families[0], []))[1].append(placed)
        return []

    def findings(self) -> list[Problem]:
        found = []
        for family, places in self._fallback.items():
            found.append(_error(
                Code.FONT_FALLBACK,
                f"font '{family}' is not in assets/fonts nor named by an @font-face rule of the theme, so "
                f"another of the project's fonts stands in{_elsewhere(places)}; add the font files to assets/fonts "
                "(with an @font-face rule) or use a font that is there",
                **_where(places[0]),
            ))
        for char, (family, places) in self._missing.items():
            tags = [getattr(box, "element_tag", "") for box in (places[0].box, *places[0].containers)]
            generated = next((tag for tag in tags if "::" in tag), "")
            cause = (f"it comes from the stylesheet ({generated}), not from the text: change the stylesheet or "
                     "use a font that has it" if generated else "replace the character or use a font that has it")
            found.append(_error(
                Code.MISSING_GLYPH,
                f"{family} has no glyph for '{char}' (U+{ord(char):04X}){_elsewhere(places)}; an empty box is "
                f"printed instead (the build uses the project's fonts only): {cause}",
                **_where(places[0]),
            ))
        return found


SVG_TEXT = {"text", "tspan", "textPath"}


def _svg_families(attributes: dict[str, str]) -> str | None:
    style = re.search(r"font-family\s*:\s*([^;]+)", attributes.get("style", ""))
    return style.group(1) if style else attributes.get("font-family")


def check_svg_text(path: Path, shown: str, coverage: FontCoverage) -> list[Problem]:
    """Text in an SVG (a logo) is set by the build like any other text: in a family the project has
    files for, or else in a system font. Each text element in another family is an error at its line."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    parser = expat.ParserCreate()
    stack: list[tuple[str, str | None, int]] = []  # element, its font-family (inherited), its line
    texts: list[tuple[str | None, int, list[str]]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(":", 1)[-1]
        family = _svg_families(attributes) or (stack[-1][1] if stack else None)
        stack.append((local, family, parser.CurrentLineNumber))
        if local in SVG_TEXT and not (stack[:-1] and stack[-2][0] in SVG_TEXT):
            texts.append((family, parser.CurrentLineNumber, []))

    def end(name: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        if stack and any(element in SVG_TEXT for element, _, _ in stack) and texts:
            texts[-1][2].append(data)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return []  # an SVG that cannot be read is reported where the logo is loaded
    findings = []
    for family, line, text in texts:
        words = " ".join("".join(text).split())
        if not words:
            continue
        names = [name.strip().strip("'\"").lower() for name in (family or "").split(",")]
        if any(name in coverage.characters for name in names):
            continue
        set_in = f"'{family.strip()}'" if family else "no font-family, so the computer's default font"
        findings.append(_error(Code.SVG_FONT, f"the text '{words[:30]}' in {path.name} is set in {set_in}, for "
                               "which the project has no font file, so another of the project's fonts stands in "
                               "and the logo does not print as drawn; convert the text to outlines (paths) in the "
                               "drawing program, or name a family of the project's fonts", source=f"{shown}:{line}"))
    return findings


def _elsewhere(places: list[Placed]) -> str:
    others = {(place.page, place.source) for place in places[1:]} - {(places[0].page, places[0].source)}
    if not others:
        return ""
    pages = sorted({page for page, _ in others})
    shown = ", ".join(str(page) for page in pages[:8]) + (", ..." if len(pages) > 8 else "")
    places_word = "place" if len(others) == 1 else "places"
    return f" (here and in {len(others)} more {places_word}, on page{'s' * (len(pages) != 1)} {shown})"


def _line_count(box) -> int:
    return sum(1 for child in box.descendants() if isinstance(child, boxes.LineBox) and child is not box)


def check_layout(document) -> list[Problem]:
    """Widows, orphans and headings left at the bottom of a column."""
    blocks = []
    for placed in walk(document):
        node = getattr(placed.box, "element", None)
        if (
            isinstance(placed.box, boxes.BlockBox)
            and node is not None
            and node.get("data-line")
            and getattr(placed.box, "element_tag", node.tag) == node.tag
            and not placed.margin_box
            and node.tag in ("p", "h2", "h3", "h4", "h5", "figure", "aside", "blockquote", "ul", "ol", "table", "dl")
        ):
            if not any(getattr(parent, "element", None) is node for parent in placed.containers[-1:]):
                blocks.append(placed)
    findings = []
    fragments: dict[int, list[Placed]] = {}
    for placed in blocks:
        fragments.setdefault(id(placed.box.element), []).append(placed)
    for parts in fragments.values():
        if len(parts) < 2 or parts[0].box.element.tag != "p":
            continue
        first, last = parts[0], parts[-1]
        if _line_count(first.box) == 1:
            findings.append(
                _warning(
                    Code.ORPHAN,
                    "the first line of this paragraph stands alone at the bottom of a "
                    "column; edit the text or the spacing",
                    **_where(first),
                )
            )
        if _line_count(last.box) == 1:
            findings.append(
                _warning(
                    Code.WIDOW,
                    "the last line of this paragraph stands alone at the top of a column; edit the text or the spacing",
                    **_where(last),
                )
            )
    for placed, following in zip(blocks, blocks[1:]):
        if placed.box.element.tag in ("h2", "h3", "h4", "h5") and placed.box.element is not following.box.element:
            same_column = (
                placed.page == following.page and abs(placed.box.position_x - following.box.position_x) < TOLERANCE_PX
            )
            if not same_column:
                findings.append(
                    _warning(
                        Code.HEADING_AT_BOTTOM,
                        "the heading is the last thing in its column and its text starts in the next one; move it over",
                        **_where(placed),
                    )
                )
    return findings


def has_blank_marker(page) -> bool:
    return any(
        BLANK_CLASS in (box.element.get("class", "") or "")
        for box in page_box(page).descendants()
        if getattr(box, "element", None) is not None
    )


def check_padding(document, binding: str) -> list[Problem]:
    """Blank pages the build added so that the page count suits the binding: fine, but worth knowing."""
    padded = [number for number, page in enumerate(document.pages, start=1) if has_blank_marker(page)]
    if not padded:
        return []
    which = f"page {padded[0]}" if len(padded) == 1 else f"pages {padded[0]}–{padded[-1]}"
    return [
        _warning(
            Code.PADDING,
            f"{len(padded)} blank page{'s' * (len(padded) != 1)} ({which}) added before the "
            f"colofon so that the {len(document.pages)} pages suit {binding}; add or cut content to do "
            "without them",
            page=padded[0],
        )
    ]


def check_empty_pages(document) -> list[Problem]:
    findings = []
    for number, page in enumerate(document.pages, start=1):
        if is_blank_page(page):
            continue
        if has_blank_marker(page):
            continue
        content = [
            box
            for child in page_box(page).children
            if not isinstance(child, boxes.MarginBox)
            for box in child.descendants()
        ]
        visible = any(
            (isinstance(box, boxes.TextBox) and _text(box).strip())
            or isinstance(box, boxes.ReplacedBox)
            or (
                hasattr(box, "style")
                and get_color(box.style, "background_color").alpha
                and box.element_tag not in ("html", "body")
            )
            for box in content
        )
        if not visible:
            findings.append(
                _error(
                    Code.EMPTY_PAGE,
                    "the page is empty; remove what forces the page break, or mark a "
                    f"page left blank on purpose with class '{BLANK_CLASS}'",
                    page=number,
                )
            )
    return findings


EMPTY_FRACTION = 0.40
"""A page emptier than this, with more of the text still to come, is a gap a designer would send back."""
SHORT_TAIL_LINES = 5
FORCED_BREAKS = {"page", "left", "right", "recto", "verso"}
PARTS = {"article", "section", "body", "html"}
"""The parts of a publication (articles, the colofon, the covers) that start on a new page by design."""
KEEP_WHOLE = {"table": "table", "aside.box": "box", "section.colofon-page": "colofon"}
"""Elements that should never be split over pages, by tag and class, and what a message calls them."""


@dataclass
class _Page:
    number: int
    bottom: float = 0.0
    """The lowest text, photo or coloured area on the page, in px from the top."""
    lines: int = 0
    photos: int = 0
    starts_break: bool = False
    """A part of the publication (an article, the colofon, the back cover) starts on this page, on a
    page of its own by design."""
    starts_article: bool = False
    """An article starts on this page: the text before it ends on the page before, which is filled by
    design (a larger photo, a pull quote or box moved there) unless the colofon or the end follows."""
    forced: Placed | None = None
    """An element inside an article that starts this page by a forced break (a box or photo that is a
    page of its own): a deliberate end of the text before it only if the article ends with it; if the
    text goes on after it, that text could have filled the page."""
    forced_in: int | None = None
    skip: bool = False
    """A cover, full-bleed, colofon or blank page: designed as it is."""
    first: Placed | None = None
    """The first block on the page that names its source."""
    continues: bool = False
    """The page continues an article begun on an earlier page."""


def _kept_whole(node) -> str | None:
    classes = node.get("class", "").split()
    for key, name in KEEP_WHOLE.items():
        tag, _, cls = key.partition(".")
        if node.tag == tag and (not cls or cls in classes):
            return name
    return None


def check_pages(document) -> list[Problem]:
    """Pages a designer would send back: a page more than 40 % empty mid-article (what comes next did
    not fit below), a colofon, box or table split over pages, and an article's last few lines alone on
    a page. The end of the publication and a page before a forced break (a new article, the colofon)
    may be as empty as they are."""
    pages = [_Page(number) for number in range(1, len(document.pages) + 1)]
    first_page: dict[int, int] = {}
    last_page: dict[int, int] = {}
    split: dict[int, tuple[str, list[Placed]]] = {}
    for placed in walk(document):
        page, box = pages[placed.page - 1], placed.box
        if placed.margin_box:
            continue
        node = getattr(box, "element", None)
        if node is not None and getattr(box, "element_tag", "") == node.tag:
            began = first_page.setdefault(id(node), placed.page)
            last_page[id(node)] = placed.page
            if began == placed.page and box.style["break_before"] in FORCED_BREAKS:
                if node.tag in PARTS:
                    page.starts_break = True
                    page.starts_article = page.starts_article or node.tag == "article"
                elif page.forced is None and placed.source:
                    page.forced = placed
                    article = next((c.element for c in reversed(placed.containers)
                                    if getattr(c, "element_tag", "") == "article"), None)
                    page.forced_in = id(article) if article is not None else None
                if box.style["break_after"] in FORCED_BREAKS:
                    page.skip = True  # a page of its own by design: a box or photo page
            classes = set(node.get("class", "").split())
            if classes & (BLEED_CLASSES | {"colofon-page", BLANK_CLASS}):
                page.skip = True
            if node.tag == "article" and began < placed.page:
                page.continues = True
            what = _kept_whole(node)
            if what and (isinstance(box, boxes.BlockBox) or node.tag == "table"):
                parts = split.setdefault(id(node), (what, []))[1]
                if not parts or parts[-1].page != placed.page:
                    parts.append(placed)
            if page.first is None and placed.source and node.get("data-line"):
                page.first = placed
        if isinstance(box, boxes.FootnoteAreaBox) or any(isinstance(c, boxes.FootnoteAreaBox)
                                                         for c in placed.containers):
            continue  # notes stand at the foot of the page, however little text is above them
        if isinstance(box, boxes.LineBox):
            page.lines += 1
        if isinstance(box, boxes.ReplacedBox):
            page.photos += 1
        visible = (isinstance(box, boxes.TextBox) and _text(box).strip()) or isinstance(box, boxes.ReplacedBox) or (
            hasattr(box, "style") and get_color(box.style, "background_color").alpha
            and getattr(box, "element_tag", "") not in ("html", "body"))
        if visible:
            page.bottom = max(page.bottom, box.position_y + (box.height if isinstance(box, boxes.TextBox)
                                                              else box.border_height()))
    findings = []
    for what, parts in split.values():
        if len(parts) > 1:
            numbers = " and ".join(str(part.page) for part in parts) if len(parts) == 2 else \
                f"{parts[0].page} to {parts[-1].page}"
            findings.append(_warning(Code.SPLIT, f"the {what} is split over pages {numbers}; keep it on one page "
                                     "(shorten it, or move it, or the text before it) unless it is longer than a "
                                     "page", **_where(parts[0])))
    content = [page for page, printed in zip(pages, document.pages) if not is_blank_page(printed)
               and not has_blank_marker(printed)]
    for page, following in zip(content, content[1:] + [None]):
        if page.skip or page.number == content[-1].number:
            continue
        laid_out = page_box(document.pages[page.number - 1])
        top, height = laid_out.content_box_y(), laid_out.height
        empty = (top + height - page.bottom) / height if page.bottom else 1.0
        ends_article = following is not None and following.forced is not None and \
            last_page.get(following.forced_in) == following.number
        part_ends = following is None or following.starts_break or ends_article or \
            (following.skip and following.forced is None)
        # A deliberate break: the end of the publication, the colofon or back cover next, or a page of
        # its own by design (a full-bleed photo) within an article. An article's end is not one: the
        # page it leaves empty is filled by design (a larger photo, a pull quote or box moved there).
        deliberate = following is None or (following.starts_break and not following.starts_article) or \
            (following.skip and following.forced is None and not following.starts_article)
        if part_ends and page.continues and not page.photos and page.lines <= SHORT_TAIL_LINES and page.first:
            findings.append(_warning(Code.SHORT_TAIL, f"the last {page.lines} line{'s' * (page.lines != 1)} of the "
                                     "article stand alone on this page; cut a few lines from the article, or make "
                                     "room for them on the page before", **_where(page.first)))
        elif not deliberate and empty > EMPTY_FRACTION and following is not None and following.first:
            after = following.forced or following.first
            why = ("starts a page of its own by design, so the text before it ends here; move it to where the "
                   "text before it fills its page" if following.forced else
                   "starts on a new page, so the article before it ends here; fill its last page with a larger "
                   "photo, a pull quote or a box moved there" if following.starts_article else
                   "did not fit below, so the rest of the page stays blank; make it smaller, move it further on, "
                   "or let the text run on before it")
            findings.append(_warning(
                Code.PAGE_GAP, f"page {page.number} is {empty:.0%} empty: what follows ({after.element}, on page "
                f"{after.page}) {why}", page=page.number, element=after.element,
                source=after.source, area=(round(laid_out.content_box_x() / PX_PER_MM, 1),
                                           round(page.bottom / PX_PER_MM, 1), round(laid_out.width / PX_PER_MM, 1),
                                           round((top + height - page.bottom) / PX_PER_MM, 1))))
    return findings


def check_boxes(document, target_ppi: int, fonts: FontCoverage, cmyk: bool) -> list[Problem]:
    findings: list[Problem] = []
    page_boxes = [page_box(page) for page in document.pages]
    for placed in walk(document):
        laid_out = page_boxes[placed.page - 1]
        for finding in (
            check_image_resolution(placed, target_ppi),
            check_safety_zone(placed, laid_out.margin_width(), laid_out.margin_height()),
            check_colour(placed) if cmyk else None,
        ):
            if finding:
                findings.append(finding)
        findings += check_overflow(placed, laid_out)
        fonts.check(placed)
    return findings + fonts.findings()


SMALL_TEXT_PT = 9.0
"""Text below this size, printed in two or more inks, blurs at the slightest misregistration."""


def check_small_text_inks(document) -> list[Problem]:
    """Small text in a colour of more than one ink (in a CMYK layout): one warning per element and
    colour on a page, its lines together. Folios and running heads too (they have no source line)."""
    found: dict[tuple, list] = {}
    for placed in walk(document):
        box = placed.box
        if not isinstance(box, boxes.TextBox) or not _text(box).strip():
            continue
        size_pt = box.style["font_size"] / PX_PER_PT
        colour = get_color(box.style, "color")
        if size_pt >= SMALL_TEXT_PT - 0.01 or colour.space != "device-cmyk" or not colour.alpha:
            continue
        inks = [name for name, value in zip("CMYK", colour.coordinates) if value > 0.005]
        if len(inks) < 2:
            continue
        element = placed.element or ("folio or running head" if placed.margin_box else "")
        key = (placed.page, element, placed.source, tuple(colour.coordinates), round(size_pt, 1))
        found.setdefault(key, []).append(_mm_area(box))
    findings = []
    for (page, element, source, coordinates, size_pt), areas in found.items():
        left, top = min(area[0] for area in areas), min(area[1] for area in areas)
        right = max(area[0] + area[2] for area in areas)
        bottom = max(area[1] + area[3] for area in areas)
        shown = " ".join(f"{name} {value * 100:.0f}" for name, value in zip("CMYK", coordinates) if value > 0.005)
        findings.append(_warning(
            Code.SMALL_TEXT_INKS, f"text of {size_pt:g} pt is printed in {len(shown.split()) // 2} inks ({shown}); "
            f"below {SMALL_TEXT_PT:g} pt the slightest misregistration of the plates blurs it. Set small text in "
            "one ink: 100% K, a tint of black, or a colour of a single process ink",
            page=page, element=element, source=source,
            area=(round(left, 1), round(top, 1), round(right - left, 1), round(bottom - top, 1))))
    return findings


def pages_by_source(document) -> dict[str, int]:
    pages: dict[str, int] = {}
    for placed in walk(document):
        if placed.source:
            pages.setdefault(placed.source, placed.page)
    return pages
