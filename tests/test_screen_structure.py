"""The screen PDF's structure tree as a screen reader walks it: heading levels, articles, paragraphs.

The sample's screen PDF is read once (poppler's `pdfinfo -struct-text`, in tree order) and
compared with the sources: the publication title, the article titles and the Markdown headings.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import copy_sample
from helpers import structure_tree
from test_screen import compact, structure_elements

from publication.commands.build import BuildOptions, build

SENTENCE_END = tuple(".?!:;”’\"')…")


def structure(path: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """(tag, tags of its ancestors, text within) for every element of the structure tree, in order."""
    return structure_tree(path)[0]


@pytest.fixture(scope="module")
def tree(sample_build):
    return structure(sample_build.project.dist_dir / f"{sample_build.project.slug}-screen.pdf")


def source_headings(sample_build) -> list[tuple[int, str]]:
    """The publication title (1), then per article its title (2) and its Markdown headings ('##' is 3)."""
    project = sample_build.project
    found = [(1, project.config.title)]
    for article in project.articles:
        found.append((2, article.front.title))
        for hashes, text in re.findall(r"^(#{2,4})\s+(.+?)\s*(?:\{[^}]*\})?\s*$", article.body, flags=re.M):
            found.append((len(hashes) + 1, text))
    return found


def test_heading_levels_follow_the_source(tree, sample_build):
    headings = [(int(tag[1]), text) for tag, _, text in tree if re.fullmatch(r"H[1-6]", tag)]
    assert [level for level, _ in headings].count(1) == 1, headings
    assert headings[0] == (1, sample_build.project.config.title), "the title on the cover is the one H1"
    for (previous, _), (level, text) in zip(headings, headings[1:]):
        assert level <= previous + 1, f"heading level jumps from H{previous} to H{level} at {text!r}"
    # The colofon's heading (H2) comes from the layout, not from an article.
    from_articles = [(level, compact(text)) for level, text in headings[:-1]]
    assert from_articles == [(level, compact(text)) for level, text in source_headings(sample_build)]
    assert headings[-1][0] == 2


def test_one_art_per_article(tree, sample_build):
    articles = [text for tag, _, text in tree if tag == "Art"]
    titles = [article.front.title for article in sample_build.project.articles]
    assert len(articles) == len(titles) == 4
    for text, title in zip(articles, titles):
        assert compact(title) in compact(text)
    assert not any("Art" in ancestors for tag, ancestors, _ in tree if tag == "Art")


def test_no_paragraph_of_an_article_ends_mid_sentence(tree):
    """The sample breaks a paragraph between pages 3 and 4 ('...en in' | 'welke tijd.'): one P."""
    paragraphs = [text.strip() for tag, ancestors, text in tree
                  if tag == "P" and "Art" in ancestors and "Div" in ancestors
                  and not {"Caption", "Figure", "BlockQuote", "NonStruct"} & set(ancestors)]
    assert len(paragraphs) > 20
    cut = [text[-40:] for text in paragraphs if not text.endswith(SENTENCE_END)]
    assert not cut, f"paragraphs cut mid-sentence: {cut}"


@pytest.fixture(scope="module")
def long_table_screen(tmp_path_factory) -> Path:
    """The sample with a table of 70 rows at the end of the last article: it runs over two pages."""
    root = copy_sample(tmp_path_factory.mktemp("long-table"))
    last = sorted((root / "content").glob("*.md"))[-1]
    rows = "".join(f"| Rij {number} | {number * 100} | {number * 3} |\n" for number in range(1, 70))
    last.write_text(last.read_text(encoding="utf-8") + "\n\n| Naam | Aantal | Raad |\n|---|--:|--:|\n" + rows,
                    encoding="utf-8")
    result = build(root, BuildOptions(targets=("screen",)))
    return result.project.dist_dir / f"{result.project.slug}-screen.pdf"


def test_a_table_over_two_pages_is_one_table_with_its_header_read_once(long_table_screen):
    listing = subprocess.run(["pdftotext", str(long_table_screen), "-"], capture_output=True, text=True,
                             check=True).stdout.split("\f")
    pages = [number for number, text in enumerate(listing) if "Rij " in text]
    assert len(pages) == 2 and all("Naam" in listing[number] for number in pages), "the header repeats on each page"
    tree = structure(long_table_screen)
    assert [tag for tag, _, _ in tree].count("Table") == 1
    assert [tag for tag, _, _ in tree].count("THead") == 1
    assert [text.split().count("Naam") for tag, _, text in tree if tag == "Table"] == [1]
    with pikepdf.open(long_table_screen) as pdf:
        elements = structure_elements(pdf)
        ids = {bytes(element.ID) for _, element, _ in elements if "/ID" in element}
        named = [bytes(header) for tag, element, _ in elements if tag == "/TD"
                 for header in element.A.Headers]
    assert len(named) == 69 * 3 and set(named) <= ids, "every cell names header cells that are in the tree"
