"""`publication build`: a straight line of stages, everything read and checked before anything is written.

load content -> theme -> one rendition per distinct RenderSpec (the RGB editions drawn from the
print layout) -> each edition finishes its file -> the preflight checks the preflighted edition's
file -> one atomic write to dist/.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config.theme import load_theme
from ..content.project import load_project
from ..content.sources import Project
from ..core.dist import Output, write_outputs
from ..core.problems import BuildFailed, Code, Problem, Severity, error, raise_if_errors
from ..core.second_core import on_second_core
from ..editions import DEFAULT_EDITIONS, EDITIONS, STANDARD, WEB, Edition
from ..editions.web import photo_jobs
from ..preflight.ink import photo_places
from ..preflight.report import Report
from ..render.images import wait_for_background
from ..render.rendition import Renderer, Rendition, drawn_from, in_rgb, render
from ..render.spec import RenderSpec
from .manifest import manifest_output
from .preflight import REPORT_SUFFIXES, measure_ink, run_preflight


@dataclass(frozen=True)
class BuildOptions:
    strict: bool = False
    targets: tuple[str, ...] | None = None
    """Names of the editions to build (the command line's --target); None means the default set."""
    force: bool = False
    """Write the print PDF even when preflight finds errors (it is marked as not passed)."""


@dataclass(frozen=True)
class BuildResult:
    project: Project
    written: tuple[Path, ...]
    pages: int
    issues: tuple[Problem, ...]
    seconds: float
    renditions: tuple[Rendition, ...] = ()
    preflight: Report | None = None

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(issue for issue in self.issues if issue.severity is Severity.WARNING)


def resolve_editions(names: tuple[str, ...] | None) -> list[Edition]:
    chosen = names or DEFAULT_EDITIONS
    unknown = [name for name in chosen if name not in EDITIONS]
    if unknown:
        raise_if_errors([error("command line", None, f"unknown target '{unknown[0]}'; "
                               f"choose from: {', '.join(EDITIONS)}", Code.UNKNOWN_TARGET)])
    return [EDITIONS[name] for name in dict.fromkeys(chosen)]


def _finish(project: Project, editions: list[Edition], renditions: dict[str, Rendition], issues: list[Problem],
            options: BuildOptions, background: ThreadPoolExecutor) -> tuple[Report | None, list[Output]]:
    """Each edition's files, and the preflight of the preflighted edition (the print file). That
    file is made here, and Ghostscript measures its ink in a thread while the pages are checked; a
    forked child writes the other editions meanwhile (core/second_core.py), the standard one among
    them, which pictures the pages in the preflight report."""
    raise_if_errors(list(dict.fromkeys(issues)))
    checked = next((edition for edition in editions if edition.preflighted), None)
    if checked is None:  # nothing to do here while a child works: no child then
        return None, [output for edition in editions
                      for output in edition.finish(project, renditions[edition.name], edition)]
    printed = renditions[checked.name]
    elsewhere = [edition for edition in editions if edition is not checked]

    def finish_elsewhere() -> dict[str, list[Output]]:
        return {edition.name: edition.finish(project, renditions[edition.name], edition) for edition in elsewhere}

    with on_second_core(finish_elsewhere, worth_it=bool(elsewhere)) as child:

        def pages_pdf() -> bytes | None:
            standard = child.result().get(STANDARD.name)
            if standard:
                return standard[0].data
            drawn_alike = [rendition for rendition in renditions.values()
                           if rendition.rgb_view and rendition.document is printed.document]
            return drawn_alike[0].plain_pdf if drawn_alike else None

        [printed_file] = checked.finish(project, printed, checked)
        ink = background.submit(measure_ink, project, printed_file.data, photo_places(printed))
        report, printed_outputs = run_preflight(project, printed, printed_file, options.force, pages_pdf, ink)
        made = {**child.result(), checked.name: printed_outputs}
    return report, [output for edition in editions for output in made[edition.name]]


def build(root: Path, options: BuildOptions = BuildOptions(), renderer: Renderer = render) -> BuildResult:
    """Build the editions; `renderer` lays out each distinct RenderSpec once (a WarmBuilder passes its own)."""
    started = time.perf_counter()
    project, issues = load_project(root)
    editions = resolve_editions(options.targets)
    theme = load_theme(project.config.theme, project.asset_dirs)

    specs = {edition.name: edition.spec_for(project) for edition in editions}
    # Laying out is most of a build's time, so the RGB editions are drawn from the print
    # layout when there is one: one layout for every output, and the same pages in each.
    sources = [spec for spec in specs.values() if spec.colour_space == "cmyk"]
    renditions: dict[RenderSpec, Rendition] = {}
    # The web edition's photo versions are made in the background while the print layout is laid out.
    also = tuple(photo_jobs(project)) if WEB in editions and sources else ()
    for edition in editions:
        spec = specs[edition.name]
        if spec in renditions:
            continue
        source = next((source for source in sources if drawn_from(spec, source)), None)
        if source is None:
            renditions[spec] = renderer(project, theme, spec, options.strict)
        else:
            if source not in renditions:
                # the photos of every edition drawn from this layout are made while it is laid out
                drawn = tuple(dict.fromkeys(other for other in specs.values() if drawn_from(other, source)))
                renditions[source] = renderer(project, theme, source, options.strict, companions=drawn, also=also)
            renditions[spec] = in_rgb(project, renditions[source], spec)
        issues += renditions[spec].issues

    wait_for_background()  # the photo workers' threads ended, so that the second core's fork can happen
    with ThreadPoolExecutor(max_workers=1) as background:
        report, outputs = _finish(project, editions, {name: renditions[spec] for name, spec in specs.items()},
                                  issues, options, background)
    issues = list(dict.fromkeys(issues))
    checked = next((edition for edition in editions if edition.preflighted), None)
    if report and not report.passed and not options.force:
        reports = [output for output in outputs if output.name.endswith(REPORT_SUFFIXES)]
        failed = BuildFailed(issues + list(report.findings))
        failed.summary = report.summary()
        failed.written = tuple(write_outputs(project.dist_dir, reports))
        raise failed
    verdicts = {checked.output_name(project.slug): report.verdict(project.slug)} if report and checked else {}
    outputs.append(manifest_output(project, outputs, verdicts))
    written = write_outputs(project.dist_dir, outputs)
    first = next(iter(renditions.values()))
    return BuildResult(project, tuple(written), len(first.document.pages), tuple(issues),
                       time.perf_counter() - started, tuple(renditions.values()), report)
