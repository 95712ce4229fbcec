"""Fixtures: real projects built in temporary folders, read back with pypdf."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from publication.commands.build import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent


def copy_sample(destination: Path) -> Path:
    """A copy of the sample project (its content/ folder) in `destination`."""
    shutil.copytree(REPO / "content", destination / "content")
    return destination


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The sample brochure, built once per test session into a scratch copy."""
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    result = build(root, BuildOptions())
    return result


@pytest.fixture(scope="session")
def sample_pdf(sample_build) -> Path:
    return sample_build.project.dist_dir / f"{sample_build.project.slug}.pdf"


MINIMAL_CONFIG = """\
title: Testbrochure
language: nl
date: 2020-05-01
publisher: Testuitgever
cover:
  photo: photos/cover.jpg
  photo_alt: Een testfoto
colofon:
  publisher: Testuitgever, mei 2020
  editor: Redacteur
  photography: Fotograaf
  design: Ontwerper
  contact:
    organisation: Testuitgever
articles:
  - 01-artikel.md
"""

MINIMAL_ARTICLE = """\
---
title: Een artikel
---

Eerste alinea van het artikel.

![Een onderschrift](photos/foto.jpg){fig-alt="Beschrijving" credit="Fotograaf"}

Tweede alinea.
"""


class ProjectFactory:
    """Writes a small, valid project; tests then break one thing in it."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "content"
        (self.content / "photos").mkdir(parents=True)
        # The cover photo is large enough to fill the page and its bleed at 300 ppi, as preflight asks.
        for name, size in (("cover.jpg", (2600, 3600)), ("foto.jpg", (1200, 800))):
            Image.new("RGB", size, (90, 120, 160)).save(self.content / "photos" / name, quality=85)
        self.write("publication.yml", MINIMAL_CONFIG)
        self.write("01-artikel.md", MINIMAL_ARTICLE)

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return path

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.content / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path) -> ProjectFactory:
    return ProjectFactory(tmp_path / "project")
