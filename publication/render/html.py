"""Stage 4: the Jinja2 layouts turn the validated content into one HTML document.

Autoescape is on and undefined names are errors. Content never becomes template
source: articles arrive as finished, escaped HTML fragments and are only inserted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..config.geometry import Geometry
from ..config.page_layouts import page_layout_for
from ..config.theme import Theme
from ..content.markdown import RenderedArticle, breakable_address
from ..content.sources import Project
from ..core.builtin import BUILTIN_LAYOUTS
from ..core.dist import cache_folder
from ..core.i18n import words_for
from ..core.problems import Code, Problem, error
from ..core.reproducible import source_dates, w3c_date
from .spec import RenderSpec


@dataclass(frozen=True)
class PlacedPhoto:
    url: str
    alt: str


def long_date(value: dt.date, language: str) -> str:
    """The date in words, in the language's own order: '21 september 2016', 'September 21, 2016'."""
    return words_for(language).long_date(value)


def css_string(value: str) -> str:
    """Escape text for use inside a double-quoted CSS string."""
    return "".join(ch if ch.isalnum() or ch in " .,:;!?'’‘“”-–()&" else f"\\{ord(ch):x} " for ch in str(value))


def layout_dirs(project_root: Path) -> list[Path]:
    return [path for path in (project_root / "layouts", BUILTIN_LAYOUTS) if path.is_dir()]


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's compiled layouts, kept in the project's .cache/jinja/ between builds (compiling the
    built-in layouts costs a build 0.04 s). Jinja2 names each file by the layout's name and throws it
    away when the layout's source or the Python version differs. The folder is the project's, as its
    layouts are: the cache trusts no one the layouts do not. If it cannot be written, layouts are compiled."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged file (half written, truncated): compiled again
            bucket.reset()


def environment(project_root: Path, keep_compiled: bool = True) -> jinja2.Environment:
    """The layouts' Jinja2 environment; `keep_compiled`: in the project's .cache/jinja/ (`publication check`
    writes nothing)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in layout_dirs(project_root)]),
        bytecode_cache=_BytecodeCache(str(cache_folder(project_root, "jinja"))) if keep_compiled else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.filters["css_string"] = css_string
    env.filters["address"] = lambda text: Markup(breakable_address(str(text)))
    return env


def stylesheets(project: Project, theme: Theme) -> tuple[Path, ...]:
    """The page layout's stylesheet (chosen in publication.yml), then the theme's."""
    design = page_layout_for(project.config.page).stylesheet_path(project.asset_dirs)
    return (design, *theme.stylesheets)


def render_document(project: Project, articles: list[RenderedArticle], photos: dict[str, PlacedPhoto],
                    theme: Theme, geometry: Geometry, spec: RenderSpec, asset_url,
                    blank_pages: int = 0, logo: str | None = None, keep_compiled: bool = True
                    ) -> tuple[str, list[Problem]]:
    """Render the whole brochure to one HTML string; `blank_pages` go before the colofon; `logo` is
    the URL of the theme's logo as prepared (a raster logo in CMYK for print), if not the file itself."""
    env = environment(project.root, keep_compiled)
    config = project.config
    context = {
        "publication": config,
        "_": words_for(config.language),
        "articles": [{"source": a.source.display_path, "front": a.source.front, "html": Markup(a.html),
                      "slug": Path(a.source.display_path).stem} for a in articles],
        "photos": photos,
        "geometry": geometry,
        "spec": spec,
        "extra_css": [Markup(css) for css in spec.extra_css],
        "stylesheets": [asset_url(path) for path in stylesheets(project, theme)],
        "blank_pages": blank_pages,
        "logo": logo or (asset_url(theme.logo) if theme.logo else ""),
        "colour_properties": theme.css_properties(spec.colour_space),
        "page_properties": geometry.css_properties(),
        "created": w3c_date(source_dates(config)[0]),
        "modified": w3c_date(source_dates(config)[1]),
    }
    try:
        return env.get_template("base.html.j2").render(context), []
    except jinja2.TemplateSyntaxError as exc:
        return "", [error(exc.filename or exc.name or "layouts", exc.lineno, f"layout error: {exc.message}",
                          Code.LAYOUT_SYNTAX)]
    except jinja2.UndefinedError as exc:
        return "", [error("layouts/base.html.j2", None, f"layout uses an unknown value: {exc.message}",
                          Code.LAYOUT_UNDEFINED)]
    except jinja2.TemplateNotFound as exc:
        return "", [error("layouts", None, f"layout file '{exc.name}' not found", Code.LAYOUT_MISSING)]
