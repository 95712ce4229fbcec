"""Marks drawn over finished PDF pages as a separate, removable layer.

A proof's watermark, stamp and line numbers, and a changes PDF's highlights, are laid out
by WeasyPrint as a small HTML document with one absolutely positioned sheet per PDF page.
Each sheet is placed on its page as a Form XObject that belongs to a named optional-content
group (a PDF layer). The brochure's own render is reused untouched; viewers can hide the
layer; and `strip_marks` empties it again, so the diff never mistakes a proof's stamp for
a change in the brochure.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from html import escape

import pikepdf
import weasyprint

from ..core.builtin import BUILTIN_ASSETS
from .typeset import ConfinedFetcher, collected_warnings

MARKS_KEY = pikepdf.Name("/PublicationMarks")
"""A private key on our Form XObjects, so that they can be found again without parsing content."""

FONT_DIR = BUILTIN_ASSETS / "fonts" / "source-sans-pro"


@dataclass(frozen=True)
class Sheet:
    """One page of marks: its size in CSS px and its absolutely positioned HTML."""

    width: float
    height: float
    html: str


def _font_faces() -> str:
    faces = []
    for weight, name in ((400, "Regular"), (600, "Semibold"), (700, "Bold")):
        path = FONT_DIR / f"SourceSansPro-{name}.ttf"
        if path.exists():
            faces.append(f'@font-face {{ font-family: "Marks Sans"; font-weight: {weight}; '
                         f'src: url("{path.as_uri()}"); }}')
    return "\n".join(faces)


def render_sheets(sheets: list[Sheet], css: str) -> bytes:
    """Lay out the sheets, one PDF page each, with WeasyPrint."""
    sizes = list(dict.fromkeys((round(s.width, 3), round(s.height, 3)) for s in sheets))
    page_rules = "\n".join(f"@page size{i} {{ size: {w}px {h}px; margin: 0; }}" for i, (w, h) in enumerate(sizes))
    body = "\n".join(
        f'<div class="sheet" style="page: size{sizes.index((round(s.width, 3), round(s.height, 3)))}; '
        f'width: {s.width}px; height: {s.height}px">{s.html}</div>'
        for s in sheets)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
{_font_faces()}
{page_rules}
html, body {{ margin: 0; padding: 0; }}
body {{ font-family: "Marks Sans", sans-serif; }}
.sheet {{ position: relative; overflow: hidden; break-after: page; }}
.sheet:last-child {{ break-after: auto; }}
.sheet > * {{ position: absolute; margin: 0; }}
{css}
</style></head><body>{body}</body></html>"""
    with collected_warnings():
        return weasyprint.HTML(string=html, base_url=FONT_DIR.as_uri() + "/",
                               url_fetcher=ConfinedFetcher([FONT_DIR])).write_pdf()


def as_outlines(marks_pdf: bytes) -> bytes:
    """The marks with their letters turned into outlines (Ghostscript's pdfwrite, -dNoOutputFonts):
    they look the same, but copying, searching or reading the page aloud finds only the brochure's
    text, and a reviewer's highlight never catches a line number. Without Ghostscript the marks stay
    text."""
    try:
        done = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dNoOutputFonts",
                               "-sOutputFile=-", "-"], input=marks_pdf, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return marks_pdf
    return done.stdout if done.returncode == 0 and done.stdout.startswith(b"%PDF") else marks_pdf


def _layer(pdf: pikepdf.Pdf, name: str) -> pikepdf.Object:
    """The optional-content group called `name`, created (visible, printable) if needed."""
    root = pdf.Root
    if "/OCProperties" not in root:
        root.OCProperties = pikepdf.Dictionary(OCGs=pikepdf.Array(),
                                               D=pikepdf.Dictionary(ON=pikepdf.Array(), Order=pikepdf.Array()))
    properties = root.OCProperties
    for group in properties.OCGs:
        if str(group.get("/Name", "")) == name:
            return group
    group = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String(name)))
    properties.OCGs.append(group)
    properties.D.ON.append(group)
    properties.D.Order.append(group)
    return group


def apply_marks(pdf: pikepdf.Pdf, marks_pdf: bytes, placements: dict[int, int], layer: str) -> None:
    """Draw page `placements[i]` of `marks_pdf` over page i of `pdf`, in the layer named `layer`."""
    marks = pikepdf.open(io.BytesIO(marks_pdf))
    group = _layer(pdf, layer)
    for page_index, sheet_index in placements.items():
        page = pdf.pages[page_index]
        form = pdf.copy_foreign(marks.pages[sheet_index].as_form_xobject())
        form.OC = group
        form[MARKS_KEY] = True
        name = _free_name(page, "Marks")
        page.add_resource(form, pikepdf.Name.XObject, name)
        # The page's own content is wrapped in q/Q so that no state it leaves behind moves the marks.
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"\nQ\nq " + bytes(name) + b" Do Q\n"))


def _free_name(page: pikepdf.Page, prefix: str) -> pikepdf.Name:
    """A resource name the page does not use yet; numbered, not random, so the bytes are reproducible."""
    used = set(page.obj.get("/Resources", {}).get("/XObject", {}).keys())
    number = 0
    while f"/{prefix}{number}" in used:
        number += 1
    return pikepdf.Name(f"/{prefix}{number}")


def strip_marks(data: bytes) -> bytes:
    """The same PDF with every layer of marks emptied: what the brochure itself looks like."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = False
        for page in pdf.pages:
            xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
            for _, xobject in xobjects.items():
                if xobject.get(MARKS_KEY):
                    xobject.write(b"")
                    found = True
        if not found:
            return data
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def text(value: object) -> str:
    return escape(str(value), quote=True)


__all__ = ["Sheet", "apply_marks", "as_outlines", "render_sheets", "strip_marks", "text"]
