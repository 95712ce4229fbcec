"""Warm rebuilds: an incremental layout gives the same pages as a full build from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MINIMAL_CONFIG, REPO
from publication.build import BuildOptions, build
from publication.warm import WarmBuilder

WORDS = ("de gemeente werkt samen met inwoners aan nieuwe vormen van zorg wonen en werk in het dorp "
         "waar bestuurders leren luisteren naar initiatieven die ontstaan").split()


def paragraphs(count: int, seed: int) -> str:
    """Deterministic running text, long enough to fill pages."""
    text = []
    for number in range(count):
        words = [WORDS[(seed * 7 + number * 5 + i * 3) % len(WORDS)] for i in range(90)]
        text.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(text)


# main's layouts still need a back cover photo (fixed on other branches).
CONFIG = MINIMAL_CONFIG + "back_cover:\n  photo: photos/cover.jpg\n  photo_alt: Een testfoto\n"


@pytest.fixture
def project(project):
    project.write("publication.yml", CONFIG)
    return project


def write_three_articles(project) -> None:
    project.write("publication.yml", CONFIG.replace(
        "  - 01-artikel.md\n", "  - 01-artikel.md\n  - 02-artikel.md\n  - 03-artikel.md\n"))
    for number, length in ((1, 6), (2, 14), (3, 8)):
        project.write(f"0{number}-artikel.md", f"---\ntitle: Artikel {number}\n---\n\n"
                      f"{paragraphs(length, number)}\n\nHet woord merkteken{number} staat hier.\n")


def page_texts(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def full_build_texts(root: Path, scratch: Path) -> list[str]:
    """Page texts of a build from scratch: a fresh copy, a new builder, nothing cached."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(root / "content", scratch / "content")
    if (root / "assets").exists():
        shutil.copytree(root / "assets", scratch / "assets")
    result = build(scratch, BuildOptions(targets=("standard",)))
    return page_texts(result.written[0])


def warm_texts(warm: WarmBuilder, root: Path) -> list[str]:
    result = warm.build(root, BuildOptions(targets=("standard",)))
    return page_texts(result.written[0])


def test_an_edited_article_is_laid_out_from_its_first_page_on_and_matches_a_full_build(project, tmp_path):
    write_three_articles(project)
    warm = WarmBuilder()
    first = warm_texts(warm, project.root)
    assert warm.last.mode == "full"
    second_article_page = next(i for i, text in enumerate(first) if "merkteken2" in text)

    project.edit("03-artikel.md", "merkteken3 staat", "merkteken3 stond")
    texts = warm_texts(warm, project.root)
    assert warm.last.mode == "incremental"
    assert warm.last.first_changed == "03-artikel"
    assert warm.last.pages_reused > second_article_page
    assert any("merkteken3 stond" in text for text in texts)
    assert texts == full_build_texts(project.root, tmp_path / "full")

    # A longer second article pushes the third one on by a page, to the other side.
    project.edit("02-artikel.md", "Het woord merkteken2", paragraphs(6, 9) + "\n\nHet woord merkteken2")
    texts = warm_texts(warm, project.root)
    assert warm.last.mode == "incremental"
    assert warm.last.first_changed == "02-artikel"
    assert 0 < warm.last.pages_reused <= second_article_page
    assert len(texts) > len(first)
    assert texts == full_build_texts(project.root, tmp_path / "full")


def test_an_unchanged_project_is_not_laid_out_again(project):
    warm = WarmBuilder()
    first = warm_texts(warm, project.root)
    again = warm_texts(warm, project.root)
    assert warm.last.mode == "unchanged" and warm.last.pages_laid_out == 0
    assert again == first


def test_a_change_before_the_first_article_lays_out_everything(project):
    write_three_articles(project)
    warm = WarmBuilder()
    warm_texts(warm, project.root)
    project.edit("publication.yml", "title: Testbrochure", "title: Andere brochure")
    texts = warm_texts(warm, project.root)
    assert warm.last.mode == "full"
    assert "Andere brochure" in " ".join(texts)


def test_an_edited_stylesheet_is_noticed(project, tmp_path):
    shutil.copytree(REPO / "assets", project.root / "assets")
    write_three_articles(project)
    warm = WarmBuilder()
    before = warm_texts(warm, project.root)
    stylesheet = project.root / "assets" / "css" / "brochure.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.columns { columns: 1; }\n")
    texts = warm_texts(warm, project.root)
    assert warm.last.mode == "full"
    assert len(texts) > len(before)  # one column takes more pages than two
    assert texts == full_build_texts(project.root, tmp_path / "full")


@pytest.mark.parametrize("builder", ["cold", "warm"])
def test_a_second_build_processes_no_photo(project, builder):
    run = WarmBuilder().build if builder == "warm" else build
    first = run(project.root, BuildOptions(targets=("standard",)))
    second = run(project.root, BuildOptions(targets=("standard",)))
    [first_render], [second_render] = first.renditions, second.renditions
    assert first_render.images_processed >= 2  # the cover and the photo in the article
    assert second_render.images_processed == 0
    assert len(second_render.images) == len(first_render.images)
    assert {image.output for image in second_render.images} == {image.output for image in first_render.images}
    assert all(image.output.parent == project.root / ".cache" / "images" for image in second_render.images)


def test_counters_running_across_articles_make_every_layout_full(project):
    """A figure number in article 3 depends on the figures before it: no layout may start there."""
    shutil.copytree(REPO / "assets", project.root / "assets")
    stylesheet = project.root / "assets" / "css" / "brochure.css"
    stylesheet.write_text(stylesheet.read_text() + "\nfigure { counter-increment: figure; }\n"
                          "figcaption::before { content: counter(figure) '. '; }\n")
    write_three_articles(project)
    warm = WarmBuilder()
    warm_texts(warm, project.root)
    project.edit("03-artikel.md", "merkteken3 staat", "merkteken3 stond")
    warm_texts(warm, project.root)
    assert warm.last.mode == "full"
