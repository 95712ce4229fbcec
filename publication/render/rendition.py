"""Rendering: photos, Markdown, HTML and WeasyPrint's spec for one RenderSpec, as a Rendition.

A Rendition is the laid-out document every edition is finished from. The print spec is the
only one WeasyPrint makes when the print edition is built: the RGB editions are the same pages
drawn in RGB (`in_rgb`, see rgb_view.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pikepdf
import weasyprint

from ..config.geometry import Geometry
from ..config.models import BINDING_MULTIPLE
from ..config.page_layouts import page_geometry, page_layout_for
from ..config.theme import Theme
from ..content.markdown import Figure, RenderedArticle, check_link_targets, render_article
from ..content.sources import Project
from ..core.builtin import BUILTIN_ASSETS, BUILTIN_LAYOUTS, BUILTIN_ROOT
from ..core.dist import cache_folder, keep_in_cache
from ..core.files import display
from ..core.problems import Problem, Severity, error, raise_if_errors
from .html import PlacedPhoto, layout_dirs, render_document, stylesheets
from .images import ImageRequest, PhotoVersion, PreparedImage, output_for, prepare_photos
from .rgb_view import RgbView, drawn_in_rgb
from .spec import RenderSpec
from .stylecheck import check_gradients, check_stylesheets, locate_refused
from .typeset import Typeset, typeset, write_pdf


@dataclass(frozen=True)
class Rendition:
    """One laid-out document, shared by all targets with the same RenderSpec."""

    spec: RenderSpec
    geometry: Geometry
    html: str
    document: weasyprint.document.Document
    articles: tuple[RenderedArticle, ...]
    issues: tuple[Problem, ...]
    theme: Theme
    images: tuple[PreparedImage, ...] = ()
    """Every photo as placed; `from_cache` says whether it was processed in this render."""
    rgb_view: RgbView | None = None
    """Set when this RGB edition is drawn from the print spec's pages (see rgb_view.py)."""
    made: dict = field(default_factory=dict, compare=False, repr=False)
    """Files made from this rendition that a second edition needs too, by edition name (the web
    edition offers the screen PDF for download: editions/screen.finish_screen_once)."""

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


def photo_version(spec: RenderSpec) -> PhotoVersion:
    """How the photos of a spec's pages are prepared."""
    return PhotoVersion(spec.ppi, spec.output_profile if spec.colour_space == "cmyk" else None, spec.max_ink)


@dataclass
class _ImageStage:
    """Prepares each photo as the spec asks for it, and remembers what went wrong. The photos are
    asked for one by one (`url`) and prepared all at once (`prepare_all`), on every core; the versions
    the `companions` will ask for are made after them, in the background, while this spec is laid out."""

    project: Project
    relative_to: Path
    spec: RenderSpec
    companions: tuple[RenderSpec, ...] = ()
    also: tuple[tuple[ImageRequest, PhotoVersion], ...] = ()
    """Versions of photos other editions will ask for (the web edition's), made in the background too."""
    issues: list[Problem] = field(default_factory=list)
    prepared: list[PreparedImage] = field(default_factory=list)
    requests: list[ImageRequest] = field(default_factory=list)

    @property
    def cache_dir(self) -> Path:
        return cache_folder(self.project.root, "images")

    def prepare_all(self, requests: list[ImageRequest]) -> list[PreparedImage | None]:
        own = photo_version(self.spec)
        made = prepare_photos(requests, [own], self.cache_dir,
                              background=[photo_version(spec) for spec in self.companions], also=self.also)
        results = []
        for request in requests:
            prepared, problems = made[request, own]
            self.issues += [problem for problem in problems if problem not in self.issues]
            if prepared:
                self.prepared.append(prepared)
            results.append(prepared)
        return results

    def prepare(self, request: ImageRequest) -> PreparedImage | None:
        return self.prepare_all([request])[0]

    def relative_url(self, prepared: PreparedImage) -> str:
        return Path(os.path.relpath(prepared.output, self.relative_to)).as_posix()

    def url(self, request: ImageRequest) -> str:
        """Where the photo will be once `prepare_asked` has run (its cache file is named by its content)."""
        self.requests.append(request)
        try:
            output = output_for(request, photo_version(self.spec), self.cache_dir)
        except OSError:
            return ""  # prepare_asked reports it
        return Path(os.path.relpath(output, self.relative_to)).as_posix()

    def prepare_asked(self) -> None:
        """Prepare every photo `url` was asked for."""
        self.prepare_all(self.requests)

    def figure_url(self, figure: Figure, geometry: Geometry) -> str:
        return self.url(ImageRequest(figure.path, figure.source, figure.line,
                                     geometry.placed_width(figure.placement) * (figure.width_percent or 100) / 100,
                                     figure.height_mm or geometry.placed_height(figure.placement)))


Typesetter = Callable[[str, Path, list[Path]], Typeset]
"""(html, base_url, allowed_roots) -> Typeset: `typeset`, or a warm one (see warm.py)."""


