"""`publication preflight`, and the preflight step of a build: check the print file as a print shop would.

The build runs `run_preflight` on the preflighted edition's file (editions/press.py); the
command lays the print edition out in memory and writes only the report.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..config.theme import load_theme
from ..content.project import load_project
from ..content.sources import Project
from ..core.dist import Output, write_outputs
from ..core.problems import BuildFailed
from ..editions.press import PRINT, finish_print, mark_not_passed, print_spec
from ..preflight import Report, failed_report, preflight
from ..preflight.html import report_outputs
from ..preflight.ink import InkCheck, PhotoPlace, check_ink, ink_cache_dir
from ..render.rendition import Rendition, render

REPORT_SUFFIXES = ("-preflight.json", "-preflight.html")


def measure_ink(project: Project, pdf_bytes: bytes, photos: tuple[PhotoPlace, ...] = ()) -> InkCheck:
    """The preflight's ink check, which the build starts early to run beside the other editions;
    `photos` (ink.photo_places of the print rendition) names the photo an area lies on."""
    return check_ink(pdf_bytes, project.config.print.max_ink, ink_cache_dir(project), photos)


def run_preflight(project: Project, rendition: Rendition, printed: Output, force: bool,
                  pages_pdf: Callable[[], bytes | None] | None = None,
                  ink: Future[InkCheck] | None = None) -> tuple[Report, list[Output]]:
    """Preflight the print file. Returns the report, and the print file followed by the report's
    files; with --force and errors, the print file is marked as not passed. `pages_pdf` gives the
    PDF that pictures the pages in the report, once the checks are done: the RGB edition drawn from
    the same layout shows the same pages and renders six times faster than the 300 ppi CMYK print
    file; `ink` is the ink check's Future, if started already."""
    report = replace(preflight(project, rendition, printed.data, project.font_dirs, ink), forced=force)
    if force and not report.passed:
        note = f"not passed: {len(report.errors)} errors, see {project.slug}-preflight.html"
        printed = replace(printed, data=mark_not_passed(printed.data, note))
    pictured = pages_pdf() if pages_pdf else None
    return report, [printed, *report_outputs(project.slug, project.config.title, report, pictured or printed.data)]


def preflight_only(root: Path) -> tuple[Report, list[Path]]:
    """Lay out and finish the print PDF in memory and write only the report."""
    project, _ = load_project(root)
    theme = load_theme(project.config.theme, project.asset_dirs)
    try:
        rendition = render(project, theme, print_spec(project))
    except BuildFailed as failed:
        report = failed_report(project, failed.problems)
        return report, write_outputs(project.dist_dir, report_outputs(project.slug, project.config.title, report, None))
    [printed] = finish_print(project, rendition, PRINT)
    report, outputs = run_preflight(project, rendition, printed, force=False)
    reports = [output for output in outputs if output.name.endswith(REPORT_SUFFIXES)]
    return report, write_outputs(project.dist_dir, reports)
