"""The screen edition: an accessible PDF/UA-1 file for reading on a screen.

It shares the standard brochure's render (RGB, no bleed, photos at 150 ppi) and only
differs in how it is written and finished: WeasyPrint writes it tagged, then pikepdf
- lowers photos to the `screen:` resolution and JPEG quality of publication.yml,
- marks page numbers and running heads as artifacts, outside the reading order,
- completes the metadata in both the Info dictionary and XMP (language included),
- sets the opening view: page 1, two pages side by side with the cover on its own,
- saves with an identifier derived from the content, so a rebuild is byte-identical.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pikepdf
from PIL import Image

from .reproducible import pdf_date, source_dates, w3c_date
from .targets import STANDARD, Target, register

if TYPE_CHECKING:
    from .build import Rendition
    from .content import Project
    from .output import Output

# A photo this much above the wanted resolution is left alone: resampling it would cost
# quality for a few kilobytes.
PPI_TOLERANCE = 1.1


@dataclass(frozen=True)
class Placement:
    """The largest size, in points, at which one image is drawn."""

    width: float
    height: float


def finish_screen(project: "Project", rendition: "Rendition", target: Target) -> "list[Output]":
    from .output import Output

    settings = project.config.screen

    def finish(pdf: pikepdf.Pdf) -> None:
        lower_photo_resolution(pdf, settings.ppi, settings.jpeg_quality)
        mark_running_heads_as_artifacts(pdf)
        set_metadata(pdf, project)
        set_opening_view(pdf)

    screen = rendition.write(finish=finish, pdf_variant="pdf/ua-1", pdf_tags=True)
    return [Output(target.output_name(project.slug), screen, target.purpose)]


# ---- Photos --------------------------------------------------------------------------------

def image_placements(pdf: pikepdf.Pdf) -> dict[tuple[int, int], Placement]:
    """For each image XObject, the largest size it is drawn at on any page."""
    found: dict[tuple[int, int], Placement] = {}
    for page in pdf.pages:
        _walk_content(page.obj, _IDENTITY, found, depth=0)
    return found


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: tuple[float, ...], n: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _walk_content(holder: pikepdf.Object, ctm: tuple[float, ...], found: dict, depth: int) -> None:
    """Follow q/Q/cm through a content stream and note the size of every image drawn."""
    xobjects = holder.get("/Resources", {}).get("/XObject", {})
    stack: list[tuple[float, ...]] = []
    for operands, operator in pikepdf.parse_content_stream(holder):
        name = str(operator)
        if name == "q":
            stack.append(ctm)
        elif name == "Q" and stack:
            ctm = stack.pop()
        elif name == "cm":
            ctm = _multiply(tuple(float(value) for value in operands), ctm)
        elif name == "Do" and str(operands[0]) in xobjects:
            xobject = xobjects[str(operands[0])]
            if xobject.get("/Subtype") == "/Image":
                width, height = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])
                known = found.get(xobject.objgen, Placement(0, 0))
                found[xobject.objgen] = Placement(max(width, known.width), max(height, known.height))
            elif xobject.get("/Subtype") == "/Form" and depth < 8:
                matrix = tuple(float(value) for value in xobject.get("/Matrix", _IDENTITY))
                _walk_content(xobject, _multiply(matrix, ctm), found, depth + 1)


def lower_photo_resolution(pdf: pikepdf.Pdf, ppi: int, quality: int) -> None:
    """Resample JPEG photos above `ppi` at their placed size; re-encode at `quality` where smaller."""
    for objgen, placement in image_placements(pdf).items():
        image = pdf.get_object(objgen)
        if image.get("/Filter") != "/DCTDecode" or "/SMask" in image or image.get("/ColorSpace") != "/DeviceRGB":
            continue
        width, height = int(image.Width), int(image.Height)
        wanted = (max(1, round(placement.width / 72 * ppi)), max(1, round(placement.height / 72 * ppi)))
        scale = max(wanted[0] / width, wanted[1] / height)
        with Image.open(io.BytesIO(image.read_raw_bytes())) as source:
            picture = source.convert("RGB")
        if scale * PPI_TOLERANCE < 1:
            picture = picture.resize((max(1, round(width * scale)), max(1, round(height * scale))),
                                     Image.Resampling.LANCZOS, reducing_gap=3.0)
        encoded = io.BytesIO()
        picture.save(encoded, "JPEG", quality=quality, optimize=True, subsampling="4:2:0")
        if picture.size != (width, height) or encoded.tell() < len(image.read_raw_bytes()):
            image.write(encoded.getvalue(), filter=pikepdf.Name.DCTDecode)
            image.Width, image.Height = picture.size
            if "/DecodeParms" in image:
                del image["/DecodeParms"]


# ---- Structure ------------------------------------------------------------------------------

def _reachable_elements(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(item)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item and item.objgen not in found:
            found.add(item.objgen)
            stack.append(item.get("/K"))
    return found


def mark_running_heads_as_artifacts(pdf: pikepdf.Pdf) -> None:
    """Make page numbers and running heads pagination artifacts.

    WeasyPrint tags the content of page-margin boxes but leaves those elements out of the
    structure tree (PDF 1.7 has no artifact element), so a screen reader cannot reach them and
    PDF/UA checkers report untagged content. Marked as /Artifact, they are skipped as they should be.
    """
    reachable = _reachable_elements(pdf)
    parent_tree = dict(zip(*[iter(pdf.Root.StructTreeRoot.ParentTree.Nums)] * 2))
    for page in pdf.pages:
        elements = parent_tree.get(int(page.obj.get("/StructParents", -1)))
        if not isinstance(elements, pikepdf.Array):
            continue
        orphans = {mcid for mcid, element in enumerate(elements)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in reachable}
        if not orphans:
            continue
        instructions = pikepdf.parse_content_stream(page)
        for index, (operands, operator) in enumerate(instructions):
            if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) \
                    and int(operands[1].get("/MCID", -1)) in orphans:
                instructions[index] = pikepdf.ContentStreamInstruction(
                    [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)], pikepdf.Operator("BDC"))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        for mcid in orphans:
            elements[mcid] = None


# ---- Metadata and opening view ---------------------------------------------------------------

def set_metadata(pdf: pikepdf.Pdf, project: "Project") -> None:
    """Title, author, subject, keywords, language and dates, the same in Info and XMP."""
    config = project.config
    created, modified = source_dates(config)
    author = config.author or config.publisher
    info = {
        "/Title": config.title,
        "/Author": author,
        "/Subject": config.subtitle,
        "/Keywords": ", ".join(config.keywords),
        "/CreationDate": pdf_date(created),
        "/ModDate": pdf_date(modified),
    }
    for key, value in info.items():
        if value:
            pdf.docinfo[key] = value
    pdf.Root.Lang = config.language
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        xmp["dc:title"] = config.title
        xmp["dc:creator"] = [author]
        xmp["dc:language"] = [config.language]
        xmp["dc:publisher"] = [config.publisher]
        if config.subtitle:
            xmp["dc:description"] = config.subtitle
        if config.keywords:
            xmp["dc:subject"] = set(config.keywords)
            xmp["pdf:Keywords"] = ", ".join(config.keywords)
        xmp["xmp:CreateDate"] = w3c_date(created)
        xmp["xmp:ModifyDate"] = w3c_date(modified)
        xmp["xmp:MetadataDate"] = w3c_date(modified)


def set_opening_view(pdf: pikepdf.Pdf) -> None:
    """Open on page 1 with the bookmarks shown, two pages side by side, the cover on its own."""
    pdf.Root.PageLayout = pikepdf.Name.TwoPageRight
    pdf.Root.PageMode = pikepdf.Name.UseOutlines if "/Outlines" in pdf.Root else pikepdf.Name.UseNone
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    preferences = pdf.Root.get("/ViewerPreferences", pikepdf.Dictionary())
    preferences.DisplayDocTitle = True
    pdf.Root.ViewerPreferences = preferences


SCREEN = register(Target("screen", "{slug}-screen.pdf",
                         "the accessible edition for reading on screen (tagged PDF/UA-1, bookmarks, links)",
                         STANDARD.layout, finish_screen), default=True)
