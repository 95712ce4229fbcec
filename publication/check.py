"""Validation without typesetting: the same checks the build runs before layout."""

from __future__ import annotations

from pathlib import Path

from .content import load_project
from .errors import Issue, raise_if_errors
from .images import ImageRequest, _open
from .markdown import render_article


def check_project(root: Path) -> list[Issue]:
    project, issues = load_project(root)
    for source in project.articles:
        article, more = render_article(source, project)
        issues += more
        for figure in article.figures:
            if figure.path is not None:
                _, problem = _open(figure.path, figure.source, figure.line)
                if problem:
                    issues.append(problem)
    raise_if_errors(issues)
    return issues
