"""The build: a straight line of stages, everything read and checked before anything is written.

load content -> theme -> for each distinct layout: photos, Markdown, HTML, WeasyPrint render
-> each target finishes its PDF from a shared render -> one atomic write to dist/.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pikepdf
import weasyprint

from .content import Project, load_project
from .errors import BuildFailed, Issue, Severity, error, raise_if_errors
from .geometry import Geometry
from .images import ImageRequest, PreparedImage, prepare
from .layout import BUILTIN_ASSETS, BUILTIN_LAYOUTS, PlacedPhoto, layout_dirs, render_document, stylesheets
from .manifest import manifest_output
from .markdown import Figure, RenderedArticle, render_article
from .page_layouts import page_geometry, page_layout_for
from .output import Output, write_outputs
from . import impose, proof, screen  # noqa: F401 - they register their targets
from . import press  # registers the print target; build runs its preflight
from . import targets as registry
from .preflight import Report
from .rgb_view import RgbView, drawn_in_rgb
from .second_core import on_second_core
from .stylecheck import check_stylesheets, locate_refused
from .targets import TARGETS, Layout, Target
from .theme import Theme, load_theme
from .typeset import Typeset, typeset, write_pdf


@dataclass(frozen=True)
class BuildOptions:
    strict: bool = False
    targets: tuple[str, ...] | None = None
    """Names of the targets to build; None means the default set."""
    force: bool = False
    """Write the print PDF even when preflight finds errors (it is marked as not passed)."""


@dataclass(frozen=True)
class Rendition:
    """One laid-out document, shared by all targets with the same Layout."""

    layout: Layout
    geometry: Geometry
    html: str
    document: weasyprint.document.Document
    articles: tuple[RenderedArticle, ...]
    issues: tuple[Issue, ...]
    theme: Theme
    images: tuple[PreparedImage, ...] = ()
    """Every photo as placed; `from_cache` says whether it was processed in this render."""
    rgb_view: RgbView | None = None
    """Set when this RGB edition is drawn from the print layout's pages (see rgb_view.py)."""

    @property
    def images_processed(self) -> int:
        return sum(not image.from_cache for image in self.images)

    @property
    def identifier(self) -> bytes:
        return hashlib.sha256(self.html.encode()).hexdigest()[:32].encode()

    def write(self, identifier: bytes | None = None, object_streams: bool = True,
              finish: Callable[[pikepdf.Pdf], None] | None = None, **options) -> bytes:
        """Write the laid-out pages as this rendition draws them, finished by `finish` (see write_pdf);
        `options` go to WeasyPrint."""
        with drawn_in_rgb(self.document, self.rgb_view) if self.rgb_view else contextlib.nullcontext():
            return write_pdf(self.document, identifier or self.identifier, object_streams, finish, **options)

    @functools.cached_property
    def plain_pdf(self) -> bytes:
        """The PDF as WeasyPrint writes it, made once for all the targets that start from it."""
        return self.write()


@dataclass(frozen=True)
class BuildResult:
    project: Project
    written: tuple[Path, ...]
    pages: int
    issues: tuple[Issue, ...]
    seconds: float
    renditions: tuple[Rendition, ...] = ()
    preflight: Report | None = None

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity is Severity.WARNING)


@dataclass
class _ImageStage:
    """Prepares each photo as the layout asks for it, and remembers what went wrong."""

    project: Project
    relative_to: Path
    layout: Layout
    issues: list[Issue] = field(default_factory=list)
    prepared: list[PreparedImage] = field(default_factory=list)

    @property
    def cache_dir(self) -> Path:
        return self.project.root / ".cache" / "images"

    def prepare(self, request: ImageRequest) -> PreparedImage | None:
        prepared, problem = prepare(request, self.cache_dir, self.layout.ppi, self.layout.output_profile,
                                    self.layout.max_ink)
        if problem:
            self.issues.append(problem)
            return None
        self.prepared.append(prepared)
        return prepared

    def relative_url(self, prepared: PreparedImage) -> str:
        return Path(os.path.relpath(prepared.output, self.relative_to)).as_posix()

    def url(self, request: ImageRequest) -> str:
        prepared = self.prepare(request)
        return self.relative_url(prepared) if prepared else ""

    def figure_url(self, figure: Figure, geometry: Geometry) -> str:
        return self.url(ImageRequest(figure.path, figure.source, figure.line,
                                     geometry.placed_width(figure.placement) * (figure.width_percent or 100) / 100,
                                     geometry.placed_height(figure.placement)))


