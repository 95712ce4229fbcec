"""Geometry checked on the final PDF: where each glyph and each photo actually lands.

pages.py judges WeasyPrint's boxes, which do not move with `transform`, and so a heading moved
22 mm to the left by CSS passes there. Here the finished print file is read back: each glyph's
box as PDFium draws it, each image by the matrix it is drawn with (core/pdf.py's walk), against
the page's TrimBox and BleedBox and the safety zone inside the trim.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

from ..core.pdf import walk
from ..core.problems import Code, Problem
from ..core.units import PT_PER_MM
from .pages import SAFETY_ZONE_MM
from .report import _error, _warning

TOLERANCE_PT = 0.5
"""Glyph boxes are tight to the outlines; half a point is rounding, not a design decision."""

Box = tuple[float, float, float, float]


@dataclass
class _Run:
    kind: str
    first: int
    last: int
    box: Box
    distance: float
    """For text in the safety zone: its distance to the trim; beyond the trim: how far beyond, in pt."""


def _kind(box: Box, trim: Box, bleed: Box) -> tuple[str, float] | None:
    left, bottom, right, top = box
    beyond_bleed = max(bleed[0] - left, bleed[1] - bottom, right - bleed[2], top - bleed[3])
    if beyond_bleed > TOLERANCE_PT:
        return "off", beyond_bleed
    beyond = max(trim[0] - left, trim[1] - bottom, right - trim[2], top - trim[3])
    if beyond > TOLERANCE_PT:
        return "beyond", beyond
    distance = min(left - trim[0], bottom - trim[1], trim[2] - right, trim[3] - top)
    if distance < SAFETY_ZONE_MM * PT_PER_MM - TOLERANCE_PT:
        return "zone", distance
    return None


def _area(box: Box, trim: Box) -> tuple[float, float, float, float]:
    """x, y, width, height in mm from the top left of the trimmed page."""
    left, bottom, right, top = box
    return (round((left - trim[0]) / PT_PER_MM, 2), round((trim[3] - top) / PT_PER_MM, 2),
            round((right - left) / PT_PER_MM, 2), round((top - bottom) / PT_PER_MM, 2))


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


SEVERITY = {"zone": 0, "beyond": 1, "off": 2}


def _glyph_runs(text_page, trim: Box, bleed: Box) -> list[_Run]:
    """Glyphs that lie off the page, beyond the trim or in the safety zone, in runs of consecutive
    glyphs (spaces between them do not break a run); each run of the worst kind among its glyphs."""
    runs: list[_Run] = []
    previous = -1  # the last glyph with an outline
    for index in range(text_page.count_chars()):
        box = text_page.get_charbox(index)
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            continue  # a space, or a character without outline
        found = _kind(box, trim, bleed)
        if found is not None:
            kind, distance = found
            if runs and runs[-1].last == previous:
                run = runs[-1]
                run.last, run.box = index, _union(run.box, box)
                if SEVERITY[kind] > SEVERITY[run.kind]:
                    run.kind, run.distance = kind, distance
                elif kind == run.kind:
                    run.distance = min(run.distance, distance) if kind == "zone" else max(run.distance, distance)
            else:
                runs.append(_Run(kind, index, index, box, distance))
        previous = index
    return runs


def _text_finding(run: _Run, text: str, number: int, trim: Box) -> Problem:
    shown = " ".join(text.split())[:30]
    area = _area(run.box, trim)
    if run.kind == "zone":
        return _error(Code.SAFETY_ZONE, f"text '{shown}' is {max(run.distance, 0) / PT_PER_MM:.1f} mm from the trim "
                      f"in the print file, inside the {SAFETY_ZONE_MM:g} mm safety zone; it may be cut off. Move it "
                      "further in (look for transform, negative margins or positioning in the stylesheet)",
                      page=number, area=area)
    where = "off the page, beyond the bleed" if run.kind == "off" else "beyond the trim"
    return _error(Code.BEYOND_TRIM, f"text '{shown}' lies {run.distance / PT_PER_MM:.1f} mm {where} in the print "
                  "file and will be cut off; move it back inside the page (look for transform, negative margins "
                  "or positioning in the stylesheet)", page=number, area=area)


def _image_box(matrix) -> Box:
    a, b, c, d, e, f = matrix
    xs = (e, e + a, e + c, e + a + c)
    ys = (f, f + b, f + d, f + b + d)
    return (min(xs), min(ys), max(xs), max(ys))


def _image_findings(page: pikepdf.Page, number: int, trim: Box, bleed: Box) -> list[Problem]:
    """A photo that crosses the trim but stops short of the bleed edge leaves a white sliver when the
    cut wanders. (The image as drawn, before any clipping: clipping can only make it smaller.)"""
    findings = []
    for drawn in walk(page, "Do"):
        if not drawn.is_image:
            continue
        box = _image_box(drawn.matrix)
        short = []
        for side, crosses, reaches in (
                ("left", box[0] < trim[0] - TOLERANCE_PT, box[0] <= bleed[0] + TOLERANCE_PT),
                ("bottom", box[1] < trim[1] - TOLERANCE_PT, box[1] <= bleed[1] + TOLERANCE_PT),
                ("right", box[2] > trim[2] + TOLERANCE_PT, box[2] >= bleed[2] - TOLERANCE_PT),
                ("top", box[3] > trim[3] + TOLERANCE_PT, box[3] >= bleed[3] - TOLERANCE_PT)):
            if crosses and not reaches:
                short.append(side)
        if short:
            findings.append(_warning(Code.BEYOND_TRIM, f"image {drawn.operands[0]} runs beyond the trim at the "
                                     f"{' and '.join(short)} but stops short of the bleed: a white edge may show "
                                     "after cutting; let it run into the bleed (full-bleed) or keep it inside the "
                                     "page", page=number, area=_area(box, trim)))
    return findings


def check_geometry(pdf_bytes: bytes) -> list[Problem]:
    """Every glyph and image of the final print file against the trim, the bleed and the safety zone."""
    import pypdfium2  # here, not on import: a build of the standard edition alone checks no print file

    findings: list[Problem] = []
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            for index, page in enumerate(pdf.pages):
                number = index + 1
                trim = tuple(float(value) for value in page.obj.get("/TrimBox", page.obj.MediaBox))
                bleed = tuple(float(value) for value in page.obj.get("/BleedBox", page.obj.MediaBox))
                text_page = document[index].get_textpage()
                for run in _glyph_runs(text_page, trim, bleed):
                    text = text_page.get_text_range(run.first, run.last - run.first + 1)
                    findings.append(_text_finding(run, text, number, trim))
                findings += _image_findings(page, number, trim, bleed)
    finally:
        document.close()
    return findings


def _words(text: str) -> str:
    return " ".join(text.split())


def locate(findings: list[Problem], document) -> list[Problem]:
    """Name the element (and its source line) of each glyph finding from the final PDF, found by
    its text among the laid-out boxes of its page; drop a safety-zone finding that the check of
    the boxes made already for the same element."""
    from dataclasses import replace

    from .pages import _text, walk

    from_pdf = [f for f in findings if f.code in (Code.SAFETY_ZONE, Code.BEYOND_TRIM) and not f.element
                and f.message.startswith("text '")]
    if not from_pdf:
        return findings
    texts: dict[int, list[tuple[str, str, str]]] = {}
    for placed in walk(document):
        text = _words(_text(placed.box))
        if text:
            texts.setdefault(placed.page, []).append((text, placed.element, placed.source))
    from_boxes = {(f.page, f.element) for f in findings if f.code == Code.SAFETY_ZONE and f.element}
    located = []
    for problem in findings:
        if problem in from_pdf:
            shown = problem.message.split("'")[1]
            match = next(((element, source) for text, element, source in texts.get(problem.page, [])
                          if shown in text), None)
            if match:
                if problem.code == Code.SAFETY_ZONE and (problem.page, match[0]) in from_boxes:
                    continue
                path, _, line = match[1].rpartition(":")
                problem = replace(problem, element=match[0], path=path if line.isdigit() else match[1],
                                  line=int(line) if line.isdigit() else None)
        located.append(problem)
    return located
