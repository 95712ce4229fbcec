"""The standard edition: the designed brochure in RGB, and the HTML it was typeset from."""

from __future__ import annotations

from ..content.sources import Project
from ..core.dist import Output
from ..render.rendition import Rendition
from .edition import Edition


def finish_standard(project: Project, rendition: Rendition, edition: Edition) -> list[Output]:
    return [Output(edition.output_name(project.slug), rendition.plain_pdf, edition.purpose),
            Output(f"{project.slug}.html", rendition.html.encode(), "the HTML the brochure was typeset from")]


STANDARD = Edition("standard", "{slug}.pdf", "the designed brochure", finish_standard)
