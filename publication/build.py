"""The build: a straight line of stages, everything read and checked before anything is written."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .content import Project, load_project
from .errors import BuildFailed, Issue, Severity, error, raise_if_errors
from .geometry import geometry_for
from .images import ImageRequest, prepare
from .layout import BUILTIN_ASSETS, BUILTIN_LAYOUTS, PlacedPhoto, Target, render_document
from .markdown import Figure, RenderedArticle, render_article
from .output import Output, write_outputs
from .theme import load_theme
from .typeset import typeset, write_pdf

STANDARD = Target(name="standard", colour_space="rgb", bleed=0.0)


@dataclass(frozen=True)
class BuildOptions:
    strict: bool = False
    ppi: int = 300


@dataclass(frozen=True)
class BuildResult:
    project: Project
    written: tuple[Path, ...]
    pages: int
    issues: tuple[Issue, ...]
    seconds: float

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity is Severity.WARNING)


@dataclass
class _ImageStage:
    """Prepares each photo as the layout asks for it, and remembers what went wrong."""

    project: Project
    relative_to: Path
    ppi: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def cache_dir(self) -> Path:
        return self.project.root / ".cache" / "images"

    def url(self, request: ImageRequest) -> str:
        prepared, problem = prepare(request, self.cache_dir, self.ppi)
        if problem:
            self.issues.append(problem)
            return ""
        return Path(os.path.relpath(prepared.output, self.relative_to)).as_posix()

    def figure_url(self, figure: Figure, geometry) -> str:
        return self.url(ImageRequest(figure.path, figure.source, figure.line,
                                     geometry.placed_width(figure.placement) * (figure.width_percent or 100) / 100))


def build(root: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    started = time.perf_counter()
    project, issues = load_project(root)
    config = project.config
    theme = load_theme(config.theme, [project.root / "assets", BUILTIN_ASSETS])
    target = STANDARD
    geometry = geometry_for(config.page.size, bleed=target.bleed)
    dist = project.dist_dir
    images = _ImageStage(project, dist, options.ppi)

    articles: list[RenderedArticle] = []
    for source in project.articles:
        article, more = render_article(source, project, lambda figure: images.figure_url(figure, geometry))
        articles.append(article)
        issues += more

    photos: dict[str, PlacedPhoto] = {}
    full_page = (geometry.page_width + 2 * geometry.bleed, geometry.page_height + 2 * geometry.bleed)
    for key in ("cover", "back_cover"):
        part = getattr(config, key)
        if part.photo:
            path = (project.content_dir / part.photo).resolve()
            request = ImageRequest(path, project.config_display_path, None, *full_page)
            photos[key] = PlacedPhoto(images.url(request), part.photo_alt)
    issues += images.issues
    raise_if_errors(issues)

    def asset_url(path: Path) -> str:
        return Path(os.path.relpath(path, dist)).as_posix()

    html, more = render_document(project, articles, photos, theme, geometry, target, asset_url)
    issues += more
    raise_if_errors(issues)

    html_path = dist / f"{project.slug}.html"
    laid_out = typeset(html, html_path, [project.root, BUILTIN_ASSETS, BUILTIN_LAYOUTS])
    issues += laid_out.issues
    if options.strict and laid_out.issues:
        issues = [error(i.path, i.line, f"{i.message} (an error because of --strict)", i.code) for i in issues]
    raise_if_errors(issues)

    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = write_pdf(laid_out.document, identifier)
    outputs = [
        Output(f"{project.slug}.pdf", pdf, "the designed brochure"),
        Output(f"{project.slug}.html", html.encode(), "the HTML the PDF was typeset from"),
    ]
    written = write_outputs(dist, outputs)
    return BuildResult(project, tuple(written), len(laid_out.document.pages), tuple(issues),
                       time.perf_counter() - started)


__all__ = ["BuildFailed", "BuildOptions", "BuildResult", "build"]
