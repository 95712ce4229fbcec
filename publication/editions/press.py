"""The print target: a PDF/X file for the print shop.

WeasyPrint labels a file PDF/X but converts nothing, so this target lays the brochure out
in CMYK (theme colours as device-cmyk(), photos converted to the output profile), asks
WeasyPrint for the PDF/X variant with the output profile as OutputIntent, and then
finishes the file with pikepdf: the OutputIntent's identifier, the page boxes (the page is
the trimmed page plus the bleed, as online print shops ask) and, with `print.marks: crop`, crop
marks in the registration colour outside the bleed (WeasyPrint's own marks are RGB) and room for them.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pikepdf
import yaml

from ..config.models import PDFX_VERSIONS
from ..config.theme import Theme
from ..content.sources import Project
from ..core.builtin import BUILTIN_ASSETS, BUILTIN_ROOT
from ..core.dist import Output
from ..core.files import is_inside
from ..core.pdf import (
    FILLING,
    STROKING,
    TEXT_SHOWING,
    GraphicsState,
    content_holders,
    content_streams,
    rewrite,
)
from ..core.problems import Code, Problem, error, raise_if_errors
from ..core.reproducible import save_reproducibly
from ..core.units import PT_PER_MM
from ..render.rendition import Rendition
from ..render.spec import RenderSpec
from .edition import Edition

CROP_MARK_LENGTH = 5.0
CROP_MARK_MIN_OFFSET = 3.0
CROP_MARK_WIDTH = 0.25  # pt: a hairline, the usual weight for crop marks
PROFILE_INFO = "profile.yml"
"""Beside a shipped profile: its file name, output condition identifier and registry."""

STANDARDS = {"x-4": "pdf/x-4", "x-1a": "pdf/x-1a", "x-3": "pdf/x-3"}


@dataclass(frozen=True)
class OutputProfile:
    path: Path
    identifier: str
    condition: str = ""
    registry: str = "http://www.color.org"


def _shipped_profile(icc_dir: Path) -> OutputProfile | None:
    info_file = icc_dir / PROFILE_INFO
    if not info_file.is_file():
        return None
    info = yaml.safe_load(info_file.read_text(encoding="utf-8")) or {}
    path = icc_dir / str(info.get("file", ""))
    if not path.is_file() or not info.get("output_condition_identifier"):
        return None
    return OutputProfile(path.resolve(), str(info["output_condition_identifier"]), str(info.get("condition", "")),
                         str(info.get("registry", "http://www.color.org")))


def output_profile(project: Project) -> tuple[OutputProfile | None, list[Problem]]:
    """The print shop's profile from publication.yml, or the one shipped with the project or package."""
    settings = project.config.print
    shown = project.config_display_path
    if settings.output_profile:
        path = (project.root / settings.output_profile).resolve()
        if not is_inside(path, [project.root]):
            return None, [
                error(
                    shown,
                    None,
                    f"print.output_profile '{settings.output_profile}' is outside the project; "
                    "copy the profile into the project (e.g. assets/icc/) and name it there",
                    Code.PROFILE,
                )
            ]
        if not path.is_file():
            return None, [
                error(
                    shown,
                    None,
                    f"print.output_profile '{settings.output_profile}' not found; give the "
                    "path of the print shop's .icc file relative to the project folder",
                    Code.PROFILE,
                )
            ]
        problem = _not_cmyk(path)
        if problem:
            return None, [
                error(shown, None, f"print.output_profile '{settings.output_profile}' {problem}", Code.PROFILE)
            ]
        if not settings.output_condition_identifier:
            return None, [
                error(
                    shown,
                    None,
                    "print.output_condition_identifier is missing; add the print condition "
                    "of the profile, as the print shop names it (e.g. FOGRA39 or FOGRA51)",
                    Code.PROFILE,
                )
            ]
        return OutputProfile(path, settings.output_condition_identifier), []
    for icc_dir in (project.root / "assets" / "icc", BUILTIN_ASSETS / "icc"):
        shipped = _shipped_profile(icc_dir)
        if shipped:
            if settings.output_condition_identifier:
                shipped = OutputProfile(shipped.path, settings.output_condition_identifier)
            return shipped, []
    return None, [
        error(
            shown,
            None,
            "the print PDF needs a CMYK output profile and none is installed: ask the print "
            "shop for its ICC profile, put it in the project (e.g. assets/icc/press.icc) and set "
            "print.output_profile and print.output_condition_identifier in publication.yml",
            Code.PROFILE,
        )
    ]


