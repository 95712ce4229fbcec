"""What an edition is: one file in dist/, made from a rendition by its own `finish`.

The editions themselves are listed in one table, `publication.editions.EDITIONS`; nothing
registers itself by being imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..content.sources import Project
from ..core.dist import Output
from ..render.rendition import Rendition
from ..render.spec import SCREEN_SPEC, RenderSpec

Finisher = Callable[[Project, Rendition, "Edition"], list[Output]]


@dataclass(frozen=True)
class Edition:
    name: str
    filename: str  # with {slug}
    purpose: str
    finish: Finisher
    spec: RenderSpec = SCREEN_SPEC
    configure: Callable[[Project], RenderSpec] | None = None
    """For a spec that depends on the project's settings (the print edition's bleed and profile)."""
    preflighted: bool = False
    """The preflight checks this edition's file (the print file); a build fails on its errors."""

    def spec_for(self, project: Project) -> RenderSpec:
        return self.configure(project) if self.configure else self.spec

    def output_name(self, slug: str) -> str:
        return self.filename.format(slug=slug)
