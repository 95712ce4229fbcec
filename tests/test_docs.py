"""The guides: every example in the authoring guide builds cleanly, and every picture exists."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import REPO

from publication.commands.build import build

sys.path.insert(0, str(REPO / "docs"))
import make_pictures  # noqa: E402

DOCS = REPO / "docs"
EXPECTED_MARKUP = {
    "article": ['class="article-title"', "<h2 "],
    "opening": ['class="opening-header"', 'class="subtitle"'],
    "lead": ['class="lead"'],
    "heading": ["<h3 "],
    "emphasis": ["<em>bestuur</em>", "<strong>leiding</strong>", "&lt;b&gt;", "Dale – kort gezegd – een"],
    "pullquote": ['class="pullquote"', 'class="attribution">René de Vent'],
    "photo": ['class="photo inline"', 'class="caption-text"', 'class="credit"'],
    "photo-full-width": ['class="photo full-width"'],
    "photo-width": ['style="width: 50%"'],
    "box": ['class="box"', "<h4 ", 'class="pullquote"'],
    "table": ["<table", "<th", "Raalte", "right"],
    "footnote": ['ELLLA,<span class="footnote">ELLLA is een Leven Lang Leren academie.</span>',
                 '<span class="footnote">Zie ook het jaarverslag 2016.</span>'],
    "text-styles": ['<span lang="en">next step</span>', '<span class="smallcaps">Regio Zwolle</span>', "<s>oude</s>",
                    "m<sup>2</sup>", "CO<sub>2</sub>", "10\u00a0km", 'class="line-block"'],
}


@pytest.fixture(scope="module")
def examples_built(tmp_path_factory):
    examples = make_pictures.examples()
    return examples, build(make_pictures.write_project(tmp_path_factory.mktemp("docs"), examples),
                           make_pictures.STANDARD_ONLY)


def test_every_element_of_the_guide_has_an_example():
    assert [example.name for example in make_pictures.examples()] == list(EXPECTED_MARKUP)


def test_guide_examples_build_without_warnings_and_make_their_element(examples_built):
    examples, result = examples_built
    assert result.warnings == ()
    html = result.renditions[0].html
    articles = re.split(r'<article class="article', html)[1:]
    assert len(articles) == len(examples)
    for example, article in zip(examples, articles):
        for marker in EXPECTED_MARKUP[example.name]:
            assert marker in article, (example.name, marker)


def test_guide_examples_are_cropped_from_their_own_page(examples_built):
    examples, result = examples_built
    pages = [make_pictures.article_area(result, f"{i:02d}-{e.name}", e.whole_article)[0]
             for i, e in enumerate(examples, 1)]
    assert pages == sorted(set(pages)), "each example starts its own page"


@pytest.mark.parametrize("guide", ["authoring.md", "theme.md", "print-shop.md"])
def test_pictures_and_links_in_the_guides_exist(guide):
    text = re.sub(r"```.*?```", "", (DOCS / guide).read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)#\s]+)\)", text):
        if not target.startswith(("http://", "https://")):
            assert (DOCS / target).is_file(), f"{guide} points to {target}, which does not exist"


def test_every_example_has_its_picture_in_the_guide():
    text = (DOCS / "authoring.md").read_text(encoding="utf-8")
    for example in make_pictures.examples():
        assert f"(pictures/{example.name}.png)" in text