def _not_cmyk(path: Path) -> str | None:
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(str(path))
    except (ImageCms.PyCMSError, OSError) as exc:
        return f"is not an ICC profile we can read ({exc})"
    space = profile.profile.xcolor_space.strip()
    return None if space == "CMYK" else f"is a {space} profile; the print PDF needs a CMYK output profile"


def print_spec(project: Project) -> RenderSpec:
    settings = project.config.print
    profile, issues = output_profile(project)
    raise_if_errors(issues)
    colour_profile = (
        "@color-profile device-cmyk { src: url(%s); components: cyan, magenta, yellow, black; }" % profile.path.as_uri()
    )
    return RenderSpec(
        colour_space="cmyk",
        bleed=settings.bleed_mm,
        ppi=settings.ppi,
        extra_css=(colour_profile,),
        output_profile=profile.path,
        max_ink=settings.max_ink,
    )


def _registration_colour(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """The 'All' separation: marks printed on every plate, as PDF/X expects for crop marks."""
    tint = pdf.make_indirect(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1))
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint])


def _crop_marks(trim: tuple[float, float, float, float], offset: float) -> bytes:
    left, bottom, right, top = trim
    gap, length = offset * PT_PER_MM, CROP_MARK_LENGTH * PT_PER_MM
    lines = []
    for x, y, sx, sy in ((left, bottom, -1, -1), (right, bottom, 1, -1), (left, top, -1, 1), (right, top, 1, 1)):
        lines.append(f"{x + sx * gap:.3f} {y:.3f} m {x + sx * (gap + length):.3f} {y:.3f} l S")
        lines.append(f"{x:.3f} {y + sy * gap:.3f} m {x:.3f} {y + sy * (gap + length):.3f} l S")
    return ("q /Registration CS 1 SCN %.2f w 0 J [] 0 d\n%s\nQ\n" % (CROP_MARK_WIDTH, "\n".join(lines))).encode()


RGB_OPERATORS = {"rg": "k", "RG": "K"}


def theme_cmyk(theme: Theme) -> dict[tuple[int, int, int], tuple[float, ...]]:
    """Each theme colour's RGB value mapped to its CMYK value; white and black are paper and 100% K."""
    colours = {(255, 255, 255): (0.0, 0.0, 0.0, 0.0), (0, 0, 0): (0.0, 0.0, 0.0, 1.0)}
    for colour in theme.colours.values():
        colours[colour.rgb_bytes] = tuple(part / 100 for part in colour.cmyk)
    return colours


def _recolour(stream: pikepdf.Object, colours: dict[tuple[int, int, int], tuple[float, ...]]) -> None:
    """Replace RGB colours that are theme colours (WeasyPrint draws SVG in RGB) with their CMYK values.

    Any other RGB colour is left as it is, for the preflight to report.
    """

    def change(operands: list, operator: str):
        if operator in RGB_OPERATORS and len(operands) == 3:
            rgb = tuple(round(float(value) * 255) for value in operands)
            if rgb in colours:
                return [pikepdf.Object.parse(f"{part:g}".encode()) for part in colours[rgb]], RGB_OPERATORS[operator]
        return None

    rewrite(stream, change)


THIN_LINE_PT = 2.0
"""100 % K lines (and the rings of borders) up to this thickness overprint; thicker black areas knock
out, as prepress does."""
OVERPRINT_ON, OVERPRINT_OFF = "/PublicationOverprint", "/PublicationKnockout"


def _overprint_states(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    on = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=True, op=True, OPM=1))
    off = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=False, op=False, OPM=1))
    return {OVERPRINT_ON: on, OVERPRINT_OFF: off}


Rectangle = tuple[float, float, float, float]


def _thin(rectangles: list[Rectangle] | None, state: GraphicsState, even_odd: bool = False) -> bool:
    """Whether a path of rectangles only (x, y, width, height in user space) is a thin line on the
    page; filled even-odd (`f*`, as WeasyPrint draws a border: its border box and, inside it, its
    padding box), rectangles nested in pairs are rings, thin when each side is."""
    if not rectangles:
        return False
    a, b, c, d, _, _ = state.matrix
    scale = (abs(a * d - b * c)) ** 0.5
    if all(min(abs(width), abs(height)) * scale <= THIN_LINE_PT for _, _, width, height in rectangles):
        return True
    if not even_odd or len(rectangles) % 2:
        return False
    edges = sorted(((min(x, x + w), min(y, y + h), max(x, x + w), max(y, y + h)) for x, y, w, h in rectangles),
                   key=lambda edge: (edge[2] - edge[0]) * (edge[3] - edge[1]), reverse=True)
    for outer, inner in zip(edges[::2], edges[1::2]):
        sides = (inner[0] - outer[0], inner[1] - outer[1], outer[2] - inner[2], outer[3] - inner[3])
        if not all(0 <= side * scale <= THIN_LINE_PT for side in sides):
            return False
    return True


