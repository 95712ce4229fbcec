"""Output targets: what each PDF in dist/ needs from the layout and how it is finished.

Targets that share a layout (same colours, bleed, photo resolution and extra CSS) share
one WeasyPrint render; each target then writes and post-processes its own PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .build import Rendition
    from .content import Project
    from .output import Output


@dataclass(frozen=True)
class Layout:
    """Everything that changes the laid-out pages; targets with equal layouts share a render."""

    colour_space: str = "rgb"  # "rgb" or "cmyk"
    bleed: float = 0.0
    ppi: int = 300
    extra_css: tuple[str, ...] = ()
    output_profile: Path | None = None
    """For CMYK: the press's ICC profile, which photos are converted to."""
    max_ink: int = 300
    """For CMYK: the highest total ink a photo may carry, in percent."""
    pages_multiple_of: int = 1
    """A bound copy needs a multiple of pages (4 for saddle stitch); blank pages before the
    colofon make up the difference. The page layout may ask for a multiple of its own."""


Finisher = Callable[["Project", "Rendition", "Target"], "list[Output]"]


@dataclass(frozen=True)
class Target:
    name: str
    filename: str  # with {slug}
    purpose: str
    layout: Layout = field(default_factory=Layout)
    finish: Finisher | None = None
    configure: Callable[["Project"], Layout] | None = None
    """For a layout that depends on the project's settings (the print target's bleed and profile)."""

    def layout_for(self, project: "Project") -> Layout:
        return self.configure(project) if self.configure else self.layout

    def output_name(self, slug: str) -> str:
        return self.filename.format(slug=slug)


def _write_plain(project: "Project", rendition: "Rendition", target: Target) -> "list[Output]":
    from .output import Output

    return [Output(target.output_name(project.slug), rendition.plain_pdf, target.purpose),
            Output(f"{project.slug}.html", rendition.html.encode(), "the HTML the brochure was typeset from")]


STANDARD = Target("standard", "{slug}.pdf", "the designed brochure", Layout(ppi=150), _write_plain)

TARGETS: dict[str, Target] = {STANDARD.name: STANDARD}
DEFAULT_TARGETS: tuple[str, ...] = ("standard",)


def register(target: Target, default: bool = False) -> Target:
    """Add a target; modules for other outputs call this when they are imported."""
    global DEFAULT_TARGETS
    TARGETS[target.name] = target
    if default and target.name not in DEFAULT_TARGETS:
        DEFAULT_TARGETS = DEFAULT_TARGETS + (target.name,)
    return target
