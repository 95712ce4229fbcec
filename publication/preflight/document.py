"""Preflight of the finished PDF file: PDF/X declaration, page count, page boxes, fonts embedded,
colour spaces and transparency. Total ink is ink.py's."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from typing import Iterator

import pikepdf
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont

from ..config.models import BINDING_MULTIPLE, PDFX_VERSIONS
from ..core.pdf import TEXT_SHOWING, Drawn, paints, walk
from ..core.problems import Code, Problem
from ..core.units import PT_PER_MM
from .geometry import check_geometry
from .report import _error, _warning


def check_page_count(pages: int, binding: str, shown: str) -> list[Problem]:
    multiple = BINDING_MULTIPLE[binding]
    if pages % multiple == 0:
        return []
    up = pages + (-pages) % multiple
    return [_error(Code.PAGE_COUNT, f"{pages} pages cannot be bound {binding}, which needs a multiple of {multiple}; "
                   f"add or remove pages to reach {up} or {up - multiple}, or set print.binding", source=shown)]


def check_pdfx(pdf: pikepdf.Pdf, standard: str) -> list[Problem]:
    """The file says which PDF/X it is and carries a CMYK output intent."""
    findings = []
    expected = PDFX_VERSIONS[standard]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        declared = xmp.get("pdfxid:GTS_PDFXVersion") if standard == "x-4" else \
            str(pdf.trailer.get("/Info", {}).get("/GTS_PDFXVersion", ""))
    if declared != expected:
        findings.append(_error(Code.PDF_X, f"the file declares '{declared or 'no PDF/X version'}' instead of "
                               f"'{expected}'"))
    else:
        findings += _pdfx_keys_disagree(pdf, standard)
    intents = [intent for intent in pdf.Root.get("/OutputIntents", []) if intent.get("/S") == "/GTS_PDFX"]
    profile = intents[0].get("/DestOutputProfile") if intents else None
    if profile is None or int(profile.get("/N", 0)) != 4:
        findings.append(_error(Code.PDF_X, "the file has no PDF/X output intent with a CMYK (4-component) output "
                               "profile, so the print shop cannot tell which press it was made for"))
    return findings


def _pdfx_keys_disagree(pdf: pikepdf.Pdf, standard: str) -> list[Problem]:
    """The document information and the XMP metadata say the same for every PDF/X key."""
    info = pdf.trailer.get("/Info", {})
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        said = {"GTS_PDFXVersion": {str(info.get("/GTS_PDFXVersion", "")), xmp.get("pdfx:GTS_PDFXVersion", ""),
                                    xmp.get("pdfxid:GTS_PDFXVersion", "")} - {""},
                "GTS_PDFXConformance": {str(info.get("/GTS_PDFXConformance", "")),
                                        xmp.get("pdfx:GTS_PDFXConformance", "")},
                "Trapped": {str(info.get("/Trapped", "")).lstrip("/"), xmp.get("pdf:Trapped", "")}}
    expected = {"GTS_PDFXVersion": {PDFX_VERSIONS[standard]},
                "GTS_PDFXConformance": {PDFX_VERSIONS[standard] if standard == "x-1a" else ""},
                "Trapped": {"True", "False"}}
    findings = []
    for key, values in said.items():
        if len(values) > 1 or not values <= expected[key]:
            shown = " and ".join(f"'{value}'" if value else "nothing" for value in sorted(values))
            findings.append(_error(Code.PDF_X, f"the document information and the XMP metadata disagree on {key}, "
                                   f"or give a value PDF/X-{standard[2:]} does not allow ({shown})"))
    return findings


def check_annotations(pdf: pikepdf.Pdf) -> list[Problem]:
    """No links, comments or form fields on the printed page: a print shop's preflight rejects them."""
    findings = []
    for number, page in enumerate(pdf.pages, start=1):
        trim = [float(value) for value in page.obj.get("/TrimBox", page.obj.MediaBox)]
        inside = []
        for annotation in page.obj.get("/Annots", []):
            left, bottom, right, top = (float(value) for value in annotation.get("/Rect", [0, 0, 0, 0]))
            left, right, bottom, top = min(left, right), max(left, right), min(bottom, top), max(bottom, top)
            if left < trim[2] and right > trim[0] and bottom < trim[3] and top > trim[1]:
                inside.append(str(annotation.get("/Subtype", "/Annotation")).lstrip("/"))
        for kind, count in sorted(Counter(inside).items()):
            findings.append(_error(Code.ANNOTATION, f"{count} {kind} annotation{'s' if count > 1 else ''} inside "
                                   "the trim; a print file has no links or comments (publication build leaves them "
                                   "out), so remove them", page=number))
    return findings