def overprint_black(pdf: pikepdf.Pdf) -> None:
    """Set 100 % K text and thin 100 % K lines to overprint, and everything else to knock out.

    Before each painting instruction whose overprint should differ from the current one, an
    ExtGState with /OP and /op true (or false) and /OPM 1 is set: with OPM 1 the plates a CMYK
    colour has no ink on are left as they are, so black text on a tinted box prints over the tint
    instead of leaving a white halo at the slightest misregistration. Forms start with overprint
    off: every `Do` is painted with it off."""
    states = _overprint_states(pdf)
    for holder in content_holders(pdf):
        resources = holder.get("/Resources")
        if resources is None:
            continue
        if "/ExtGState" not in resources:
            resources.ExtGState = pikepdf.Dictionary()
        for name, state_dict in states.items():
            resources.ExtGState[name] = state_dict
        for stream in content_streams(holder):
            state = GraphicsState(resources)
            path: list[list[Rectangle] | None] = [[]]

            def change(operands: list, operator: str, state=state, path=path):
                wanted = None
                if operator in TEXT_SHOWING:
                    wanted = state.fill.is_black
                elif operator in STROKING:
                    wanted = state.stroke.is_black and state.line_width_pt <= THIN_LINE_PT
                elif operator in FILLING:
                    wanted = state.fill.is_black and _thin(path[0], state, operator == "f*")
                elif operator in ("B", "B*", "b", "b*", "sh", "Do", "INLINE IMAGE"):
                    wanted = False
                if operator == "re" and path[0] is not None:
                    path[0].append(tuple(float(value) for value in operands[:4]))
                elif operator in ("m", "l", "c", "v", "y", "h"):
                    path[0] = None
                elif operator == "n" or wanted is not None:
                    path[0] = []
                state.update(operands, operator)  # painting changes nothing GraphicsState follows
                current = state.overprint
                if wanted is None or current is not None and (
                        (wanted and current == (True, True, 1)) or (not wanted and not any(current[:2]))):
                    return None
                name = pikepdf.Name(OVERPRINT_ON if wanted else OVERPRINT_OFF)
                state.update([name], "gs")
                return [([name], "gs"), (operands, operator)]

            rewrite(stream, change)


def _pdfx_keys(pdf: pikepdf.Pdf, standard: str) -> None:
    """The document information and the XMP metadata agree on every PDF/X key.

    WeasyPrint writes GTS_PDFXVersion for X-4 in the XMP only, and a GTS_PDFXConformance of
    "PDF/X-4" (or "PDF/X-3:2003"), a key only PDF/X-1a has."""
    version = PDFX_VERSIONS[standard]
    info = pdf.trailer.Info
    info.GTS_PDFXVersion = pikepdf.String(version)
    info.Trapped = pikepdf.Name("/False")
    if standard == "x-1a":
        info.GTS_PDFXConformance = pikepdf.String(version)
    elif "/GTS_PDFXConformance" in info:
        del info["/GTS_PDFXConformance"]
    metadata = pdf.Root.get("/Metadata")
    if metadata is None:
        return
    xml = metadata.read_bytes()
    fixed = re.sub(rb' pdfx:part="[^"]*"', b"", xml)  # not a PDF/X key: WeasyPrint's PDF/A habit
    for key in (rb"pdfx:GTS_PDFXVersion", rb"pdfxid:GTS_PDFXVersion", rb"pdfx:GTS_PDFXConformance"):
        value = b"" if key.endswith(b"Conformance") and standard != "x-1a" else version.encode()
        fixed = re.sub(rb"<%s>[^<]*</%s>" % (key, key), b"<%s>%s</%s>" % (key, value, key) if value else b"", fixed)
    fixed = re.sub(rb"<pdf:Trapped>[^<]*</pdf:Trapped>", b"<pdf:Trapped>False</pdf:Trapped>", fixed)
    if fixed != xml:
        metadata.write(fixed)


