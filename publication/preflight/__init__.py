"""Preflight: what a print shop's preflight would catch, found before the file leaves the building.

Three kinds of checks, one module each: the content (content.py: alt text, credits), the
laid-out pages (pages.py: WeasyPrint's boxes) and the finished file (document.py, geometry.py, and
ink.py for total ink at 300 dpi and the separations). Every finding is a `Problem` with a declared
`Code` (core/problems.py), its page, its element and, where the element came from Markdown, its
source file and line. html.py writes the report that pictures each page with its problems marked,
and each page's separations.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from ..core.builtin import BUILTIN_ROOT
from ..core.files import display, is_inside
from ..core.problems import WEASYPRINT_CODES, Severity
from ..render.html import stylesheets
from ..render.stylecheck import font_faces
from ..render.weasy import is_blank_page
from .content import check_figures, findings_from_issues
from .document import check_pdf
from .geometry import locate
from .ink import InkCheck, check_ink, ink_cache_dir, photo_places
from .pages import (
    SAFETY_ZONE_MM,
    FontCoverage,
    check_boxes,
    check_empty_pages,
    check_layout,
    check_padding,
    check_pages,
    check_small_text_inks,
    check_svg_text,
    has_blank_marker,
    pages_by_source,
)
from .report import Report

__all__ = ["SAFETY_ZONE_MM", "WEASYPRINT_CODES", "Report", "failed_report", "preflight"]


def preflight(project, rendition, pdf_bytes: bytes, font_dirs: list[Path],
              ink: "Future[InkCheck] | None" = None) -> Report:
    """Every check of the print file `pdf_bytes` laid out as `rendition`; `ink` is the ink check
    (ink.py) if the build started it already."""
    settings = project.config.print
    document = rendition.document
    findings = check_figures(rendition.articles, pages_by_source(document))
    fonts = FontCoverage(font_dirs, font_faces(stylesheets(project, rendition.theme)))
    findings += check_boxes(document, settings.ppi, fonts, rendition.spec.colour_space == "cmyk")
    if rendition.spec.colour_space == "cmyk":
        findings += check_small_text_inks(document)
    if rendition.theme.logo and rendition.theme.logo.suffix.lower() == ".svg":
        findings += check_svg_text(rendition.theme.logo, shown_path(rendition.theme.logo, project), fonts)
    findings += check_layout(document)
    findings += check_empty_pages(document)
    findings += check_pages(document)
    findings += check_padding(document, settings.binding)
    findings += check_pdf(pdf_bytes, settings, project.config_display_path, fonts.postscript_names)
    inked = ink.result() if ink else check_ink(pdf_bytes, settings.max_ink, ink_cache_dir(project),
                                               photo_places(rendition))
    findings += inked.findings
    findings += [issue if issue.severity is Severity.WARNING else replace(issue, severity=Severity.WARNING)
                 for issue in rendition.issues if issue.code in WEASYPRINT_CODES]
    findings = locate(findings, document)
    blank = tuple(number for number, page in enumerate(document.pages, start=1)
                  if is_blank_page(page) or has_blank_marker(page))
    return Report(tuple(dict.fromkeys(findings)), len(document.pages), settings.standard, settings.binding,
                  blank_pages=blank, separations=inked.separations, max_ink=settings.max_ink)


def shown_path(path: Path, project) -> str:
    """A file as messages name it: relative to the project, or to the tool's own folder."""
    for root in (project.root, BUILTIN_ROOT):
        if is_inside(path, [root]):
            return display(path.resolve(), root.resolve())
    return str(path)


def failed_report(project, issues) -> Report:
    """The report of a build that stopped before layout."""
    settings = project.config.print
    return Report(tuple(findings_from_issues(issues)), 0, settings.standard, settings.binding)