def resolve_targets(names: tuple[str, ...] | None) -> list[Target]:
    chosen = names or registry.DEFAULT_TARGETS  # read now: modules register targets when imported
    unknown = [name for name in chosen if name not in TARGETS]
    if unknown:
        raise_if_errors([error("command line", None, f"unknown target '{unknown[0]}'; "
                               f"choose from: {', '.join(TARGETS)}", "unknown-target")])
    return [TARGETS[name] for name in dict.fromkeys(chosen)]


Typesetter = Callable[[str, Path, list[Path]], Typeset]
"""(html, base_url, allowed_roots) -> Typeset: `typeset`, or a warm one (see warm.py)."""


def render(project: Project, theme: Theme, layout: Layout, strict: bool = False,
           typesetter: Typesetter = typeset) -> Rendition:
    """Photos, Markdown, HTML and WeasyPrint layout for one Layout. Raises BuildFailed on errors."""
    config = project.config
    geometry = page_geometry(config.page, bleed=layout.bleed)
    dist = project.dist_dir
    images = _ImageStage(project, dist, layout)
    issues: list[Issue] = []

    articles: list[RenderedArticle] = []
    for source in project.articles:
        article, more = render_article(source, project, lambda figure: images.figure_url(figure, geometry))
        articles.append(article)
        issues += more

    photos: dict[str, PlacedPhoto | None] = dict.fromkeys(("cover", "back_cover"))  # a missing photo is None, not undefined
    for key in ("cover", "back_cover"):
        part = getattr(config, key)
        if part.photo:
            path = (project.content_dir / part.photo).resolve()
            request = ImageRequest(path, project.config_display_path, project.photo_lines.get(key),
                                   *geometry.cover_photo_box(key))
            photos[key] = PlacedPhoto(images.url(request), part.photo_alt)
    issues += images.issues
    raise_if_errors(issues)

    def asset_url(path: Path) -> str:
        return Path(os.path.relpath(path, dist)).as_posix()

    html, more = render_document(project, articles, photos, theme, geometry, layout, asset_url)
    issues += more
    raise_if_errors(issues)

    allowed = [project.root, BUILTIN_ASSETS, BUILTIN_LAYOUTS]
    styles = check_stylesheets(stylesheets(project, theme), [project.root, BUILTIN_ASSETS.parent], allowed)
    issues += styles.issues
    raise_if_errors(issues)

    laid_out = typesetter(html, dist / f"{project.slug}.html", allowed)
    pages = len(laid_out.document.pages)
    blank_pages = page_layout_for(config.page).blank_pages_needed(pages, layout.pages_multiple_of)
    if blank_pages:
        html, _ = render_document(project, articles, photos, theme, geometry, layout, asset_url, blank_pages)
        laid_out = typesetter(html, dist / f"{project.slug}.html", allowed)
    layout_files = [file for folder in layout_dirs(project.root) for file in sorted(folder.glob("*.j2"))]
    issues += locate_refused([issue for issue in laid_out.issues if issue.message not in styles.reported],
                             layout_files, [project.root, BUILTIN_ASSETS.parent])
    if strict and (laid_out.issues or styles.issues):
        issues = [error(i.path, i.line, f"{i.message} (an error because of --strict)", i.code) for i in issues]
    raise_if_errors(issues)
    return Rendition(layout, geometry, html, laid_out.document, tuple(articles), tuple(issues), theme,
                     tuple(images.prepared))


def drawn_from(layout: Layout, source: Layout) -> bool:
    """Whether `layout` can be drawn from the pages of `source` instead of being laid out anew:
    an RGB edition from the CMYK print layout, which differs only in colours, photos and bleed."""
    return (layout.colour_space == "rgb" and source.colour_space == "cmyk" and not layout.extra_css
            and layout.pages_multiple_of in (1, source.pages_multiple_of))


def in_rgb(project: Project, source: Rendition, layout: Layout, keep_bleed: bool = False) -> Rendition:
    """The print rendition drawn as an RGB edition: the same pages, each photo's RGB version."""
    images = _ImageStage(project, project.dist_dir, layout)
    photos: dict[str, str] = {}
    for placed in source.images:
        prepared = images.prepare(placed.request)
        if prepared:
            photos[images.relative_url(placed)] = prepared.output.resolve().as_uri()
    raise_if_errors(images.issues)
    return Rendition(layout, source.geometry, source.html, source.document, source.articles, source.issues,
                     source.theme, tuple(images.prepared), RgbView.for_theme(source.theme, photos, keep_bleed))