def check_page_boxes(pdf: pikepdf.Pdf, bleed_mm: float, marks: str = "crop") -> list[Problem]:
    """TrimBox and BleedBox on every page, the bleed as set, one trimmed size; the MediaBox holds the
    BleedBox, and with `marks` "none" it is the BleedBox: the page is the trimmed page plus the bleed."""
    findings = []
    trim_size = None
    for number, page in enumerate(pdf.pages, start=1):
        missing = [name for name in ("/TrimBox", "/BleedBox") if name not in page.obj]
        if missing:
            findings.append(_error(Code.PAGE_BOXES, f"the page has no {' or '.join(m[1:] for m in missing)}; "
                                   "a print shop cannot tell where to cut", page=number))
            continue
        trim, bleed, media = ([float(v) for v in page.obj[name]] for name in ("/TrimBox", "/BleedBox", "/MediaBox"))
        expected = [trim[0] - bleed_mm * PT_PER_MM, trim[1] - bleed_mm * PT_PER_MM,
                    trim[2] + bleed_mm * PT_PER_MM, trim[3] + bleed_mm * PT_PER_MM]
        if any(abs(a - b) > 0.1 for a, b in zip(bleed, expected)):
            findings.append(_error(Code.PAGE_BOXES, f"the BleedBox is not {bleed_mm:g} mm outside the TrimBox",
                                   page=number))
        if media[0] > bleed[0] + 0.1 or media[1] > bleed[1] + 0.1 or media[2] < bleed[2] - 0.1 \
                or media[3] < bleed[3] - 0.1:
            findings.append(_error(Code.PAGE_BOXES, "the MediaBox does not contain the BleedBox", page=number))
        elif marks == "none" and any(abs(a - b) > 0.1 for a, b in zip(media, bleed)):
            findings.append(_error(Code.PAGE_BOXES, "the page is larger than the trimmed page plus the bleed "
                                   "(MediaBox larger than BleedBox), which print.marks 'none' promises the print "
                                   "shop; set print.marks to crop if the shop wants crop marks", page=number))
        size = (round(trim[2] - trim[0], 1), round(trim[3] - trim[1], 1))
        if trim_size and size != trim_size:
            findings.append(_error(Code.PAGE_BOXES, f"the trimmed size {size[0] / PT_PER_MM:.1f}×"
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


def check_fonts_embedded(pdf: pikepdf.Pdf) -> list[Problem]:
    findings = []
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        for font in _fonts_of(page.obj.get("/Resources"), seen):
            name = str(font.get("/BaseFont", "(unnamed)")).lstrip("/")
            if font.get("/Subtype") == "/Type3":
                findings.append(_error(Code.FONT_EMBEDDING, f"font '{name}' is a Type 3 font (a bitmap or drawing); "
                                       "use an OpenType or TrueType font from assets/fonts", page=number))
                continue
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is None or not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                findings.append(_error(Code.FONT_EMBEDDING, f"font '{name}' is not embedded; the print shop would "
                                       "print another font", page=number))
    return findings


def embedded_font_name(descriptor) -> str | None:
    """The PostScript name written inside an embedded font program (a subset keeps its name table, or
    its CFF font name), which says which font file it came from; None if it cannot be read."""
    stream = next((descriptor[key] for key in ("/FontFile2", "/FontFile3", "/FontFile") if key in descriptor), None)
    if stream is None:
        return None
    try:
        data = stream.read_bytes()
        if stream.get("/Subtype") == "/CIDFontType0C" or stream.get("/Subtype") == "/Type1C":
            cff = CFFFontSet()
            cff.decompile(io.BytesIO(data), None)
            return str(cff.fontNames[0])
        return str(TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6) or "") or None
    except Exception:  # noqa: BLE001 - a font program fontTools cannot read: judged by its BaseFont only
        return None


def _drawn_characters(font) -> str:
    """The characters a font draws in the file, from its ToUnicode map."""
    if "/ToUnicode" not in font:
        return ""
    found = []
    for hexes in re.findall(rb"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", font.ToUnicode.read_bytes()):
        try:
            found.append(bytes.fromhex(hexes.decode()).decode("utf-16-be"))
        except ValueError:
            continue
    return "".join(sorted(set("".join(found)) - set(" \t\n")))


def check_font_files(pdf: pikepdf.Pdf, project_fonts: set[str]) -> list[Problem]:
    """Every embedded font program is one of the project's font files (by the PostScript name inside
    it, not the name the PDF gives it), so that no system font is printed unnoticed."""
    pages: dict[str, list[int]] = {}
    drawn: dict[str, str] = {}
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        for font in _fonts_of(page.obj.get("/Resources"), seen):
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            name = embedded_font_name(descriptor) if descriptor is not None else None
            if name is None or name in project_fonts:
                continue
            pages.setdefault(name, []).append(number)
            drawn[name] = drawn.get(name, "") + _drawn_characters(font)
    findings = []
    for name, numbers in pages.items():
        characters = "".join(sorted(char for char in set(drawn[name]) if unicodedata.category(char)[0] != "C"))
        shown = f"'{characters[:40]}{'…' * (len(characters) > 40)}'" if characters else "some characters"
        findings.append(_error(Code.SYSTEM_FONT, f"the file embeds the font '{name}' (first on page {numbers[0]}), "
                               f"which is not one of the project's fonts but one of this computer's, for {shown}: "
                               "a font that a "
                               "stylesheet, an SVG logo or a character no project font has asked for; add that "
                               "font's files to assets/fonts with an @font-face rule, or use one of the project's "
                               "fonts", page=numbers[0]))
    return findings


def _page_drawn(page, depth: int = 0) -> Iterator[Drawn]:
    """The colours, colour spaces, graphics states, shadings, patterns and images a page uses, its
    forms, tiling patterns and soft masks followed."""
    for drawn in walk(page, "rg RG cs CS gs sh scn SCN"):
        yield drawn
        if depth >= 4 or drawn.resources is None or not drawn.operands \
                or not isinstance(drawn.operands[-1], pikepdf.Name):
            continue
        inner = None
        if drawn.operator in ("scn", "SCN"):
            inner = (drawn.resources.get("/Pattern") or {}).get(str(drawn.operands[-1]))
            inner = inner if inner is not None and inner.get("/PatternType") == 1 else None
        elif drawn.operator == "gs":
            state = (drawn.resources.get("/ExtGState") or {}).get(str(drawn.operands[0]))
            mask = state.get("/SMask") if state is not None else None
            inner = mask.get("/G") if isinstance(mask, pikepdf.Dictionary) else None
        if isinstance(inner, pikepdf.Stream):
            yield from _page_drawn(inner, depth + 1)


def _function_outputs(function) -> int | None:
    """How many colour components a shading's function gives, if it can be told."""
    if isinstance(function, pikepdf.Array):
        return len(function)  # one single-output function per component
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        return len(function.get("/C0", [0]))
    if kind == 3 and len(function.get("/Functions", [])):
        return _function_outputs(function.Functions[0])
    if kind in (0, 4) and "/Range" in function:
        return len(function.Range) // 2
    return None


COMPONENTS = {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}


def _shading_use(shading, what: str, x1a: bool) -> str | None:
    """What is wrong with a shading (a gradient) in a CMYK print file, if anything."""
    if shading is None:
        return None
    space = shading.get("/ColorSpace")
    family, components = _colour_family(space)
    if family == "/DeviceRGB" or (family == "/ICCBased" and (components == 3 or x1a)):
        return f"an RGB gradient ({what} in {family[1:]})"
    expected = components if family == "/ICCBased" else COMPONENTS.get(family)
    outputs = _function_outputs(shading.get("/Function")) if "/Function" in shading else None
    if expected and outputs and outputs != expected:
        return (f"a gradient ({what}) declared {family[1:]} whose colours have {outputs} components instead of "
                f"{expected}, which RIPs drop or paint wrongly")
    return None


def _colour_family(space) -> tuple[str, int]:
    family = str(space[0] if isinstance(space, pikepdf.Array) else space)
    components = int(space[1].get("/N", 0)) if family == "/ICCBased" else 0
    return family, components


def _rgb_use(drawn: Drawn, x1a: bool) -> str | None:
    """What is RGB (and for X-1a, device-independent) about one thing drawn, if anything."""
    operands, operator, resources = drawn.operands, drawn.operator, drawn.resources
    if operator == "Do":
        if not drawn.is_image:
            return None
        name, image = str(operands[0]), drawn.xobject
        family, components = _colour_family(image.get("/ColorSpace"))
        if family == "/DeviceRGB" or (family == "/ICCBased" and (components == 3 or x1a)):
            return f"image {name} in {family[1:]}"
        return None
    if operator in ("rg", "RG"):
        return f"RGB colour {' '.join(f'{float(v):g}' for v in operands)} ({operator})"
    if operator == "sh" and resources is not None:
        shading = (resources.get("/Shading") or {}).get(str(operands[0]))
        return _shading_use(shading, f"shading {operands[0]}", x1a)
    if operator in ("scn", "SCN") and resources is not None and operands and isinstance(operands[-1], pikepdf.Name):
        pattern = (resources.get("/Pattern") or {}).get(str(operands[-1]))
        if pattern is not None and pattern.get("/PatternType") == 2:
            return _shading_use(pattern.get("/Shading"), f"pattern {operands[-1]}", x1a)
        return None
    if operator in ("cs", "CS"):
        spaces = (resources.get("/ColorSpace") or {}) if resources is not None else {}
        family, components = _colour_family(spaces.get(str(operands[0]), operands[0]))
        if family == "/DeviceRGB" or (family == "/ICCBased" and components == 3):
            return f"the RGB colour space {operands[0]}"
        if x1a and family in ("/ICCBased", "/Lab"):
            return f"the device-independent colour space {operands[0]}, which PDF/X-1a does not allow"
    return None


def check_rgb(pdf: pikepdf.Pdf, standard: str) -> list[Problem]:
    findings = []
    x1a = standard == "x-1a"
    for number, page in enumerate(pdf.pages, start=1):
        found = [_rgb_use(drawn, x1a) for drawn in _page_drawn(page)]
        for what in dict.fromkeys(filter(None, found)):
            findings.append(
                _error(
                    Code.RGB_COLOUR,
                    f"the page uses {what}; PDF/X-{standard[2:]} for a CMYK press needs "
                    "CMYK. Use theme colours and photos from the photo stage",
                    page=number,
                )
            )
    return findings


def _transparency(drawn: Drawn) -> str | None:
    operands, operator, resources = drawn.operands, drawn.operator, drawn.resources
    if operator == "Do":
        if not drawn.is_image:
            return None
        return (
            f"image {operands[0]} has a soft mask (transparency)" if drawn.xobject.get("/SMask") is not None else None
        )
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


def check_transparency(pdf: pikepdf.Pdf, standard: str) -> list[Problem]:
    """PDF/X-1a and X-3 (PDF 1.4 for the press) allow no transparency; X-4 does."""
    if standard == "x-4":
        return []
    findings = []
    for number, page in enumerate(pdf.pages, start=1):
        found = [_transparency(drawn) for drawn in _page_drawn(page)]
        for what in dict.fromkeys(filter(None, found)):
            findings.append(
                _error(
                    Code.TRANSPARENCY,
                    f"the page uses {what}; PDF/X-{standard[2:]} allows no "
                    "transparency. Use PDF/X-4, or make the element opaque",
                    page=number,
                )
            )
    return findings


def check_black_overprint(pdf: pikepdf.Pdf) -> list[Problem]:
    """100 % K text overprints: knocked out, it leaves a white edge at the slightest misregistration."""
    findings = []
    for number, page in enumerate(pdf.pages, start=1):
        knocked_out = sum(state.glyphs(operands, operator) for operands, operator, state in paints(page)
                          if operator in TEXT_SHOWING and state.fill.is_black and not state.overprints(False))
        if knocked_out:
            findings.append(_warning(Code.BLACK_KNOCKOUT, f"{knocked_out} glyphs in 100% K knock out the colours "
                                     "under them instead of overprinting, which shows white edges at the slightest "
                                     "misregistration; set print.overprint_black: true (the default)", page=number))
    return findings


def check_pdf(pdf_bytes: bytes, settings, shown: str, project_fonts: set[str] | None = None) -> list[Problem]:
    """All checks of the finished file but its ink (ink.py); `project_fonts` are the PostScript names of the
    project's font files, which alone may be embedded."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        findings = check_pdfx(pdf, settings.standard)
        findings += check_page_count(len(pdf.pages), settings.binding, shown)
        findings += check_page_boxes(pdf, settings.bleed_mm, settings.marks)
        findings += check_annotations(pdf)
        findings += check_fonts_embedded(pdf)
        if project_fonts is not None:
            findings += check_font_files(pdf, project_fonts)
        findings += check_rgb(pdf, settings.standard)
        findings += check_transparency(pdf, settings.standard)
        if settings.overprint_black:
            findings += check_black_overprint(pdf)
    return findings + check_geometry(pdf_bytes)
