"""Preflight: what a print shop's preflight would catch, found before the file leaves the building.

Three kinds of checks: the content (photos, alt text, credits), the laid-out document
(WeasyPrint's boxes: resolution, overset, clipping, safety zone, fonts, colours, layout)
and the final PDF (page boxes, page count, fonts embedded, RGB, ink coverage). Each
finding names its page, its element and, where the box came from Markdown, its source
file and line.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tempfile
import unicodedata
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import pikepdf
from fontTools.ttLib import TTFont
from PIL import Image
from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes
from weasyprint.images import RasterImage
from weasyprint.layout.absolute import AbsolutePlaceholder

from .errors import Issue, Severity

PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4
SAFETY_ZONE_MM = 5.0
TOLERANCE_PX = 0.75
"""Sub-pixel differences in layout are rounding, not overset."""
BLEED_CLASSES = {"cover", "back-cover", "full-bleed"}
"""Elements that reach into the bleed on purpose."""
BLANK_CLASS = "intentionally-blank"
LOW_PPI_ERROR = 150
INK_CHECK_DPI = 36
BINDING_MULTIPLE = {"saddle-stitch": 4, "perfect-bound": 2, "loose": 1}
IMAGE_ISSUE_CHECKS = {"photo": "image-missing", "image-unreadable": "image-unreadable",
                      "image-damaged": "image-unreadable", "image-too-large": "image-unreadable"}


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    check: str
    message: str
    page: int | None = None
    """1-based page number, where the problem is on a page."""
    element: str = ""
    source: str = ""
    """file:line of the Markdown or YAML the element came from, where known."""
    area: tuple[float, float, float, float] | None = None
    """x, y, width, height in mm from the top left of the trimmed page, to mark the problem."""

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"page {self.page}" if self.page else "", self.element) if part)
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.severity}: [{self.check}] {self.message}" + (f" ({where})" if where else "")


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    pages: int
    standard: str
    binding: str
    forced: bool = False
    blank_pages: tuple[int, ...] = ()
    """Pages left empty on purpose (by a break to a right or left page)."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def passed(self) -> bool:
        return not self.errors

    def _counts(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"

    def summary(self) -> str:
        return f"Preflight {'passed' if self.passed else 'NOT passed'}: {self._counts()} on {self.pages} pages."

    def verdict(self, slug: str) -> str:
        """One line for the manifest."""
        counts = self._counts()
        state = "passed" if self.passed else "NOT passed (written with --force)" if self.forced else "NOT passed"
        return f"{state}: {counts}, see {slug}-preflight.html"

    def to_json(self) -> bytes:
        data = {"passed": self.passed, "forced": self.forced, "pages": self.pages, "standard": self.standard,
                "binding": self.binding, "blank_pages": list(self.blank_pages), "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [asdict(finding) for finding in self.findings]}
        return json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"

    def as_issues(self) -> list[Issue]:
        issues = []
        for f in self.findings:
            context = [f"page {f.page}"] if f.page and f.source else []
            context += [f.element] if f.element else []
            issues.append(Issue(f.source or (f"page {f.page}" if f.page else "preflight"), None,
                                f"[{f.check}] {f.message}" + (f" ({', '.join(context)})" if context else ""),
                                Severity.ERROR if f.severity == "error" else Severity.WARNING, f"preflight-{f.check}"))
        return issues


def _error(check: str, message: str, **where) -> Finding:
    return Finding("error", check, message, **where)


def _warning(check: str, message: str, **where) -> Finding:
    return Finding("warning", check, message, **where)


# ---- Content ---------------------------------------------------------------------------------

def findings_from_issues(issues: list[Issue] | tuple[Issue, ...]) -> list[Finding]:
    """Problems the build found before layout (a missing photo stops it) as findings."""
    return [Finding("error" if issue.is_error else "warning", IMAGE_ISSUE_CHECKS.get(issue.code, "content"),
                    issue.message, source=issue.path + (f":{issue.line}" if issue.line else ""))
            for issue in issues if issue.code != "weasyprint"]


def check_figures(articles, pages_by_source: dict[str, int]) -> list[Finding]:
    findings = []
    for article in articles:
        for figure in article.figures:
            source = f"{figure.source}:{figure.line}"
            where = dict(page=pages_by_source.get(source), element=f"photo {figure.src}", source=source)
            if not figure.alt:
                findings.append(_warning("alt-text", f"photo '{figure.src}' has no alt text; add "
                                         "fig-alt=\"what the photo shows\" for readers who cannot see it", **where))
            if not figure.credit:
                findings.append(_warning("credit", f"photo '{figure.src}' has no credit; add credit=\"photographer\"",
                                         **where))
    return findings


# ---- The laid-out boxes ----------------------------------------------------------------------

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
        yield from _walk(page._page_box, number, "", "", "", False, (), False)


def _walk(box, page: int, element: str, source_file: str, line: str, bleed: bool, containers, margin) -> Iterator[Placed]:
    if isinstance(box, AbsolutePlaceholder):
        box = box._box  # absolutely positioned and floated boxes sit in a placeholder
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
    return (round(x / PX_PER_MM, 1), round(y / PX_PER_MM, 1), round(box.border_width() / PX_PER_MM, 1),
            round(box.border_height() / PX_PER_MM, 1))


def _where(placed: Placed) -> dict:
    return dict(page=placed.page, element=placed.element, source=placed.source, area=_mm_area(placed.box))


def _text(box) -> str:
    return getattr(box, "text", "") or ""


def check_image_resolution(placed: Placed, target_ppi: int) -> Finding | None:
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
    message = (f"photo is {image.width}×{image.height} px at {box.width / PX_PER_MM:.0f}×"
               f"{box.height / PX_PER_MM:.0f} mm: {ppi:.0f} ppi effective")
    if ppi < LOW_PPI_ERROR:
        return _error("image-resolution", f"{message}, below {LOW_PPI_ERROR}; it will print visibly blurred. Use a "
                      f"larger original or place it smaller", **_where(placed))
    return _warning("image-resolution", f"{message}, below {target_ppi}; use a larger original if there is one",
                    **_where(placed))


def _overflows(inner: tuple[float, float, float, float], outer: tuple[float, float, float, float],
               vertical: bool = True) -> bool:
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


def check_overflow(placed: Placed, page_box) -> list[Finding]:
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
            return [_error("clipped", f"{kind} is cut off by {_describe(container.element) or 'its container'}, "
                           "which hides what overflows (overflow: hidden); shorten the content or give the "
                           "container more room", **_where(placed))]
    for container in reversed(placed.containers):
        fixed_height = container.style["height"] != "auto"
        if (isinstance(box, boxes.TextBox) or fixed_height) and container.style["overflow"] != "hidden":
            if _overflows(rect, _rect(container, "content"), vertical=fixed_height):
                label = _describe(container.element) or "its container"
                return [_error("overset", f"{kind} runs out of its box ({label}); shorten it, allow hyphenation or give "
                               "the container more room", **_where(placed))]
        if isinstance(box, boxes.TextBox):
            break  # text is judged against its own block only
    if not placed.in_bleed_element and _overflows(rect, _rect(page_box, "content")):
        findings.append(_error("overset", f"{kind} runs out of the page area into the margin; shorten it or make "
                               "it smaller", **_where(placed)))
    return findings


def check_safety_zone(placed: Placed, page_width: float, page_height: float) -> Finding | None:
    box = placed.box
    if not isinstance(box, boxes.TextBox) or not _text(box).strip():
        return None
    zone = SAFETY_ZONE_MM * PX_PER_MM
    left, top = box.position_x, box.position_y
    right, bottom = left + box.width, top + box.height
    if left >= zone and top >= zone and right <= page_width - zone and bottom <= page_height - zone:
        return None
    distance = min(left, top, page_width - right, page_height - bottom) / PX_PER_MM
    return _error("safety-zone", f"text '{_text(box).strip()[:30]}' is {max(distance, 0):.1f} mm from the trim, "
                  f"inside the {SAFETY_ZONE_MM:g} mm safety zone; it may be cut off. Move it further in",
                  **_where(placed))


def check_colour(placed: Placed) -> Finding | None:
    """In a CMYK layout every colour of a box must be device-cmyk(); sRGB becomes RGB in the PDF."""
    box = placed.box
    if not hasattr(box, "style") or placed.margin_box and not isinstance(box, boxes.TextBox):
        return None
    keys = ["background_color"] + [f"border_{side}_color" for side in ("top", "right", "bottom", "left")
                                   if box.style[f"border_{side}_width"]]
    if isinstance(box, boxes.TextBox) and _text(box).strip():
        keys.append("color")
    for key in keys:
        colour = get_color(box.style, key)
        if colour.alpha and colour.space != "device-cmyk":
            name = key.replace("_", "-")
            return _error("rgb-colour", f"{name} is an RGB colour ({colour}); use a theme colour (var(--name)) "
                          "so that print gets its CMYK value", **_where(placed))
    return None


class FontCoverage:
    """The font families in assets/fonts and the characters each can draw."""

    def __init__(self, font_dirs: list[Path]):
        self.characters: dict[str, set[int]] = {}
        for directory in font_dirs:
            for path in sorted(directory.rglob("*")):
                if path.suffix.lower() not in (".ttf", ".otf", ".woff", ".woff2"):
                    continue
                try:
                    font = TTFont(path, lazy=True)
                    names = font["name"]
                    family = str(names.getDebugName(16) or names.getDebugName(1))
                    self.characters.setdefault(family.lower(), set()).update(font.getBestCmap() or {})
                except Exception:  # noqa: BLE001 - an unreadable file is simply not a usable font
                    continue

    def check(self, placed: Placed) -> list[Finding]:
        box = placed.box
        if not isinstance(box, boxes.TextBox) or not _text(box).strip():
            return []
        family = box.style["font_family"][0]
        covered = self.characters.get(family.lower())
        if covered is None:
            return [_error("font-fallback", f"font '{family}' is not in assets/fonts, so a system font is used "
                           "instead; add the font files to assets/fonts or use a font that is there", **_where(placed))]
        missing = sorted({char for char in _text(box) if ord(char) not in covered
                          and unicodedata.category(char) not in ("Zs", "Cc", "Cf")})
        if missing:
            shown = ", ".join(f"'{char}' (U+{ord(char):04X})" for char in missing)
            return [_error("missing-glyph", f"{family} has no glyph for {shown}; another font or an empty box is "
                           "printed instead. Replace the character or use a font that has it", **_where(placed))]
        return []


def _line_count(box) -> int:
    return sum(1 for child in box.descendants() if isinstance(child, boxes.LineBox) and child is not box)


def check_layout(document) -> list[Finding]:
    """Widows, orphans and headings left at the bottom of a column."""
    blocks = []
    for placed in walk(document):
        node = getattr(placed.box, "element", None)
        if (isinstance(placed.box, boxes.BlockBox) and node is not None and node.get("data-line")
                and getattr(placed.box, "element_tag", node.tag) == node.tag and not placed.margin_box
                and node.tag in ("p", "h2", "h3", "h4", "figure", "aside", "blockquote", "ul", "ol")):
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
            findings.append(_warning("orphan", "the first line of this paragraph stands alone at the bottom of a "
                                     "column; edit the text or the spacing", **_where(first)))
        if _line_count(last.box) == 1:
            findings.append(_warning("widow", "the last line of this paragraph stands alone at the top of a "
                                     "column; edit the text or the spacing", **_where(last)))
    for placed, following in zip(blocks, blocks[1:]):
        if placed.box.element.tag in ("h2", "h3", "h4") and placed.box.element is not following.box.element:
            same_column = (placed.page == following.page
                           and abs(placed.box.position_x - following.box.position_x) < TOLERANCE_PX)
            if not same_column:
                findings.append(_warning("heading-at-bottom", "the heading is the last thing in its column and "
                                         "its text starts in the next one; move it over", **_where(placed)))
    return findings


def _has_blank_marker(page) -> bool:
    return any(BLANK_CLASS in (box.element.get("class", "") or "")
               for box in page._page_box.descendants() if getattr(box, "element", None) is not None)


def check_padding(document, binding: str) -> list[Finding]:
    """Blank pages the build added so that the page count suits the binding: fine, but worth knowing."""
    padded = [number for number, page in enumerate(document.pages, start=1) if _has_blank_marker(page)]
    if not padded:
        return []
    which = f"page {padded[0]}" if len(padded) == 1 else f"pages {padded[0]}–{padded[-1]}"
    return [_warning("padding", f"{len(padded)} blank page{'s' * (len(padded) != 1)} ({which}) added before the "
                     f"colofon so that the {len(document.pages)} pages suit {binding}; add or cut content to do "
                     "without them", page=padded[0])]


def check_empty_pages(document) -> list[Finding]:
    findings = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        if page_box.page_type.blank:
            continue
        if _has_blank_marker(page):
            continue
        content = [box for child in page_box.children if not isinstance(child, boxes.MarginBox)
                   for box in child.descendants()]
        visible = any((isinstance(box, boxes.TextBox) and _text(box).strip()) or isinstance(box, boxes.ReplacedBox)
                      or (hasattr(box, "style") and get_color(box.style, "background_color").alpha
                          and box.element_tag not in ("html", "body"))
                      for box in content)
        if not visible:
            findings.append(_error("empty-page", "the page is empty; remove what forces the page break, or mark a "
                                   f"page left blank on purpose with class '{BLANK_CLASS}'", page=number))
    return findings


def check_boxes(document, target_ppi: int, fonts: FontCoverage, cmyk: bool) -> list[Finding]:
    findings: list[Finding] = []
    page_boxes = [page._page_box for page in document.pages]
    for placed in walk(document):
        page_box = page_boxes[placed.page - 1]
        for finding in (check_image_resolution(placed, target_ppi),
                        check_safety_zone(placed, page_box.margin_width(), page_box.margin_height()),
                        check_colour(placed) if cmyk else None):
            if finding:
                findings.append(finding)
        findings += check_overflow(placed, page_box)
        findings += fonts.check(placed)
    return findings


# ---- The PDF ---------------------------------------------------------------------------------

def check_page_count(pages: int, binding: str, shown: str) -> list[Finding]:
    multiple = BINDING_MULTIPLE[binding]
    if pages % multiple == 0:
        return []
    up = pages + (-pages) % multiple
    return [_error("page-count", f"{pages} pages cannot be bound {binding}, which needs a multiple of {multiple}; "
                   f"add or remove pages to reach {up} or {up - multiple}, or set print.binding", source=shown)]


PDFX_VERSIONS = {"x-4": "PDF/X-4", "x-1a": "PDF/X-1a:2003", "x-3": "PDF/X-3:2003"}


def check_pdfx(pdf: pikepdf.Pdf, standard: str) -> list[Finding]:
    """The file says which PDF/X it is and carries a CMYK output intent."""
    findings = []
    expected = PDFX_VERSIONS[standard]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        declared = xmp.get("pdfxid:GTS_PDFXVersion") if standard == "x-4" else \
            str(pdf.trailer.get("/Info", {}).get("/GTS_PDFXVersion", ""))
    if declared != expected:
        findings.append(_error("pdf-x", f"the file declares '{declared or 'no PDF/X version'}' instead of "
                               f"'{expected}'"))
    intents = [intent for intent in pdf.Root.get("/OutputIntents", []) if intent.get("/S") == "/GTS_PDFX"]
    profile = intents[0].get("/DestOutputProfile") if intents else None
    if profile is None or int(profile.get("/N", 0)) != 4:
        findings.append(_error("pdf-x", "the file has no PDF/X output intent with a CMYK (4-component) output "
                               "profile, so the print shop cannot tell which press it was made for"))
    return findings


def check_page_boxes(pdf: pikepdf.Pdf, bleed_mm: float) -> list[Finding]:
    findings = []
    trim_size = None
    for number, page in enumerate(pdf.pages, start=1):
        missing = [name for name in ("/TrimBox", "/BleedBox") if name not in page.obj]
        if missing:
            findings.append(_error("page-boxes", f"the page has no {' or '.join(m[1:] for m in missing)}; "
                                   "a print shop cannot tell where to cut", page=number))
            continue
        trim, bleed, media = ([float(v) for v in page.obj[name]] for name in ("/TrimBox", "/BleedBox", "/MediaBox"))
        expected = [trim[0] - bleed_mm * PT_PER_MM, trim[1] - bleed_mm * PT_PER_MM,
                    trim[2] + bleed_mm * PT_PER_MM, trim[3] + bleed_mm * PT_PER_MM]
        if any(abs(a - b) > 0.1 for a, b in zip(bleed, expected)):
            findings.append(_error("page-boxes", f"the BleedBox is not {bleed_mm:g} mm outside the TrimBox",
                                   page=number))
        if media[0] > bleed[0] + 0.1 or media[1] > bleed[1] + 0.1 or media[2] < bleed[2] - 0.1 \
                or media[3] < bleed[3] - 0.1:
            findings.append(_error("page-boxes", "the MediaBox does not contain the BleedBox", page=number))
        size = (round(trim[2] - trim[0], 1), round(trim[3] - trim[1], 1))
        if trim_size and size != trim_size:
            findings.append(_error("page-boxes", f"the trimmed size {size[0] / PT_PER_MM:.1f}×"
                                   f"{size[1] / PT_PER_MM:.1f} mm differs from page 1's", page=number))
        trim_size = trim_size or size
    return findings


def _fonts_of(resources, seen: set) -> Iterator[pikepdf.Dictionary]:
    if resources is None:
        return
    for font in (resources.get("/Font") or {}).values():
        if font.objgen not in seen:
            seen.add(font.objgen)
            yield font
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from _fonts_of(xobject.get("/Resources"), seen)


def check_fonts_embedded(pdf: pikepdf.Pdf) -> list[Finding]:
    findings = []
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        for font in _fonts_of(page.obj.get("/Resources"), seen):
            name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
            if font.get("/Subtype") == "/Type3":
                findings.append(_error("font-embedding", f"font '{name}' is a Type 3 font (a bitmap or drawing); "
                                       "use an OpenType or TrueType font from assets/fonts", page=number))
                continue
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None or not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                findings.append(_error("font-embedding", f"font '{name}' is not embedded; the print shop would "
                                       "print another font", page=number))
    return findings


def _drawn(stream, resources, seen: set) -> Iterator[tuple[str, object, object]]:
    """What a content stream uses, following the form XObjects it draws: ("op", (operands,
    operator), resources) for colour and graphics-state operators, ("image", (name, image), None)."""
    if stream.objgen in seen:
        return
    seen.add(stream.objgen)
    resources = stream.get("/Resources", resources)
    xobjects = (resources.get("/XObject") or {}) if resources is not None else {}
    for operands, operator in pikepdf.parse_content_stream(stream, "rg RG cs CS gs Do"):
        if str(operator) != "Do":
            yield "op", (operands, str(operator)), resources
            continue
        xobject = xobjects.get(str(operands[0]))
        if xobject is None:
            continue
        if xobject.get("/Subtype") == "/Image":
            yield "image", (str(operands[0]), xobject), None
        elif xobject.get("/Subtype") == "/Form":
            yield from _drawn(xobject, resources, seen)


def _page_drawn(page) -> Iterator[tuple[str, object, object]]:
    contents = page.obj.Contents
    seen: set = set()
    for content in contents if isinstance(contents, pikepdf.Array) else [contents]:
        yield from _drawn(content, page.obj.get("/Resources"), seen)


def _colour_family(space) -> tuple[str, int]:
    family = str(space[0] if isinstance(space, pikepdf.Array) else space)
    components = int(space[1].get("/N", 0)) if family == "/ICCBased" else 0
    return family, components


def _rgb_use(kind: str, item, resources, x1a: bool) -> str | None:
    """What is RGB (and for X-1a, device-independent) about one thing drawn, if anything."""
    if kind == "image":
        name, image = item
        family, components = _colour_family(image.get("/ColorSpace"))
        if family == "/DeviceRGB" or (family == "/ICCBased" and (components == 3 or x1a)):
            return f"image {name} in {family[1:]}"
        return None
    operands, operator = item
    if operator in ("rg", "RG"):
        return f"RGB colour {' '.join(f'{float(v):g}' for v in operands)} ({operator})"
    if operator in ("cs", "CS"):
        spaces = (resources.get("/ColorSpace") or {}) if resources is not None else {}
        family, components = _colour_family(spaces.get(str(operands[0]), operands[0]))
        if family == "/DeviceRGB" or (family == "/ICCBased" and components == 3):
            return f"the RGB colour space {operands[0]}"
        if x1a and family in ("/ICCBased", "/Lab"):
            return f"the device-independent colour space {operands[0]}, which PDF/X-1a does not allow"
    return None


def check_rgb(pdf: pikepdf.Pdf, standard: str) -> list[Finding]:
    findings = []
    x1a = standard == "x-1a"
    for number, page in enumerate(pdf.pages, start=1):
        found = [_rgb_use(kind, item, resources, x1a) for kind, item, resources in _page_drawn(page)]
        for what in dict.fromkeys(filter(None, found)):
            findings.append(_error("rgb-colour", f"the page uses {what}; PDF/X-{standard[2:]} for a CMYK press needs "
                                   "CMYK. Use theme colours and photos from the photo stage", page=number))
    return findings


def _transparency(kind: str, item, resources) -> str | None:
    if kind == "image":
        name, image = item
        return f"image {name} has a soft mask (transparency)" if image.get("/SMask") is not None else None
    operands, operator = item
    if operator != "gs" or resources is None:
        return None
    state = (resources.get("/ExtGState") or {}).get(str(operands[0]))
    if state is None:
        return None
    if float(state.get("/CA", 1)) < 1 or float(state.get("/ca", 1)) < 1:
        return f"opacity below 100% (graphics state {operands[0]})"
    if state.get("/SMask", pikepdf.Name.None_) != pikepdf.Name.None_:
        return f"a soft mask (graphics state {operands[0]})"
    if str(state.get("/BM", "/Normal")) not in ("/Normal", "/Compatible"):
        return f"the blend mode {state.BM} (graphics state {operands[0]})"
    return None


def check_transparency(pdf: pikepdf.Pdf, standard: str) -> list[Finding]:
    """PDF/X-1a and X-3 (PDF 1.4 for the press) allow no transparency; X-4 does."""
    if standard == "x-4":
        return []
    findings = []
    for number, page in enumerate(pdf.pages, start=1):
        found = [_transparency(kind, item, resources) for kind, item, resources in _page_drawn(page)]
        for what in dict.fromkeys(filter(None, found)):
            findings.append(_error("transparency", f"the page uses {what}; PDF/X-{standard[2:]} allows no "
                                   "transparency. Use PDF/X-4, or make the element opaque", page=number))
    return findings


def _at_an_eighth(jpeg: bytes, cache_dir: Path | None) -> Image.Image:
    cached = cache_dir / f"{hashlib.sha256(jpeg).hexdigest()[:24]}.tiff" if cache_dir else None
    if cached and cached.is_file():
        with Image.open(cached) as small:
            small.load()
            return small
    with Image.open(io.BytesIO(jpeg)) as photo:
        photo.draft(photo.mode, (max(1, photo.width // 8), max(1, photo.height // 8)))
        photo.load()  # Pillow undoes an Adobe JPEG's inverted CMYK itself
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            photo.save(partial, "TIFF")
            partial.replace(cached)
        return photo.copy()


def photos_at_an_eighth(pdf_bytes: bytes, cache_dir: Path | None = None) -> bytes:
    """The PDF with each JPEG photo decoded at an eighth of its size, for the ink check.

    Ghostscript spends nearly all its time decoding 300 ppi photos, of which a 36 dpi check
    uses one pixel in eight. libjpeg decodes at 1/8 for a third of the cost, each pixel the mean
    of an 8 x 8 block (0.7 mm at 300 ppi): ink is measured over areas that size, as a press feels
    it. With `cache_dir`, each photo is decoded once, like the photos the build prepares.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for image in pdf.objects:
            if not (isinstance(image, pikepdf.Stream) and image.get("/Subtype") == "/Image"
                    and image.get("/Filter") == "/DCTDecode"):
                continue
            photo = _at_an_eighth(image.read_raw_bytes(), cache_dir)
            image.write(photo.tobytes())  # no /Decode any more: the pixels are not inverted
            image.Width, image.Height, image.BitsPerComponent = photo.width, photo.height, 8
            for key in ("/Decode", "/DecodeParms"):
                if key in image:
                    del image[key]
        out = io.BytesIO()
        pdf.save(out, compress_streams=False)
        return out.getvalue()


def check_ink(pdf_bytes: bytes, max_ink: int, cache_dir: Path | None = None) -> list[Finding]:
    """Total area coverage per page, rendered in CMYK by Ghostscript."""
    import numpy  # imported by the ink check's own thread, beside the build, not at start-up
    findings = []
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "print.pdf"
        source.write_bytes(photos_at_an_eighth(pdf_bytes, cache_dir))
        try:
            result = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc",
                                     f"-r{INK_CHECK_DPI}", "-dUseTrimBox", f"-sOutputFile={scratch}/page-%03d.tif",
                                     str(source)], capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [_warning("ink-coverage", f"ink coverage not measured: Ghostscript could not run ({exc}); "
                             "install it with ./setup.sh")]
        if result.returncode != 0:
            return [_warning("ink-coverage", f"Ghostscript could not render the PDF to measure ink coverage: "
                             f"{result.stderr.strip()[:200]}")]
        for number, path in enumerate(sorted(Path(scratch).glob("page-*.tif")), start=1):
            with Image.open(path) as image:
                total = numpy.asarray(image.convert("CMYK"), dtype=numpy.int32).sum(axis=2) * 100 / 255
            over = total > max_ink + 1  # one step of 8-bit rounding per channel
            if over.any():
                rows, columns = numpy.nonzero(over)
                left, top, right, bottom = columns.min(), rows.min(), columns.max() + 1, rows.max() + 1
                area = tuple(round(float(v) * 25.4 / INK_CHECK_DPI, 1)
                             for v in (left, top, right - left, bottom - top))
                findings.append(_error("ink-coverage", f"up to {total.max():.0f}% total ink, above the "
                                       f"{max_ink}% the press allows; use a colour with less ink (rich black "
                                       "should stay under the limit too)", page=number, area=area))
    return findings


def check_pdf(pdf_bytes: bytes, settings, shown: str, ink: "Future[list[Finding]] | None" = None,
              ink_cache: Path | None = None) -> list[Finding]:
    """All checks of the finished file; `ink` is the ink check if it was started already."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        findings = check_pdfx(pdf, settings.standard)
        findings += check_page_count(len(pdf.pages), settings.binding, shown)
        findings += check_page_boxes(pdf, settings.bleed_mm)
        findings += check_fonts_embedded(pdf)
        findings += check_rgb(pdf, settings.standard)
        findings += check_transparency(pdf, settings.standard)
    return findings + (ink.result() if ink else check_ink(pdf_bytes, settings.max_ink, ink_cache))


# ---- All together ----------------------------------------------------------------------------

WEASYPRINT_CODES = ("weasyprint", "css-invalid")
"""WeasyPrint's warnings: as it logged them, or located in the stylesheet they came from."""


def _located(issue: Issue) -> str:
    return "" if issue.path == "weasyprint" else issue.path + (f":{issue.line}" if issue.line else "")


def pages_by_source(document) -> dict[str, int]:
    pages: dict[str, int] = {}
    for placed in walk(document):
        if placed.source:
            pages.setdefault(placed.source, placed.page)
    return pages


def ink_cache_dir(project) -> Path:
    """Where the ink check keeps its photos decoded at 1/8, beside the build's prepared photos."""
    return project.root / ".cache" / "ink"


def preflight(project, rendition, pdf_bytes: bytes, font_dirs: list[Path],
              ink: "Future[list[Finding]] | None" = None) -> Report:
    settings = project.config.print
    document = rendition.document
    findings = check_figures(rendition.articles, pages_by_source(document))
    findings += check_boxes(document, settings.ppi, FontCoverage(font_dirs), rendition.layout.colour_space == "cmyk")
    findings += check_layout(document)
    findings += check_empty_pages(document)
    findings += check_padding(document, settings.binding)
    findings += check_pdf(pdf_bytes, settings, project.config_display_path, ink, ink_cache_dir(project))
    findings += [_warning("weasyprint", issue.message, source=_located(issue))
                 for issue in rendition.issues if issue.code in WEASYPRINT_CODES]
    blank = tuple(number for number, page in enumerate(document.pages, start=1)
                  if page._page_box.page_type.blank or _has_blank_marker(page))
    return Report(tuple(dict.fromkeys(findings)), len(document.pages), settings.standard, settings.binding,
                  blank_pages=blank)


def failed_report(project, issues) -> Report:
    """The report of a build that stopped before layout."""
    settings = project.config.print
    return Report(tuple(findings_from_issues(issues)), 0, settings.standard, settings.binding)