def _finish(project: Project, targets: list[Target], renditions: dict[str, Rendition], issues: list[Issue],
            options: BuildOptions, background: ThreadPoolExecutor) -> tuple[Report | None, list[Output]]:
    """Each target's files, and the preflight of the print file. The print file is made here, and
    Ghostscript measures its ink in a thread while the pages are checked; a forked child writes the
    other editions meanwhile (second_core.py), the standard one among them, which pictures the
    pages in the preflight report."""
    raise_if_errors(list(dict.fromkeys(issues)))
    if press.PRINT not in targets:  # nothing to do here while a child works: no child then
        return None, [output for target in targets for output in target.finish(project, renditions[target.name], target)]
    printed = renditions[press.PRINT.name]
    elsewhere = [target for target in targets if target is not press.PRINT]

    def finish_elsewhere() -> dict[str, list[Output]]:
        return {target.name: target.finish(project, renditions[target.name], target) for target in elsewhere}

    with on_second_core(finish_elsewhere, worth_it=bool(elsewhere)) as child:

        def pages_pdf() -> bytes | None:
            standard = child.result().get(registry.STANDARD.name)
            if standard:
                return standard[0].data
            drawn_alike = [rendition for rendition in renditions.values()
                           if rendition.rgb_view and rendition.document is printed.document]
            return drawn_alike[0].plain_pdf if drawn_alike else None

        printed_outputs = press.PRINT.finish(project, printed, press.PRINT)
        ink = background.submit(press.measure_ink, project, printed_outputs[0].data)
        report, printed_outputs = press.run_preflight(project, printed, printed_outputs, options.force, pages_pdf, ink)
        made = {**child.result(), press.PRINT.name: printed_outputs}
    return report, [output for target in targets for output in made[target.name]]


Renderer = Callable[[Project, Theme, Layout, bool], Rendition]


def build(root: Path, options: BuildOptions = BuildOptions(), renderer: Renderer = render) -> BuildResult:
    """Build the targets; `renderer` lays out each distinct Layout once (a WarmBuilder passes its own)."""
    started = time.perf_counter()
    project, issues = load_project(root)
    targets = resolve_targets(options.targets)
    theme = load_theme(project.config.theme, [project.root / "assets", BUILTIN_ASSETS])

    layouts = {target.name: target.layout_for(project) for target in targets}
    # Laying out is most of a build's time, so the RGB editions are drawn from the print
    # layout when there is one: one layout for every output, and the same pages in each.
    sources = [layout for layout in layouts.values() if layout.colour_space == "cmyk"]
    renditions: dict[Layout, Rendition] = {}
    for target in targets:
        layout = layouts[target.name]
        if layout in renditions:
            continue
        source = next((source for source in sources if drawn_from(layout, source)), None)
        if source is None:
            renditions[layout] = renderer(project, theme, layout, options.strict)
        else:
            if source not in renditions:
                renditions[source] = renderer(project, theme, source, options.strict)
            renditions[layout] = in_rgb(project, renditions[source], layout)
        issues += renditions[layout].issues

    with ThreadPoolExecutor(max_workers=1) as background:
        report, outputs = _finish(project, targets, {name: renditions[layout] for name, layout in layouts.items()},
                                  issues, options, background)
    issues = list(dict.fromkeys(issues))
    if report and not report.passed and not options.force:
        reports = [output for output in outputs if output.name.endswith(press.REPORT_SUFFIXES)]
        failed = BuildFailed(issues + report.as_issues())
        failed.summary = report.summary()
        failed.written = tuple(write_outputs(project.dist_dir, reports))
        raise failed
    verdicts = {press.PRINT.output_name(project.slug): report.verdict(project.slug)} if report else {}
    outputs.append(manifest_output(project, outputs, verdicts))
    written = write_outputs(project.dist_dir, outputs)
    first = next(iter(renditions.values()))
    return BuildResult(project, tuple(written), len(first.document.pages), tuple(issues),
                       time.perf_counter() - started, tuple(renditions.values()), report)


__all__ = ["BuildFailed", "BuildOptions", "BuildResult", "Rendition", "build", "render"]
