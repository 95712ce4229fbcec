"""Validation without typesetting: the checks the build runs before WeasyPrint, in its order.

Everything a user can get wrong is read and checked here: publication.yml, the articles,
the theme, every photo (opened, not resized) and the layouts (rendered to HTML and thrown
away). Only the typesetting is skipped, so `check` takes a fraction of a second and
reports the same errors as `build` for everything a writer can cause. Two things need a
build: WeasyPrint's own warnings, and the stylesheet check (a theme's CSS), which parses the
CSS with WeasyPrint and would take `check` over a second.
"""

from __future__ import annotations

from pathlib import Path

from ..config.page_layouts import page_geometry
from ..config.theme import load_theme
from ..content.markdown import RenderedArticle, check_link_targets, render_article
from ..content.project import load_project
from ..content.sources import Project
from ..core.problems import Problem, raise_if_errors
from ..render.html import PlacedPhoto, render_document
from ..render.images import open_photo
from ..render.spec import SCREEN_SPEC


def _photo_issues(project: Project, articles: list[RenderedArticle]) -> list[Problem]:
    """Open every photo the way the image stage does, with the same file and line."""
    issues: list[Problem] = []
    opened = [(figure.path, figure.source, figure.line) for article in articles
              for figure in article.figures if figure.path is not None]
    for key in ("cover", "back_cover"):
        photo = getattr(project.config, key).photo
        if photo:
            opened.append(((project.content_dir / photo).resolve(), project.config_display_path,
                           project.photo_lines.get(key)))
    for path, source, line in opened:
        issues += open_photo(path, source, line, draft=True)[1]
    return issues


def check_project(root: Path) -> list[Problem]:
    """Raise BuildFailed with every error the build would report; return the warnings."""
    project, issues = load_project(root)
    theme = load_theme(project.config.theme, project.asset_dirs)
    articles: list[RenderedArticle] = []
    for source in project.articles:
        article, more = render_article(source, project)
        articles.append(article)
        issues += more
    issues += check_link_targets(articles)
    issues += _photo_issues(project, articles)
    raise_if_errors(issues)

    photos = {key: PlacedPhoto("", getattr(project.config, key).photo_alt) if getattr(project.config, key).photo
              else None for key in ("cover", "back_cover")}  # as the build passes them: a missing photo is None
    # The templates are the same for every output; rendering them once finds their errors.
    geometry = page_geometry(project.config.page, bleed=SCREEN_SPEC.bleed)
    _, more = render_document(project, articles, photos, theme, geometry, SCREEN_SPEC, lambda path: "",
                              keep_compiled=False)
    issues += more
    issues = list(dict.fromkeys(issues))
    raise_if_errors(issues)
    return issues