def _images(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    seen: set[tuple[int, int]] = set()
    for holder in content_holders(pdf, patterns=True):
        for xobject in (holder.get("/Resources", {}).get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Image" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield xobject


def finish_press_pdf(
    pdf: pikepdf.Pdf, profile: OutputProfile, bleed: float, colours: dict[tuple[int, int, int], tuple[float, ...]],
    marks: str = "none", overprint: bool = True, standard: str = "x-4",
) -> None:
    """Set the OutputIntent's identifier, theme colours in CMYK, black overprinting and the page boxes:
    with `marks` "none" the page is the trimmed page plus the bleed; with "crop", room outside the
    bleed and crop marks. No annotations, no image interpolation, PDF/X keys that agree."""
    for intent in pdf.Root.get("/OutputIntents", []):
        intent.OutputConditionIdentifier = pikepdf.String(profile.identifier)
        intent.Info = pikepdf.String(profile.condition or profile.identifier)
        intent.RegistryName = pikepdf.String(profile.registry)
        if profile.condition:
            intent.OutputCondition = pikepdf.String(profile.condition)
    for holder in content_holders(pdf):
        for stream in content_streams(holder):
            _recolour(stream, colours)
    if overprint:
        overprint_black(pdf)
    for page in pdf.pages:
        trim = [float(value) for value in page.obj.TrimBox]
        bleed_box = [trim[0] - bleed * PT_PER_MM, trim[1] - bleed * PT_PER_MM,
                     trim[2] + bleed * PT_PER_MM, trim[3] + bleed * PT_PER_MM]
        page.obj.BleedBox = pikepdf.Array(bleed_box)
        page.obj.MediaBox = pikepdf.Array(bleed_box)
        if "/CropBox" in page.obj:
            del page.obj["/CropBox"]
        if "/Annots" in page.obj:  # links belong in the screen edition; print shops reject annotations
            del page.obj["/Annots"]
    for image in _images(pdf):
        image.Interpolate = False  # the RIP renders the pixels as they are, not smoothed
    _pdfx_keys(pdf, standard)
    if marks == "crop":
        _add_crop_marks(pdf, bleed)


def _add_crop_marks(pdf: pikepdf.Pdf, bleed: float) -> None:
    """Crop marks in the registration colour outside the bleed, and a page large enough for them."""
    offset = max(bleed, CROP_MARK_MIN_OFFSET)
    slug = (offset + CROP_MARK_LENGTH + 1) * PT_PER_MM
    registration = _registration_colour(pdf)
    for page in pdf.pages:
        resources = page.obj.Resources
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace.Registration = registration
        trim = [float(value) for value in page.obj.TrimBox]
        page.obj.MediaBox = pikepdf.Array([trim[0] - slug, trim[1] - slug, trim[2] + slug, trim[3] + slug])
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"Q\n" + _crop_marks(tuple(trim), offset)))


def _identifier(project: Project, rendition: Rendition) -> bytes:
    """The render's identifier without the folders the project and the tool live in: PDF/X-4's
    XMP document id is derived from it, and moving a project (or installing the tool another
    way) must not change the PDF."""
    text = rendition.html
    for root, name in ((BUILTIN_ROOT, "package:"), (project.root, "project:")):
        text = text.replace(root.resolve().as_uri(), name).replace(os.path.relpath(root, project.dist_dir), name)
    return hashlib.sha256(text.encode()).hexdigest()[:32].encode()


def finish_print(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    settings = project.config.print
    profile, issues = output_profile(project)
    raise_if_errors(issues)
    colours = theme_cmyk(rendition.theme)
    # No object streams: PDF/X-1a and X-3 are PDF 1.4, which has none.
    pdf = rendition.write(
        _identifier(project, rendition),
        object_streams=False,
        finish=lambda pdf: finish_press_pdf(pdf, profile, settings.bleed_mm, colours, settings.marks,
                                            settings.overprint_black, settings.standard),
        pdf_variant=STANDARDS[settings.standard],
        output_intent="device-cmyk",
    )
    return [Output(edition.output_name(project.slug), pdf, edition.purpose)]


def mark_not_passed(pdf_bytes: bytes, note: str) -> bytes:
    """For --force: the file says in its document information that it did not pass preflight."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdf.trailer.Info.PublicationPreflight = pikepdf.String(note)
        return save_reproducibly(pdf, object_streams=False)


PRINT = Edition(
    "print",
    "{slug}-print.pdf",
    "the print-ready PDF/X file for the print shop",
    finish_print,
    configure=print_spec,
    preflighted=True,
)