def render(project: Project, theme: Theme, spec: RenderSpec, strict: bool = False,
           typesetter: Typesetter = typeset, companions: tuple[RenderSpec, ...] = (),
           also: tuple[tuple[ImageRequest, PhotoVersion], ...] = ()) -> Rendition:
    """Photos, Markdown, HTML and WeasyPrint's layout for one RenderSpec. Raises BuildFailed on errors.
    The photos of the `companions` (specs to be drawn from this one with `in_rgb`) are prepared too, and
    the versions `also` asks for, in the background while this spec is laid out.
    The blank pages the binding needs are guessed from the last build (kept in .cache/): when the guess is
    right, the publication is laid out once; when it is not, a second time, and the pages are the same."""
    config = project.config
    geometry = page_geometry(config.page, bleed=spec.bleed)
    dist = project.dist_dir
    images = _ImageStage(project, dist, spec, companions, also)
    issues: list[Problem] = []

    articles: list[RenderedArticle] = []
    for source in project.articles:
        article, more = render_article(source, project, lambda figure: images.figure_url(figure, geometry))
        articles.append(article)
        issues += more
    issues += check_link_targets(articles)

    # A missing photo is None, not undefined.
    photos: dict[str, PlacedPhoto | None] = dict.fromkeys(("cover", "back_cover"))
    for key in ("cover", "back_cover"):
        part = getattr(config, key)
        if part.photo:
            path = (project.content_dir / part.photo).resolve()
            request = ImageRequest(
                path, project.config_display_path, project.photo_lines.get(key), *geometry.cover_photo_box(key)
            )
            photos[key] = PlacedPhoto(images.url(request), part.photo_alt)
    logo = None
    if spec.colour_space == "cmyk" and theme.logo and theme.logo.suffix.lower() != ".svg":
        # A raster logo (PNG) is a photo to the press: converted to CMYK like one, never enlarged.
        logo = images.url(ImageRequest(theme.logo, _theme_file(project, theme), None, geometry.page_width))
    images.prepare_asked()
    issues += images.issues
    raise_if_errors(issues)

    def asset_url(path: Path) -> str:
        return Path(os.path.relpath(path, dist)).as_posix()

    blank_pages = _remembered_blank_pages(project)
    html, more = render_document(project, articles, photos, theme, geometry, spec, asset_url, blank_pages, logo)
    issues += more
    raise_if_errors(issues)

    allowed = [project.root, BUILTIN_ASSETS, BUILTIN_LAYOUTS]
    styles = check_stylesheets(stylesheets(project, theme), [project.root, BUILTIN_ROOT], allowed,
                               cache_folder(project.root, "styles"))
    issues += styles.issues
    if spec.colour_space == "cmyk":
        issues += check_gradients(stylesheets(project, theme), [project.root, BUILTIN_ROOT], list(theme.colours))
    raise_if_errors(issues)

    laid_out = typesetter(html, dist / f"{project.slug}.html", allowed)
    # each blank section is one page of its own, so the pages of content are the rest
    content_pages = len(laid_out.document.pages) - blank_pages
    needed = page_layout_for(config.page).blank_pages_needed(content_pages, BINDING_MULTIPLE[config.print.binding])
    if needed != blank_pages:
        keep_in_cache(_blank_pages_file(project), str(needed).encode())
        html, _ = render_document(project, articles, photos, theme, geometry, spec, asset_url, needed, logo)
        laid_out = typesetter(html, dist / f"{project.slug}.html", allowed)
    layout_files = [file for folder in layout_dirs(project.root) for file in sorted(folder.glob("*.j2"))]
    issues += locate_refused(
        [issue for issue in laid_out.issues if issue.message not in styles.reported],
        layout_files,
        [project.root, BUILTIN_ROOT],
    )
    if strict and any(issue.severity is Severity.WARNING for issue in issues):
        issues = [error(i.path, i.line, f"{i.message} (an error because of --strict)", i.code) for i in issues]
    raise_if_errors(issues)
    return Rendition(spec, geometry, html, laid_out.document, tuple(articles), tuple(issues), theme,
                     tuple(images.prepared))


def _blank_pages_file(project: Project) -> Path:
    return cache_folder(project.root, "blank-pages")


def _remembered_blank_pages(project: Project) -> int:
    """The blank pages the last build needed: a guess that saves a second layout of the whole publication."""
    try:
        return max(0, int(_blank_pages_file(project).read_text()))
    except (OSError, ValueError):
        return 0


def _theme_file(project: Project, theme: Theme) -> str:
    """The theme.yml a raster logo is named in, as problems show it."""
    return display(theme.directory / "theme.yml", project.root)


def drawn_from(spec: RenderSpec, source: RenderSpec) -> bool:
    """Whether `spec` can be drawn from the pages of `source` instead of being laid out anew:
    an RGB edition from the CMYK print spec, which differs only in colours, photos and bleed."""
    return (
        spec.colour_space == "rgb"
        and source.colour_space == "cmyk"
        and not spec.extra_css
    )


def in_rgb(project: Project, source: Rendition, spec: RenderSpec, keep_bleed: bool = False) -> Rendition:
    """The print rendition drawn as an RGB edition: the same pages, each photo's RGB version."""
    images = _ImageStage(project, project.dist_dir, spec)
    photos: dict[str, str] = {}
    for placed, prepared in zip(source.images, images.prepare_all([placed.request for placed in source.images])):
        if prepared:
            photos[images.relative_url(placed)] = prepared.output.resolve().as_uri()
    raise_if_errors(images.issues)
    return Rendition(
        spec,
        source.geometry,
        source.html,
        source.document,
        source.articles,
        source.issues,
        source.theme,
        tuple(images.prepared),
        RgbView.for_theme(source.theme, photos, keep_bleed),
    )


Renderer = Callable[..., Rendition]
"""(project, theme, spec, strict, companions=()) -> Rendition: `render`, or a WarmBuilder's."""
