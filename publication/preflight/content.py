"""Preflight of the content: what the writer can fix in the Markdown (alt text, credits), and the
problems that stopped a build before layout, as the report shows them."""

from __future__ import annotations

from dataclasses import replace

from ..core.problems import Code, Problem
from .report import _warning

PRE_LAYOUT_CODES = {Code.PHOTO: Code.IMAGE_MISSING, Code.IMAGE_DAMAGED: Code.IMAGE_UNREADABLE,
                    Code.IMAGE_TOO_LARGE: Code.IMAGE_UNREADABLE, Code.IMAGE_UNREADABLE: Code.IMAGE_UNREADABLE}
"""How the report names the photo problems that stop a build before layout; others are 'content'."""


def findings_from_issues(issues: list[Problem] | tuple[Problem, ...]) -> list[Problem]:
    """Problems the build found before layout (a missing photo stops it) as findings."""
    return [replace(issue, code=PRE_LAYOUT_CODES.get(issue.code, Code.CONTENT))
            for issue in issues if issue.code is not Code.WEASYPRINT]


def check_figures(articles, pages_by_source: dict[str, int]) -> list[Problem]:
    findings = []
    for article in articles:
        for figure in article.figures:
            source = f"{figure.source}:{figure.line}"
            where = dict(page=pages_by_source.get(source), element=f"photo {figure.src}", source=source)
            if not figure.alt:
                findings.append(_warning(Code.ALT_TEXT, f"photo '{figure.src}' has no alt text; add "
                                         "fig-alt=\"what the photo shows\" for readers who cannot see it", **where))
            if not figure.credit:
                findings.append(
                    _warning(Code.CREDIT, f"photo '{figure.src}' has no credit; add credit=\"photographer\"", **where)
                )
    return findings
