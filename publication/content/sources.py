"""What a loaded project is: its settings and its articles, as frozen values for the later stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.models import FrontMatter, Publication
from ..core.builtin import BUILTIN_ASSETS
from ..core.files import slugify

CONFIG_NAME = "publication.yml"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}


@dataclass(frozen=True)
class ArticleSource:
    path: Path
    display_path: str
    front: FrontMatter
    body: str
    body_line: int
    """The file line on which the Markdown body starts (1-based)."""


@dataclass(frozen=True)
class Project:
    root: Path
    content_dir: Path
    config: Publication
    config_display_path: str
    articles: tuple[ArticleSource, ...]
    photo_lines: dict[str, int] = field(default_factory=dict, compare=False)
    """Where publication.yml names each cover photo ('cover', 'back_cover'), for error messages."""

    @property
    def slug(self) -> str:
        return slugify(self.config.title)

    @property
    def dist_dir(self) -> Path:
        return self.root / "dist"

    @property
    def asset_dirs(self) -> list[Path]:
        """Where themes, CSS, fonts and profiles are looked up: the project's own assets/ first."""
        return [self.root / "assets", BUILTIN_ASSETS]

    @property
    def font_dirs(self) -> list[Path]:
        return [path for path in (directory / "fonts" for directory in self.asset_dirs) if path.is_dir()]
