"""Fixtures: real projects built in temporary folders, read back with pypdf."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from publication.commands.build import BuildOptions, BuildResult, build

REPO = Path(__file__).resolve().parent.parent
PUBLICATIONS = REPO / "tests" / "publications"
sys.path.insert(0, str(PUBLICATIONS))
from photos import draw_annual_report, draw_leaflet  # noqa: E402


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
def sample_rebuild(tmp_path_factory):
    """The sample built a second time, in another folder: a rebuild must give the same bytes."""
    return build(copy_sample(tmp_path_factory.mktemp("rebuild")), BuildOptions())


@pytest.fixture(scope="session")
def sample_pdf(sample_build) -> Path:
    return sample_build.project.dist_dir / f"{sample_build.project.slug}.pdf"


# ---- The test publications of tests/publications (issue 13), each built once per session ----------

@dataclass(frozen=True)
class Built:
    result: BuildResult
    slug: str

    @property
    def dist(self) -> Path:
        return self.result.project.dist_dir

    def pdf(self, edition: str = "") -> Path:
        return self.dist / f"{self.slug}{edition}.pdf"

    def text(self, edition: str = "") -> str:
        """The edition's words, with words broken at a line end joined and all spacing single."""
        raw = "\n".join(page.extract_text() for page in PdfReader(self.pdf(edition)).pages)
        return re.sub(r"\s+", " ", re.sub(r"[\u2010\u00ad-]\n", "", raw))


def build_copy(name: str, draw, tmp_path_factory) -> Built:
    root = tmp_path_factory.mktemp(name) / name
    shutil.copytree(PUBLICATIONS / name, root)
    draw(root / "content")
    result = build(root, BuildOptions())
    return Built(result, result.project.slug)


@pytest.fixture(scope="session")
def annual_report(tmp_path_factory) -> Built:
    """tests/publications/annual-report-en, with the default targets."""
    return build_copy("annual-report-en", draw_annual_report, tmp_path_factory)


@pytest.fixture(scope="session")
def leaflet(tmp_path_factory) -> Built:
    """tests/publications/leaflet-de, with the default targets."""
    return build_copy("leaflet-de", draw_leaflet, tmp_path_factory)


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


# ---- A real browser: Debian's Chromium through Playwright, one per test module ----------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.is_file(), "Chromium is missing: ./setup.sh installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
